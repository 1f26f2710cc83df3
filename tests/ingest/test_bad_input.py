"""Bad input is refused with pgvigil's own SQLSTATE and a HINT, and changes nothing.

Every error code the SQL raises (PV001 ... PV401) is provoked here. Each
case checks ``exc.diag.sqlstate``, that ``exc.diag.message_hint`` is present,
and that a snapshot of every table in schema ``monitoring`` (content hash
per table, partitioned tables read through their parent, plus the list of
relations) is identical before and after the failed call.

PV402 (an invalid cron schedule) is only reachable where pg_cron is
installed, in pg_cron's own database; it belongs to tests/jobs/test_pg_cron.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from dbhelpers import RELATIONS_SQL, Conn, parent_tables, scalar

# One database for the module, emptied before each test: a fresh database
# per test (the conftest ``dsn`` fixture) costs a CREATE DATABASE each, and
# these tests only need empty tables and the default config.


def snapshot(conn: Conn) -> dict[str, Any]:
    """Row count and content hash of every monitoring table, and the relations."""
    state: dict[str, Any] = {"relations": conn.execute(RELATIONS_SQL).fetchall()}
    for schema, table in parent_tables(conn):
        state[f"{schema}.{table}"] = conn.execute(
            sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
                " FROM {} AS t"
            ).format(sql.Identifier(schema, table))
        ).fetchone()
    return state


def expect_error(conn: Conn, statement: str, code: str) -> psycopg.Error:
    """Runs a statement that must fail with ``code`` and a hint, changing nothing."""
    before = snapshot(conn)
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(statement)
    exc = caught.value
    assert exc.diag.sqlstate == code, f"{exc.diag.sqlstate}: {exc.diag.message_primary}"
    hint = exc.diag.message_hint
    assert hint is not None and hint.strip(), f"{code} without a HINT: {exc}"
    assert snapshot(conn) == before
    return exc


# Setups run (and commit) before the "before" snapshot.
START_T1 = (
    "SELECT monitoring.start_task_tracking('t1', 'ocr', 1, 'w1', NULL, now() - interval '1 hour')"
)
COMPLETE_T1 = (
    START_T1 + "; SELECT monitoring.complete_task_tracking('t1', 'completed', 5, '{\"a\": 1}')"
)
OPEN_ALERT = (
    "SELECT monitoring.record_error(NULL, 'e', 'high', 'boom', 'api') FROM generate_series(1, 30);"
    " SELECT monitoring.check_error_rate_alerts()"
)
RESOLVED_ALERT = (
    OPEN_ALERT + "; SELECT monitoring.resolve_alert(max(alert_id)) FROM monitoring.alerts"
)
LAST_ALERT = "(SELECT max(alert_id) FROM monitoring.alerts)"

LONG_ID = "repeat('x', 201)"
# Built in SQL and never stored, so pg_column_size() sees it uncompressed: ~80 KB.
BIG_OBJECT = "(SELECT jsonb_object_agg(i::text, md5(i::text)) FROM generate_series(1, 2000) AS i)"
BIG_TIMINGS = "(SELECT jsonb_object_agg('step_' || i, i) FROM generate_series(1, 8000) AS i)"
PAST = "now() - interval '30 days'"
FUTURE = "now() + interval '1 day'"


def start(args: str) -> str:
    return f"SELECT monitoring.start_task_tracking({args})"


def complete(args: str) -> str:
    return f"SELECT monitoring.complete_task_tracking({args})"


def error(args: str) -> str:
    return f"SELECT monitoring.record_error({args})"


def metric(args: str) -> str:
    return f"SELECT monitoring.record_performance_metric({args})"


def health(args: str) -> str:
    return f"SELECT monitoring.update_system_health({args})"


def queue(args: str) -> str:
    return f"SELECT monitoring.record_queue_stats({args})"


def _spoilt_rule(**changes: Any) -> dict[str, Any]:
    """A valid alert rule with some of its parts replaced."""
    rule: dict[str, Any] = {
        "name": "r",
        "source": {"kind": "metric", "metric_name": "m"},
        "aggregate": "avg",
        "thresholds": {"high": 1},
    }
    rule.update(changes)
    return rule


def _notifications(section: dict[str, Any]) -> str:
    """patch_config() replacing the notifications section with ``section``."""
    text = json.dumps({"notifications": section}).replace("'", "''")
    return f"SELECT monitoring.patch_config('{text}', '{{notifications}}')"


def _put_rule(rule: dict[str, Any]) -> str:
    return "SELECT monitoring.put_alert_rule('" + json.dumps(rule).replace("'", "''") + "')"


CASES = [
    # PV001: required argument NULL or blank.
    ("PV001", None, start("NULL, 'ocr'"), "start-null-task-id"),
    ("PV001", None, start("'', 'ocr'"), "start-empty-task-id"),
    ("PV001", None, start("'   ', 'ocr'"), "start-blank-task-id"),
    ("PV001", None, start("'t', NULL"), "start-null-task-type"),
    ("PV001", None, start("'t', 'ocr', 1, ' '"), "start-blank-worker-id"),
    ("PV001", None, start("'t', 'ocr', p_event_time => NULL"), "start-null-event-time"),
    ("PV001", START_T1, complete("NULL, 'completed'"), "complete-null-task-id"),
    ("PV001", START_T1, complete("'t1', NULL"), "complete-null-status"),
    ("PV001", START_T1, complete("'t1', 'completed', p_event_time => NULL"), "complete-null-time"),
    ("PV001", None, error("'', 'e', 'low', 'm', 'c'"), "error-empty-task-id"),
    ("PV001", None, error("NULL, NULL, 'low', 'm', 'c'"), "error-null-type"),
    ("PV001", None, error("NULL, 'e', NULL, 'm', 'c'"), "error-null-severity"),
    ("PV001", None, error("NULL, 'e', 'low', NULL, 'c'"), "error-null-message"),
    ("PV001", None, error("NULL, 'e', 'low', '  ', 'c'"), "error-blank-message"),
    ("PV001", None, error("NULL, 'e', 'low', 'm', ''"), "error-empty-component"),
    ("PV001", None, error("NULL, 'e', 'low', 'm', 'c', p_event_time => NULL"), "error-null-time"),
    ("PV001", None, metric("NULL, 'cpu', 1, '%', 'sys'"), "metric-null-name"),
    ("PV001", None, metric("'m', '', 1, '%', 'sys'"), "metric-empty-type"),
    ("PV001", None, metric("'m', 'cpu', NULL, '%', 'sys'"), "metric-null-value"),
    ("PV001", None, metric("'m', 'cpu', 1, NULL, 'sys'"), "metric-null-unit"),
    ("PV001", None, metric("'m', 'cpu', 1, '%', ' '"), "metric-blank-component"),
    ("PV001", None, metric("'m', 'cpu', 1, '%', 'sys', p_event_time => NULL"), "metric-null-time"),
    ("PV001", None, health("NULL, 'main', 'healthy'"), "health-null-type"),
    ("PV001", None, health("'api', '', 'healthy'"), "health-empty-name"),
    ("PV001", None, health("'api', 'main', NULL"), "health-null-status"),
    ("PV001", None, health("'api', 'main', 'healthy', p_event_time => NULL"), "health-null-time"),
    ("PV001", None, queue("NULL, 1"), "queue-null-name"),
    ("PV001", None, queue("'', 1"), "queue-empty-name"),
    ("PV001", None, queue("'q', NULL"), "queue-null-pending"),
    ("PV001", None, queue("'q', 1, p_event_time => NULL"), "queue-null-time"),
    ("PV001", OPEN_ALERT, "SELECT monitoring.acknowledge_alert(NULL)", "ack-null-id"),
    ("PV001", OPEN_ALERT, "SELECT monitoring.resolve_alert(NULL)", "resolve-null-id"),
    ("PV001", None, "SELECT * FROM monitoring.run_monitoring_checks('')", "checks-empty-source"),
    ("PV001", None, "SELECT * FROM monitoring.run_monitoring_checks(NULL)", "checks-null-source"),
    # PV002: unknown status.
    ("PV002", START_T1, complete("'t1', 'done'"), "complete-unknown-status"),
    ("PV002", START_T1, complete("'t1', 'running'"), "complete-running-status"),
    ("PV002", START_T1, complete("'t1', 'Completed'"), "complete-status-case"),
    ("PV002", None, health("'api', 'main', 'down'"), "health-unknown-status"),
    ("PV002", None, health("'api', 'main', 'HEALTHY'"), "health-status-case"),
    # PV003: unknown severity.
    ("PV003", None, error("NULL, 'e', 'urgent', 'm', 'c'"), "error-unknown-severity"),
    ("PV003", None, error("NULL, 'e', 'Low', 'm', 'c'"), "error-severity-case"),
    # PV004: negative sizes, counts, durations.
    ("PV004", None, start("'t', 'ocr', -1"), "start-negative-input-size"),
    ("PV004", START_T1, complete("'t1', 'completed', -1"), "complete-negative-output-size"),
    ("PV004", None, health("'api', 'main', 'healthy', -0.5"), "health-negative-response-time"),
    ("PV004", None, queue("'q', -1"), "queue-negative-pending"),
    ("PV004", None, queue("'q', 1, -1"), "queue-negative-processing"),
    ("PV004", None, queue("'q', 1, 0, -1"), "queue-negative-completed"),
    ("PV004", None, queue("'q', 1, 0, 0, -1"), "queue-negative-failed"),
    ("PV004", None, queue("'q', 1, 0, 0, 0, -1"), "queue-negative-oldest-age"),
    # PV005: NaN and infinities.
    ("PV005", None, metric("'m', 'cpu', 'NaN', '%', 'sys'"), "metric-nan"),
    ("PV005", None, metric("'m', 'cpu', 'Infinity', '%', 'sys'"), "metric-infinity"),
    ("PV005", None, metric("'m', 'cpu', '-Infinity', '%', 'sys'"), "metric-minus-infinity"),
    ("PV005", None, health("'api', 'main', 'healthy', 'NaN'"), "health-nan-response-time"),
    ("PV005", None, health("'api', 'main', 'healthy', 'Infinity'"), "health-inf-response-time"),
    ("PV005", None, queue("'q', 1, 0, 0, 0, 'NaN'"), "queue-nan-oldest-age"),
    ("PV005", None, queue("'q', 1, 0, 0, 0, 'Infinity'"), "queue-infinite-oldest-age"),
    # PV006: event time out of range, completion before start.
    ("PV006", None, start(f"'t', 'ocr', p_event_time => {PAST}"), "start-30-days-ago"),
    ("PV006", None, start(f"'t', 'ocr', p_event_time => {FUTURE}"), "start-1-day-ahead"),
    (
        "PV006",
        None,
        start("'t', 'ocr', p_event_time => now() - interval '169 hours'"),
        "start-169-hours-ago",
    ),
    (
        "PV006",
        None,
        start("'t', 'ocr', p_event_time => now() + interval '301 seconds'"),
        "start-301-seconds-ahead",
    ),
    ("PV006", START_T1, complete(f"'t1', 'completed', p_event_time => {PAST}"), "complete-past"),
    ("PV006", START_T1, complete(f"'t1', 'completed', p_event_time => {FUTURE}"), "complete-ahead"),
    (
        "PV006",
        START_T1,
        complete("'t1', 'completed', p_event_time => now() - interval '2 hours'"),
        "complete-before-start",
    ),
    ("PV006", None, error(f"NULL, 'e', 'low', 'm', 'c', p_event_time => {PAST}"), "error-past"),
    ("PV006", None, error(f"NULL, 'e', 'low', 'm', 'c', p_event_time => {FUTURE}"), "error-ahead"),
    ("PV006", None, metric(f"'m', 'cpu', 1, '%', 's', p_event_time => {PAST}"), "metric-past"),
    ("PV006", None, metric(f"'m', 'cpu', 1, '%', 's', p_event_time => {FUTURE}"), "metric-ahead"),
    ("PV006", None, health(f"'api', 'main', 'healthy', p_event_time => {PAST}"), "health-past"),
    ("PV006", None, health(f"'api', 'main', 'healthy', p_event_time => {FUTURE}"), "health-ahead"),
    ("PV006", None, queue(f"'q', 1, p_event_time => {PAST}"), "queue-past"),
    ("PV006", None, queue(f"'q', 1, p_event_time => {FUTURE}"), "queue-ahead"),
    # PV007: jsonb arguments of the wrong shape.
    ("PV007", None, start("'t', 'ocr', p_metadata => '[1, 2]'"), "start-metadata-array"),
    ("PV007", None, start("'t', 'ocr', p_metadata => '\"text\"'"), "start-metadata-string"),
    ("PV007", None, start("'t', 'ocr', p_metadata => '42'"), "start-metadata-number"),
    ("PV007", None, start("'t', 'ocr', p_metadata => 'null'"), "start-metadata-json-null"),
    (
        "PV007",
        START_T1,
        complete("'t1', 'completed', p_step_timings => '[1.5]'"),
        "complete-step-timings-array",
    ),
    (
        "PV007",
        START_T1,
        complete("'t1', 'completed', p_step_timings => '{\"parse\": \"fast\"}'"),
        "complete-step-timing-string",
    ),
    (
        "PV007",
        START_T1,
        complete("'t1', 'completed', p_step_timings => '{\"parse\": 1, \"store\": -0.5}'"),
        "complete-step-timing-negative",
    ),
    (
        "PV007",
        START_T1,
        complete("'t1', 'completed', p_step_timings => '{\"parse\": null}'"),
        "complete-step-timing-null",
    ),
    (
        "PV007",
        START_T1,
        complete("'t1', 'completed', p_step_timings => '{\"parse\": {\"read\": 1}}'"),
        "complete-step-timing-nested",
    ),
    ("PV007", None, error("NULL, 'e', 'low', 'm', 'c', p_context => '[]'"), "error-context-array"),
    ("PV007", None, metric("'m', 'cpu', 1, '%', 's', p_tags => '\"a\"'"), "metric-tags-string"),
    ("PV007", None, health("'api', 'main', 'healthy', p_details => '[]'"), "health-details-array"),
    # PV008: too long or too big.
    ("PV008", None, start(f"{LONG_ID}, 'ocr'"), "start-long-task-id"),
    ("PV008", None, start(f"'t', {LONG_ID}"), "start-long-task-type"),
    ("PV008", None, start(f"'t', 'ocr', 1, {LONG_ID}"), "start-long-worker-id"),
    ("PV008", None, start(f"'t', 'ocr', p_metadata => {BIG_OBJECT}"), "start-big-metadata"),
    ("PV008", START_T1, complete(f"{LONG_ID}, 'completed'"), "complete-long-task-id"),
    (
        "PV008",
        START_T1,
        complete(f"'t1', 'completed', p_step_timings => {BIG_TIMINGS}"),
        "complete-big-step-timings",
    ),
    ("PV008", None, error(f"{LONG_ID}, 'e', 'low', 'm', 'c'"), "error-long-task-id"),
    ("PV008", None, error(f"NULL, {LONG_ID}, 'low', 'm', 'c'"), "error-long-type"),
    ("PV008", None, error(f"NULL, 'e', 'low', 'm', {LONG_ID}"), "error-long-component"),
    (
        "PV008",
        None,
        error(f"NULL, 'e', 'low', 'm', 'c', p_context => {BIG_OBJECT}"),
        "error-big-context",
    ),
    ("PV008", None, metric(f"{LONG_ID}, 'cpu', 1, '%', 's'"), "metric-long-name"),
    ("PV008", None, metric(f"'m', 'cpu', 1, {LONG_ID}, 's'"), "metric-long-unit"),
    ("PV008", None, metric(f"'m', 'cpu', 1, '%', 's', {BIG_OBJECT}"), "metric-big-tags"),
    ("PV008", None, health(f"{LONG_ID}, 'main', 'healthy'"), "health-long-type"),
    ("PV008", None, health(f"'api', {LONG_ID}, 'healthy'"), "health-long-name"),
    (
        "PV008",
        None,
        health(f"'api', 'main', 'healthy', p_details => {BIG_OBJECT}"),
        "health-big-details",
    ),
    ("PV008", None, queue(f"{LONG_ID}, 1"), "queue-long-name"),
    (
        "PV008",
        OPEN_ALERT,
        f"SELECT monitoring.acknowledge_alert({LAST_ALERT}, {LONG_ID})",
        "ack-long-actor",
    ),
    (
        "PV008",
        OPEN_ALERT,
        f"SELECT monitoring.resolve_alert({LAST_ALERT}, {LONG_ID})",
        "resolve-long-actor",
    ),
    # PV009: malformed buffered batch.
    (
        "PV009",
        None,
        "SELECT monitoring.record_task_events('{start}', '{t1,t2}', '{ocr}', '{NULL}', '{NULL}',"
        " '{NULL}', '{NULL}', '{NULL}', '{NULL}', ARRAY[now()])",
        "task-events-lengths-differ",
    ),
    (
        "PV009",
        None,
        "SELECT monitoring.record_task_events('{begin}', '{t1}', '{ocr}', '{NULL}', '{NULL}',"
        " '{NULL}', '{NULL}', '{NULL}', '{NULL}', ARRAY[now()])",
        "task-events-unknown-kind",
    ),
    # PV101-PV103: task lifecycle.
    ("PV101", START_T1, start("'t1', 'ocr'"), "start-twice"),
    ("PV101", START_T1, start("'t1', 'other-type', 1, 'w2'"), "start-twice-other-type"),
    ("PV102", None, complete("'never-started', 'completed'"), "complete-unknown"),
    ("PV102", START_T1, complete("'t2', 'completed'"), "complete-unknown-other-running"),
    ("PV103", COMPLETE_T1, complete("'t1', 'completed'"), "complete-twice"),
    ("PV103", COMPLETE_T1, complete("'t1', 'failed', 99, '{\"b\": 2}'"), "complete-twice-other"),
    # PV201/PV202: alerts.
    ("PV201", OPEN_ALERT, "SELECT monitoring.acknowledge_alert(999999)", "ack-unknown"),
    ("PV201", OPEN_ALERT, "SELECT monitoring.resolve_alert(999999)", "resolve-unknown"),
    ("PV202", RESOLVED_ALERT, f"SELECT monitoring.acknowledge_alert({LAST_ALERT})", "ack-resolved"),
    ("PV202", RESOLVED_ALERT, f"SELECT monitoring.resolve_alert({LAST_ALERT})", "resolve-resolved"),
    # PV301: configuration.
    ("PV301", None, "SELECT monitoring.apply_config('[]')", "apply-config-array"),
    ("PV301", None, "SELECT monitoring.apply_config('{}')", "apply-config-empty"),
    ("PV301", None, "SELECT monitoring.apply_config(NULL)", "apply-config-null"),
    (
        "PV301",
        "DELETE FROM monitoring.config",
        "SELECT * FROM monitoring.run_monitoring_checks()",
        "checks-without-config",
    ),
    # (A check no longer reads the stored document: it evaluates the rules
    # apply_config() compiled from a validated one, see tests/rules.)
    # PV501-PV511: alert rules (every kind of bad rule: tests/rules/test_rule_config.py).
    ("PV501", None, _put_rule(_spoilt_rule(source={"kind": "logs"})), "rule-unknown-source"),
    ("PV502", None, _put_rule(_spoilt_rule(aggregate="median")), "rule-unknown-aggregate"),
    ("PV503", None, _put_rule(_spoilt_rule(window="5 min")), "rule-bad-window"),
    ("PV504", None, _put_rule(_spoilt_rule(thresholds={})), "rule-no-thresholds"),
    (
        "PV505",
        None,
        _put_rule(_spoilt_rule(annotations={"summary": "{{ $x }}"})),
        "rule-bad-template",
    ),
    ("PV506", None, _put_rule(_spoilt_rule(thresholds={"high": "1"})), "rule-text-threshold"),
    (
        "PV507",
        None,
        'SELECT monitoring.patch_config(\'{"alert_rules": [{"name": "a"}, {"name": "a"}]}\')',
        "rule-twice",
    ),
    (
        "PV508",
        None,
        _put_rule({"name": "c", "any_of": [{"rule": "nope"}], "severity": "high"}),
        "rule-composite-of-nothing",
    ),
    ("PV509", None, "SELECT monitoring.put_alert_rule('[]')", "rule-not-an-object"),
    ("PV510", None, "SELECT monitoring.delete_alert_rule('nope')", "rule-unknown"),
    ("PV511", None, "SELECT monitoring.delete_alert_rule('cpu_usage_high')", "rule-shipped"),
    # PV601-PV608: the notifications section (every case: tests/notifications).
    (
        "PV601",
        None,
        _notifications({"route": {"receiver": "nobody"}, "receivers": [{"name": "a"}]}),
        "route-unknown-receiver",
    ),
    (
        "PV602",
        None,
        _notifications(
            {
                "route": {"receiver": "a", "routes": [{"matchers": ["x"]}]},
                "receivers": [{"name": "a"}],
            }
        ),
        "route-bad-matcher",
    ),
    (
        "PV603",
        None,
        _notifications(
            {
                "route": {"receiver": "a"},
                "receivers": [{"name": "a"}],
                "time_intervals": [{"name": "w", "time_intervals": [{"location": "Nowhere/Else"}]}],
            }
        ),
        "time-interval-unknown-zone",
    ),
    (
        "PV606",
        None,
        _notifications({"route": {"receiver": "a"}, "receivers": [{"name": "a"}], "templates": []}),
        "notifications-unsupported-key",
    ),
    (
        "PV607",
        None,
        _notifications(
            {
                "route": {"receiver": "a"},
                "receivers": [{"name": "a", "slack_configs": [{"api_url": "https://hooks/x"}]}],
            }
        ),
        "notifications-inline-secret",
    ),
    (
        "PV608",
        None,
        _notifications(
            {"route": {"receiver": "a", "group_wait": "soon"}, "receivers": [{"name": "a"}]}
        ),
        "notifications-bad-duration",
    ),
    # PV604, PV609: silences (every case: tests/notifications/test_silences.py).
    (
        "PV604",
        None,
        "SELECT monitoring.create_silence(ARRAY['service=api'], 'why', p_duration => 'soon')",
        "silence-bad-duration",
    ),
    (
        "PV609",
        None,
        "SELECT monitoring.expire_silence('00000000-0000-0000-0000-000000000000')",
        "silence-unknown",
    ),
    # PV610: alerts posted through the Alertmanager API (every case: tests/server/test_alertmanager_api.py).
    (
        "PV610",
        None,
        """SELECT * FROM monitoring.receive_alerts('[{"labels": {}}]')""",
        "posted-alert-no-labels",
    ),
    # PV701, PV702: API keys (every case: tests/server/test_keys.py).
    (
        "PV701",
        None,
        "SELECT monitoring.create_api_key('laptop', 'root', sha256('k'), 'pgv_k')",
        "api-key-bad-role",
    ),
    (
        "PV702",
        None,
        "SELECT monitoring.revoke_api_key(424242)",
        "api-key-unknown",
    ),
    # The task listing: a status, a range and a limit it cannot take.
    (
        "PV002",
        None,
        "SELECT * FROM monitoring.list_tasks(now() - interval '1 hour', now(), NULL, 'exploded')",
        "list-tasks-unknown-status",
    ),
    (
        "PV004",
        None,
        "SELECT * FROM monitoring.list_tasks(now() - interval '40 days', now())",
        "list-tasks-range-too-long",
    ),
    (
        "PV004",
        None,
        "SELECT * FROM monitoring.list_tasks(now() - interval '1 hour', now(), p_limit => 0)",
        "list-tasks-limit-zero",
    ),
    (
        "PV001",
        None,
        "SELECT * FROM monitoring.list_tasks(NULL)",
        "list-tasks-range-missing",
    ),
    # Reports: a range that is not one.
    (
        "PV004",
        None,
        "SELECT * FROM monitoring.alert_response_report(now(), now() - interval '1 day')",
        "report-range-backwards",
    ),
    (
        "PV004",
        None,
        "SELECT * FROM monitoring.component_uptime_report(now() - interval '400 days', now())",
        "report-range-over-a-year",
    ),
    (
        "PV001",
        None,
        "SELECT * FROM monitoring.component_uptime_report(NULL)",
        "report-range-missing",
    ),
    # PV703-PV705: web users and web sessions (every case: tests/server/test_sessions.py).
    (
        "PV703",
        None,
        "SELECT monitoring.create_web_user('alice', 'viewer', 'correct horse battery staple')",
        "web-user-plaintext-password",
    ),
    (
        "PV704",
        None,
        "SELECT monitoring.disable_web_user('nobody')",
        "web-user-unknown",
    ),
    (
        "PV705",
        None,
        "SELECT * FROM monitoring.create_web_session(sha256('t'), NULL, NULL)",
        "web-session-no-principal",
    ),
    # PV521-PV523: the component registry (every case: tests/rules/test_components.py).
    (
        "PV521",
        None,
        "SELECT monitoring.put_component('api', '{\"criticality\": \"urgent\"}')",
        "component-bad-setting",
    ),
    ("PV522", None, "SELECT monitoring.delete_component('nowhere')", "component-unknown"),
    (
        "PV523",
        "SELECT monitoring.put_component('api', '{}')",
        "SELECT monitoring.put_component('api', '{\"depends_on\": [\"api\"]}')",
        "component-cycle",
    ),
    ("PV401", None, "SELECT * FROM monitoring.schedule_jobs()", "schedule-jobs-without-pg-cron"),
]


@pytest.mark.parametrize(
    ("code", "setup", "statement"),
    [pytest.param(code, setup, stmt, id=f"{code}-{name}") for code, setup, stmt, name in CASES],
)
def test_bad_input_is_refused_and_changes_nothing(
    conn: Conn, code: str, setup: str | None, statement: str
) -> None:
    if setup:
        conn.execute(setup)
    expect_error(conn, statement, code)


def test_every_error_code_in_the_sql_is_covered() -> None:
    """Each PVnnn raised in sql/functions has a case above (PV402: see module docstring)."""
    functions = Path(__file__).resolve().parents[2] / "sql" / "functions"
    raised = {
        code
        for path in functions.rglob("*.sql")
        for code in re.findall(r"ERRCODE = '(PV\d{3})'", path.read_text(encoding="utf-8"))
    }
    assert raised, "no PV error codes found in sql/functions"
    covered = {code for code, *_ in CASES} | {"PV402"}
    assert raised <= covered, f"not covered: {sorted(raised - covered)}"


def test_limits_are_inclusive(conn: Conn) -> None:
    """200 characters, 64 KiB and the edges of the time range are still accepted."""
    conn.execute(start("repeat('x', 200), repeat('y', 200), 0, repeat('w', 200)"))
    conn.execute(start("'t-old', 'ocr', p_event_time => now() - interval '167 hours'"))
    conn.execute(start("'t-ahead', 'ocr', p_event_time => now() + interval '299 seconds'"))
    conn.execute(
        start(
            "'t-meta', 'ocr', p_metadata => (SELECT jsonb_object_agg(i::text, 'x')"
            " FROM generate_series(1, 100) AS i)"
        )
    )
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.running_tasks") == 4


def test_completing_twice_keeps_the_first_completion(conn: Conn) -> None:
    conn.execute(START_T1)
    duration = scalar(
        conn,
        "SELECT monitoring.complete_task_tracking('t1', 'completed', 5, '{\"a\": 1}',"
        " now() - interval '30 minutes')",
    )
    before = conn.execute(
        "SELECT status, output_size, step_timings, end_time, duration_seconds"
        " FROM monitoring.processing_metrics WHERE task_id = 't1'"
    ).fetchall()
    exc = expect_error(conn, complete("'t1', 'failed', 7, '{\"b\": 2}'"), "PV103")
    assert "t1" in (exc.diag.message_primary or "")
    after = conn.execute(
        "SELECT status, output_size, step_timings, end_time, duration_seconds"
        " FROM monitoring.processing_metrics WHERE task_id = 't1'"
    ).fetchall()
    assert after == before
    assert after[0][0] == "completed"
    assert after[0][1] == 5
    assert after[0][4] == pytest.approx(duration)


def test_apply_config_reports_every_problem_and_keeps_the_old_config(conn: Conn) -> None:
    old = conn.execute("SELECT document, applied_at FROM monitoring.config").fetchall()
    document = dict(old[0][0])
    document["alert_thresholds"] = {
        **document["alert_thresholds"],
        "error_rates": {"critical": 100, "high": 75, "medium": 50, "low": "25"},
        "processing_times": {"critical": 900, "high": 200, "medium": 300, "low": 180},
    }
    document["retention"] = {
        k: v for k, v in document["retention"].items() if k != "queue_monitoring_days"
    }
    document["schedules"] = {**document["schedules"], "cleanup": " "}
    document["alert_settings"] = {**document["alert_settings"], "processing_percentile": 95}
    expected = {
        "alert_thresholds.error_rates.low must be a number",
        "alert_thresholds.processing_times.high must be >= the threshold of the severity below it",
        "retention.queue_monitoring_days must be a number > 0",
        'schedules.cleanup must be a cron expression such as "* * * * *"',
        "alert_settings.processing_percentile must be a number in (0, 1], e.g. 0.95",
    }
    statement = sql.SQL("SELECT monitoring.apply_config({})").format(sql.Literal(Jsonb(document)))
    exc = expect_error(conn, statement.as_string(conn), "PV301")
    detail = exc.diag.message_detail or ""
    assert set(detail.splitlines()) == expected
    assert "5 problem" in (exc.diag.message_primary or "")
    assert {
        r[0] for r in conn.execute("SELECT monitoring.validate_config(%s)", (Jsonb(document),))
    } == expected
    assert conn.execute("SELECT document, applied_at FROM monitoring.config").fetchall() == old


def test_schedule_jobs_outside_the_pg_cron_database_explains_both_ways_out(conn: Conn) -> None:
    exc = expect_error(conn, "SELECT * FROM monitoring.schedule_jobs()", "PV401")
    hint = exc.diag.message_hint or ""
    assert "shared_preload_libraries" in hint
    assert "pgvigil scheduler" in hint
    database = scalar(conn, "SELECT current_database()")
    assert database in hint
    assert database in (exc.diag.message_primary or "")
