"""Every view gives the same rows whatever the session's time zone.

Buckets are counted from a fixed UTC origin (date_bin), never with
date_trunc, which follows the session's TimeZone: a session in Asia/Kolkata
(+05:30) would otherwise see hour buckets at :30 UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn
from serving import make_user

ZONES = ["UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"]


def _views(conn: Conn) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT viewname FROM pg_views WHERE schemaname = 'monitoring' ORDER BY 1"
        )
    ]


@pytest.fixture
def history(conn: Conn) -> None:
    """A little of every signal over the last two hours, rolled up."""
    notifications = {
        "route": {"receiver": "hooks", "group_wait": "0s", "escalation_policy": "oncall"},
        "receivers": [{"name": "hooks", "webhook_configs": [{"url_env": "HOOK_URL"}]}],
        "escalation_policies": [{"name": "oncall", "tiers": [{"receiver": "hooks"}]}],
    }
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": notifications}),),
    )
    for minutes in (5, 31, 47, 75, 100):
        at = f"now() - interval '{minutes} minutes'"
        conn.execute(
            f"SELECT monitoring.record_error(NULL, 'timeout', 'high', 'm{minutes}', 'api', NULL, NULL, {at})"
        )
        conn.execute(
            "SELECT monitoring.record_performance_metric('cpu_usage', 'gauge', %s, 'percent',"
            f" 'host', NULL, {at})",
            (minutes,),
        )
        conn.execute(
            f"SELECT monitoring.start_task_tracking('t{minutes}', 'ocr', NULL, NULL, NULL,"
            f" {at} - interval '30 seconds')"
        )
        conn.execute(
            f"SELECT monitoring.complete_task_tracking('t{minutes}', 'completed', NULL, NULL, {at})"
        )
        conn.execute(f"SELECT monitoring.record_queue_stats('q', {minutes}, 1, 2, 0, 10, {at})")
    conn.execute(
        "SELECT monitoring.update_system_health('db', 'main', 'unhealthy', 12, 'down', NULL,"
        " now() - interval '50 minutes')"
    )
    conn.execute(
        "SELECT monitoring.create_silence(ARRAY['component=db'], 'fixture', p_duration => '1h')"
    )
    conn.execute(
        "SELECT monitoring.create_api_key('fixture', 'viewer', sha256('k'), 'pgv_fixture',"
        " now() + interval '30 days')"
    )
    make_user(conn, "fixture-user", "operator", "a long fixture password")
    conn.execute("CALL monitoring.refresh_rollups()")
    conn.execute("SELECT * FROM monitoring.run_monitoring_checks('manual')")


def _utc(value: Any) -> Any:
    return value.astimezone(timezone.utc) if isinstance(value, datetime) else value


def _snapshot(conn: Conn, view: str) -> list[tuple[Any, ...]]:
    rows = conn.execute(f"SELECT * FROM monitoring.{view}").fetchall()
    return sorted((tuple(_utc(v) for v in r) for r in rows), key=repr)


def test_every_view_gives_the_same_rows_in_every_time_zone(conn: Conn, history: None) -> None:
    views = _views(conn)
    assert "v_error_summary" in views and len(views) >= 9
    with conn.transaction():  # one now() for every read
        by_zone: dict[str, dict[str, list[tuple[Any, ...]]]] = {}
        for zone in ZONES:
            conn.execute("SELECT set_config('TimeZone', %s, true)", (zone,))
            by_zone[zone] = {view: _snapshot(conn, view) for view in views}
    for view in views:
        assert by_zone["UTC"][view], f"{view} returned no rows: the fixture does not cover it"
        for zone in ZONES[1:]:
            assert by_zone[zone][view] == by_zone["UTC"][view], (view, zone)


def test_error_summary_hours_start_on_the_utc_hour(conn: Conn, history: None) -> None:
    conn.execute("SET TimeZone = 'Asia/Kolkata'")
    minutes = {
        r[0]
        for r in conn.execute(
            "SELECT extract(minute FROM \"time\" AT TIME ZONE 'UTC') FROM monitoring.v_error_summary"
        )
    }
    assert minutes == {0}
