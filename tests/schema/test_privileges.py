"""Least privilege: each role can do exactly its part, and the audit log.

The exact sets of routines and table privileges of each role are read from
the catalog (has_function_privilege / has_table_privilege over everything in
schema monitoring) and compared with the explicit sets below, so a grant
added by mistake to sql/grants.sql fails here. The behaviour is then checked
under SET ROLE in a transaction on the superuser connection (SET ROLE works
to the NOLOGIN roles from a superuser), rolled back at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, parent_tables, rows, scalar

WRITER_ROUTINES = {
    "start_task_tracking",
    "complete_task_tracking",
    "record_error",
    "record_performance_metric",
    "update_system_health",
    "record_queue_stats",
    "begin_ingest_batch",
    "confirm_metric_copy",
    "record_task_events",
}
READER_ROUTINES = {
    "get_dashboard_summary",
    # Called by the views with the reader's privileges.
    "estimate_percentile",
    "rollup_boundary",
    "performance_tail",
    "task_tail",
    "task_duration_bounds",
    "task_duration_histogram",
    "sum_bucket_counts",
    "alert_fingerprint",
    "labels_match",
    # GET /metrics.
    "prometheus_metrics",
    # The Alertmanager API v2's reads.
    "alertmanager_alerts",
    "alertmanager_alert_groups",
    "alertmanager_silences",
    "alertmanager_status",
    # GET /api/v1/tasks/runs and GET /api/v1/reports.
    "list_tasks",
    "alert_response_report",
    "component_uptime_report",
}
# pgvigil serve's operator: acknowledging, silencing and managing rules.
OPERATOR_ROUTINES = {
    "receive_alerts",
    "acknowledge_alert",
    "resolve_alert",
    "create_silence",
    "update_silence",
    "expire_silence",
    "test_alert_rule",
    "put_alert_rule",
    "set_alert_rule_enabled",
    "delete_alert_rule",
    "test_route",
}
ADMIN_ONLY_ROUTINES = {
    "check_error_rate_alerts",
    "check_processing_performance_alerts",
    "check_system_health_alerts",
    "check_queue_backlog_alerts",
    "resolve_resolved_alerts",
    "run_monitoring_checks",
    "cleanup_old_monitoring_data",
    "run_retention",
    "expired_partitions",
    "detach_expired_partition",
    "drop_detached_partition",
    "expire_old_rows",
    "run_partition_maintenance",
    "refresh_rollups",
    "advance_rollup_watermark",
    "apply_rollup_pending",
    "expire_ingest_state",
    "purge_cron_history",
    "validate_config",
    "apply_config",
    "job_definitions",
    "schedule_jobs",
    "unschedule_jobs",
    "patch_config",
    "preview_config_patch",
    "evaluate_alert_rules",
    "check_watchdog",
    "put_component",
    "delete_component",
    "flush_notification_groups",
    "claim_notifications",
    "record_notification_attempt",
    "send_test_notification",
    "enable_integration",
    "create_api_key",
    "revoke_api_key",
    "authenticate_api_key",
    "create_web_user",
    "disable_web_user",
    "web_user_password_hash",
    "create_web_session",
    "authenticate_web_session",
    "end_web_session",
}
# pgvigil's bookkeeping: how far ingest, rollups, checks and migrate got.
INTERNAL_TABLES = {
    "running_tasks",
    "pending_task_completions",
    "ingest_batches",
    "rollup_state",
    "rollup_pending",
    "schema_sources",
    "history_tables",
    "check_runs",
    "rule_groups",
    "shipped_alert_rules",
    "evaluation_values",
    "notification_config",
    "api_keys",
    "expired_task_totals",
    "web_users",
    "web_sessions",
}
# Views for admins only: the API keys and web users (no hashes, but who holds which role).
ADMIN_ONLY_VIEWS = {"v_api_keys", "v_web_users"}
# A sample of the internal helpers: executable by their owner only.
INTERNAL_ROUTINES = {
    "assert_text",
    "assert_count",
    "assert_event_time",
    "assert_json_object",
    "config_value",
    "config_number",
    "config_changed_keys",
    "create_partition",
    "note_ingest",
    "run_builtin_check",
    "lock_checks",
    "finish_check",
    "write_audit_log",
    "step_rule_group",
    "source_values",
    "raise_rule_alert",
    "compile_alert_rules",
    "alert_suppressions",
    "silence_problems",
    "database_role",
    "web_user_error_hint",
}
WRITER_TABLE_GRANTS = {("performance_monitoring", "INSERT")}
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")

ROUTINES_SQL = """
    SELECT DISTINCT p.proname::text FROM pg_proc AS p
    WHERE p.pronamespace = 'monitoring'::regnamespace
      AND has_function_privilege(%s, p.oid, 'EXECUTE')
"""
TABLE_GRANTS_SQL = """
    SELECT c.relname::text, priv FROM pg_class AS c, unnest(%s::text[]) AS priv
    WHERE c.relnamespace = 'monitoring'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND has_table_privilege(%s, c.oid, priv)
"""
SEQUENCE_GRANTS_SQL = """
    SELECT c.relname::text, priv FROM pg_class AS c, unnest('{USAGE,SELECT,UPDATE}'::text[]) AS priv
    WHERE c.relnamespace = 'monitoring'::regnamespace AND c.relkind = 'S'
      AND has_sequence_privilege(%s, c.oid, priv)
"""


def routines(conn: Conn, role: str) -> set[str]:
    return {r[0] for r in conn.execute(ROUTINES_SQL, (role,))}


def table_grants(conn: Conn, role: str) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in conn.execute(TABLE_GRANTS_SQL, (list(TABLE_PRIVILEGES), role))}


def all_routines(conn: Conn) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT proname::text FROM pg_proc WHERE pronamespace = 'monitoring'::regnamespace"
        )
    }


def views(conn: Conn) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT relname::text FROM pg_class WHERE relnamespace = 'monitoring'::regnamespace"
            " AND relkind = 'v' ORDER BY 1"
        )
    ]


def tables(conn: Conn) -> list[str]:
    """Every table, partitions included."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT relname::text FROM pg_class WHERE relnamespace = 'monitoring'::regnamespace"
            " AND relkind IN ('r', 'p') ORDER BY 1"
        )
    ]


@contextmanager
def as_role(conn: Conn, role: str) -> Iterator[Conn]:
    """SET LOCAL ROLE in a transaction that is always rolled back."""
    with conn.transaction(force_rollback=True):
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        yield conn


def denied(conn: Conn, query: Any, params: Any = None) -> bool:
    """True if the statement fails for lack of privilege (in a savepoint)."""
    try:
        with conn.transaction():
            conn.execute(query, params)
    except errors.InsufficientPrivilege:
        return True
    return False


def call_sql(conn: Conn, routine: str) -> sql.Composed:
    """A call of a routine (public or internal) with NULL arguments (privileges are checked first)."""
    row = conn.execute(
        "SELECT n.nspname::text, min(p.pronargs), min(p.prokind) FROM pg_proc AS p"
        " JOIN pg_namespace AS n ON n.oid = p.pronamespace"
        " WHERE n.nspname IN ('monitoring', 'monitoring_internal') AND p.proname = %s"
        " GROUP BY 1",
        (routine,),
    ).fetchone()
    assert row is not None, routine
    schema, nargs, kind = row
    args = sql.SQL(", ").join([sql.SQL("NULL")] * nargs)
    name = sql.Identifier(schema, routine)
    if kind == "p":
        return sql.SQL("CALL {}({})").format(name, args)
    if kind == "a":
        return sql.SQL("SELECT {}(NULL::double precision)").format(name)
    return sql.SQL("SELECT {}({})").format(name, args)


def select_sql(table: str, schema: str = "monitoring") -> sql.Composed:
    return sql.SQL("SELECT * FROM {} LIMIT 0").format(sql.Identifier(schema, table))


@pytest.fixture
def fresh_role(conn: Conn) -> Iterator[str]:
    """A role with no grants at all: what PUBLIC may do."""
    name = f"pgvigil_nobody_{os.getpid()}"
    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def open_alert(conn: Conn, queue: str = "q1") -> int:
    """An open queue_backlog alert, raised by the check (as the superuser)."""
    conn.execute("SELECT monitoring.record_queue_stats(%s, 600)", (queue,))
    conn.execute("SELECT monitoring.check_queue_backlog_alerts()")
    return int(
        scalar(
            conn,
            "SELECT alert_id FROM monitoring.alerts WHERE subject = %s AND status = 'active'",
            (queue,),
        )
    )


# --- the exact sets, from the catalog --------------------------------------------


def test_the_expected_routines_exist(conn):
    everything = all_routines(conn)
    expected = WRITER_ROUTINES | READER_ROUTINES | OPERATOR_ROUTINES | ADMIN_ONLY_ROUTINES
    assert expected - everything == set()


def test_writer_executes_exactly_the_recording_functions(conn):
    assert routines(conn, "pgvigil_writer") == WRITER_ROUTINES


def test_reader_executes_exactly_the_dashboard_functions(conn):
    assert routines(conn, "pgvigil_reader") == READER_ROUTINES


def test_operator_executes_exactly_the_reader_functions_and_its_own(conn):
    assert routines(conn, "pgvigil_operator") == READER_ROUTINES | OPERATOR_ROUTINES


def test_admin_executes_exactly_its_own_plus_reader_and_writer(conn):
    assert (
        routines(conn, "pgvigil_admin")
        == WRITER_ROUTINES | READER_ROUTINES | OPERATOR_ROUTINES | ADMIN_ONLY_ROUTINES
    )


def test_schema_monitoring_holds_only_the_public_interface(conn):
    # Every routine there is granted to a role; the helpers live apart.
    assert (
        all_routines(conn)
        == WRITER_ROUTINES | READER_ROUTINES | OPERATOR_ROUTINES | ADMIN_ONLY_ROUTINES
    )


def test_the_internals_live_in_monitoring_internal_and_no_role_may_use_them(conn):
    internal = {
        r[0]
        for r in conn.execute(
            "SELECT proname::text FROM pg_proc"
            " WHERE pronamespace = 'monitoring_internal'::regnamespace"
        )
    }
    assert internal >= INTERNAL_ROUTINES
    assert internal & all_routines(conn) == set()
    # pgvigil's bookkeeping tables live there too, the public ones in monitoring.
    internal_tables = {
        r[0]
        for r in conn.execute(
            "SELECT relname::text FROM pg_class"
            " WHERE relnamespace = 'monitoring_internal'::regnamespace AND relkind IN ('r', 'p')"
        )
    }
    assert internal_tables == INTERNAL_TABLES
    for role in ("pgvigil_writer", "pgvigil_reader", "pgvigil_operator", "pgvigil_admin", "public"):
        assert conn.execute(
            "SELECT has_schema_privilege(%s, 'monitoring_internal', 'USAGE')", (role,)
        ).fetchone() == (False,), role
        assert conn.execute(
            "SELECT count(*) FROM pg_proc WHERE pronamespace = 'monitoring_internal'::regnamespace"
            " AND has_function_privilege(%s, oid, 'EXECUTE')",
            (role,),
        ).fetchone() == (0,), role
        assert conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'monitoring_internal'::regnamespace"
            " AND has_table_privilege(%s, oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')",
            (role,),
        ).fetchone() == (0,), role


def test_writer_table_privileges_are_exactly_insert_into_performance_monitoring(conn):
    assert table_grants(conn, "pgvigil_writer") == WRITER_TABLE_GRANTS


def test_reader_table_privileges_are_exactly_select_on_the_views(conn):
    names = views(conn)
    assert names and all(v.startswith("v_") for v in names)
    assert set(names) >= ADMIN_ONLY_VIEWS
    assert table_grants(conn, "pgvigil_reader") == {
        (v, "SELECT") for v in names if v not in ADMIN_ONLY_VIEWS
    }


def test_operator_table_privileges_are_the_readers(conn):
    assert table_grants(conn, "pgvigil_operator") == table_grants(conn, "pgvigil_reader")


def test_admin_may_read_every_table_and_view_and_write_none(conn):
    grants = table_grants(conn, "pgvigil_admin")
    assert {g for g in grants if g[1] != "SELECT"} == WRITER_TABLE_GRANTS
    readable = {g[0] for g in grants if g[1] == "SELECT"}
    parents = {
        r[0]
        for r in conn.execute(
            "SELECT relname::text FROM pg_class WHERE relnamespace = 'monitoring'::regnamespace"
            " AND relkind IN ('r', 'p', 'v') AND NOT relispartition"
        )
    }
    assert "audit_log" in parents
    assert parents <= readable


def test_audit_log_is_readable_by_admin_only(conn):
    for role, expected in (
        ("pgvigil_admin", True),
        ("pgvigil_reader", False),
        ("pgvigil_writer", False),
    ):
        assert (
            scalar(
                conn, "SELECT has_table_privilege(%s, 'monitoring.audit_log', 'SELECT')", (role,)
            )
            is expected
        ), role


def test_no_role_may_use_a_sequence(conn):
    for role in ("pgvigil_writer", "pgvigil_reader", "pgvigil_operator", "pgvigil_admin"):
        assert conn.execute(SEQUENCE_GRANTS_SQL, (role,)).fetchall() == [], role


def test_public_holds_no_privilege_in_the_schema(conn):
    # Default ACLs count: a function with a NULL proacl is executable by PUBLIC.
    assert (
        conn.execute(
            """
        SELECT p.oid::regprocedure::text FROM pg_proc AS p,
               aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
        WHERE p.pronamespace IN ('monitoring'::regnamespace, 'monitoring_internal'::regnamespace)
          AND a.grantee = 0
        """
        ).fetchall()
        == []
    )
    assert (
        conn.execute(
            """
        SELECT c.relname FROM pg_class AS c,
               aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) AS a
        WHERE c.relnamespace = 'monitoring'::regnamespace AND a.grantee = 0
        """
        ).fetchall()
        == []
    )
    assert (
        conn.execute(
            "SELECT 1 FROM pg_namespace AS n, aclexplode(n.nspacl) AS a"
            " WHERE n.nspname IN ('monitoring', 'monitoring_internal') AND a.grantee = 0"
        ).fetchall()
        == []
    )


def test_every_security_definer_function_pins_its_search_path(conn):
    definers = conn.execute(
        "SELECT p.oid::regprocedure::text, p.proconfig FROM pg_proc AS p"
        " WHERE p.pronamespace IN ('monitoring'::regnamespace, 'monitoring_internal'::regnamespace)"
        " AND p.prosecdef ORDER BY 1"
    ).fetchall()
    assert len(definers) >= len(WRITER_ROUTINES)
    unpinned = [
        name for name, config in definers if "search_path=pg_catalog, pg_temp" not in (config or [])
    ]
    assert unpinned == []


def test_the_granted_routines_are_security_definer_or_harmless(conn):
    # The granted routines that run with the caller's privileges only compute
    # (the histogram helpers, the alert fingerprint) or are the rollups and retention procedures,
    # which call definers (a procedure with SET cannot COMMIT).
    invokers = {
        r[0]
        for r in conn.execute(
            "SELECT proname::text FROM pg_proc WHERE pronamespace = 'monitoring'::regnamespace"
            " AND NOT prosecdef"
        )
    }
    granted = WRITER_ROUTINES | READER_ROUTINES | OPERATOR_ROUTINES | ADMIN_ONLY_ROUTINES
    assert granted & invokers == {
        "estimate_percentile",
        "task_duration_bounds",
        "task_duration_histogram",
        "sum_bucket_counts",
        "alert_fingerprint",
        "refresh_rollups",
        "run_retention",
    }


# --- behaviour under SET ROLE -----------------------------------------------------


def test_writer_can_record(conn):
    with as_role(conn, "pgvigil_writer"):
        assert scalar(conn, "SELECT current_user") == "pgvigil_writer"
        conn.execute("SELECT monitoring.start_task_tracking('t1', 'ocr')")
        conn.execute("SELECT monitoring.complete_task_tracking('t1', 'completed')")
        conn.execute("SELECT monitoring.record_error('t1', 'e', 'low', 'm', 'c')")
        conn.execute("SELECT monitoring.record_performance_metric('m', 'gauge', 1, 'ms', 'c')")
        conn.execute("SELECT monitoring.update_system_health('db', 'main', 'healthy')")
        conn.execute("SELECT monitoring.record_queue_stats('q', 1)")
        assert (
            scalar(conn, "SELECT monitoring.begin_ingest_batch(%s, now(), 1)", (uuid.uuid4(),))
            is True
        )
        conn.execute(
            "INSERT INTO monitoring.performance_monitoring"
            " (metric_name, metric_type, metric_value, unit, component, recorded_at)"
            " VALUES ('m', 'gauge', 1, 'ms', 'c', now())"
        )
        now = scalar(conn, "SELECT now()")
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY monitoring.performance_monitoring"
                " (metric_name, metric_type, metric_value, unit, component, recorded_at) FROM STDIN"
            ) as copy,
        ):
            copy.write_row(("m", "gauge", 2.0, "ms", "c", now))
        conn.execute("SELECT monitoring.confirm_metric_copy(now(), now())")
        assert (
            scalar(
                conn,
                "SELECT monitoring.record_task_events('{}'::text[], '{}', '{}', '{}', '{}'::bigint[],"
                " '{}'::jsonb[], '{}', '{}'::bigint[], '{}'::jsonb[], '{}'::timestamptz[])",
            )
            == 0
        )


def test_writer_can_do_nothing_else(conn):
    with as_role(conn, "pgvigil_writer"):
        for table in tables(conn):
            assert denied(conn, select_sql(table)), table
        for view in views(conn):
            assert denied(conn, select_sql(view)), view
        assert denied(conn, "UPDATE monitoring.alerts SET status = 'resolved'")
        assert denied(conn, "DELETE FROM monitoring.alerts")
        assert denied(conn, "DELETE FROM monitoring.performance_monitoring")
        assert denied(conn, "UPDATE monitoring.performance_monitoring SET metric_value = 0")
        assert denied(conn, "INSERT INTO monitoring.audit_log (action) VALUES ('apply_config')")
        assert denied(conn, "SELECT monitoring.get_dashboard_summary()")
        for routine in sorted(OPERATOR_ROUTINES | ADMIN_ONLY_ROUTINES | INTERNAL_ROUTINES):
            assert denied(conn, call_sql(conn, routine)), routine


def test_reader_can_read_the_views_and_the_summary(conn):
    with as_role(conn, "pgvigil_reader"):
        for view in views(conn):
            if view in ADMIN_ONLY_VIEWS:
                assert denied(conn, select_sql(view)), view
            else:
                conn.execute(select_sql(view))
        summary = scalar(conn, "SELECT monitoring.get_dashboard_summary()")
        assert {"tasks", "errors", "health", "queues", "alerts"} <= set(summary)


def test_reader_can_do_nothing_else(conn):
    with as_role(conn, "pgvigil_reader"):
        for table in tables(conn):
            assert denied(conn, select_sql(table)), table
        assert denied(
            conn,
            "INSERT INTO monitoring.performance_monitoring"
            " (metric_name, metric_type, metric_value, unit, component, recorded_at)"
            " VALUES ('m', 'gauge', 1, 'ms', 'c', now())",
        )
        assert denied(conn, "DELETE FROM monitoring.alerts")
        for routine in sorted(
            WRITER_ROUTINES | OPERATOR_ROUTINES | ADMIN_ONLY_ROUTINES | INTERNAL_ROUTINES
        ):
            assert denied(conn, call_sql(conn, routine)), routine


def test_operator_acknowledges_and_silences_but_administers_nothing(conn):
    alert_id = open_alert(conn)
    document = scalar(conn, "SELECT document FROM monitoring.config")
    with as_role(conn, "pgvigil_operator"):
        assert scalar(conn, "SELECT monitoring.acknowledge_alert(%s)", (alert_id,)) is True
        conn.execute(
            "SELECT monitoring.create_silence(ARRAY['service=\"api\"'], 'deploy', p_duration => '1h')"
        )
        assert denied(conn, "SELECT monitoring.apply_config('{}'::jsonb)")
        assert denied(conn, "SELECT monitoring.create_api_key('k', 'admin', sha256('k'), 'pgv_k')")
        assert denied(conn, "SELECT * FROM monitoring.v_api_keys")
        assert denied(conn, "SELECT * FROM monitoring.v_web_users")
        assert denied(conn, "SELECT * FROM monitoring.audit_log")
        for routine in sorted(WRITER_ROUTINES | ADMIN_ONLY_ROUTINES | INTERNAL_ROUTINES):
            assert denied(conn, call_sql(conn, routine)), routine
    assert scalar(conn, "SELECT document FROM monitoring.config") == document


def test_admin_can_administer(conn):
    alert_id = open_alert(conn)
    other_id = open_alert(conn, "q2")
    document = scalar(conn, "SELECT document FROM monitoring.config")
    with as_role(conn, "pgvigil_admin"):
        assert scalar(conn, "SELECT monitoring.apply_config(%s)", (Jsonb(document),)) == document
        assert scalar(conn, "SELECT monitoring.acknowledge_alert(%s)", (alert_id,)) is True
        assert scalar(conn, "SELECT monitoring.resolve_alert(%s)", (other_id,)) is True
        conn.execute("SELECT * FROM monitoring.run_monitoring_checks()")
        conn.execute("SELECT * FROM monitoring.run_partition_maintenance()")
        conn.execute("SELECT * FROM monitoring.cleanup_old_monitoring_data()")
        conn.execute("SELECT monitoring.expire_ingest_state()")
        conn.execute("SELECT * FROM monitoring.job_definitions()")
        # Through the parent tables: partitions made later carry no grants.
        for schema, table in parent_tables(conn):
            if schema == "monitoring":
                conn.execute(select_sql(table))
            else:  # pgvigil's bookkeeping is not the admin's to read either
                assert denied(conn, select_sql(table, schema)), table
        for view in views(conn):
            conn.execute(select_sql(view))
        assert scalar(conn, "SELECT count(*) FROM monitoring.audit_log") == 3
        # Reading is all: the tables stay unwritable, audit_log included.
        assert denied(conn, "DELETE FROM monitoring.audit_log")
        assert denied(conn, "UPDATE monitoring.audit_log SET actor = 'someone else'")
        assert denied(conn, "INSERT INTO monitoring.audit_log (action) VALUES ('apply_config')")
        assert denied(conn, "DELETE FROM monitoring.alerts")
        assert denied(conn, "UPDATE monitoring.config SET applied_by = 'x'")
        for routine in sorted(INTERNAL_ROUTINES):
            assert denied(conn, call_sql(conn, routine)), routine


def test_admin_can_refresh_rollups_outside_a_transaction(dsn, conn):
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SET ROLE pgvigil_admin")
        try:
            admin.execute("CALL monitoring.refresh_rollups()")
        finally:
            admin.execute("RESET ROLE")
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rollup_state") == 1


def test_a_role_without_grants_can_do_nothing(conn, fresh_role):
    assert routines(conn, fresh_role) == set()
    assert table_grants(conn, fresh_role) == set()
    assert (
        scalar(conn, "SELECT has_schema_privilege(%s, 'monitoring', 'USAGE')", (fresh_role,))
        is False
    )
    with as_role(conn, fresh_role):
        for routine in sorted(all_routines(conn)):
            assert denied(conn, call_sql(conn, routine)), routine
        for relation in tables(conn) + views(conn):
            assert denied(conn, select_sql(relation)), relation


# --- the audit log ----------------------------------------------------------------


def audit_rows(conn: Conn, after_id: int = 0) -> list[dict[str, Any]]:
    return rows(
        conn,
        "SELECT id, at, actor, acting_role, action, subject, details FROM monitoring.audit_log"
        " WHERE id > %s ORDER BY id",
        (after_id,),
    )


def last_audit_id(conn: Conn) -> int:
    return int(scalar(conn, "SELECT coalesce(max(id), 0) FROM monitoring.audit_log"))


def test_apply_config_is_audited_with_hashes_and_changed_keys(conn):
    login = scalar(conn, "SELECT session_user")
    old = scalar(conn, "SELECT document FROM monitoring.config")
    old_hash = scalar(
        conn,
        "SELECT encode(sha256(convert_to(document::text, 'UTF8')), 'hex') FROM monitoring.config",
    )
    new = {
        **old,
        "alert_thresholds": {
            **old["alert_thresholds"],
            "queue_backlog": {**old["alert_thresholds"]["queue_backlog"], "low": 7},
        },
        "retention": {
            **old["retention"],
            "resolved_alerts_days": old["retention"]["resolved_alerts_days"] + 1,
        },
    }
    with conn.transaction():
        conn.execute("SET LOCAL ROLE pgvigil_admin")
        conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(new),))
    new_hash = scalar(
        conn,
        "SELECT encode(sha256(convert_to(document::text, 'UTF8')), 'hex') FROM monitoring.config",
    )
    (row,) = audit_rows(conn)
    assert row["actor"] == login
    assert row["acting_role"] == "pgvigil_admin"
    assert row["action"] == "apply_config"
    assert row["subject"] == "config"
    assert row["at"] == scalar(conn, "SELECT applied_at FROM monitoring.config")
    assert row["details"] == {
        "old_sha256": old_hash,
        "new_sha256": new_hash,
        "changed_keys": ["alert_thresholds.queue_backlog.low", "retention.resolved_alerts_days"],
    }
    assert old_hash != new_hash


def test_a_failed_apply_config_writes_no_audit_row(conn):
    with as_role(conn, "pgvigil_admin"):
        with pytest.raises(psycopg.Error) as exc, conn.transaction():
            conn.execute("SELECT monitoring.apply_config('{}'::jsonb)")
        assert exc.value.diag.sqlstate == "PV301"
        assert scalar(conn, "SELECT count(*) FROM monitoring.audit_log") == 0


def test_acknowledge_and_resolve_are_audited(conn):
    login = scalar(conn, "SELECT session_user")
    alert_id = open_alert(conn)
    with conn.transaction():
        conn.execute("SET LOCAL ROLE pgvigil_admin")
        conn.execute("SELECT monitoring.acknowledge_alert(%s, NULL, 'on it')", (alert_id,))
        # Already acknowledged: a no-op, not audited.
        assert scalar(conn, "SELECT monitoring.acknowledge_alert(%s)", (alert_id,)) is False
        conn.execute("SELECT monitoring.resolve_alert(%s, 'alice', 'fixed')", (alert_id,))
    ack, res = audit_rows(conn)
    assert (ack["actor"], ack["acting_role"], ack["action"], ack["subject"]) == (
        login,
        "pgvigil_admin",
        "acknowledge_alert",
        str(alert_id),
    )
    assert ack["details"] == {"alert_id": alert_id, "acknowledged_by": login, "note": "on it"}
    assert (res["actor"], res["acting_role"], res["action"], res["subject"]) == (
        login,
        "pgvigil_admin",
        "resolve_alert",
        str(alert_id),
    )
    # The name given is recorded, the login that gave it too.
    assert res["details"] == {"alert_id": alert_id, "resolved_by": "alice", "note": "fixed"}


def test_failed_alert_changes_write_no_audit_row(conn):
    alert_id = open_alert(conn)
    conn.execute("SELECT monitoring.resolve_alert(%s)", (alert_id,))
    before = last_audit_id(conn)
    for call, code in (
        ("SELECT monitoring.acknowledge_alert(%s)", "PV202"),
        ("SELECT monitoring.resolve_alert(%s)", "PV202"),
    ):
        with pytest.raises(psycopg.Error) as exc:
            conn.execute(call, (alert_id,))
        assert exc.value.diag.sqlstate == code
    with pytest.raises(psycopg.Error) as exc:
        conn.execute("SELECT monitoring.acknowledge_alert(-1)")
    assert exc.value.diag.sqlstate == "PV201"
    assert audit_rows(conn, before) == []


def test_schedule_jobs_outside_pg_cron_s_database_writes_no_audit_row(conn):
    with pytest.raises(psycopg.Error) as exc:
        conn.execute("SELECT * FROM monitoring.schedule_jobs()")
    assert exc.value.diag.sqlstate == "PV401"
    assert conn.execute("SELECT monitoring.unschedule_jobs()").fetchone() == (0,)
    assert audit_rows(conn) == []


def test_schedule_and_unschedule_jobs_are_audited(server):
    # In the database pg_cron runs jobs in; leaves it as it found it.
    with psycopg.connect(server.conninfo(server.cron_dbname), autocommit=True) as cron:
        cron.execute("SELECT monitoring.unschedule_jobs()")
        before = last_audit_id(cron)
        login = scalar(cron, "SELECT session_user")
        try:
            with cron.transaction():
                cron.execute("SET LOCAL ROLE pgvigil_admin")
                scheduled = cron.execute(
                    "SELECT job_name, schedule, job_id FROM monitoring.schedule_jobs() ORDER BY 1"
                ).fetchall()
            with cron.transaction():
                cron.execute("SET LOCAL ROLE pgvigil_admin")
                removed = scalar(cron, "SELECT monitoring.unschedule_jobs()")
                # Nothing left to remove: not audited.
                assert scalar(cron, "SELECT monitoring.unschedule_jobs()") == 0
            assert removed == len(scheduled) > 0
            sched, unsched = audit_rows(cron, before)
            for row in (sched, unsched):
                assert (row["actor"], row["acting_role"], row["subject"]) == (
                    login,
                    "pgvigil_admin",
                    "pg_cron",
                )
            assert sched["action"] == "schedule_jobs"
            assert sorted(sched["details"]["jobs"], key=lambda j: j["job_name"]) == [
                {"job_name": n, "schedule": s, "job_id": i} for n, s, i in scheduled
            ]
            assert unsched["action"] == "unschedule_jobs"
            assert unsched["details"] == {
                "jobs": [{"job_name": n, "schedule": s} for n, s, _ in scheduled]
            }
        finally:
            cron.execute("SELECT monitoring.unschedule_jobs()")
            cron.execute("DELETE FROM monitoring.audit_log WHERE id > %s", (before,))


def test_audit_log_rows_cannot_be_forged_through_the_defaults(conn):
    # Inserted by the owner without values, the defaults still name the session.
    conn.execute("INSERT INTO monitoring.audit_log (action) VALUES ('apply_config')")
    row = one(conn, "SELECT actor, acting_role, details FROM monitoring.audit_log")
    login = scalar(conn, "SELECT session_user")
    assert row == {"actor": login, "acting_role": login, "details": {}}
