"""The demo's live workload as a process of its own, left running by
``pgvigil demo --serve`` for an hour so that the dashboard has something to
show arriving: a few tasks a second, their errors, health and queue
samples, written in real time as ``pgvigil demo --live-seconds`` does.
SIGTERM (``pgvigil down``) cancels the tasks in flight and ends it.

    python -m pgvigil.tools.demo_live --seconds 3600"""

from __future__ import annotations

import argparse
import signal
from typing import Any

from pgvigil.cli.common import resolve_database
from pgvigil.recording import MonitoringClient
from pgvigil.tools.demo import run_live_workload


def _stop(*_: Any) -> None:
    raise SystemExit(0)  # unwinds through the workload, which cancels its tasks in flight


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pgvigil.tools.demo_live")
    parser.add_argument("--seconds", type=float, default=3600.0)
    parser.add_argument("--database", "-d", default=None)
    parser.add_argument("--home", default=None)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    with MonitoringClient(resolve_database(args)) as client:
        run_live_workload(client, args.seconds, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
