"""Notification groups decided in the database, with Alertmanager's timers
and reasons: the first notification after group_wait, new_alerts /
some_resolved / all_resolved at group_interval ticks, repeat after
repeat_interval, nothing for a group resolved before its first
notification, resolves only to integrations that send them; each written
to the outbox with the webhook v4 payload and an idempotency key. (The
ticks are moved by setting a group's next_flush_at: the timers themselves
are plain arithmetic on it.)"""

from __future__ import annotations

import threading
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from dbhelpers import Conn, rows, scalar
from signals import add_errors, delete_errors

SECTION: dict[str, Any] = {
    "route": {
        "receiver": "hooks",
        "group_by": ["alertname"],
        "group_wait": "0s",
        "group_interval": "1m",
        "repeat_interval": "1h",
    },
    "receivers": [
        {
            "name": "hooks",
            "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK"}],
            "slack_configs": [{"api_url_env": "PGVIGIL_TEST_SLACK"}],
        }
    ],
}


def configure(conn: Conn, section: dict[str, Any] = SECTION) -> None:
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )


def evaluate(conn: Conn) -> None:
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")


def tick(conn: Conn) -> list[dict[str, Any]]:
    """The groups' timers are due now: flush, and return what was written."""
    conn.execute(
        "UPDATE monitoring.notification_groups SET next_flush_at = now() - interval '1 second'"
    )
    before = scalar(conn, "SELECT coalesce(max(notification_id), 0) FROM monitoring.notifications")
    conn.execute("SELECT monitoring.flush_notification_groups()")
    return rows(
        conn,
        "SELECT * FROM monitoring.notifications WHERE notification_id > %s ORDER BY notification_id",
        (before,),
    )


def test_the_first_notification_waits_for_group_wait(conn: Conn) -> None:
    configure(conn, {**SECTION, "route": {**SECTION["route"], "group_wait": "10s"}})
    add_errors(conn, "api", 30)
    evaluate(conn)
    assert scalar(conn, "SELECT monitoring.flush_notification_groups()") == 0  # not yet
    group = rows(conn, "SELECT * FROM monitoring.notification_groups")
    assert [(g["receiver"], g["group_key"]) for g in group] == [
        ("hooks", '{}:{alertname="error_rate"}')
    ]
    wait = scalar(
        conn,
        "SELECT extract(epoch FROM next_flush_at - created_at) FROM monitoring.notification_groups",
    )
    assert wait == 10
    sent = tick(conn)
    assert [(n["integration"], n["reason"], n["status"]) for n in sent] == [
        ("webhook_configs", "first", "pending"),
        ("slack_configs", "first", "pending"),
    ]


def test_the_payload_is_alertmanagers_webhook_v4(conn: Conn) -> None:
    configure(conn)
    add_errors(conn, "api", 30)
    add_errors(conn, "db", 60)
    evaluate(conn)
    payload = tick(conn)[0]["payload"]
    assert payload.keys() == {
        "version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
        "commonLabels", "commonAnnotations", "externalURL", "alerts",
    }  # fmt: skip
    assert (payload["version"], payload["status"], payload["receiver"]) == ("4", "firing", "hooks")
    assert payload["groupKey"] == '{}:{alertname="error_rate"}'
    assert payload["groupLabels"] == {"alertname": "error_rate"}
    assert payload["commonLabels"] == {"alertname": "error_rate", "category": "errors"}
    assert len(payload["alerts"]) == 2
    alert = payload["alerts"][0]
    assert alert.keys() == {
        "status",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
    }
    assert alert["status"] == "firing" and alert["endsAt"] == "0001-01-01T00:00:00Z"
    fingerprints = {a["fingerprint"] for a in payload["alerts"]}
    assert fingerprints == {
        r["fingerprint"] for r in rows(conn, "SELECT fingerprint FROM monitoring.alerts")
    }


def test_new_alerts_resolves_and_repeats(conn: Conn) -> None:
    configure(conn)
    add_errors(conn, "api", 30)
    evaluate(conn)
    assert [n["reason"] for n in tick(conn)] == ["first", "first"]
    assert tick(conn) == []  # nothing changed, repeat_interval not reached
    add_errors(conn, "db", 30)
    evaluate(conn)
    assert [n["reason"] for n in tick(conn)] == ["new_alerts", "new_alerts"]
    delete_errors(conn, "db")
    evaluate(conn)
    sent = tick(conn)
    # Slack does not send resolves (Alertmanager's default): only the webhook.
    assert [(n["integration"], n["reason"]) for n in sent] == [("webhook_configs", "some_resolved")]
    assert [a["status"] for a in sent[0]["payload"]["alerts"]] == ["firing", "resolved"]
    conn.execute(
        "UPDATE monitoring.notification_groups SET last_notified_at = now() - interval '2 hours'"
    )
    assert [n["reason"] for n in tick(conn)] == ["repeat", "repeat"]
    delete_errors(conn, "api")
    evaluate(conn)
    sent = tick(conn)
    assert [(n["integration"], n["reason"], n["payload"]["status"]) for n in sent] == [
        ("webhook_configs", "all_resolved", "resolved")
    ]
    assert scalar(conn, "SELECT count(*) FROM monitoring.notification_groups") == 0
    keys = [
        r["idempotency_key"]
        for r in rows(conn, "SELECT idempotency_key FROM monitoring.notifications")
    ]
    assert len(keys) == len(set(keys)) == 8


def test_a_group_resolved_before_its_first_notification_sends_nothing(conn: Conn) -> None:
    configure(conn, {**SECTION, "route": {**SECTION["route"], "group_wait": "30s"}})
    add_errors(conn, "api", 30)
    evaluate(conn)
    delete_errors(conn, "api")
    evaluate(conn)
    assert tick(conn) == []
    assert scalar(conn, "SELECT count(*) FROM monitoring.notification_groups") == 0


def test_the_default_receiver_sends_nothing(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    evaluate(conn)
    assert tick(conn) == []


def test_two_flushes_at_once_decide_each_group_once(conn: Conn, module_dsn: str) -> None:
    configure(conn)
    for component in ("a", "b", "c"):
        add_errors(conn, component, 30)
    conn.execute(
        "SELECT monitoring.put_alert_rule(%s)",
        (
            Jsonb(
                {
                    "name": "errors_by_component",
                    "source": {"kind": "error"},
                    "aggregate": "count",
                    "window": "1h",
                    "group_by": ["component"],
                    "thresholds": {"low": 1},
                }
            ),
        ),  # fmt: skip
    )
    configure(
        conn, {**SECTION, "route": {**SECTION["route"], "group_by": ["alertname", "component"]}}
    )
    evaluate(conn)
    conn.execute(
        "UPDATE monitoring.notification_groups SET next_flush_at = now() - interval '1 second'"
    )
    results: list[int] = []

    def flush() -> None:
        with psycopg.connect(module_dsn, autocommit=True) as other:
            results.append(scalar(other, "SELECT monitoring.flush_notification_groups()"))

    threads = [threading.Thread(target=flush) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    groups = scalar(conn, "SELECT count(*) FROM monitoring.notification_groups")
    assert sum(results) == 2 * groups  # webhook and slack per group, once
    assert scalar(conn, "SELECT count(*) FROM monitoring.notifications") == 2 * groups
