"""The alert rule benchmarks: evaluation cost at 1,000 rules and detection
time (MTTD) with ``pgvigil worker`` and with pg_cron alone.

Called by run_bench.py, which owns the cluster, the sections and the report.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from pgvigil.jobs.worker import run_worker

Conn = psycopg.Connection[Any]

RULE_METRICS = 10
RULE_COMPONENTS = 100
RULES_PER_METRIC = 100


@dataclass
class EvaluationCost:
    rules: int
    series: int
    rule_groups: int
    first_seconds: float
    steady_seconds: list[float]
    firing: int


def _rule(metric: int, n: int) -> dict[str, Any]:
    # 100 rules per metric; thresholds put about 1% of the groups in breach,
    # as on a day when a few things are wrong (values are uniform in 50-100).
    aggregate = ("avg", "max", "p95", "last")[n % 4]
    medium, high = {
        "avg": (83, 86),
        "max": (99.8, 99.9),
        "p95": (99.5, 99.8),
        "last": (99.5, 99.9),
    }[aggregate]
    return {
        "name": f"bench_m{metric}_r{n}",
        "source": {"kind": "metric", "metric_name": f"bench_rule_metric_{metric}"},
        "aggregate": aggregate,
        "window": "5m",
        "group_by": ["component"],
        "thresholds": {"medium": medium, "high": high},
        "for": "1m" if n % 2 else "0s",
    }


def evaluation_cost(conninfo: str, cycles: int) -> EvaluationCost:
    """1,000 rules (100 per metric, grouped by component) over 1,000 series
    (100 components x 10 metrics) with a sample every 15 s in the last 10
    minutes, on top of whatever history the database holds."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        before = conn.execute("SELECT document FROM monitoring.config").fetchone()
        conn.execute(
            """
            INSERT INTO monitoring.performance_monitoring
                (metric_name, metric_type, metric_value, unit, component, tags, recorded_at)
            SELECT 'bench_rule_metric_' || m, 'gauge', 50 + 50 * random(), '%%', 'component-' || c, NULL,
                   now() - make_interval(secs => 15 * s)
            FROM generate_series(0, %s - 1) AS m, generate_series(1, %s) AS c, generate_series(0, 39) AS s
            """,
            (RULE_METRICS, RULE_COMPONENTS),
        )
        conn.execute("ANALYZE monitoring.performance_monitoring")
        rules = [_rule(m, n) for m in range(RULE_METRICS) for n in range(RULES_PER_METRIC)]
        conn.execute("SELECT monitoring.patch_config(%s)", (Jsonb({"alert_rules": rules}),))
        try:
            timings: list[float] = []
            groups = firing = 0
            for _ in range(cycles + 1):
                started = time.perf_counter()
                rows = conn.execute(
                    "SELECT groups, firing FROM monitoring.evaluate_alert_rules('bench')"
                ).fetchall()
                timings.append(time.perf_counter() - started)
                groups = sum(r[0] for r in rows)
                firing = sum(r[1] for r in rows)
        finally:
            if before:
                conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(before[0]),))
    return EvaluationCost(
        rules=len(rules),
        series=RULE_METRICS * RULE_COMPONENTS,
        rule_groups=groups,
        first_seconds=timings[0],
        steady_seconds=timings[1:],
        firing=firing,
    )


def _wait_for_alert(conn: Conn, subject: str, timeout: float) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if conn.execute(
            "SELECT 1 FROM monitoring.alerts WHERE subject = %s AND resolved_at IS NULL", (subject,)
        ).fetchone():
            return time.monotonic()
        time.sleep(0.01)
    return None


def _trials(
    conn: Conn,
    count: int,
    breach: Callable[[Conn, str], None],
    phase_seconds: float,
    timeout: float,
    prefix: str,
) -> list[float]:
    """Times from a breaching event's commit to its alert, ``count`` times; a
    random pause before each so that the events fall anywhere in the
    evaluator's cycle."""
    rng = random.Random(7)
    found: list[float] = []
    for i in range(count):
        time.sleep(rng.uniform(0, phase_seconds))
        subject = f"{prefix}-{i}-{time.time_ns()}"
        breach(conn, subject)  # autocommit: committed when it returns
        committed = time.monotonic()
        fired = _wait_for_alert(conn, subject, timeout)
        if fired is None:
            raise RuntimeError(f"no alert for {subject} within {timeout:g} s")
        found.append(fired - committed)
    return found


def _metric_breach(conn: Conn, subject: str) -> None:
    conn.execute(
        "SELECT monitoring.record_performance_metric('bench_mttd', 'gauge', 100, 'x', %s)",
        (subject,),
    )


def _health_breach(conn: Conn, subject: str) -> None:
    conn.execute("SELECT monitoring.update_system_health('service', %s, 'unhealthy')", (subject,))


_MTTD_RULES = [
    {
        "name": "bench_mttd_metric",
        "source": {"kind": "metric", "metric_name": "bench_mttd"},
        "aggregate": "max",
        "window": "1m",
        "group_by": ["component"],
        "thresholds": {"high": 50},
    },
    {
        "name": "bench_mttd_health",
        "source": {"kind": "health", "component_type": "service"},
        "aggregate": "unhealthy",
        "group_by": ["component_name"],
        "thresholds": {"high": 1},
    },
]


def mttd_with_worker(conninfo: str, trials: int, interval: float = 5.0) -> dict[str, list[float]]:
    """MTTD with `pgvigil worker` (run_worker, the default 5 s interval): a
    metric breach (found at the next cycle) and a health change (the
    recording function's NOTIFY wakes the worker at once)."""
    stop = threading.Event()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT monitoring.patch_config(%s)", (Jsonb({"alert_rules": _MTTD_RULES}),))
        worker = threading.Thread(target=run_worker, args=(conninfo,),
                                  kwargs={"interval": interval, "stop": stop}, daemon=True)  # fmt: skip
        worker.start()
        try:
            time.sleep(0.5)
            metric = _trials(conn, trials, _metric_breach, interval, interval * 3, "m")
            health = _trials(conn, trials, _health_breach, interval, interval * 3, "h")
        finally:
            stop.set()
            worker.join(30)
    return {"metric": metric, "health": health}


def mttd_with_pg_cron(admin_conninfo: str, conninfo: str, dbname: str, trials: int) -> list[float]:
    """MTTD with pg_cron alone: its minute job runs the checks, rules included,
    in ``dbname``; no worker runs."""
    with psycopg.connect(admin_conninfo, autocommit=True) as admin:
        job = admin.execute(
            "SELECT cron.schedule_in_database('bench-mttd-checks', '* * * * *',"
            " $$SELECT * FROM monitoring.run_monitoring_checks('pg_cron')$$, %s)",
            (dbname,),
        ).fetchone()
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(
                    "SELECT monitoring.patch_config(%s)", (Jsonb({"alert_rules": _MTTD_RULES}),)
                )
                return _trials(conn, trials, _metric_breach, 60.0, 130.0, "cron")
        finally:
            if job:
                admin.execute("SELECT cron.unschedule(%s)", (job[0],))


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": statistics.median(ordered),
        "max": ordered[-1],
        "min": ordered[0],
        "n": len(ordered),
    }
