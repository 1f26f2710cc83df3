"""The examples of the original design, kept here as the project's own test cases.

The original design (``original-design.md``) shows how pgvigil is used: SQL
calls after ``SET search_path = monitoring, public``, a Python client, the
alert thresholds. Those examples are our public interface (function names,
argument order, call styles), so each one is copied below *exactly as the
design writes it* and run against a real database. The tests need no file
outside the repository.

Each block is copied with the common indentation of its fence removed and
without trailing spaces at line ends (the document has a few); nothing else
differs. At run time the Python examples get only what they cannot know: the
``from <module> import MonitoringClient`` of the design's own client module
becomes ``from pgvigil import MonitoringClient``, and the placeholder DSN and
health URL become the test's database and a local HTTP server.

The document itself lives beside a checkout (``../shared/spec/original-design.md``,
or the file named by ``PGVIGIL_SPEC``) but is not part of the repository.
Where it exists, ``test_the_copies_match_the_design_document`` checks that
every code block in it is one of the copies below, under the same heading,
and that every copy is still in it, so the two cannot drift apart. Where it
does not, that one test skips and says why.

Not run as written, on purpose: the "Performance Optimization" block. It runs
CREATE INDEX CONCURRENTLY on processing_metrics and error_tracking, which
cannot run on partitioned tables (PostgreSQL refuses it); pgvigil ships the
equivalent indexes on the partitioned tables instead. Its test checks both.
The Quick Start's shell commands are not run either (see ``NOT_RUN``).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbhelpers import Conn, one, rows, scalar
from pgvigil import MonitoringClient


@dataclass(frozen=True)
class Example:
    """One code block of the design: the heading above it, its language, its text."""

    section: str
    language: str
    text: str


# --- the design's examples, copied as written ---------------------------------

# SQL, in document order. Each block runs after the ones above it, as a reader
# of the design would type them (the task is started before it completes).
TASK_MONITORING = Example(
    "Task Monitoring",
    "sql",
    """\
SELECT start_task_tracking('task-123', 'document_processing', 1024, 'worker-01');
SELECT complete_task_tracking('task-123', 'completed', 2048, '{"step1": 1.2}');""",
)
ERROR_TRACKING = Example(
    "Error Tracking",
    "sql",
    """\
SELECT record_error('task-123', 'validation_error', 'medium', 'Invalid input', 'processor');""",
)
SYSTEM_HEALTH = Example(
    "System Health",
    "sql",
    """\
SELECT update_system_health('api', 'main_api', 'healthy', 50);""",
)
DASHBOARD_DATA = Example(
    "Dashboard Data",
    "sql",
    """\
SELECT get_dashboard_summary();  -- Returns JSON dashboard summary""",
)
AUTOMATED_CHECKS = Example(
    "Automated Checks",
    "sql",
    """\
SELECT check_error_rate_alerts();
SELECT check_processing_performance_alerts();
SELECT check_system_health_alerts();
SELECT check_queue_backlog_alerts();
SELECT resolve_resolved_alerts();
SELECT cleanup_old_monitoring_data();""",
)
AUTOMATED_CLEANUP = Example(
    "Automated Cleanup",
    "sql",
    """\
-- Run daily to clean old data
SELECT cleanup_old_monitoring_data();""",
)
HEALTH_CHECK_AUTOMATION = Example(
    "Health Check Automation",
    "sql",
    """\
-- Run every 5 minutes
SELECT check_system_health_alerts();
SELECT check_error_rate_alerts();
SELECT check_processing_performance_alerts();
SELECT check_queue_backlog_alerts();
SELECT resolve_resolved_alerts();""",
)
PERFORMANCE_OPTIMIZATION = Example(
    "Performance Optimization",
    "sql",
    """\
-- Additional indexes for better performance
CREATE INDEX CONCURRENTLY idx_pm_hour ON processing_metrics(DATE_TRUNC('hour', start_time));
CREATE INDEX CONCURRENTLY idx_et_hour ON error_tracking(DATE_TRUNC('hour', occurred_at));
CREATE INDEX CONCURRENTLY idx_pm_task_type ON processing_metrics(task_type);
CREATE INDEX CONCURRENTLY idx_et_component ON error_tracking(component);""",
)

# Python.
QUICK_START = Example(
    "Quick Start",
    "python",
    """\
from integration_example import MonitoringClient

monitor = MonitoringClient("postgresql://user:pass@host:5432/db")
task_id = monitor.start_task("my_task", input_size=1024)
# ... your processing logic ...
monitor.complete_task(task_id, "completed")""",
)
SIMPLE_TASK_TRACKING = Example(
    "Simple Task Tracking",
    "python",
    """\
from monitoring_client import MonitoringClient

monitor = MonitoringClient("postgresql://...")

# Start tracking
task_id = monitor.start_task("document_processing", 1024)

try:
    # Your processing logic
    result = process_document()

    # Success
    monitor.complete_task(task_id, "completed", output_size=len(result))

except Exception as e:
    # Failure
    monitor.complete_task(task_id, "failed")
    monitor.record_error(task_id, "processing_error", "medium", str(e), "processor")""",
)
PERFORMANCE_MONITORING = Example(
    "Performance Monitoring",
    "python",
    """\
import time
import psutil

start = time.time()
start_mem = psutil.virtual_memory().percent

# ... processing logic ...

duration = time.time() - start
end_mem = psutil.virtual_memory().percent

monitor.record_performance_metric(
    "processing_duration", "response_time", duration, "seconds", "processor"
)
monitor.record_performance_metric(
    "memory_usage", "memory", end_mem, "%", "system"
)""",
)
HEALTH_CHECKS = Example(
    "Health Checks",
    "python",
    """\
import requests

try:
    response = requests.get("http://api/health", timeout=5)
    if response.status_code == 200:
        monitor.update_system_health("api", "main_api", "healthy",
                                   response_time=response.elapsed.total_seconds() * 1000)
except Exception as e:
    monitor.update_system_health("api", "main_api", "unhealthy",
                               failure_reason=str(e))""",
)

# The default configuration (JSON with the design's // comments).
ALERT_THRESHOLDS = Example(
    "Alert Thresholds (monitoring_config.json)",
    "json",
    """\
{
  "alert_thresholds": {
    "error_rates": {
      "critical": 100,    // errors per hour
      "high": 75,
      "medium": 50,
      "low": 25
    },
    "processing_times": {
      "critical": 900,    // seconds
      "high": 600,
      "medium": 300,
      "low": 180
    },
    "queue_backlog": {
      "critical": 500,    // pending tasks
      "high": 200,
      "medium": 100,
      "low": 50
    }
  }
}""",
)

# The design's shell commands belong to its own file layout, not pgvigil's.
NOT_RUN = {
    Example(
        "Quick Start",
        "bash",
        """\
# Run the main migration
psql -d your_automation_db -f 000_main_migration.sql""",
    ): "pgvigil has no 000_main_migration.sql: `pgvigil migrate` installs the schema",
    Example(
        "Quick Start",
        "bash",
        """\
# Edit configuration
nano monitoring_config.json""",
    ): "an editor session; the thresholds it edits are checked by test_alert_thresholds",
}

SQL_EXAMPLES = [
    TASK_MONITORING,
    ERROR_TRACKING,
    SYSTEM_HEALTH,
    DASHBOARD_DATA,
    AUTOMATED_CHECKS,
    AUTOMATED_CLEANUP,
    HEALTH_CHECK_AUTOMATION,
]
LITERAL_EXAMPLES = [
    *SQL_EXAMPLES,
    PERFORMANCE_OPTIMIZATION,
    QUICK_START,
    SIMPLE_TASK_TRACKING,
    PERFORMANCE_MONITORING,
    HEALTH_CHECKS,
    ALERT_THRESHOLDS,
]


def slug(section: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-")


# --- running them -------------------------------------------------------------

Results = list[list[tuple[Any, ...]]]


def statements(block: str) -> list[str]:
    """The statements of a block: comments removed, split on the ';' ending a line."""
    without_comments = re.sub(r"--[^\n]*", "", block)
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", without_comments) if s.strip()]


def run_sql(conn: Conn, example: Example) -> Results:
    """Runs a block as the design's user would; the rows of each of its statements."""
    conn.execute("SET search_path = monitoring, public")
    results = []
    for statement in statements(example.text):
        try:
            results.append(conn.execute(statement).fetchall())
        except psycopg.Error as exc:
            pytest.fail(f"[{example.section}] {statement!r} failed: {exc}")
    return results


def run_python(
    example: Example, namespace: dict[str, Any], substitutions: dict[str, str] | None = None
) -> dict[str, Any]:
    """Executes a Python example with the design's client module replaced by pgvigil."""
    code = re.sub(
        r"^from \S+ import MonitoringClient$",
        "from pgvigil import MonitoringClient",
        example.text,
        flags=re.M,
    )
    for old, new in (substitutions or {}).items():
        assert code.count(old) == 1, f"expected exactly one {old!r} in:\n{code}"
        code = code.replace(old, new)
    exec(compile(code, f"<original design: {example.section}>", "exec"), namespace)
    return namespace


# What each SQL block returns and does, given the blocks above it.


def expect_task_monitoring(conn: Conn, results: Results) -> None:
    started, completed = results
    assert started == [("task-123",)]  # the task id
    [(duration,)] = completed  # the duration in seconds
    task = one(conn, "SELECT * FROM monitoring.processing_metrics")
    assert (task["task_id"], task["task_type"], task["input_size"], task["worker_id"]) == (
        "task-123",
        "document_processing",
        1024,
        "worker-01",
    )
    assert (task["status"], task["output_size"], task["step_timings"]) == (
        "completed",
        2048,
        {"step1": 1.2},
    )
    assert duration >= 0
    assert task["duration_seconds"] == pytest.approx(duration)
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.running_tasks") == 0


def expect_error_tracking(conn: Conn, results: Results) -> None:
    [[(error_id,)]] = results  # the new error's id
    error = one(conn, "SELECT * FROM monitoring.error_tracking")
    assert error["error_id"] == error_id
    assert (
        error["task_id"],
        error["error_type"],
        error["severity"],
        error["message"],
        error["component"],
    ) == ("task-123", "validation_error", "medium", "Invalid input", "processor")


def expect_system_health(conn: Conn, results: Results) -> None:
    assert results == [[(True,)]]  # a new component: its status changed
    health = one(conn, "SELECT * FROM monitoring.system_health")
    assert (
        health["component_type"],
        health["component_name"],
        health["status"],
        health["response_time_ms"],
        health["failure_reason"],
    ) == ("api", "main_api", "healthy", 50, None)


def expect_dashboard_data(conn: Conn, results: Results) -> None:
    [[(summary,)]] = results
    assert isinstance(summary, dict)  # JSON
    assert {"tasks", "errors", "health", "alerts", "queues", "generated_at"} <= summary.keys()
    assert summary["tasks"]["by_status"] == {"completed": 1}
    assert summary["tasks"]["running"] == 0
    assert summary["errors"]["last_24h"] == 1
    assert summary["errors"]["by_severity"]["medium"] == 1
    assert summary["errors"]["top_components"] == [{"component": "processor", "errors": 1}]
    assert (summary["health"]["healthy"], summary["health"]["unhealthy"]) == (1, 0)
    assert [c["component_name"] for c in summary["health"]["components"]] == ["main_api"]
    assert summary["alerts"]["active"] == 0
    assert summary["queues"] == []


def expect_nothing_alerting(conn: Conn, check_results: Results) -> None:
    """Every check returns a count (nothing alerts: one completed task, one error, healthy)."""
    assert check_results == [[(0,)]] * len(check_results)
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts") == 0


def expect_cleanup_kept_recent_data(conn: Conn, cleanup_rows: list[tuple[Any, ...]]) -> None:
    """cleanup returns (table_name, partitions_dropped, rows_removed) per table; nothing is old."""
    records = [row for (row,) in cleanup_rows]
    tables = {table for table, _, _ in records}
    assert {"processing_metrics", "error_tracking", "performance_monitoring", "alerts"} <= tables
    assert [(t, int(dropped), int(removed)) for t, dropped, removed in records] == [
        (t, 0, 0) for t, _, _ in records
    ]
    assert scalar(conn, "SELECT count(*) FROM monitoring.processing_metrics") == 1
    assert scalar(conn, "SELECT count(*) FROM monitoring.error_tracking") == 1


def expect_automated_checks(conn: Conn, results: Results) -> None:
    assert len(results) == 6
    expect_nothing_alerting(conn, results[:5])
    expect_cleanup_kept_recent_data(conn, results[5])


def expect_automated_cleanup(conn: Conn, results: Results) -> None:
    [cleanup_rows] = results
    expect_cleanup_kept_recent_data(conn, cleanup_rows)


def expect_health_check_automation(conn: Conn, results: Results) -> None:
    assert len(results) == 5
    expect_nothing_alerting(conn, results)


EXPECTATIONS: dict[Example, Callable[[Conn, Results], None]] = {
    TASK_MONITORING: expect_task_monitoring,
    ERROR_TRACKING: expect_error_tracking,
    SYSTEM_HEALTH: expect_system_health,
    DASHBOARD_DATA: expect_dashboard_data,
    AUTOMATED_CHECKS: expect_automated_checks,
    AUTOMATED_CLEANUP: expect_automated_cleanup,
    HEALTH_CHECK_AUTOMATION: expect_health_check_automation,
}


# --- SQL ----------------------------------------------------------------------


@pytest.mark.parametrize("example", [pytest.param(e, id=slug(e.section)) for e in SQL_EXAMPLES])
def test_sql_example_runs_as_written(conn: Conn, example: Example) -> None:
    """Each block runs, after the ones above it, and returns what the design implies."""
    for earlier in SQL_EXAMPLES[: SQL_EXAMPLES.index(example)]:
        run_sql(conn, earlier)
    EXPECTATIONS[example](conn, run_sql(conn, example))


def test_health_check_automation_raises_and_resolves_alerts(conn: Conn) -> None:
    """The design's 5-minute checks alert on an unhealthy component and resolve once healthy."""
    conn.execute("SELECT monitoring.update_system_health('api', 'main_api', 'unhealthy')")
    raised = run_sql(conn, HEALTH_CHECK_AUTOMATION)
    assert raised == [[(1,)], [(0,)], [(0,)], [(0,)], [(0,)]]
    assert [
        (a["alert_type"], a["subject"], a["status"])
        for a in rows(conn, "SELECT * FROM monitoring.v_active_alerts")
    ] == [("component_health", "api/main_api", "active")]

    conn.execute("SELECT monitoring.update_system_health('api', 'main_api', 'healthy', 50)")
    resolved = run_sql(conn, HEALTH_CHECK_AUTOMATION)
    assert resolved == [[(0,)], [(0,)], [(0,)], [(0,)], [(1,)]]
    assert rows(conn, "SELECT * FROM monitoring.v_active_alerts") == []
    assert scalar(conn, "SELECT status FROM monitoring.alerts") == "resolved"


def test_performance_optimization_is_refused_and_its_indexes_exist(conn: Conn) -> None:
    """The one block not run as written: PostgreSQL refuses CREATE INDEX CONCURRENTLY on a
    partitioned table, and both tables are partitioned. The migrations create the
    equivalent indexes instead (BRIN on the time columns, task type, component)."""
    conn.execute("SET search_path = monitoring, public")
    for statement in statements(PERFORMANCE_OPTIMIZATION.text):
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="partitioned table"):
            conn.execute(statement)
    indexes = {
        (r["table"], r["method"], r["first_column"])
        for r in rows(
            conn,
            """
            SELECT t.relname AS table, am.amname AS method, a.attname AS first_column
            FROM pg_index AS x
            JOIN pg_class AS i ON i.oid = x.indexrelid
            JOIN pg_class AS t ON t.oid = x.indrelid
            JOIN pg_am AS am ON am.oid = i.relam
            JOIN pg_attribute AS a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
            WHERE t.relname IN ('processing_metrics', 'error_tracking')
              AND t.relnamespace = 'monitoring'::regnamespace
            """,
        )
    }
    assert {
        ("processing_metrics", "brin", "start_time"),  # idx_pm_hour
        ("error_tracking", "brin", "occurred_at"),  # idx_et_hour
        ("processing_metrics", "btree", "task_type"),  # idx_pm_task_type
        ("error_tracking", "btree", "component"),  # idx_et_component
    } <= indexes
    assert not {name for (name,) in conn.execute("SELECT relname FROM pg_class")} & {
        "idx_pm_hour",
        "idx_et_hour",
        "idx_pm_task_type",
        "idx_et_component",
    }


# --- Python -------------------------------------------------------------------


@pytest.fixture
def client(dsn: str) -> Iterator[MonitoringClient]:
    with MonitoringClient(dsn) as c:
        yield c


def test_quick_start(dsn: str, conn: Conn) -> None:
    namespace = run_python(QUICK_START, {}, {'"postgresql://user:pass@host:5432/db"': repr(dsn)})
    namespace["monitor"].close()
    assert isinstance(namespace["monitor"], MonitoringClient)
    task_id = namespace["task_id"]
    assert str(uuid.UUID(task_id)) == task_id
    task = one(conn, "SELECT * FROM monitoring.processing_metrics")
    assert (task["task_id"], task["task_type"], task["input_size"], task["status"]) == (
        task_id,
        "my_task",
        1024,
        "completed",
    )
    assert task["duration_seconds"] >= 0


def test_simple_task_tracking_success(dsn: str, conn: Conn) -> None:
    namespace: dict[str, Any] = {"process_document": lambda: "six ch"}
    try:
        run_python(SIMPLE_TASK_TRACKING, namespace, {'"postgresql://..."': repr(dsn)})
    finally:
        namespace["monitor"].close()
    task = one(conn, "SELECT * FROM monitoring.processing_metrics")
    assert (
        task["task_id"],
        task["task_type"],
        task["input_size"],
        task["status"],
        task["output_size"],
    ) == (namespace["task_id"], "document_processing", 1024, "completed", 6)
    assert scalar(conn, "SELECT count(*) FROM monitoring.error_tracking") == 0


def test_simple_task_tracking_failure(dsn: str, conn: Conn) -> None:
    def process_document() -> str:
        raise RuntimeError("corrupt PDF")

    namespace: dict[str, Any] = {"process_document": process_document}
    try:
        run_python(SIMPLE_TASK_TRACKING, namespace, {'"postgresql://..."': repr(dsn)})
    finally:
        namespace["monitor"].close()
    task_id = namespace["task_id"]
    task = one(conn, "SELECT * FROM monitoring.processing_metrics")
    assert (task["task_id"], task["status"], task["output_size"]) == (task_id, "failed", None)
    error = one(conn, "SELECT * FROM monitoring.error_tracking")
    assert (
        error["task_id"],
        error["error_type"],
        error["severity"],
        error["message"],
        error["component"],
    ) == (task_id, "processing_error", "medium", "corrupt PDF", "processor")


def test_performance_monitoring(client: MonitoringClient, conn: Conn) -> None:
    namespace = run_python(PERFORMANCE_MONITORING, {"monitor": client})
    metrics = rows(
        conn,
        "SELECT metric_name, metric_type, metric_value, unit, component"
        " FROM monitoring.performance_monitoring ORDER BY metric_name",
    )
    assert [(m["metric_name"], m["metric_type"], m["unit"], m["component"]) for m in metrics] == [
        ("memory_usage", "memory", "%", "system"),
        ("processing_duration", "response_time", "seconds", "processor"),
    ]
    memory, duration = (m["metric_value"] for m in metrics)
    assert memory == pytest.approx(namespace["end_mem"])
    assert 0 < memory <= 100
    assert duration == pytest.approx(namespace["duration"])
    assert duration >= 0


class _HealthHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b'{"status": "ok"}'
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def health_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HealthHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_health_checks_healthy(client: MonitoringClient, conn: Conn, health_url: str) -> None:
    namespace = run_python(
        HEALTH_CHECKS, {"monitor": client}, {'"http://api/health"': repr(health_url)}
    )
    health = one(conn, "SELECT * FROM monitoring.system_health")
    assert (
        health["component_type"],
        health["component_name"],
        health["status"],
        health["failure_reason"],
    ) == ("api", "main_api", "healthy", None)
    expected_ms = namespace["response"].elapsed.total_seconds() * 1000  # milliseconds
    assert float(health["response_time_ms"]) == pytest.approx(expected_ms, rel=1e-6)


def test_health_checks_unreachable(client: MonitoringClient, conn: Conn) -> None:
    # A port that was just free: nothing listens, so requests raises.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/health"
    run_python(HEALTH_CHECKS, {"monitor": client}, {'"http://api/health"': repr(url)})
    health = one(conn, "SELECT * FROM monitoring.system_health")
    assert (
        health["component_name"],
        health["status"],
        health["response_time_ms"],
    ) == ("main_api", "unhealthy", None)
    assert health["failure_reason"]
    assert str(port) in health["failure_reason"]


# --- configuration --------------------------------------------------------------


def test_alert_thresholds(conn: Conn) -> None:
    """The design's thresholds (its // comments aside) are pgvigil's installed defaults."""
    design = json.loads(re.sub(r"//[^\n]*", "", ALERT_THRESHOLDS.text))
    installed = scalar(conn, "SELECT document FROM monitoring.config")
    assert design.keys() == {"alert_thresholds"}
    assert design["alert_thresholds"].keys() == {"error_rates", "processing_times", "queue_backlog"}
    for group, levels in design["alert_thresholds"].items():
        assert installed["alert_thresholds"][group] == levels, group


# --- the copies against the document ------------------------------------------


def design_document() -> Path:
    if os.environ.get("PGVIGIL_SPEC"):
        return Path(os.environ["PGVIGIL_SPEC"])
    return Path(__file__).resolve().parents[3] / "shared/spec/original-design.md"


def normalized(text: str) -> str:
    """A block without its fence's indentation, trailing spaces or surrounding blank lines."""
    return "\n".join(line.rstrip() for line in textwrap.dedent(text).splitlines()).strip("\n")


def code_blocks(text: str) -> list[Example]:
    """Every fenced block of a Markdown text with its nearest heading above, in order."""
    blocks = []
    heading = ""
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.strip().startswith("```"):
            language = line.strip()[3:].strip()
            body = []
            for inner in lines:
                if inner.strip() == "```":
                    break
                body.append(inner)
            blocks.append(Example(heading, language, normalized("\n".join(body))))
    return blocks


def test_the_copies_match_the_design_document() -> None:
    """Every code block of the design is a copy above (or in NOT_RUN), and every copy is in it.

    Untagged blocks are the design's file listings, not code, and are not compared."""
    path = design_document()
    if not path.is_file():
        pytest.skip(
            "the original design document is not part of the repository: not found at"
            f" {path} (set PGVIGIL_SPEC to its path to compare the copies in this file with it)"
        )
    in_document = [b for b in code_blocks(path.read_text(encoding="utf-8")) if b.language]
    languages = {b.language for b in in_document}
    assert languages <= {"sql", "python", "json", "bash"}, f"new kind of example: {languages}"
    ours = [Example(e.section, e.language, normalized(e.text)) for e in LITERAL_EXAMPLES]
    ours += list(NOT_RUN)
    missing = [b for b in in_document if b not in ours]
    assert not missing, "examples of the design with no copy in this file (or changed):\n" + (
        "\n\n".join(f"[{b.section}] ```{b.language}\n{b.text}" for b in missing)
    )
    stale = [e for e in ours if e not in in_document]
    assert not stale, "copies in this file that the design no longer has:\n" + "\n\n".join(
        f"[{e.section}] ```{e.language}\n{e.text}" for e in stale
    )
    assert len(in_document) == len(ours), "an example appears more than once in the design"
