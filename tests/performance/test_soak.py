"""``scripts/soak --quick`` runs a sustained load and its verdict holds.

The soak starts its own durable throwaway cluster, runs 20 s of mixed,
rate-limited load through two BufferedClients with the scheduled jobs beside
it, and judges: queue depth flat, RSS flat, zero errors, everything written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_quick_soak_verdict_holds(tmp_path):
    out = tmp_path / "soak.json"
    # The cluster's parent directory: our own, traversable by the postgres OS user.
    parent = Path(tempfile.mkdtemp(prefix="pgvigil-soak-test-"))
    parent.chmod(0o755)
    try:
        result = subprocess.run(
            [str(ROOT / "scripts" / "soak"), "--quick", "--out", str(out), "--tmpdir", str(parent)],
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        assert list(parent.iterdir()) == [], "the soak left its cluster behind"
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["mode"] == "quick"
    assert document["machine"]["postgresql_settings"]["fsync"] == "on"
    verdict = document["verdict"]
    assert verdict["ok"] is True, verdict
    assert set(verdict["checks"]) == {"queue_depth_flat", "rss_flat", "zero_errors", "all_written"}
    assert all(check["ok"] and check["rule"] for check in verdict["checks"].values())

    samples = document["samples"]
    assert len(samples) >= 8  # every 2 s over 20 s, plus the one after the final flush
    times = [s["t"] for s in samples]
    assert times == sorted(times) and times[-1] >= 19
    for key in ("queue_depth", "queued", "written", "dropped", "write_failures", "rss_mib",
                "db_mib", "performance_rows", "job_errors"):  # fmt: skip
        assert all(key in s for s in samples), key
    assert samples[-1]["performance_rows"] > 0 and samples[-1]["rss_mib"] > 0

    final = document["final"]
    assert final["written"] == final["queued"] > 0
    assert final["performance_rows"] == final["samples_produced"] > 0
    assert final["task_rows"] == final["tasks_started"] > 0
    assert document["side_jobs"]["runs"].get("run_monitoring_checks", 0) >= 1
    assert document["side_jobs"]["errors"] == []

    assert "verdict: HOLDS" in result.stdout
