"""API keys: pgvigil keys create prints a key once and the database keeps
only its SHA-256; every refusal has its code (PV701, PV702) and writes
nothing; list and revoke; pgvigil serve refuses to listen beyond loopback
without TLS."""

from __future__ import annotations

import hashlib
import json

import pytest

from dbhelpers import Conn, rows, scalar
from pgvigil.cli import main


def run(capsys: pytest.CaptureFixture[str], dsn: str, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--database", dsn])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_key_is_shown_once_and_only_its_hash_is_kept(
    conn: Conn, dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, dsn, "keys", "create", "--role", "operator", "--name", "oncall")
    assert code == 0
    key = out.splitlines()[-1]
    assert key.startswith("pgv_") and len(key) == 47
    [stored] = rows(conn, "SELECT * FROM monitoring_internal.api_keys")
    assert bytes(stored["key_hash"]) == hashlib.sha256(key.encode()).digest()
    assert stored["key_prefix"] == key[:12] and stored["role"] == "operator"
    everything = json.dumps(
        rows(conn, "SELECT * FROM monitoring_internal.api_keys")
        + rows(conn, "SELECT * FROM monitoring.audit_log"),
        default=str,
    )
    assert key not in everything and key[12:] not in everything
    [entry] = rows(conn, "SELECT action, details FROM monitoring.audit_log")
    assert entry["action"] == "create_api_key" and entry["details"]["name"] == "oncall"
    code, out, _ = run(capsys, dsn, "keys", "list")
    assert "oncall" in out and key[:12] + "..." in out and key not in out


def test_keys_can_expire_and_be_revoked(
    conn: Conn, dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(
        capsys,
        dsn,
        "keys",
        "create",
        "--role",
        "viewer",
        "--name",
        "temp",
        "--expires-in-days",
        "30",
    )
    key_id = scalar(conn, "SELECT key_id FROM monitoring.v_api_keys")
    days = scalar(
        conn, "SELECT extract(day FROM expires_at - created_at) FROM monitoring.v_api_keys"
    )
    assert days in (29, 30)
    code, out, _ = run(capsys, dsn, "keys", "revoke", str(key_id))
    assert (code, out.strip()) == (0, f"API key {key_id}: revoked")
    code, out, _ = run(capsys, dsn, "keys", "revoke", str(key_id))
    assert out.strip() == f"API key {key_id}: already revoked"
    assert scalar(conn, "SELECT state FROM monitoring.v_api_keys") == "revoked"
    code, out, _ = run(capsys, dsn, "keys", "list")
    assert out.strip() == "no API keys"  # revoked ones only with --all
    code, out, _ = run(capsys, dsn, "keys", "list", "--all")
    assert "revoked" in out
    code, _, err = run(capsys, dsn, "keys", "revoke", "4242")
    assert code == 2 and "PV702" in err and "HINT" in err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("'', 'viewer', sha256('k'), 'pgv_k'", "a name"),
        ("'x', 'root', sha256('k'), 'pgv_k'", "unknown role root"),
        ("'x', 'viewer', '\\x00'::bytea, 'pgv_k'", "SHA-256"),
        ("'x', 'viewer', sha256('k'), 'p'", "prefix"),
        ("'x', 'viewer', sha256('k'), 'pgv_k', now() - interval '1 day'", "not in the future"),
    ],
)
def test_a_refused_key_has_pv701_and_writes_nothing(
    conn: Conn, arguments: str, message: str
) -> None:
    import psycopg

    with pytest.raises(psycopg.Error) as caught:
        conn.execute(f"SELECT monitoring.create_api_key({arguments})")
    assert caught.value.diag.sqlstate == "PV701"
    assert message in (caught.value.diag.message_primary or "")
    assert caught.value.diag.message_hint
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.api_keys") == 0
    assert scalar(conn, "SELECT count(*) FROM monitoring.audit_log") == 0


def test_the_same_key_cannot_be_registered_twice(conn: Conn) -> None:
    import psycopg

    conn.execute("SELECT monitoring.create_api_key('a', 'viewer', sha256('k'), 'pgv_k')")
    with pytest.raises(psycopg.Error) as caught:
        conn.execute("SELECT monitoring.create_api_key('b', 'admin', sha256('k'), 'pgv_k')")
    assert caught.value.diag.sqlstate == "PV701"
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.api_keys") == 1


def test_serve_refuses_a_public_address_without_tls(
    dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, dsn, "serve", "--host", "0.0.0.0")
    assert code == 2 and "without TLS" in err
    code, _, err = run(capsys, dsn, "serve", "--host", "0.0.0.0", "--tls-cert", "c.pem")
    assert code == 2 and "go together" in err
