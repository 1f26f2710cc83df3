"""``scripts/bench --quick`` runs end to end and reports every measurement.

Behaviour only: every measurement is there with a positive number, the
machine facts are recorded, the table is printed and the throwaway cluster is
gone afterwards. No assertion on speed: that is what the benchmark reports.

Two quick runs per module (each a fixture shared by the tests that read it):
a clean one, and one where a section fails for real (``--fail-section``) while
the others still run, report and write their numbers, and the exit status is
1. The expiry check (which partitions a retention run may drop, what else it
may remove) is also tested on its own, at any hour, without a database.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
run_bench = importlib.import_module("run_bench")
pytestmark = pytest.mark.slow

EXPECTED = {
    "notifications.latency.p50",
    "notifications.latency.max",
    "notifications.fleet.delivered",
    "notifications.fleet.lag.p50",
    "notifications.fleet.lag.max",
    "notifications.worker_cpu",
    "memory.peak_rss",
    "memory.rss_growth",
    "memory.dropped",
    "ingest.copy_binary",
    "ingest.copy_text",
    "ingest.buffered",
    "lifecycles.buffered",
    "lifecycles.sync",
    "latency.start_task_p50",
    "latency.start_task_p99",
    "retention.writer_wait_beside_reader",
    "retention.writer_wait_after_reader",
    "history.load",
    "rules.cycle",
    "rules.first_cycle",
    "detection.worker.metric.p50",
    "detection.worker.metric.max",
    "detection.worker.health.p50",
    "detection.worker.health.max",
    "rollups.refresh_initial",
    "rollups.refresh",
    "query.check_error_rate_alerts",
    "query.check_processing_performance_alerts",
    "query.check_queue_backlog_alerts",
    "query.check_system_health_alerts",
    "query.run_monitoring_checks",
    "query.v_active_alerts",
    "query.v_error_summary",
    "query.v_performance_trends",
    "query.v_queue_performance",
    "query.v_realtime_processing_status",
    "query.v_system_health_summary",
    "query.v_performance_trends.panel",
    "query.v_performance_history.panel",
    "query.v_task_trends.panel",
    "query.v_task_history.panel",
    "query.get_dashboard_summary",
    "expiry.delete",
    "expiry.delete_vacuum",
    "expiry.retention",
    "expiry.drop_only",
    "expiry.delete_big",
    "expiry.delete_vacuum_big",
    "expiry.retention_big",
    "expiry.drop_only_big",
    "expiry.retention_idle",
    "server.overview.p95",
    "server.active_alerts.p95",
    "server.metric_history_24_h.p95",
    "server.metric_history_30_d.p95",
    "server.overview.saturated_p95",
    "server.overview.rps",
    "server.live.p50",
    "server.page_load.median",
}
SECTION_KEYS = [s.key for s in run_bench.SECTIONS]


@dataclass
class BenchRun:
    result: subprocess.CompletedProcess[str]
    left_behind: list[Path]  # what the run left in its --tmpdir
    out: Path

    def document(self) -> dict[str, Any]:
        return json.loads(self.out.read_text(encoding="utf-8"))


def run_quick_bench(out_dir: Path, *args: str) -> BenchRun:
    out = out_dir / "bench.json"
    # The cluster's parent directory: our own (others may run the benchmark at
    # the same time), traversable by the postgres OS user.
    parent = Path(tempfile.mkdtemp(prefix="pgvigil-bench-test-"))
    parent.chmod(0o755)
    try:
        result = subprocess.run(
            [str(ROOT / "scripts" / "bench"), "--quick", "--out", str(out), "--tmpdir", str(parent),
             *args],
            capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
        return BenchRun(result, list(parent.iterdir()), out)
    finally:
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> BenchRun:
    return run_quick_bench(tmp_path_factory.mktemp("bench-quick"))


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> BenchRun:
    # The queries section fails at its start; the expiry section, which works
    # on the same history in the same database, must still run and report.
    return run_quick_bench(tmp_path_factory.mktemp("bench-failing"), "--fail-section", "queries")


def test_quick_benchmark_reports_every_measurement(quick_run):
    result = quick_run.result
    assert result.returncode == 0, result.stderr[-4000:]
    assert quick_run.left_behind == [], "the benchmark left its cluster behind"

    document = quick_run.document()
    assert document["mode"] == "quick"
    machine = document["machine"]
    assert machine["cpu_count"] >= 1
    assert machine["postgresql_settings"]["fsync"] == "on"
    assert {"jit", "work_mem", "shared_buffers"} <= set(machine["postgresql_settings"])
    assert machine["pg_cron"]
    assert machine["git_commit"]

    measurements = {m["name"]: m for m in document["measurements"]}
    assert EXPECTED - set(measurements) == set()
    for name, m in measurements.items():
        if m["skipped"]:
            # Only the rollup refresh may be absent (monitoring.refresh_rollups() not installed).
            assert name.startswith("rollups."), (name, m["skipped"])
            continue
        value = m["value"]
        assert isinstance(value, int | float) and value > 0, (name, value)
        assert m["unit"], name
        if m["target"] is not None:
            assert isinstance(m["ok"], bool), name
    # Every check function and view of the schema was timed, whatever their number.
    assert sum(n.startswith("query.check_") for n in measurements) >= 4
    assert sum(n.startswith("query.v_") for n in measurements) >= 6

    history = document["history"]
    assert (
        history["rows"]["performance_monitoring"]
        == document["sizes"]["history"]["performance_samples"]
    )
    assert set(history["rows_in_default_partitions"].values()) == {0}

    assert "measurement | value | baseline / target" in " ".join(result.stdout.split())
    for label in ("COPY binary", "BufferedClient", "cleanup_old_monitoring_data()"):
        assert label in result.stdout

    # Every section ran and ended well.
    assert document["failures"] == []
    assert [(s["key"], s["status"]) for s in document["sections"]] == [
        (k, "ok") for k in SECTION_KEYS
    ]
    assert "FAILED" not in result.stdout


def test_a_failing_section_does_not_stop_the_others(failing_run):
    result = failing_run.result
    # Non-zero, so that CI notices, but only after everything was printed and written.
    assert result.returncode == 1, result.stderr[-4000:]
    assert failing_run.left_behind == [], "the benchmark left its cluster behind"
    assert failing_run.out.exists(), result.stderr[-4000:]

    document = failing_run.document()
    [failure] = document["failures"]
    assert failure["section"] == "queries"
    assert failure["title"] == "queries on the history"
    assert failure["error"].startswith("InjectedFailure: --fail-section queries")
    assert failure["traceback"].startswith("Traceback (most recent call last)")
    assert "InjectedFailure" in failure["traceback"]
    statuses = {s["key"]: s["status"] for s in document["sections"]}
    assert statuses == {k: "FAILED" if k == "queries" else "ok" for k in SECTION_KEYS}

    # The other sections measured all they measure, before and after the failed one.
    measurements = {m["name"]: m for m in document["measurements"]}
    of_queries = {n for n in EXPECTED if n.startswith(("query.", "rollups."))}
    assert EXPECTED - of_queries - set(measurements) == set()
    assert not {n for n in measurements if n.startswith(("query.", "rollups."))}
    for name, m in measurements.items():
        assert isinstance(m["value"], int | float) and m["value"] > 0, (name, m["value"])
    assert document["history"]["rows"]["performance_monitoring"] > 0

    # Printed: the whole table with a FAILED line for the section, the
    # expiry side by side, the summary, where the JSON went; the traceback
    # on stderr as it happened.
    out = result.stdout
    assert "measurement | value | baseline / target" in " ".join(out.split())
    [failed_line] = [line for line in out.splitlines() if "section queries on the history" in line]
    assert "FAILED" in failed_line and "InjectedFailure" in failed_line
    for label in ("COPY binary", "BufferedClient", "MonitoringClient.start_task p99",
                  "history load", "cleanup_old_monitoring_data()", "a busy day (10 x)",
                  "peak RSS"):  # fmt: skip
        assert label in out, label
    assert "targets missed, sections FAILED: queries; run took" in out
    assert "FAILED: section queries (queries on the history): InjectedFailure" in out
    assert f"results written to {failing_run.out}" in out
    assert "InjectedFailure: --fail-section queries" in result.stderr


# --------------------------------------------------------------------------- the expiry check

FIVE_MIN = "performance_rollup_5min"
UTC = timezone.utc


def partitions(first: date, last: date) -> set[str]:
    return {
        f"performance_monitoring_p{first + timedelta(days=d):%Y%m%d}"
        for d in range((last - first).days + 1)
    }


def five_min_rows(at: datetime, until: datetime) -> tuple[datetime, dict[datetime, int]]:
    """A snapshot of performance_rollup_5min taken at ``at``: 200 series per 5-minute bucket."""
    cutoff = at - timedelta(days=2)
    step = timedelta(minutes=5)
    origin = datetime(2000, 1, 1, tzinfo=UTC)
    bucket = origin + (until - origin) // step * step  # the 5 minutes holding ``until``
    buckets = {}
    while bucket >= cutoff:
        buckets[bucket] = 200
        bucket -= step
    return cutoff, buckets


def result(perf: tuple[int, int] = (1, 6666), five_min: int = 0) -> list[tuple[str, int, int]]:
    """What cleanup_old_monitoring_data() returns, in its order."""
    return [("error_tracking", 0, 0), ("performance_monitoring", *perf),
            ("performance_rollup_minute", 0, 0), ("processing_metrics", 0, 0),
            ("queue_monitoring", 0, 0), ("system_health_history", 0, 0), ("task_rollup_minute", 0, 0),
            ("performance_rollup_hour", 0, 0), (FIVE_MIN, 0, five_min), ("task_rollup_hour", 0, 0),
            ("alerts", 0, 0)]  # fmt: skip


def snapshots(at: datetime, later: datetime, drop: set[str]) -> tuple[Any, Any]:
    """Before and after a run between ``at`` and ``later`` that dropped ``drop``; the 5-minute
    rollups lose what aged past 2 days meanwhile."""
    today = at.date()
    before_parts = partitions(today - timedelta(days=29), today + timedelta(days=3))
    before = run_bench.CleanupSnapshot(before_parts, {FIVE_MIN: five_min_rows(at, at)})
    cutoff_after, rows = five_min_rows(later, at)
    after = run_bench.CleanupSnapshot(before_parts - drop, {FIVE_MIN: (cutoff_after, rows)})
    return before, after


def test_cleanup_check_accepts_the_5_minute_rollups_ageing_out():
    # A run as in the issue: the day's partition dropped, and a 5-minute bucket
    # of 200 series that aged past its fixed 2 days since the last run (the old
    # check called that a failure).
    at = datetime(2026, 12, 1, 8, 59, 58, tzinfo=UTC)
    expected = "performance_monitoring_p20261102"
    before, after = snapshots(at, at + timedelta(seconds=4), {expected})
    assert before.recent[FIVE_MIN][1] != after.recent[FIVE_MIN][1]  # a bucket went
    assert run_bench.cleanup_problems(expected, result(five_min=200), before, after) == []


def test_cleanup_check_catches_a_wrong_drop_and_any_loss_within_retention():
    at = datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)
    expected = "performance_monitoring_p20261102"
    later = at + timedelta(seconds=2)

    def problems(drop: set[str], returned: list[tuple[str, int, int]], lose_recent: bool = False):
        before, after = snapshots(at, later, drop)
        if lose_recent:  # a bucket of the last hour: well within the 2 days
            del after.recent[FIVE_MIN][1][max(after.recent[FIVE_MIN][1])]
        return run_bench.cleanup_problems(expected, returned, before, after)

    assert problems({expected}, result()) == []
    # The wrong partition, one too many, none.
    [wrong] = problems({"performance_monitoring_p20261103"}, result())
    assert "performance_monitoring_p20261103" in wrong
    assert problems({expected, "performance_monitoring_p20261103"}, result((2, 13333))) != []
    assert len(problems(set(), result((0, 0)))) == 2  # nothing dropped, and it said so
    # It dropped the right one but reported otherwise, or reported no row at all.
    assert problems({expected}, result((0, 0))) != []
    assert problems({expected}, []) != []
    # A table kept 10 years lost something; the 5-minute rollups lost recent rows.
    returned = result()
    returned[0] = ("error_tracking", 0, 5)
    [lost] = problems({expected}, returned)
    assert "error_tracking" in lost
    [recent] = problems({expected}, result(five_min=200), lose_recent=True)
    assert FIVE_MIN in recent
    # A partition that was not there to drop.
    before, after = snapshots(at, later, set())
    before.partitions.discard(expected)
    assert any("did not exist" in p for p in run_bench.cleanup_problems(
        expected, result(), before, after))  # fmt: skip


def dropped_by_cleanup(candidates: set[date], at: datetime, retention_days: float) -> set[date]:
    """The partitions cleanup_old_monitoring_data() drops at now() = ``at``: those whose end
    (next midnight UTC) is at or before now() - retention (its WHERE on the partition names)."""
    cutoff = at - timedelta(days=1) * retention_days
    return {
        d
        for d in candidates
        if datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(days=1) <= cutoff
    }


@pytest.mark.parametrize("hour", [0, 0.0003, 6, 11.99, 12, 18, 23.99, 23.9999])
def test_expiring_retention_drops_the_same_partitions_at_any_hour(hour):
    # The retention is chosen at ``at``; the job runs up to 10 minutes later,
    # past midnight UTC for the late hours: the same day expires, and only it.
    at = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=hour)
    today = at.date()
    candidates = {today - timedelta(days=d) for d in range(-3, 45)}
    for day in (today - timedelta(days=29), today - timedelta(days=37)):
        retention = run_bench.expiring_retention(at, day)
        for delay in (timedelta(0), timedelta(seconds=1), timedelta(minutes=10)):
            dropped = dropped_by_cleanup(candidates, at + delay, retention)
            assert dropped == {d for d in candidates if d <= day}, (at, delay, day)
