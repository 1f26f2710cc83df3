"""pgvigil alerts, ack, silence add/list/expire, notifications and notify
test, run as a user runs them, against the test database and a real HTTP
receiver on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, scalar
from pgvigil.cli import main
from receivers import Receiver
from signals import add_errors


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def configure(conn: Conn) -> None:
    section = {
        "route": {"receiver": "hooks", "group_by": ["alertname"], "group_wait": "0s"},
        "receivers": [{"name": "hooks", "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK_URL"}]},
                      {"name": "nothing"}],
    }  # fmt: skip
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )


def run(capsys: pytest.CaptureFixture[str], dsn: str, *argv: str) -> tuple[int, str, str]:
    code = main(["--database", dsn, *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_alerts_filtered_by_matchers_and_acknowledged(
    dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]
) -> None:
    add_errors(conn, "api", 30)
    add_errors(conn, "db", 30)
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    code, out, _ = run(capsys, dsn, "alerts", 'component=~"api|web"')
    assert code == 0
    assert "component=api" in out and "component=db" not in out
    code, out, _ = run(capsys, dsn, "alerts", "--json")
    alerts = json.loads(out)
    assert sorted(a["labels"]["component"] for a in alerts) == ["api", "db"]
    api = next(a["alert_id"] for a in alerts if a["labels"]["component"] == "api")
    code, out, _ = run(capsys, dsn, "ack", str(api), "--note", "on it")
    assert (code, out.strip()) == (0, f"alert {api}: acknowledged")
    assert (
        scalar(
            conn, "SELECT acknowledgement_note FROM monitoring.alerts WHERE alert_id = %s", (api,)
        )
        == "on it"
    )
    code, out, _ = run(capsys, dsn, "alerts", "component=api")
    assert "acknowledged" in out
    code, _, err = run(capsys, dsn, "alerts", "component=~(api")
    assert code == 2 and "PV602" in err
    conn.execute("DELETE FROM monitoring.error_tracking WHERE component = 'db'")
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    code, out, _ = run(capsys, dsn, "alerts", "--all", "component=db")
    assert "resolved" in out


def test_silence_add_list_expire(dsn: str, conn: Conn, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, dsn, "silence", "add", 'service=~"api|web"', "alertname=DiskFull",
                       "--duration", "2h", "--comment", "disk swap CHG-1", "--author", "ana")  # fmt: skip
    assert code == 0
    silence_id = out.strip()
    assert scalar(conn, "SELECT created_by FROM monitoring.silences") == "ana"
    code, out, _ = run(capsys, dsn, "silence", "list")
    assert silence_id in out and 'service=~"api|web"' in out and "active" in out
    code, out, _ = run(capsys, dsn, "silence", "expire", silence_id)
    assert (code, out.strip()) == (0, f"{silence_id}: expired")
    code, out, _ = run(capsys, dsn, "silence", "list")
    assert out.strip() == "no silences"
    code, out, _ = run(capsys, dsn, "silence", "list", "--expired", "--json")
    assert json.loads(out)[0]["state"] == "expired"
    # Bad input: the database's codes, nothing written.
    code, _, err = run(capsys, dsn, "silence", "add", 'env=""', "--comment", "x")
    assert code == 2 and "PV604" in err
    code, _, err = run(
        capsys, dsn, "silence", "add", "service=api", "--duration", "soon", "--comment", "x"
    )
    assert code == 2 and "PV604" in err
    code, _, err = run(capsys, dsn, "silence", "expire", "00000000-0000-0000-0000-000000000000")
    assert code == 2 and "PV609" in err
    code, _, err = run(capsys, dsn, "silence", "expire", "nonsense")
    assert code == 2 and "PV609" in err
    assert scalar(conn, "SELECT count(*) FROM monitoring.silences") == 1


def test_notify_test_and_the_notification_log(
    dsn: str, conn: Conn, receiver: Receiver, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    configure(conn)
    monkeypatch.setenv("PGVIGIL_TEST_HOOK_URL", receiver.url)
    code, out, _ = run(capsys, dsn, "notify", "test", "hooks")
    assert code == 0 and "delivered" in out
    [request] = receiver.requests
    body = json.loads(request["body"])
    assert body["alerts"][0]["labels"]["alertname"] == "PgvigilTestNotification"
    code, out, _ = run(capsys, dsn, "notifications")
    assert "hooks" in out and "test" in out and "delivered" in out
    # A receiver that refuses: the exit code says so, the log puts it first.
    receiver.answers = [(400, {})]
    code, out, _ = run(capsys, dsn, "notify", "test", "hooks")
    assert code == 1 and "HTTP 400" in out
    code, out, _ = run(capsys, dsn, "notifications", "--json")
    assert json.loads(out)[0]["status"] == "failed"
    code, _, err = run(capsys, dsn, "notify", "test", "nobody")
    assert code == 2 and "PV601" in err
    code, _, err = run(capsys, dsn, "notify", "test", "nothing")
    assert code == 2 and "PV608" in err
