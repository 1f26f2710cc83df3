"""pgvigil schedule, unschedule and scheduler: running the periodic jobs."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from typing import TYPE_CHECKING

import psycopg

from pgvigil.cli.common import add_command, print_table, resolve_database
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

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    print("pgvigil scheduler: running the pgvigil jobs on their UTC cron schedules; Ctrl-C stops")
    with contextlib.suppress(KeyboardInterrupt):
        run_scheduler(resolve_database(args), max_minutes=args.minutes)
    return 0


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
