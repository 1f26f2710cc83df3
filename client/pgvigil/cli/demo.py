"""pgvigil demo: a simulated workload, then the dashboard."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

import psycopg
from psycopg.types.json import Jsonb

from pgvigil.cli.common import add_command, resolve_database
from pgvigil.db.queries import query
from pgvigil.recording import BufferedClient, MonitoringClient

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_PG_CRON_CHECK_RUNS_SINCE = query("pg_cron_check_runs_since")
_PATCH_CONFIG = query("patch_config")
_RULE_ALERTS = query("demo_rule_alerts")


def _wait_for_pg_cron_checks(conninfo: str, since: float, timeout: float) -> bool:
    """Wait until pg_cron has run the checks job successfully after since (epoch seconds)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while time.monotonic() < deadline:
            # A checks run commits check_runs with its source: no job name needed.
            row = conn.execute(_PG_CRON_CHECK_RUNS_SINCE, (since,)).fetchone()
            if row and row[0] > 0:
                return True
            time.sleep(1)
    return False


def cmd_demo(args: argparse.Namespace) -> int:
    from pgvigil.dashboard import render_summary
    from pgvigil.tools.demo import DEMO_RULES, run_demo
    from pgvigil.tools.demo_notifications import (
        DemoReceiver,
        deliver_demo_notifications,
        prepare_demo_notifications,
        print_notification_report,
    )

    conninfo = resolve_database(args)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(_PATCH_CONFIG, (Jsonb({"alert_rules": DEMO_RULES}), []))
        # Where the alerts go: a webhook receiver in this process, and one silence.
        prepare_demo_notifications(conn)
    with MonitoringClient(conninfo) as client:
        if args.buffered:
            with BufferedClient(conninfo) as buffered:
                run_demo(buffered, seed=args.seed, history_minutes=args.history_minutes,
                         live_seconds=args.live_seconds)  # fmt: skip
                buffered.flush(timeout=60)
        else:
            run_demo(client, seed=args.seed, history_minutes=args.history_minutes,
                     live_seconds=args.live_seconds)  # fmt: skip
        if args.wait_for_pg_cron:
            written_at = time.time()
            print(
                "demo: waiting for pg_cron to run the checks (it runs them every minute)...",
                flush=True,
            )
            if not _wait_for_pg_cron_checks(conninfo, written_at, args.wait_timeout):
                print("demo: pg_cron did not run the checks in time; is the job scheduled? "
                      "(pgvigil schedule)", file=sys.stderr)  # fmt: skip
                return 1
            print("demo: pg_cron ran the checks.\n")
        print(render_summary(client.get_dashboard_summary(), color=sys.stdout.isatty()))
    _print_rule_alerts(conninfo)
    if args.wait_for_pg_cron:
        # pg_cron's checks decided the notifications (the outbox); deliver
        # them to a receiver in this process, as pgvigil worker would.
        receiver = DemoReceiver()
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                report = deliver_demo_notifications(conn, receiver)
            print()
            print_notification_report(report, receiver)
        finally:
            receiver.close()
    return 0


def _print_rule_alerts(conninfo: str) -> None:
    """The alerts of rules, firing and pending, with their labels: what the
    notification issue will route on."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        alerts = conn.execute(_RULE_ALERTS).fetchall()
    if not alerts:
        return
    print("alerts from rules (monitoring.v_active_alerts):")
    for state, severity, fingerprint, labels in alerts:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
        print(f"  {state:<8} {severity:<9} {fingerprint or '(pending)':<17} {{{shown}}}")


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    demo = add_command(
        subparsers,
        "demo",
        common,
        help="write a realistic simulated workload and show the dashboard",
        handler=cmd_demo,
    )
    demo.add_argument("--seed", type=int, default=None)
    demo.add_argument("--history-minutes", type=int, default=60)
    demo.add_argument("--live-seconds", type=float, default=0.0)
    demo.add_argument("--buffered", action="store_true",
                      help="write the workload through a BufferedClient instead of MonitoringClient")  # fmt: skip
    demo.add_argument("--wait-for-pg-cron", action="store_true",
                      help="after writing, wait until pg_cron has run the checks")  # fmt: skip
    demo.add_argument("--wait-timeout", type=float, default=150.0)
