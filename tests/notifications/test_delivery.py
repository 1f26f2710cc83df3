"""Delivery from the outbox to a real HTTP receiver on loopback: the
webhook v4 body with Standard Webhooks headers (verified with the
standardwebhooks library), every attempt recorded, retries with backoff on
5xx and refused connections, Retry-After honoured, 410 and other 4xx given
up, the same webhook-id on every retry, secrets read from the environment
and never written into the database, and pgvigil worker doing it all."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import standardwebhooks
from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, rows, scalar
from pgvigil.jobs.worker import run_worker
from pgvigil.notify.delivery import deliver_due
from receivers import Receiver
from signals import add_errors

SECRET = "whsec_" + base64.b64encode(b"pgvigil-test-signing-key").decode()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def configure(conn: Conn) -> None:
    section = {
        "route": {"receiver": "hooks", "group_by": ["alertname"], "group_wait": "0s"},
        "receivers": [{"name": "hooks", "webhook_configs": [
            {"url_env": "PGVIGIL_TEST_HOOK_URL", "signing_secret_env": "PGVIGIL_TEST_HOOK_SECRET"}]}],
    }  # fmt: skip
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )


def fire(conn: Conn) -> None:
    add_errors(conn, "api", 30)
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")


def deliver(conn: Conn, receiver: Receiver, **environ: str) -> Any:
    env = {"PGVIGIL_TEST_HOOK_URL": receiver.url, "PGVIGIL_TEST_HOOK_SECRET": SECRET, **environ}
    with httpx.Client() as client:
        return deliver_due(conn, client, worker="pytest", environ=env)


def due_again(conn: Conn) -> None:
    conn.execute(
        "UPDATE monitoring.notifications SET next_attempt_at = now() WHERE status = 'pending'"
    )


def test_a_notification_reaches_the_receiver_signed(conn: Conn, receiver: Receiver) -> None:
    configure(conn)
    fire(conn)
    stats = deliver(conn, receiver)
    assert (stats.flushed, stats.delivered) == (1, 1)
    [request] = receiver.requests
    body = json.loads(request["body"])
    assert (body["version"], body["status"], body["receiver"]) == ("4", "firing", "hooks")
    assert body["alerts"][0]["labels"]["alertname"] == "error_rate"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    notification = one(conn, "SELECT * FROM monitoring.notifications")
    assert headers["webhook-id"] == notification["idempotency_key"]
    # The signature verifies with the Standard Webhooks reference library.
    standardwebhooks.Webhook(SECRET).verify(request["body"], headers)
    assert (notification["status"], notification["attempts"]) == ("delivered", 1)
    attempt = one(conn, "SELECT * FROM monitoring.notification_attempts")
    assert (attempt["outcome"], attempt["status_code"], attempt["worker"]) == (
        "delivered",
        200,
        "pytest",
    )
    # The URL (with its token) and the signing secret are nowhere in the database.
    dump = (
        json.dumps(rows(conn, "SELECT * FROM monitoring.notifications"), default=str)
        + json.dumps(rows(conn, "SELECT * FROM monitoring.notification_attempts"), default=str)
        + json.dumps(scalar(conn, "SELECT document FROM monitoring.config"))
    )
    assert "t0ken" not in dump and SECRET not in dump


def test_a_5xx_is_retried_with_the_same_webhook_id(conn: Conn, receiver: Receiver) -> None:
    configure(conn)
    fire(conn)
    receiver.answers = [(503, {})]
    assert deliver(conn, receiver).retried == 1
    notification = one(conn, "SELECT * FROM monitoring.notifications")
    assert notification["status"] == "pending"
    assert notification["last_error"] == "HTTP 503"
    assert scalar(conn, "SELECT next_attempt_at > now() FROM monitoring.notifications")
    due_again(conn)
    assert deliver(conn, receiver).delivered == 1
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert len(receiver.requests) == 2 and len(ids) == 1
    assert [
        a["outcome"]
        for a in rows(conn, "SELECT outcome FROM monitoring.notification_attempts ORDER BY attempt")
    ] == [
        "retry",
        "delivered",
    ]


def test_retry_after_is_honoured(conn: Conn, receiver: Receiver) -> None:
    configure(conn)
    fire(conn)
    receiver.answers = [(429, {"Retry-After": "120"})]
    deliver(conn, receiver)
    wait = scalar(
        conn, "SELECT extract(epoch FROM next_attempt_at - now()) FROM monitoring.notifications"
    )
    assert 110 < wait <= 121


@pytest.mark.parametrize("status", [410, 400])
def test_gone_and_refusals_are_given_up(conn: Conn, receiver: Receiver, status: int) -> None:
    configure(conn)
    fire(conn)
    receiver.answers = [(status, {})]
    assert deliver(conn, receiver).failed == 1
    assert scalar(conn, "SELECT status FROM monitoring.notifications") == "failed"
    due_again(conn)
    assert deliver(conn, receiver).attempted == 0


def test_a_receiver_that_is_down_is_retried(conn: Conn, receiver: Receiver) -> None:
    configure(conn)
    fire(conn)
    receiver.close()
    assert deliver(conn, receiver).retried == 1
    error = scalar(conn, "SELECT last_error FROM monitoring.notifications")
    assert "ConnectError" in error and "t0ken" not in error


def test_a_secret_this_process_lacks_is_retried_later(conn: Conn, receiver: Receiver) -> None:
    configure(conn)
    fire(conn)
    with httpx.Client() as client:
        stats = deliver_due(conn, client, worker="pytest", environ={})
    assert stats.retried == 1 and receiver.requests == []
    assert "PGVIGIL_TEST_HOOK_URL is not set" in scalar(
        conn, "SELECT last_error FROM monitoring.notifications"
    )


def test_the_worker_evaluates_groups_and_delivers(
    dsn: str, conn: Conn, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGVIGIL_TEST_HOOK_URL", receiver.url)
    monkeypatch.setenv("PGVIGIL_TEST_HOOK_SECRET", SECRET)
    configure(conn)
    add_errors(conn, "api", 30)
    stats = run_worker(dsn, interval=0.1, max_evaluations=2)
    assert stats.delivered == 1
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0]["body"])["groupKey"] == '{}:{alertname="error_rate"}'


def test_slack_teams_and_pagerduty_get_their_own_payloads(conn: Conn, receiver: Receiver) -> None:
    section = {
        "route": {"receiver": "chat", "group_by": ["alertname"], "group_wait": "0s", "group_interval": "1s"},
        "receivers": [{
            "name": "chat",
            "slack_configs": [{"api_url_env": "SLACK_URL", "channel": "#ops"}],
            "msteamsv2_configs": [{"webhook_url_env": "TEAMS_URL"}],
            "pagerduty_configs": [{"routing_key_env": "PD_KEY", "url": receiver.url + "/pd"}],
        }],
    }  # fmt: skip
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )
    fire(conn)
    env = {
        "SLACK_URL": receiver.url + "/slack",
        "TEAMS_URL": receiver.url + "/teams",
        "PD_KEY": "pd-routing-key",
    }
    assert deliver(conn, receiver, **env).delivered == 3
    sent = {r["path"].rsplit("/", 1)[-1]: json.loads(r["body"]) for r in receiver.requests}
    assert sent["slack"]["channel"] == "#ops"
    assert sent["slack"]["text"] == "[FIRING:1] error_rate"
    assert sent["slack"]["blocks"][1]["text"]["text"] == "low: High error rate in api"  # 30 an hour
    card = sent["teams"]["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    assert card["content"]["body"][0]["text"] == "[FIRING:1] error_rate"
    page = sent["pd"]
    assert (page["routing_key"], page["event_action"]) == ("pd-routing-key", "trigger")
    assert page["payload"]["summary"] == "[FIRING:1] error_rate"
    assert page["payload"]["severity"] in ("info", "warning")
    # Resolved: PagerDuty resolves the same incident, Teams says so, Slack
    # (send_resolved false by default, as in Alertmanager) does not.
    receiver.requests.clear()
    conn.execute("DELETE FROM monitoring.error_tracking")
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    conn.execute("UPDATE monitoring.notification_groups SET next_flush_at = now()")
    assert deliver(conn, receiver, **env).delivered == 2
    sent = {r["path"].rsplit("/", 1)[-1]: json.loads(r["body"]) for r in receiver.requests}
    assert sent.keys() == {"teams", "pd"}
    assert (sent["pd"]["event_action"], sent["pd"]["dedup_key"]) == ("resolve", page["dedup_key"])
    assert sent["teams"]["attachments"][0]["content"]["body"][0]["text"] == "[RESOLVED] error_rate"
    assert "pd-routing-key" not in json.dumps(
        rows(conn, "SELECT * FROM monitoring.notifications"), default=str
    )


def test_configs_inherit_from_global(conn: Conn, receiver: Receiver) -> None:
    # As in Alertmanager: a Slack config without api_url uses global's, and
    # http_timeout is every HTTP integration's timeout unless its own says.
    section = {
        "global": {"slack_api_url_env": "SLACK_URL", "http_timeout": "3s"},
        "route": {"receiver": "chat", "group_by": ["alertname"], "group_wait": "0s"},
        "receivers": [{"name": "chat", "slack_configs": [{"channel": "#ops"}],
                       "webhook_configs": [{"url_env": "HOOK_URL", "timeout": "7s"}]}],
    }  # fmt: skip
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )
    fire(conn)
    conn.execute("SELECT monitoring.flush_notification_groups()")
    claimed = {
        r["integration"]: r
        for r in rows(conn, "SELECT * FROM monitoring.claim_notifications('pytest')")
    }
    assert claimed["slack_configs"]["config"] == {
        "channel": "#ops",
        "api_url_env": "SLACK_URL",
        "timeout": "3s",
    }
    assert claimed["slack_configs"]["timeout_seconds"] == 3
    assert claimed["webhook_configs"]["timeout_seconds"] == 7
    conn.execute("UPDATE monitoring.notifications SET claimed_until = NULL")
    env = {"SLACK_URL": receiver.url + "/slack", "HOOK_URL": receiver.url + "/hook"}
    assert deliver(conn, receiver, **env).delivered == 2
    assert sorted(r["path"].rsplit("/", 1)[-1] for r in receiver.requests) == ["hook", "slack"]


def test_a_receiver_that_hangs_does_not_hold_back_the_others(
    conn: Conn, receiver: Receiver
) -> None:
    hanging = Receiver(delay_seconds=3)
    try:
        section = {
            "route": {"receiver": "fast", "group_by": ["alertname", "component"], "group_wait": "0s",
                      "routes": [{"matchers": ["component=api"], "receiver": "hanging"}]},
            "receivers": [
                {"name": "hanging", "webhook_configs": [{"url_env": "HANGING_URL", "timeout": "1s"}]},
                {"name": "fast", "webhook_configs": [{"url_env": "FAST_URL"}]},
            ],
        }  # fmt: skip
        conn.execute(
            "SELECT monitoring.patch_config(%s, '{notifications}')",
            (Jsonb({"notifications": section}),),
        )
        add_errors(conn, "api", 30)  # the hanging receiver's notification is claimed first
        conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
        add_errors(conn, "db", 30)
        conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
        with httpx.Client() as client:
            stats = deliver_due(conn, client, worker="pytest",
                                environ={"HANGING_URL": hanging.url, "FAST_URL": receiver.url})  # fmt: skip
        assert (stats.delivered, stats.retried) == (1, 1)
        attempts = {
            r["receiver"]: r
            for r in rows(
                conn,
                "SELECT n.receiver, n.notification_id, a.outcome, a.error, a.attempted_at"
                " FROM monitoring.notification_attempts AS a JOIN monitoring.notifications AS n"
                " USING (notification_id)",
            )
        }
        assert attempts["hanging"]["notification_id"] < attempts["fast"]["notification_id"]
        assert (attempts["hanging"]["outcome"], attempts["hanging"]["error"]) == (
            "retry",
            "timed out after 1 s",
        )
        assert attempts["fast"]["outcome"] == "delivered"
        # Sent side by side: the fast one was answered, and recorded, first.
        assert attempts["fast"]["attempted_at"] < attempts["hanging"]["attempted_at"]
    finally:
        hanging.close()


def test_workers_that_only_evaluate_or_only_deliver(
    dsn: str, conn: Conn, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGVIGIL_TEST_HOOK_URL", receiver.url)
    monkeypatch.setenv("PGVIGIL_TEST_HOOK_SECRET", SECRET)
    configure(conn)
    add_errors(conn, "api", 30)
    stats = run_worker(dsn, interval=0.1, max_evaluations=2, deliver=False)
    assert stats.delivered == 0 and receiver.requests == []
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts WHERE resolved_at IS NULL") == 1
    stats = run_worker(dsn, interval=0.1, max_evaluations=2, evaluate=False)
    assert stats.delivered == 1 and len(receiver.requests) == 1
    with pytest.raises(ValueError):
        run_worker(dsn, evaluate=False, deliver=False)


def test_a_410_disables_the_integration_and_raises_a_meta_alert(
    conn: Conn, receiver: Receiver
) -> None:
    configure(conn)
    fire(conn)
    receiver.answers = [(410, {})]
    assert deliver(conn, receiver).failed == 1
    disabled = one(conn, "SELECT * FROM monitoring.disabled_integrations")
    assert (disabled["receiver"], disabled["integration"], disabled["status_code"]) == (
        "hooks",
        "webhook_configs",
        410,
    )
    # The meta-alert, from the shipped rule over pgvigil itself.
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    meta = one(
        conn, "SELECT * FROM monitoring.alerts WHERE rule_name = 'PgvigilIntegrationDisabled'"
    )
    assert (meta["labels"]["receiver"], meta["labels"]["integration"], meta["severity"]) == (
        "hooks",
        "webhook_configs",
        "high",
    )
    assert "410 Gone" in meta["annotations"]["summary"]
    # What would go to it now is written failed, saying why; nothing is sent.
    add_errors(conn, "db", 30)
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    conn.execute("UPDATE monitoring.notification_groups SET next_flush_at = now()")
    receiver.requests.clear()
    assert deliver(conn, receiver).attempted == 0 and receiver.requests == []
    later = rows(conn, "SELECT status, last_error FROM monitoring.notifications WHERE notification_id > %s",
                 (disabled["notification_id"],))  # fmt: skip
    assert later and all(
        n["status"] == "failed" and "answered 410 Gone" in n["last_error"] for n in later
    )
    # A config that changes the integration (a new endpoint) enables it again.
    section = {
        "route": {"receiver": "hooks", "group_by": ["alertname"], "group_wait": "0s"},
        "receivers": [{"name": "hooks", "webhook_configs": [
            {"url_env": "PGVIGIL_TEST_NEW_HOOK_URL", "signing_secret_env": "PGVIGIL_TEST_HOOK_SECRET"}]}],
    }  # fmt: skip
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )
    assert scalar(conn, "SELECT count(*) FROM monitoring.disabled_integrations") == 0
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    assert scalar(conn, "SELECT resolved_at IS NOT NULL FROM monitoring.alerts"
                        " WHERE rule_name = 'PgvigilIntegrationDisabled'")  # fmt: skip


def test_enable_integration_by_hand(conn: Conn, receiver: Receiver) -> None:
    configure(conn)
    fire(conn)
    receiver.answers = [(410, {})]
    deliver(conn, receiver)
    assert scalar(conn, "SELECT monitoring.enable_integration('hooks')") == 1
    assert scalar(conn, "SELECT monitoring.enable_integration('hooks')") == 0


def test_the_worker_delivers_to_the_others_while_a_receiver_hangs(
    dsn: str, conn: Conn, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    hanging = Receiver(delay_seconds=4)
    monkeypatch.setenv("HANGING_URL", hanging.url)
    monkeypatch.setenv("FAST_URL", receiver.url)
    try:
        section = {
            "route": {"receiver": "fast", "group_by": ["alertname", "component"], "group_wait": "0s",
                      "routes": [{"matchers": ['component=~"h.*"'], "receiver": "hanging"}]},
            "receivers": [
                {"name": "hanging", "webhook_configs": [{"url_env": "HANGING_URL", "timeout": "3s"}]},
                {"name": "fast", "webhook_configs": [{"url_env": "FAST_URL"}]},
            ],
        }  # fmt: skip
        conn.execute(
            "SELECT monitoring.patch_config(%s, '{notifications}')",
            (Jsonb({"notifications": section}),),
        )
        for i in range(6):  # the hanging receiver's first, so they are claimed first
            add_errors(conn, f"h{i}", 30)
        conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
        for i in range(6):
            add_errors(conn, f"f{i}", 30)
        conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
        stop = threading.Event()
        worker = threading.Thread(target=run_worker, args=(dsn,),
                                  kwargs={"interval": 1.0, "stop": stop, "evaluate": False})  # fmt: skip
        worker.start()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and scalar(
                conn, "SELECT count(*) FROM monitoring.notifications WHERE receiver = 'fast' AND status = 'delivered'"
            ) < 6:  # fmt: skip
                time.sleep(0.05)
            # Every fast one delivered and recorded while the hanging receiver still holds its requests.
            assert len(receiver.requests) == 6
            assert scalar(conn, "SELECT count(*) FROM monitoring.notification_attempts AS a"
                                " JOIN monitoring.notifications AS n USING (notification_id)"
                                " WHERE n.receiver = 'hanging'") == 0  # fmt: skip
        finally:
            stop.set()
            worker.join(30)
    finally:
        hanging.close()


def test_pagerduty_is_told_when_every_alert_of_the_group_is_acknowledged(
    conn: Conn, receiver: Receiver
) -> None:
    section = {
        "route": {"receiver": "pager", "group_by": ["alertname"], "group_wait": "0s"},
        "receivers": [{"name": "pager", "pagerduty_configs": [{"routing_key_env": "PD_KEY", "url": receiver.url}],
                       "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK_URL"}]}],
    }  # fmt: skip
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )
    add_errors(conn, "api", 30)
    add_errors(conn, "db", 30)
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    assert deliver(conn, receiver, PD_KEY="pd-key").delivered == 2
    trigger = next(json.loads(r["body"]) for r in receiver.requests if b"routing_key" in r["body"])
    assert trigger["event_action"] == "trigger"
    receiver.requests.clear()
    api, db = [
        r["alert_id"]
        for r in rows(conn, "SELECT alert_id FROM monitoring.alerts ORDER BY component")
    ]
    conn.execute("SELECT monitoring.acknowledge_alert(%s)", (api,))
    assert deliver(conn, receiver, PD_KEY="pd-key").attempted == 0  # db still unacknowledged
    conn.execute("SELECT monitoring.acknowledge_alert(%s)", (db,))
    assert deliver(conn, receiver, PD_KEY="pd-key").delivered == 1  # PagerDuty only
    [ack] = [json.loads(r["body"]) for r in receiver.requests]
    assert (ack["event_action"], ack["dedup_key"]) == ("acknowledge", trigger["dedup_key"])
