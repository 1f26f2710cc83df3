"""Flap damping: an alert that changes state more than flap_detection.changes
times within the window is flapping; while it flaps it is notified at most
once per window, its fire-and-resolve in between held back (logged as
flapping); a resolve it is owed goes out when the window allows; once it has
been stable for stable_for it is an ordinary alert again. (The window is
moved by setting timestamps back: it is plain arithmetic on them.)"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, rows, scalar
from signals import add_errors, delete_errors

FLAP = {"changes": 2, "window": "10m", "stable_for": "15m"}


def configure(conn: Conn, flap: Any = FLAP) -> None:
    section = {
        "route": {
            "receiver": "hooks",
            "group_by": ["alertname"],
            "group_wait": "0s",
            "group_interval": "1m",
        },
        "receivers": [{"name": "hooks", "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK"}]}],
        "flap_detection": flap,
    }
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )


def fire(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")


def resolve(conn: Conn) -> None:
    delete_errors(conn, "api")
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")


def tick(conn: Conn) -> list[str]:
    """The groups are due: flush, and return the reasons written."""
    conn.execute(
        "UPDATE monitoring.notification_groups SET next_flush_at = now() - interval '1 second'"
    )
    before = scalar(conn, "SELECT coalesce(max(notification_id), 0) FROM monitoring.notifications")
    conn.execute("SELECT monitoring.flush_notification_groups()")
    return [r["reason"] for r in rows(
        conn, "SELECT reason FROM monitoring.notifications WHERE notification_id > %s ORDER BY 1", (before,))]  # fmt: skip


def test_a_flapping_alert_is_notified_at_most_once_per_window(conn: Conn) -> None:
    configure(conn)
    fire(conn)
    assert tick(conn) == ["first"]
    resolve(conn)
    assert tick(conn) == ["all_resolved"]
    fire(conn)  # the third change: flapping, and this once notified
    assert tick(conn) == ["first"]
    flapping = scalar(conn, "SELECT changes FROM monitoring.flapping_alerts")
    assert flapping == 3
    resolve(conn)
    assert tick(conn) == []  # its resolve waits for the window
    fire(conn)
    assert tick(conn) == []  # and so does firing again
    held = rows(
        conn, "SELECT reason, detail FROM monitoring.notification_suppressions ORDER BY alert_id"
    )
    assert [h["reason"] for h in held] == ["flapping", "flapping"]
    assert "its resolve waits" in held[0]["detail"]
    assert "notified at most once per 600 s" in held[1]["detail"]
    # The window has passed: firing, as the receiver was last told: nothing to say.
    conn.execute(
        "UPDATE monitoring.flapping_alerts SET last_notified_at = now() - interval '11 minutes'"
    )
    assert tick(conn) == []
    resolve(conn)
    assert tick(conn) == ["all_resolved"]  # the resolve it is owed
    # Stable for 15 minutes: an ordinary alert again.
    conn.execute(
        "UPDATE monitoring.alerts SET triggered_at = triggered_at - interval '20 minutes',"
        " resolved_at = resolved_at - interval '20 minutes'"
    )
    conn.execute(
        "UPDATE monitoring.flapping_alerts SET last_change_at = last_change_at - interval '20 minutes'"
    )
    fire(conn)
    assert tick(conn) == ["first"]
    assert scalar(conn, "SELECT count(*) FROM monitoring.flapping_alerts") == 0
    resolve(conn)
    assert tick(conn) == ["all_resolved"]


def test_flap_detection_can_be_turned_off(conn: Conn) -> None:
    configure(conn, {"enabled": False})
    for _ in range(3):
        fire(conn)
        assert tick(conn) == ["first"]
        resolve(conn)
        assert tick(conn) == ["all_resolved"]
    assert scalar(conn, "SELECT count(*) FROM monitoring.flapping_alerts") == 0


@pytest.mark.parametrize(
    ("flap", "says"),
    [
        ({"changes": 0}, "changes must be a whole number"),
        ({"window": "soon"}, "window must be a duration"),
        ({"stable_for": -1}, "stable_for must be a duration"),
        ({"enabled": "yes"}, "enabled must be true or false"),
        ({"after": "1m"}, "flap_detection.after is not supported"),
    ],
)
def test_bad_flap_detection_is_refused(conn: Conn, flap: dict[str, Any], says: str) -> None:
    with pytest.raises(psycopg.Error) as error:
        configure(conn, flap)
    assert error.value.diag.sqlstate in ("PV606", "PV608")
    assert says in f"{error.value.diag.message_primary}\n{error.value.diag.message_detail}"
