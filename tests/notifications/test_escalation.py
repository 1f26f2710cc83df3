"""Acknowledgement and escalation, which Alertmanager lacks: a route's
escalation policy pages its tiers in order, waits each tier's delay for an
acknowledgement, repeats, and stops when someone acknowledges; an
acknowledgement that times out while the alert fires re-triggers; the
policy is a snapshot taken when the incident starts; a resolve ends the
escalation and tells everyone it paged; acknowledging stops the group's
reminders. (Delays are moved by setting next_at: they are plain arithmetic
on it.)"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, rows, scalar
from signals import add_errors, delete_errors


def hook(name: str) -> dict[str, Any]:
    return {"name": name, "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK"}]}


POLICY = {
    "name": "oncall",
    "tiers": [{"receiver": "primary", "delay": "10m"}, {"receiver": "secondary", "delay": "15m"}],
    "repeat": 1,
    "ack_timeout": "30m",
}


def section(policy: dict[str, Any] = POLICY) -> dict[str, Any]:
    return {
        "route": {"receiver": "chat", "group_by": ["alertname"], "group_wait": "0s",
                  "group_interval": "1m", "repeat_interval": "1h", "escalation_policy": "oncall"},
        "receivers": [hook("chat"), hook("primary"), hook("secondary"), hook("lead")],
        "escalation_policies": [policy],
    }  # fmt: skip


def configure(conn: Conn, document: dict[str, Any] | None = None) -> None:
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": document or section()}),),
    )


def fire(conn: Conn) -> int:
    add_errors(conn, "api", 30)
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    return int(scalar(conn, "SELECT alert_id FROM monitoring.alerts WHERE resolved_at IS NULL"))


def pages(conn: Conn, *, due: bool = True) -> list[tuple[str, str]]:
    """Make the escalations due (when ``due``), flush, and return the
    (receiver, payload status) of the escalation notifications written."""
    if due:
        conn.execute(
            "UPDATE monitoring.escalations SET next_at = now() - interval '1 second'"
            " WHERE next_at IS NOT NULL"
        )
    before = scalar(conn, "SELECT coalesce(max(notification_id), 0) FROM monitoring.notifications")
    conn.execute("SELECT monitoring.flush_notification_groups()")
    return [
        (n["receiver"], n["payload"]["status"])
        for n in rows(
            conn,
            "SELECT * FROM monitoring.notifications WHERE notification_id > %s"
            " AND reason = 'escalation' ORDER BY notification_id",
            (before,),
        )
    ]


def ack(conn: Conn, alert_id: int) -> None:
    conn.execute("SELECT monitoring.acknowledge_alert(%s, 'ana', 'on it')", (alert_id,))


def test_tiers_are_paged_in_order_repeated_then_exhausted(conn: Conn) -> None:
    configure(conn)
    fire(conn)
    # The incident starts: the first tier at once, and the route's receiver as usual.
    assert pages(conn, due=False) == [("primary", "firing")]
    assert (
        scalar(conn, "SELECT count(*) FROM monitoring.notifications WHERE receiver = 'chat'") == 1
    )
    wait = scalar(
        conn, "SELECT extract(epoch FROM next_at - last_notified_at) FROM monitoring.escalations"
    )
    assert wait == 600  # the first tier's delay to acknowledge
    view = one(conn, "SELECT * FROM monitoring.v_escalations")
    assert (view["status"], view["next_receiver"], view["last_paged_receiver"]) == (
        "active",
        "secondary",
        "primary",
    )
    assert pages(conn, due=False) == []  # not yet
    assert pages(conn) == [("secondary", "firing")]
    assert pages(conn) == [("primary", "firing")]  # repeat: 1
    assert pages(conn) == [("secondary", "firing")]
    assert scalar(conn, "SELECT status FROM monitoring.escalations") == "exhausted"
    assert pages(conn) == []
    keys = [r["idempotency_key"] for r in rows(
        conn, "SELECT idempotency_key FROM monitoring.notifications WHERE reason = 'escalation'")]  # fmt: skip
    assert len(set(keys)) == 4


def test_acknowledging_stops_escalation_until_the_ack_times_out(conn: Conn) -> None:
    configure(conn)
    alert_id = fire(conn)
    assert pages(conn, due=False) == [("primary", "firing")]
    ack(conn, alert_id)
    esc = one(conn, "SELECT * FROM monitoring.escalations")
    assert esc["status"] == "acknowledged"
    timeout = scalar(
        conn, "SELECT extract(epoch FROM next_at - acknowledged_at) FROM monitoring.escalations"
    )
    assert timeout == 1800
    assert pages(conn, due=False) == []
    # Still firing when the acknowledgement times out: active again, paged from the first tier.
    assert pages(conn) == [("primary", "firing")]
    alert = one(conn, "SELECT * FROM monitoring.alerts WHERE alert_id = %s", (alert_id,))
    assert (alert["status"], alert["acknowledged_at"]) == ("active", None)
    events = [r["event_type"] for r in rows(
        conn, "SELECT event_type FROM monitoring.alert_events WHERE alert_id = %s ORDER BY event_id",
        (alert_id,))]  # fmt: skip
    assert events == ["triggered", "acknowledged", "acknowledgement_expired"]
    assert scalar(conn, "SELECT status FROM monitoring.escalations") == "active"


def test_without_an_ack_timeout_an_acknowledgement_holds(conn: Conn) -> None:
    configure(conn, section({k: v for k, v in POLICY.items() if k != "ack_timeout"}))
    alert_id = fire(conn)
    assert pages(conn, due=False) == [("primary", "firing")]
    ack(conn, alert_id)
    assert scalar(conn, "SELECT next_at FROM monitoring.escalations") is None
    assert pages(conn) == []


def test_the_policy_is_a_snapshot_taken_when_the_incident_starts(conn: Conn) -> None:
    configure(conn)
    fire(conn)
    assert pages(conn, due=False) == [("primary", "firing")]
    # The policy changes: the incident in flight goes on with the old one.
    configure(
        conn, section({**POLICY, "tiers": [{"receiver": "lead", "delay": "5m"}], "repeat": 0})
    )
    assert pages(conn) == [("secondary", "firing")]
    # Resolved, then firing again: a new incident, with the new policy.
    delete_errors(conn, "api")
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    assert pages(conn, due=False) == [("primary", "resolved"), ("secondary", "resolved")]
    fire(conn)
    assert pages(conn, due=False) == [("lead", "firing")]
    assert [
        r["status"] for r in rows(conn, "SELECT status FROM monitoring.escalations ORDER BY 1")
    ] == ["exhausted", "resolved"]  # its one tier paged, no repeat


def test_a_resolve_ends_the_escalation_and_tells_whom_it_paged(conn: Conn) -> None:
    configure(conn)
    fire(conn)
    assert pages(conn, due=False) == [("primary", "firing")]
    delete_errors(conn, "api")
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    assert pages(conn, due=False) == [("primary", "resolved")]
    assert scalar(conn, "SELECT status FROM monitoring.escalations") == "resolved"
    assert rows(conn, "SELECT * FROM monitoring.v_escalations") == []
    assert pages(conn) == []


def test_acknowledging_stops_the_groups_reminders(conn: Conn) -> None:
    configure(conn)
    alert_id = fire(conn)
    conn.execute("SELECT monitoring.flush_notification_groups()")

    def reminders() -> int:
        conn.execute(
            "UPDATE monitoring.notification_groups SET next_flush_at = now() - interval '1 second',"
            " last_notified_at = now() - interval '2 hours'"
        )
        before = scalar(
            conn, "SELECT count(*) FROM monitoring.notifications WHERE reason = 'repeat'"
        )
        conn.execute("SELECT monitoring.flush_notification_groups()")
        return (
            int(
                scalar(
                    conn, "SELECT count(*) FROM monitoring.notifications WHERE reason = 'repeat'"
                )
            )
            - before
        )

    assert reminders() == 1
    ack(conn, alert_id)
    assert reminders() == 0


@pytest.mark.parametrize(
    ("code", "says", "change"),
    [
        ("PV605", "delay must be a duration of 0 or more",
         {"escalation_policies": [{**POLICY, "tiers": [{"receiver": "primary", "delay": "-5m"}]}]}),
        ("PV605", "needs tiers", {"escalation_policies": [{"name": "oncall", "tiers": []}]}),
        ("PV605", "repeat must be a whole number", {"escalation_policies": [{**POLICY, "repeat": 1.5}]}),
        ("PV605", "ack_timeout must be a duration", {"escalation_policies": [{**POLICY, "ack_timeout": "soon"}]}),
        ("PV605", "is not one of notifications.escalation_policies", {"escalation_policies": []}),
        ("PV601", "is not a receiver", {"escalation_policies": [{**POLICY, "tiers": [{"receiver": "nobody"}]}]}),
        ("PV606", "tiers[0].after", {"escalation_policies": [{**POLICY, "tiers": [{"receiver": "primary", "after": "1m"}]}]}),
    ],
)  # fmt: skip
def test_a_bad_escalation_policy_gets_its_code_and_changes_nothing(
    conn: Conn, code: str, says: str, change: dict[str, Any]
) -> None:
    before = scalar(conn, "SELECT document FROM monitoring.config")
    with pytest.raises(psycopg.Error) as error:
        configure(conn, {**section(), **change})
    assert error.value.diag.sqlstate == code
    assert says in f"{error.value.diag.message_primary}\n{error.value.diag.message_detail}"
    assert error.value.diag.message_hint
    assert scalar(conn, "SELECT document FROM monitoring.config") == before


def test_a_silenced_alert_is_not_paged_until_the_silence_ends(conn: Conn) -> None:
    configure(conn)
    silence_id = scalar(
        conn,
        "SELECT monitoring.create_silence(ARRAY['component=api'], 'maintenance', p_duration => '1h')",
    )
    fire(conn)
    assert pages(conn, due=False) == []
    assert pages(conn) == []
    conn.execute("SELECT monitoring.expire_silence(%s)", (silence_id,))
    assert pages(conn) == [("primary", "firing")]
