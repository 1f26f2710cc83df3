"""Flood control per receiver: beyond flood_control.max_per_minute, a
receiver integration's notifications are written held (queryable, not
sent); once the minute is over, one flood_summary notification says how
many were held back, and each held one names it. (The minute is moved by
setting created_at back: it is plain arithmetic on it.)"""

from __future__ import annotations

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, rows, scalar
from pgvigil.notify.delivery import deliver_due
from receivers import Receiver
from signals import add_errors


def configure(conn: Conn, flood: object = None) -> None:
    section = {
        "route": {"receiver": "hooks", "group_by": ["alertname", "component"], "group_wait": "0s"},
        "receivers": [{"name": "hooks", "webhook_configs": [{"url_env": "HOOK_URL"}],
                       "flood_control": flood if flood is not None else {"max_per_minute": 2}}],
    }  # fmt: skip
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )


def test_beyond_the_cap_notifications_are_held_and_summarised(conn: Conn) -> None:
    configure(conn)
    for component in ("a", "b", "c", "d", "e"):
        add_errors(conn, component, 30)
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    conn.execute("SELECT monitoring.flush_notification_groups()")
    statuses = [
        r["status"]
        for r in rows(conn, "SELECT status FROM monitoring.notifications ORDER BY notification_id")
    ]
    assert statuses == ["pending", "pending", "held", "held", "held"]
    held = rows(conn, "SELECT * FROM monitoring.v_notification_log WHERE status = 'held'")
    assert (
        len(held) == 3
        and "held back by flood control: more than 2 a minute" in held[0]["last_error"]
    )
    assert scalar(conn, "SELECT held_24h FROM monitoring.v_notification_receivers") == 3
    # Nothing held is ever claimed.
    receiver = Receiver()
    try:
        with httpx.Client() as client:
            stats = deliver_due(conn, client, worker="pytest", environ={"HOOK_URL": receiver.url})
        assert stats.delivered == 2 and len(receiver.requests) == 2
        # The minute is over: one summary, naming how many.
        conn.execute(
            "UPDATE monitoring.notifications SET created_at = created_at - interval '61 seconds'"
        )
        with httpx.Client() as client:
            stats = deliver_due(conn, client, worker="pytest", environ={"HOOK_URL": receiver.url})
        assert stats.delivered == 1
        summary = scalar(
            conn, "SELECT payload FROM monitoring.notifications WHERE reason = 'flood_summary'"
        )
        assert summary["commonLabels"]["alertname"] == "PgvigilNotificationsHeldBack"
        assert summary["commonAnnotations"]["summary"].startswith(
            "3 notifications to hooks (webhook_configs)"
        )
        assert (
            scalar(
                conn,
                "SELECT count(DISTINCT summary_id) FROM monitoring.notifications WHERE status = 'held'",
            )
            == 1
        )
        assert scalar(conn, "SELECT monitoring_internal.write_flood_summaries()") == 0  # said once
    finally:
        receiver.close()


@pytest.mark.parametrize(
    "flood", [{"max_per_minute": 0}, {"max_per_minute": "lots"}, {}, {"per_hour": 5}]
)
def test_a_bad_flood_control_is_refused(conn: Conn, flood: dict[str, object]) -> None:
    with pytest.raises(psycopg.Error) as error:
        configure(conn, flood)
    assert error.value.diag.sqlstate in ("PV606", "PV608")
    assert (
        "flood_control" in f"{error.value.diag.message_primary}\n{error.value.diag.message_detail}"
    )
