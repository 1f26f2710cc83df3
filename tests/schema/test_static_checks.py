"""Static checks: plpgsql_check over every PL/pgSQL function of the schema (no
errors, no warnings), and the test modules' mypy settings.

It found a hint built from adjacent E'' literals (a syntax error only on the
PV401 path) that no ordinary call would have reached.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg


def test_plpgsql_check_reports_nothing(server):
    # In pg_cron's database, so the cron.* tables the scheduling functions use exist.
    with psycopg.connect(server.conninfo(server.cron_dbname), autocommit=True) as conn:
        _check(conn)


def _check(conn):
    conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    rows = conn.execute(
        """
        SELECT p.oid::regprocedure::text, c.lineno, c.level, c.message
        FROM pg_proc AS p,
             -- A trigger function is checked against a table it is a trigger of.
             LATERAL plpgsql_check_function_tb(p.oid,
                                               relid => coalesce((SELECT t.tgrelid FROM pg_trigger AS t
                                                                  WHERE t.tgfoid = p.oid LIMIT 1), 0),
                                               fatal_errors => false,
                                               extra_warnings => true) AS c
        WHERE p.pronamespace IN ('monitoring'::regnamespace, 'monitoring_internal'::regnamespace)
          AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
        """
    ).fetchall()
    checked = conn.execute(
        "SELECT count(*) FROM pg_proc"
        " WHERE pronamespace IN ('monitoring'::regnamespace, 'monitoring_internal'::regnamespace)"
        " AND prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')"
    ).fetchone()[0]
    assert checked >= 25
    assert rows == []


def test_every_test_module_is_type_checked() -> None:
    """pyproject.toml lists the test modules for mypy's relaxed settings by
    name (mypy's module patterns take no prefix wildcard): keep it complete."""
    root = Path(__file__).resolve().parents[2]
    text = (root / "pyproject.toml").read_text()
    block = re.search(r"module = \[([^\]]*)\]\ndisallow_untyped_defs = false", text)
    assert block, "the tests' mypy override is missing from pyproject.toml"
    listed = set(re.findall(r'"([^"]+)"', block[1]))
    present = {p.stem for p in (root / "tests").rglob("*.py")}
    assert present == listed
    assert re.search(r'^files = \[.*"tests".*\]$', text, re.M)
