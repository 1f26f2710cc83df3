"""pgvigil schedule, unschedule and scheduler: running the periodic jobs."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING

import psycopg

from pgvigil.cli.common import add_command, configure_logging, print_table, resolve_database
from pgvigil.db.queries import query

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_SCHEDULE_JOBS = query("schedule_jobs")
_UNSCHEDULE_JOBS = query("unschedule_jobs")


def cmd_schedule(args: argparse.Namespace) -> int:
    with psycopg.connect(resolve_database(args), autocommit=True) as conn:
        conn.add_notice_handler(lambda d: print(f"NOTICE: {d.message_primary}", file=sys.stderr))
        rows = conn.execute(_SCHEDULE_JOBS).fetchall()
    print_table(rows, ("job", "schedule (UTC)", "pg_cron job id"))
    return 0


def cmd_unschedule(args: argparse.Namespace) -> int:
    with psycopg.connect(resolve_database(args), autocommit=True) as conn:
        row = conn.execute(_UNSCHEDULE_JOBS).fetchone()
    print(f"removed {row[0] if row else 0} pg_cron jobs")
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from pgvigil.jobs.scheduler import run_scheduler

    configure_logging()
    print("pgvigil scheduler: running the pgvigil jobs on their UTC cron schedules; Ctrl-C stops")
    with contextlib.suppress(KeyboardInterrupt):
        run_scheduler(resolve_database(args), max_minutes=args.minutes)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import signal
    import threading

    from pgvigil.jobs.worker import run_worker

    configure_logging()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    doing = ("delivering notifications" if args.delivery_only else
             "evaluating the alert rules" + ("" if args.no_delivery else " and delivering notifications"))  # fmt: skip
    print(f"pgvigil worker: {doing} every {args.interval:g} s"
          " and on health changes and critical errors; Ctrl-C stops", flush=True)  # fmt: skip
    with contextlib.suppress(KeyboardInterrupt):
        stats = run_worker(resolve_database(args), interval=args.interval, stop=stop,
                           max_evaluations=args.evaluations, evaluate=not args.delivery_only,
                           deliver=not args.no_delivery)  # fmt: skip
        print(f"pgvigil worker: {stats.evaluations} {'cycles' if args.delivery_only else 'evaluations'}"
              f" ({stats.woken_by_events} on events, {stats.skipped} skipped),"
              f" {stats.delivered} notifications delivered, stopped", flush=True)  # fmt: skip
    return 0


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a number of seconds > 0")
    return value


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    add_command(
        subparsers, "schedule", common, help="install the pg_cron jobs", handler=cmd_schedule
    )
    add_command(
        subparsers, "unschedule", common, help="remove the pg_cron jobs", handler=cmd_unschedule
    )
    sched = add_command(
        subparsers,
        "scheduler",
        common,
        help="run the scheduled jobs from Python (without pg_cron)",
        handler=cmd_scheduler,
    )
    sched.add_argument("--minutes", type=int, help="stop after this many minutes")
    worker = add_command(
        subparsers,
        "worker",
        common,
        help="evaluate the alert rules every few seconds, and at once on important events",
        handler=cmd_worker,
    )
    worker.add_argument("--interval", type=_positive_seconds, default=5.0,
                        help="seconds between evaluations (default 5)")  # fmt: skip
    worker.add_argument("--evaluations", type=int, help="stop after this many evaluations")
    only = worker.add_mutually_exclusive_group()
    only.add_argument("--no-delivery", action="store_true",
                      help="only evaluate; other workers deliver the notifications")  # fmt: skip
    only.add_argument("--delivery-only", action="store_true",
                      help="only deliver the notifications; other workers (or pg_cron) evaluate")  # fmt: skip
