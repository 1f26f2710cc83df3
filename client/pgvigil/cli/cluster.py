"""pgvigil up and pgvigil down: the embedded PostgreSQL."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import psycopg

from pgvigil.cli.common import add_command, local_cluster
from pgvigil.db.migrate import migrate
from pgvigil.db.queries import query
from pgvigil.tools import background

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_SCHEDULE_JOBS = query("schedule_jobs")


def cmd_up(args: argparse.Namespace) -> int:
    cluster = local_cluster(args)
    print(f"pgvigil: local PostgreSQL under {cluster.home}")
    cluster.start()
    conninfo = cluster.conninfo()
    report = migrate(conninfo)
    print(f"pgvigil: migrated ({len(report.migrations_applied)} migrations, "
          f"{len(report.sources_applied)} functions/views applied)")  # fmt: skip
    with psycopg.connect(conninfo, autocommit=True) as conn:
        jobs = conn.execute(_SCHEDULE_JOBS).fetchall()
    print(f"pgvigil: {len(jobs)} pg_cron jobs scheduled")
    print(f'pgvigil: ready. Connect with: psql "{conninfo}"')
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    cluster = local_cluster(args)
    # What pgvigil demo --serve left running (pgvigil serve, its receiver) goes first.
    for name in background.stop_all(cluster.home):
        print(f"pgvigil: {name} stopped")
    if args.destroy:
        cluster.destroy()
        print(f"pgvigil: local cluster stopped and {cluster.home} deleted")
    elif cluster.stop():
        print("pgvigil: local cluster stopped")
    else:
        print("pgvigil: local cluster was not running")
    return 0


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    add_command(
        subparsers,
        "up",
        common,
        help="start the embedded PostgreSQL with pg_cron, migrate, schedule",
        handler=cmd_up,
    )
    down = add_command(
        subparsers, "down", common, help="stop the embedded PostgreSQL", handler=cmd_down
    )
    down.add_argument("--destroy", action="store_true", help="also delete its data")
