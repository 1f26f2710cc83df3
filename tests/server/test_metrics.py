"""GET /metrics: the exposition passes `promtool check metrics`, a real
Prometheus (2.42) scrapes it with a Bearer key and its series are
queryable through Prometheus's API with the database's numbers, counters
do not go down when retention expires what they count, and pgvigil_up
says 0 when the database does not answer."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, scalar
from prometheus_stack import Prometheus, tool
from serving import Serving, make_key
from signals import add_errors, queue_sample, report_health


@pytest.fixture
def serving(dsn: str) -> Iterator[Serving]:
    s = Serving(dsn)
    yield s
    s.stop()


def workload(conn: Conn) -> None:
    """Something in every family: tasks, errors, health, queues, alerts, notifications."""
    for i, status in enumerate(["completed", "completed", "failed", "cancelled"]):
        conn.execute("SELECT monitoring.start_task_tracking(%s, 'etl')", (f"t{i}",))
        conn.execute("SELECT monitoring.complete_task_tracking(%s, %s)", (f"t{i}", status))
    conn.execute("SELECT monitoring.start_task_tracking('running-1', 'etl')")
    add_errors(conn, 'api "edge"\\1', 3, severity="high", minutes_ago=1)
    report_health(conn, "db", "unhealthy", 10)
    queue_sample(conn, "jobs", 7, 10, age=42)
    conn.execute("SELECT * FROM monitoring.run_monitoring_checks('manual')")
    section = {
        "route": {"receiver": "hooks"},
        "receivers": [{"name": "hooks", "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK"}]}],
    }
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section}),),
    )
    conn.execute("SELECT monitoring.send_test_notification('hooks')")


def scrape(serving: Serving, key: str | None) -> str:
    with serving.client(key) as client:
        response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in an exposition."""
    for line in text.splitlines():
        m = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not m or m[1] != name:
            continue
        found = dict(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m[3])
    raise AssertionError(f"no {name}{labels} in:\n{text}")


def test_the_exposition_passes_promtool(conn: Conn, serving: Serving, tmp_path: Path) -> None:
    workload(conn)
    text = scrape(serving, make_key(conn, "viewer"))
    for family in (
        "pgvigil_tasks_total",
        "pgvigil_task_duration_seconds",
        "pgvigil_tasks_running",
        "pgvigil_errors_last_hour",
        "pgvigil_component_healthy",
        "pgvigil_queue_pending",
        "pgvigil_queue_oldest_pending_age_seconds",
        "pgvigil_alerts",
        "pgvigil_notifications_total",
        "pgvigil_up",
        "pgvigil_scrape_duration_seconds",
    ):
        assert f"# TYPE {family} " in text, family
    checked = subprocess.run(
        [str(tool("promtool")), "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout + checked.stderr == ""  # not even a lint warning
    # The numbers are the database's.
    assert sample(text, "pgvigil_tasks_total", task_type="etl", status="completed") == 2
    assert sample(text, "pgvigil_tasks_total", task_type="etl", status="failed") == 1
    assert sample(text, "pgvigil_task_duration_seconds_count", task_type="etl") == 4
    assert sample(text, "pgvigil_task_duration_seconds_bucket", task_type="etl", le="+Inf") == 4
    assert sample(text, "pgvigil_tasks_running", task_type="etl") == 1
    # The label value's quote and backslash are escaped, as the format asks.
    assert 'component="api \\"edge\\"\\\\1"' in text
    assert sample(text, "pgvigil_component_healthy", component="db") == 0
    assert sample(text, "pgvigil_queue_pending", queue="jobs") == 7
    assert sample(text, "pgvigil_queue_oldest_pending_age_seconds", queue="jobs") == 42
    open_alerts = scalar(conn, "SELECT count(*) FROM monitoring.v_active_alerts")
    assert open_alerts > 0
    total = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("pgvigil_alerts{")
    )
    assert total == open_alerts
    assert sample(text, "pgvigil_up") == 1


def test_a_real_prometheus_scrapes_it_with_a_bearer_key(
    conn: Conn, serving: Serving, tmp_path: Path
) -> None:
    workload(conn)
    key_file = tmp_path / "pgvigil.key"
    key_file.write_text(make_key(conn, "viewer", "prometheus"))
    prometheus = Prometheus(
        {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
            "scrape_configs": [
                {
                    "job_name": "pgvigil",
                    "static_configs": [{"targets": [serving.url.removeprefix("http://")]}],
                    "authorization": {"type": "Bearer", "credentials_file": str(key_file)},
                }
            ],
        }
    )
    try:
        [target] = prometheus.wait(
            lambda: [t for t in prometheus.targets() if t["health"] == "up"],
            what="target up",
        )
        assert target["labels"]["job"] == "pgvigil"
        completed = prometheus.wait(
            lambda: prometheus.query('pgvigil_tasks_total{task_type="etl",status="completed"}'),
            what="pgvigil_tasks_total",
        )
        assert float(completed[0]["value"][1]) == 2
        [up] = prometheus.query("pgvigil_up")
        assert up["value"][1] == "1"
        # A histogram Prometheus can take a quantile of.
        [p50] = prometheus.query(
            "histogram_quantile(0.5, sum by (le) (pgvigil_task_duration_seconds_bucket))"
        )
        assert 0 <= float(p50["value"][1]) <= 0.1
    finally:
        prometheus.stop()


def test_a_scrape_without_a_key_is_refused_unless_asked(dsn: str, conn: Conn) -> None:
    closed = Serving(dsn)
    try:
        with closed.client() as client:
            assert client.get("/metrics").status_code == 401
    finally:
        closed.stop()
    opened = Serving(dsn, metrics_without_key=True)
    try:
        assert sample(scrape(opened, None), "pgvigil_up") == 1
        with opened.client() as client:  # nothing else opens
            assert client.get("/api/v1/alerts").status_code == 401
    finally:
        opened.stop()


def test_task_counters_do_not_go_down_when_retention_expires_hours(
    conn: Conn, serving: Serving
) -> None:
    key = make_key(conn, "viewer")
    # Two hours of rollups, one past retention (400 days ago), before the
    # rollup watermark (a first refresh sets it).
    conn.execute("CALL monitoring.refresh_rollups()")
    conn.execute(
        "INSERT INTO monitoring.task_rollup_hour (bucket, task_type, ended_count, completed_count,"
        " failed_count, cancelled_count, duration_sum, duration_min, duration_max, duration_buckets)"
        " SELECT date_bin('1 hour', now() - make_interval(days => d), TIMESTAMPTZ '2000-01-01'),"
        "        'etl', 5, 3, 2, 0, 10, 1, 3,"
        "        (SELECT monitoring.task_duration_histogram(x) FROM unnest(ARRAY[1, 2, 2, 2, 3]) AS x)"
        " FROM unnest(ARRAY[400, 2]) AS d"
    )
    before = scrape(serving, key)
    assert sample(before, "pgvigil_tasks_total", task_type="etl", status="completed") == 6
    removed = scalar(
        conn,
        "SELECT rows_removed FROM monitoring.expire_old_rows() WHERE table_name = 'task_rollup_hour'",
    )
    assert removed == 1
    assert scalar(conn, "SELECT count(*) FROM monitoring.task_rollup_hour") == 1
    after = scrape(serving, key)
    for status in ("completed", "failed", "cancelled"):
        assert sample(after, "pgvigil_tasks_total", task_type="etl", status=status) == sample(
            before, "pgvigil_tasks_total", task_type="etl", status=status
        )
    for le in ("1", "2.5", "+Inf"):
        assert sample(after, "pgvigil_task_duration_seconds_bucket", task_type="etl", le=le) == (
            sample(before, "pgvigil_task_duration_seconds_bucket", task_type="etl", le=le)
        )
    assert sample(after, "pgvigil_task_duration_seconds_sum", task_type="etl") == 20


def test_pgvigil_up_is_0_when_the_database_does_not_answer(dsn: str) -> None:
    down = Serving(
        dsn.replace("dbname=", "dbname=no_such_database_") if "dbname=" in dsn else dsn + "_gone",
        metrics_without_key=True,
        pool_timeout=1.0,
        pool_min_size=0,
    )
    try:
        with down.client() as client:
            response = client.get("/metrics")
            health = client.get("/health")
        assert response.status_code == 200
        assert sample(response.text, "pgvigil_up") == 0
        assert health.status_code == 503
        assert health.json()["error"]["code"] == "PV717"
    finally:
        down.stop()
