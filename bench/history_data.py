"""A big, realistic monitoring history, loaded fast with set-based SQL.

Everything is written as the superuser straight into the ``monitoring``
tables with ``INSERT ... SELECT ... FROM generate_series`` (no recording
function, no client): the point is to have the history, not to time its
ingest. Daily partitions are created first for every day of the history, so
no row lands in a ``*_default`` partition (checked afterwards).

The data is shaped for the checks and views: five task types with their own
duration and failure profiles, twenty workers, skewed error components and
severities, five queues (one backing up in the last hour), forty components
that change status now and then, about a thousand tasks in flight (a few of
them stuck for hours), resolved alerts over the whole period. Every table is
spread evenly over the last ``days`` days up to the load's start, so the last
hour has its share of rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import psycopg
from psycopg import sql

Progress = Callable[[str], None]

METRICS: list[tuple[str, str, str, float, float]] = [
    # name, type, unit, base, spread: values are base + spread * random()
    ("cpu_percent", "gauge", "percent", 2.0, 95.0),
    ("memory_percent", "gauge", "percent", 20.0, 70.0),
    ("memory_rss_bytes", "gauge", "bytes", 2.0e8, 1.5e9),
    ("disk_read_bytes_per_s", "rate", "bytes/s", 0.0, 5.0e7),
    ("disk_write_bytes_per_s", "rate", "bytes/s", 0.0, 8.0e7),
    ("net_rx_bytes_per_s", "rate", "bytes/s", 1.0e3, 2.0e7),
    ("net_tx_bytes_per_s", "rate", "bytes/s", 1.0e3, 2.0e7),
    ("http_response_time", "histogram", "ms", 5.0, 400.0),
    ("http_requests_per_s", "rate", "requests/s", 0.0, 300.0),
    ("http_errors_per_s", "rate", "errors/s", 0.0, 3.0),
    ("db_query_time", "histogram", "ms", 0.2, 60.0),
    ("db_pool_in_use", "gauge", "connections", 0.0, 20.0),
    ("cache_hit_ratio", "gauge", "ratio", 0.6, 0.4),
    ("gc_pause", "histogram", "ms", 0.1, 25.0),
    ("threads", "gauge", "threads", 8.0, 64.0),
    ("open_files", "gauge", "files", 20.0, 500.0),
    ("batch_size", "gauge", "items", 1.0, 500.0),
    ("items_processed", "counter", "items", 0.0, 1000.0),
    ("queue_wait_time", "histogram", "s", 0.0, 30.0),
    ("ocr_pages_per_s", "rate", "pages/s", 0.0, 40.0),
]
COMPONENTS = [f"service-{n:02d}" for n in range(1, 11)]
TASK_TYPES: list[tuple[str, float, float]] = [
    # type, mean duration in seconds (exponential), failure ratio
    ("document_processing", 8.0, 0.015),
    ("etl_load", 45.0, 0.07),
    ("report_generation", 70.0, 0.02),
    ("agent_run", 20.0, 0.03),
    ("email_dispatch", 1.5, 0.01),
]
ERROR_COMPONENTS = [
    "ocr-engine", "api-gateway", "etl-loader", "pdf-parser",
    "mailer", "vector-store", "scheduler", "auth",
]  # fmt: skip
ERROR_TYPES = [
    "TimeoutError", "ConnectionError", "ValidationError",
    "ParseError", "RateLimitError", "OutOfMemoryError",
]  # fmt: skip
QUEUES: list[tuple[str, int]] = [
    ("documents", 40), ("etl", 25), ("reports", 10), ("ocr", 30), ("notifications", 15),
]  # fmt: skip
HEALTH_TYPES = ["worker", "database", "api", "queue_consumer"]
HEALTH_COMPONENTS = 40


@dataclass(frozen=True)
class HistorySizes:
    performance_samples: int
    tasks: int
    errors: int
    queue_samples: int
    health_changes: int
    running_tasks: int
    resolved_alerts: int
    days: int = 30


def _values(rows: list[tuple[Any, ...]]) -> str:
    """A VALUES list of literals (constants of this module only)."""

    def literal(value: Any) -> str:
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        return repr(float(value)) if isinstance(value, float) else str(value)

    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)


def _text_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


PERFORMANCE_SQL = f"""
INSERT INTO monitoring.performance_monitoring
    (metric_name, metric_type, metric_value, unit, component, tags, recorded_at)
SELECT m.metric_name, m.metric_type,
       round((m.base + m.spread * s.r)::numeric, 3)::double precision,
       m.unit,
       ({_text_array(COMPONENTS)})[1 + mod(s.i / {len(METRICS)}, {len(COMPONENTS)})],
       CASE WHEN mod(s.i, 3) = 0
            THEN jsonb_build_object('host', 'host-' || (mod(s.i, 16)), 'region', 'eu-west-1') END,
       %(start)s::timestamptz + make_interval(secs => s.i * %(step)s::double precision)
FROM (SELECT i, random() AS r FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i) AS s
JOIN (VALUES {_values([(k, *m) for k, m in enumerate(METRICS)])})
     AS m (k, metric_name, metric_type, unit, base, spread)
  ON m.k = mod(s.i, {len(METRICS)})
"""

TASKS_SQL = f"""
INSERT INTO monitoring.processing_metrics
    (task_id, task_type, worker_id, status, input_size, output_size, start_time, end_time,
     duration_seconds, step_timings, metadata)
SELECT 'task-' || s.i, t.task_type, 'worker-' || lpad((1 + mod(s.i, 20))::text, 2, '0'),
       st.status, s.input_size,
       CASE WHEN st.status = 'completed' THEN (s.input_size * (0.2 + s.r3))::bigint END,
       s.end_time - make_interval(secs => d.duration), s.end_time, d.duration,
       CASE WHEN mod(s.i, 4) = 0
            THEN jsonb_build_object('fetch', round((d.duration * 0.2)::numeric, 3),
                                    'process', round((d.duration * 0.7)::numeric, 3),
                                    'store', round((d.duration * 0.1)::numeric, 3)) END,
       CASE WHEN mod(s.i, 10) = 0 THEN jsonb_build_object('source', 'bench', 'priority', mod(s.i, 3)) END
FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3,
             (random() * 5e6)::bigint AS input_size,
             %(start)s::timestamptz + make_interval(secs => i * %(step)s::double precision) AS end_time
      FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i) AS s
JOIN (VALUES {_values([(k, *t) for k, t in enumerate(TASK_TYPES)])})
     AS t (k, task_type, mean_seconds, failure_ratio)
  ON t.k = mod(s.i, {len(TASK_TYPES)})
CROSS JOIN LATERAL (SELECT greatest(0.05, -ln(1 - s.r1) * t.mean_seconds) AS duration) AS d
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.r2 < t.failure_ratio THEN 'failed'
                WHEN s.r2 < t.failure_ratio + 0.003 THEN 'timeout'
                WHEN s.r2 < t.failure_ratio + 0.013 THEN 'cancelled'
                ELSE 'completed' END AS status) AS st
"""

RUNNING_TASKS_SQL = f"""
WITH r AS MATERIALIZED (
    SELECT 'running-' || i AS task_id, t.task_type,
           'worker-' || lpad((1 + mod(i, 20))::text, 2, '0') AS worker_id,
           (random() * 5e6)::bigint AS input_size,
           CASE WHEN i <= 5 THEN %(now)s::timestamptz - make_interval(hours => i)   -- stuck
                ELSE %(now)s::timestamptz - make_interval(secs => random() * 2 * t.mean_seconds)
           END AS start_time
    FROM generate_series(1, %(count)s::integer) AS i
    JOIN (VALUES {_values([(k, *t) for k, t in enumerate(TASK_TYPES)])})
         AS t (k, task_type, mean_seconds, failure_ratio)
      ON t.k = CASE WHEN i <= 5 THEN 1 ELSE mod(i, {len(TASK_TYPES)}) END
), running AS (
    INSERT INTO monitoring_internal.running_tasks (task_id, task_type, worker_id, start_time)
    SELECT task_id, task_type, worker_id, start_time FROM r
)
INSERT INTO monitoring.processing_metrics
    (task_id, task_type, worker_id, status, input_size, start_time)
SELECT task_id, task_type, worker_id, 'running', input_size, start_time FROM r
"""

ERRORS_SQL = f"""
INSERT INTO monitoring.error_tracking
    (task_id, error_type, severity, message, component, stack_trace, context, occurred_at)
SELECT CASE WHEN s.r1 < 0.7 THEN 'task-' || (s.r2 * %(tasks)s::bigint)::bigint END,
       c.error_type,
       CASE WHEN s.r3 < 0.5 THEN 'low' WHEN s.r3 < 0.8 THEN 'medium'
            WHEN s.r3 < 0.95 THEN 'high' ELSE 'critical' END,
       format('%%s in %%s while handling request %%s (attempt %%s)',
              c.error_type, c.component, s.i, 1 + mod(s.i, 5)),
       c.component,
       CASE WHEN mod(s.i, 5) = 0
            THEN 'Traceback (most recent call last):' || repeat(E'\\n  File "worker.py", line 123, in run', 8)
                 || E'\\n' || c.error_type || ': request failed' END,
       CASE WHEN mod(s.i, 2) = 0
            THEN jsonb_build_object('attempt', 1 + mod(s.i, 5), 'request_id', md5(s.i::text)) END,
       %(start)s::timestamptz + make_interval(secs => s.i * %(step)s::double precision)
FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4
      FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i) AS s
CROSS JOIN LATERAL (
    SELECT ({_text_array(ERROR_COMPONENTS)})[1 + floor({len(ERROR_COMPONENTS)} * s.r4 * s.r4)::integer]
               AS component,
           ({_text_array(ERROR_TYPES)})[1 + mod(s.i, {len(ERROR_TYPES)})] AS error_type) AS c
"""

QUEUES_SQL = f"""
INSERT INTO monitoring.queue_monitoring
    (queue_name, pending_count, processing_count, completed_count, failed_count,
     oldest_pending_age_seconds, recorded_at)
SELECT q.queue_name,
       CASE WHEN q.queue_name = 'ocr' AND s.recorded_at > %(now)s::timestamptz - interval '1 hour'
            THEN 120 + (s.r1 * 120)::integer           -- backing up now
            ELSE (s.r1 * q.typical_pending)::integer END,
       (s.r2 * 20)::integer, (s.r3 * 100)::integer, (s.r2 * 3)::integer,
       round((s.r1 * 300)::numeric, 1)::double precision,
       s.recorded_at
FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3,
             %(start)s::timestamptz + make_interval(secs => i * %(step)s::double precision) AS recorded_at
      FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i) AS s
JOIN (VALUES {_values([(k, *q) for k, q in enumerate(QUEUES)])}) AS q (k, queue_name, typical_pending)
  ON q.k = mod(s.i, {len(QUEUES)})
"""

# Component k of 40 changes status at every 40th row: healthy, degraded,
# healthy, unhealthy, healthy... so each change follows the previous one of
# the same component by 40 steps.
HEALTH_HISTORY_SQL = f"""
INSERT INTO monitoring.system_health_history
    (component_type, component_name, previous_status, status, previous_status_seconds,
     recovery_seconds, response_time_ms, failure_reason, changed_at)
SELECT c.component_type, c.component_type || '-' || lpad((1 + c.k / {len(HEALTH_TYPES)})::text, 2, '0'),
       CASE WHEN c.j > 0 THEN (ARRAY['healthy', 'degraded', 'healthy', 'unhealthy'])[1 + mod((c.j - 1), 4)] END,
       (ARRAY['healthy', 'degraded', 'healthy', 'unhealthy'])[1 + mod(c.j, 4)],
       CASE WHEN c.j > 0 THEN {HEALTH_COMPONENTS} * %(step)s::double precision END,
       CASE WHEN c.j > 0 AND mod(c.j, 2) = 0 THEN {HEALTH_COMPONENTS} * %(step)s::double precision END,
       round((random() * 250)::numeric, 1),
       CASE mod(c.j, 4) WHEN 1 THEN 'slow responses' WHEN 3 THEN 'connection refused' END,
       %(start)s::timestamptz + make_interval(secs => c.i * %(step)s::double precision)
FROM (SELECT i, mod(i, {HEALTH_COMPONENTS}) AS k, i / {HEALTH_COMPONENTS} AS j,
             ({_text_array(HEALTH_TYPES)})[1 + mod(mod(i, {HEALTH_COMPONENTS}), {len(HEALTH_TYPES)})] AS component_type
      FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i) AS c
"""

SYSTEM_HEALTH_SQL = """
INSERT INTO monitoring.system_health
    (component_type, component_name, status, response_time_ms, failure_reason, last_check_at,
     status_since, last_healthy_at, outage_started_at, consecutive_failures, check_count)
SELECT DISTINCT ON (h.component_type, h.component_name)
       h.component_type, h.component_name, h.status, h.response_time_ms, h.failure_reason,
       %(now)s::timestamptz - interval '20 seconds', h.changed_at,
       CASE WHEN h.status = 'healthy' THEN %(now)s::timestamptz - interval '20 seconds' ELSE h.changed_at END,
       CASE WHEN h.status <> 'healthy' THEN h.changed_at END,
       CASE WHEN h.status <> 'healthy' THEN 3 ELSE 0 END,
       1000
FROM monitoring.system_health_history AS h
ORDER BY h.component_type, h.component_name, h.changed_at DESC
"""

RESOLVED_ALERTS_SQL = f"""
WITH a AS (
    INSERT INTO monitoring.alerts
        (alert_key, alert_type, subject, severity, status, title, message, current_value,
         threshold_value, occurrence_count, triggered_at, triggered_by, last_seen_at,
         resolved_at, resolved_by, resolution_note)
    SELECT 'error_rate:' || c.component, 'error_rate', c.component,
           (ARRAY['low', 'medium', 'high', 'critical'])[1 + mod(i, 4)], 'resolved',
           'High error rate in ' || c.component,
           'errors per hour above the threshold in ' || c.component,
           30 + mod(i, 70), 25, 1 + mod(i, 12), c.at, 'pg_cron', c.at + interval '10 minutes',
           c.at + interval '15 minutes', 'pg_cron', 'condition cleared'
    FROM generate_series(1, %(count)s::integer) AS i
    CROSS JOIN LATERAL (
        SELECT ({_text_array(ERROR_COMPONENTS)})[1 + mod(i, {len(ERROR_COMPONENTS)})] AS component,
               %(start)s::timestamptz + make_interval(secs => i * %(step)s::double precision) AS at
    ) AS c
    RETURNING alert_id, severity, triggered_at, resolved_at
)
INSERT INTO monitoring.alert_events (alert_id, event_type, severity, actor, occurred_at)
SELECT alert_id, 'triggered', severity, 'pg_cron', triggered_at FROM a
UNION ALL
SELECT alert_id, 'resolved', severity, 'pg_cron', resolved_at FROM a
"""

DEFAULT_PARTITIONS_SQL = """
SELECT h.table_name,
       (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM monitoring.%I',
                                                   h.table_name || '_default'), false, true, '')))[1]::text::bigint
FROM monitoring_internal.history_tables AS h ORDER BY 1
"""


def _chunks(total: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` inclusive ranges covering 0 .. total - 1."""
    parts = max(1, min(parts, total))
    bounds = [total * k // parts for k in range(parts + 1)]
    return [(bounds[k], bounds[k + 1] - 1) for k in range(parts) if bounds[k + 1] > bounds[k]]


def load_history(
    conninfo: str, sizes: HistorySizes, progress: Progress, *, workers: int = 2
) -> dict[str, Any]:
    """Load the history; returns what was loaded and how long each part took."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT now(), (now() AT TIME ZONE 'UTC')::date").fetchone()
        assert row is not None
        now: datetime = row[0]
        today = row[1]
        start = now - timedelta(days=sizes.days)
        # Partitions for every day of the history (maintenance only makes
        # them from ingest.max_event_age_hours back), then the usual ones ahead.
        t0 = time.perf_counter()
        created = conn.execute(
            "SELECT count(*) FILTER (WHERE monitoring_internal.create_partition(h.table_name, d::date))"
            " FROM monitoring_internal.history_tables AS h,"
            " generate_series(%s::date - %s, %s::date, interval '1 day') AS d",
            (today, sizes.days + 2, today),
        ).fetchone()
        conn.execute("SELECT * FROM monitoring.run_partition_maintenance()")
        timings["partitions"] = time.perf_counter() - t0
    progress(f"history: {created[0] if created else 0} past partitions created")

    span = sizes.days * 86400.0

    def statements() -> list[tuple[str, str, dict[str, Any]]]:
        jobs: list[tuple[str, str, dict[str, Any]]] = []
        tables: list[tuple[str, str, int, int, dict[str, Any]]] = [
            ("performance_monitoring", PERFORMANCE_SQL, sizes.performance_samples, sizes.days, {}),
            ("processing_metrics", TASKS_SQL, sizes.tasks, 10, {}),
            ("error_tracking", ERRORS_SQL, sizes.errors, 2, {"tasks": sizes.tasks}),
            ("queue_monitoring", QUEUES_SQL, sizes.queue_samples, 1, {}),
            ("system_health_history", HEALTH_HISTORY_SQL, sizes.health_changes, 1, {}),
        ]
        for table, statement, count, parts, extra in tables:
            step = span / count
            for first, last in _chunks(count, parts):
                params = {"start": start, "step": step, "first": first + 1, "last": last + 1,
                          "now": now, **extra}  # fmt: skip
                jobs.append((table, statement, params))
        return jobs

    table_seconds: dict[str, float] = {}

    def run(job: tuple[str, str, dict[str, Any]]) -> tuple[str, float]:
        table, statement, params = job
        t = time.perf_counter()
        with psycopg.connect(conninfo, autocommit=True) as c:
            c.execute(statement.encode(), params)
        return table, time.perf_counter() - t

    jobs = statements()
    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for table, seconds in pool.map(run, jobs):
            table_seconds[table] = table_seconds.get(table, 0.0) + seconds
            done += 1
            if done % 10 == 0 or done == len(jobs):
                progress(f"history: {done}/{len(jobs)} insert statements done")
    timings.update({f"insert_{k}": v for k, v in table_seconds.items()})

    with psycopg.connect(conninfo, autocommit=True) as conn:
        t0 = time.perf_counter()
        conn.execute(RUNNING_TASKS_SQL.encode(), {"now": now, "count": sizes.running_tasks})
        conn.execute(SYSTEM_HEALTH_SQL.encode(), {"now": now})
        conn.execute(
            RESOLVED_ALERTS_SQL.encode(),
            {"count": sizes.resolved_alerts, "start": start,
             "step": span / max(sizes.resolved_alerts, 1)},
        )  # fmt: skip
        timings["running_health_alerts"] = time.perf_counter() - t0
        progress("history: VACUUM (ANALYZE) so that autovacuum stays quiet while queries are timed")
        t0 = time.perf_counter()
        conn.execute(
            "VACUUM (ANALYZE) monitoring.performance_monitoring, monitoring.processing_metrics,"
            " monitoring_internal.running_tasks, monitoring.error_tracking, monitoring.queue_monitoring,"
            " monitoring.system_health, monitoring.system_health_history, monitoring.alerts,"
            " monitoring.alert_events"
        )
        timings["vacuum_analyze"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("CHECKPOINT")
        timings["checkpoint"] = time.perf_counter() - t0
        in_default = {r[0]: int(r[1]) for r in conn.execute(DEFAULT_PARTITIONS_SQL).fetchall()}
        counts = {
            t.rsplit(".", 1)[-1]: int(r[0])
            for t in (
                "monitoring.performance_monitoring",
                "monitoring.processing_metrics",
                "monitoring_internal.running_tasks",
                "monitoring.error_tracking",
                "monitoring.queue_monitoring",
                "monitoring.system_health",
                "monitoring.system_health_history",
                "monitoring.alerts",
            )  # fmt: skip
            if (r := conn.execute(f"SELECT count(*) FROM {t}".encode()).fetchone()) is not None
        }
        size = conn.execute(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()
    if any(in_default.values()):
        raise RuntimeError(f"history rows landed in default partitions: {in_default}")
    return {
        "now": now.isoformat(),
        "days": sizes.days,
        "rows": counts,
        "rows_in_default_partitions": in_default,
        "database_size": size[0] if size else None,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "load_seconds": round(time.perf_counter() - started, 1),
    }


def load_performance_days(
    conninfo: str, days: list[date], rows_per_day: int, progress: Progress, *, workers: int = 2
) -> dict[str, Any]:
    """Whole UTC days of performance samples, ``rows_per_day`` each, evenly spread over the day.

    The days' partitions are made by ``monitoring_internal.create_partition`` (so they
    carry the table's indexes), filled with the history's INSERT ... SELECT
    (two statements a day, ``workers`` at a time), then ``VACUUM (ANALYZE)``
    as the history is, and a CHECKPOINT. Returns the timings.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for day in days:
            conn.execute(
                "SELECT monitoring_internal.create_partition('performance_monitoring', %s)", (day,)
            )
    step = 86400.0 / rows_per_day
    jobs: list[dict[str, Any]] = [
        # Times start + i * step for i in 0 .. rows_per_day - 1: all inside the day.
        {"start": datetime(day.year, day.month, day.day, tzinfo=timezone.utc), "step": step,
         "first": first, "last": last}
        for day in days
        for first, last in _chunks(rows_per_day, 2)
    ]  # fmt: skip

    def run(params: dict[str, Any]) -> None:
        with psycopg.connect(conninfo, autocommit=True) as c:
            c.execute(PERFORMANCE_SQL.encode(), params)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, jobs))
    timings["insert"] = time.perf_counter() - t0
    progress(f"{len(days)} days of {rows_per_day:,} samples inserted in {timings['insert']:.1f} s")
    names = [f"performance_monitoring_p{day:%Y%m%d}" for day in days]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        t0 = time.perf_counter()
        conn.execute(
            sql.SQL("VACUUM (ANALYZE) {}").format(
                sql.SQL(", ").join(sql.Identifier("monitoring", n) for n in names)
            )
        )
        timings["vacuum_analyze"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("CHECKPOINT")
        timings["checkpoint"] = time.perf_counter() - t0
        rows = {
            n: int(r[0])
            for n in names
            if (r := conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("monitoring", n))
            ).fetchone()) is not None
        }  # fmt: skip
        sizes = {
            n: r[0]
            for n in names
            if (r := conn.execute(
                "SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", (f"monitoring.{n}",)
            ).fetchone()) is not None
        }  # fmt: skip
    if any(count != rows_per_day for count in rows.values()):
        raise RuntimeError(f"expected {rows_per_day} rows in each of {names}, found {rows}")
    return {
        "days": [str(d) for d in days],
        "rows_per_day": rows_per_day,
        "rows": rows,
        "total_size": sizes,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "load_seconds": round(time.perf_counter() - started, 1),
    }
