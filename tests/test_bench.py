"""``scripts/bench --quick`` runs end to end and reports every measurement.

Behaviour only: every measurement is there with a positive number, the
machine facts are recorded, the table is printed and the throwaway cluster is
gone afterwards. No assertion on speed: that is what the benchmark reports.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
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
    "history.load",
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
}


def test_quick_benchmark_reports_every_measurement(tmp_path):
    out = tmp_path / "bench.json"
    # The cluster's parent directory: our own (others may run the benchmark at
    # the same time), traversable by the postgres OS user.
    parent = Path(tempfile.mkdtemp(prefix="pgvigil-bench-test-"))
    parent.chmod(0o755)
    try:
        result = subprocess.run(
            [str(ROOT / "scripts" / "bench"), "--quick", "--out", str(out), "--tmpdir", str(parent)],
            capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-4000:]
        assert list(parent.iterdir()) == [], "the benchmark left its cluster behind"
    finally:
        shutil.rmtree(parent, ignore_errors=True)

    document = json.loads(out.read_text(encoding="utf-8"))
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
