"""The ``pgvigil`` command line.

Connection, as psql: ``--database DSN`` (a conninfo string or URL), else
``DATABASE_URL``, else the libpq ``PG*`` variables when any is set, else the
embedded cluster of ``pgvigil up`` when it is running.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from pgvigil import __version__
from pgvigil.client import MonitoringClient
from pgvigil.cluster import ClusterError, LocalCluster, default_home
from pgvigil.config import apply_config_file, load_config_file
from pgvigil.errors import PgvigilError, from_psycopg
from pgvigil.migrate import migrate
from pgvigil.resources import default_config_path

_LIBPQ_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE")


def _local_cluster(args: argparse.Namespace) -> LocalCluster:
    return LocalCluster(Path(args.home) if args.home else default_home())


def resolve_database(args: argparse.Namespace) -> str:
    """The conninfo to use, following the order in the module docstring."""
    if args.database:
        return str(args.database)
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    if any(os.environ.get(name) for name in _LIBPQ_VARIABLES):
        return ""
    cluster = _local_cluster(args)
    if cluster.is_initialized():
        return cluster.conninfo()
    return ""


def _print_table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def cmd_up(args: argparse.Namespace) -> int:
    cluster = _local_cluster(args)
    print(f"pgvigil: local PostgreSQL under {cluster.home}")
    cluster.start()
    conninfo = cluster.conninfo()
    report = migrate(conninfo)
    print(f"pgvigil: migrated ({len(report.migrations_applied)} migrations, "
          f"{len(report.sources_applied)} functions/views applied)")  # fmt: skip
    with psycopg.connect(conninfo, autocommit=True) as conn:
        jobs = conn.execute("SELECT job_name, schedule FROM monitoring.schedule_jobs()").fetchall()
    print(f"pgvigil: {len(jobs)} pg_cron jobs scheduled")
    print(f'pgvigil: ready. Connect with: psql "{conninfo}"')
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    cluster = _local_cluster(args)
    if args.destroy:
        cluster.destroy()
        print(f"pgvigil: local cluster stopped and {cluster.home} deleted")
    elif cluster.stop():
        print("pgvigil: local cluster stopped")
    else:
        print("pgvigil: local cluster was not running")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    report = migrate(resolve_database(args), config_file=args.config)
    for migration in report.migrations_applied:
        print(f"applied migration {migration}")
    for source in report.sources_applied:
        print(f"applied {source}")
    if report.config_loaded:
        print(f"loaded config {args.config or default_config_path()}")
    if report.partitions_created:
        print(f"created {report.partitions_created} partitions")
    print("schema up to date" if not report.changed else "migrate done")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    if args.config_command == "validate":
        load_config_file(args.file)
        print(f"{args.file}: valid")
        return 0
    if args.config_command == "apply":
        apply_config_file(resolve_database(args), args.file)
        print(f"applied {args.file}")
        return 0
    with psycopg.connect(resolve_database(args)) as conn:
        row = conn.execute(
            "SELECT document, applied_at, applied_by FROM monitoring.config"
        ).fetchone()
    if row is None:
        print("no config loaded: run pgvigil migrate", file=sys.stderr)
        return 1
    print(json.dumps(row[0], indent=2))
    print(f"# applied {row[1]} by {row[2]}", file=sys.stderr)
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    with psycopg.connect(resolve_database(args), autocommit=True) as conn:
        conn.add_notice_handler(lambda d: print(f"NOTICE: {d.message_primary}", file=sys.stderr))
        rows = conn.execute(
            "SELECT job_name, schedule, job_id FROM monitoring.schedule_jobs()"
        ).fetchall()
    _print_table(rows, ("job", "schedule (UTC)", "pg_cron job id"))
    return 0


def cmd_unschedule(args: argparse.Namespace) -> int:
    with psycopg.connect(resolve_database(args), autocommit=True) as conn:
        row = conn.execute("SELECT monitoring.unschedule_jobs()").fetchone()
    print(f"removed {row[0] if row else 0} pg_cron jobs")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    with psycopg.connect(resolve_database(args)) as conn, conn.transaction():
        runs = conn.execute(
            "SELECT check_name, alerts, round(duration_ms::numeric, 1)"
            " FROM monitoring.run_monitoring_checks('manual')"
        ).fetchall()
        # Events written by this run share its transaction timestamp.
        changes = conn.execute(
            "SELECT e.event_type, e.alert_id, a.alert_type, a.subject, e.previous_severity,"
            " e.severity, a.title FROM monitoring.alert_events e"
            " JOIN monitoring.alerts a USING (alert_id)"
            " WHERE e.occurred_at = now() ORDER BY e.event_id"
        ).fetchall()
    if not runs:
        print("another check run is in progress; skipped")
        return 0
    _print_table(runs, ("check", "alerts", "ms"))
    print()
    if changes:
        _print_table(changes, ("change", "alert", "type", "subject", "was", "severity", "title"))
    else:
        print("no alert changed")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from pgvigil.status import render_summary

    with MonitoringClient(resolve_database(args)) as client:
        summary = client.get_dashboard_summary()
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(render_summary(summary, color=sys.stdout.isatty()))
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    from pgvigil.collect import collect

    with MonitoringClient(resolve_database(args)) as client:
        try:
            written = collect(
                client, interval=args.interval, count=args.count, component=args.component
            )
        except KeyboardInterrupt:
            return 0
    print(f"recorded {written} samples")
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from pgvigil.scheduler import run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    print(
        "pgvigil scheduler: running the pgvigil jobs on their UTC cron schedules; Ctrl-C stops"
    )
    with contextlib.suppress(KeyboardInterrupt):
        run_scheduler(resolve_database(args), max_minutes=args.minutes)
    return 0


def _wait_for_pg_cron_checks(conninfo: str, since: float, timeout: float) -> bool:
    """Wait until pg_cron has run the checks job successfully after ``since`` (epoch seconds)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)"
                " WHERE j.jobname = 'pgvigil-monitoring-checks' AND d.status = 'succeeded'"
                " AND d.start_time >= to_timestamp(%s)",
                (since,),
            ).fetchone()
            if row and row[0] > 0:
                return True
            time.sleep(1)
    return False


def cmd_demo(args: argparse.Namespace) -> int:
    from pgvigil.demo import run_demo
    from pgvigil.status import render_summary

    conninfo = resolve_database(args)
    with MonitoringClient(conninfo) as client:
        run_demo(
            client,
            seed=args.seed,
            history_minutes=args.history_minutes,
            live_seconds=args.live_seconds,
        )
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
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgvigil", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"pgvigil {__version__}")
    parser.add_argument(
        "-d", "--database", metavar="DSN", help="conninfo string or postgresql:// URL"
    )
    parser.add_argument("--home", help="data home of the embedded cluster (default: $PGVIGIL_HOME)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser(
        "up", help="start the embedded PostgreSQL with pg_cron, migrate, schedule"
    ).set_defaults(func=cmd_up)
    down = sub.add_parser("down", help="stop the embedded PostgreSQL")
    down.add_argument("--destroy", action="store_true", help="also delete its data")
    down.set_defaults(func=cmd_down)

    mig = sub.add_parser("migrate", help="install or upgrade the monitoring schema")
    mig.add_argument(
        "--config", type=Path, help="config loaded on first install (default: the shipped one)"
    )
    mig.set_defaults(func=cmd_migrate)

    config = sub.add_parser("config", help="show, validate or apply the config")
    config_sub = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    config_sub.add_parser("show", help="print the active config")
    for action in ("apply", "validate"):
        p = config_sub.add_parser(action, help=f"{action} a config file")
        p.add_argument("file", type=Path)
    config.set_defaults(func=cmd_config)

    sub.add_parser("schedule", help="install the pg_cron jobs").set_defaults(func=cmd_schedule)
    sub.add_parser("unschedule", help="remove the pg_cron jobs").set_defaults(func=cmd_unschedule)
    sub.add_parser("check", help="run the alert checks now and print what changed").set_defaults(
        func=cmd_check
    )

    status = sub.add_parser("status", help="the dashboard summary")
    status.add_argument("--json", action="store_true", help="print the raw jsonb document")
    status.set_defaults(func=cmd_status)

    collect = sub.add_parser("collect", help="record CPU, memory, disk and network as metrics")
    collect.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    collect.add_argument("--count", type=int, help="stop after this many samples (default: never)")
    collect.add_argument("--component", default="system")
    collect.set_defaults(func=cmd_collect)

    sched = sub.add_parser("scheduler", help="run the scheduled jobs from Python (without pg_cron)")
    sched.add_argument("--minutes", type=int, help="stop after this many minutes")
    sched.set_defaults(func=cmd_scheduler)

    demo = sub.add_parser(
        "demo", help="write a realistic simulated workload and show the dashboard"
    )
    demo.add_argument("--seed", type=int, default=None)
    demo.add_argument("--history-minutes", type=int, default=60)
    demo.add_argument("--live-seconds", type=float, default=0.0)
    demo.add_argument("--wait-for-pg-cron", action="store_true",
                      help="after writing, wait until pg_cron has run the checks")  # fmt: skip
    demo.add_argument("--wait-timeout", type=float, default=150.0)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except PgvigilError as exc:
        return _report_error(exc)
    except psycopg.Error as exc:
        return _report_error(from_psycopg(exc))
    except ClusterError as exc:
        print(f"pgvigil: {exc}", file=sys.stderr)
        return 2


def _report_error(exc: PgvigilError) -> int:
    print(f"pgvigil: error [{exc.sqlstate or '-'}]: {exc.message}", file=sys.stderr)
    if exc.detail:
        print(f"DETAIL: {exc.detail}", file=sys.stderr)
    if exc.hint:
        print(f"HINT: {exc.hint}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
