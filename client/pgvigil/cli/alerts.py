"""pgvigil check: run the alert checks now."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import psycopg

from pgvigil.cli.common import add_command, print_table, resolve_database
from pgvigil.db.queries import query

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_RUN_CHECKS = query("run_checks_manual")
_ALERT_CHANGES = query("alert_changes_of_this_transaction")


def cmd_check(args: argparse.Namespace) -> int:
    with psycopg.connect(resolve_database(args)) as conn, conn.transaction():
        runs = conn.execute(_RUN_CHECKS).fetchall()
        # Events written by this run share its transaction timestamp.
        changes = conn.execute(_ALERT_CHANGES).fetchall()
    if not runs:
        print("another check run is in progress; skipped")
        return 0
    print_table(runs, ("check", "alerts", "ms"))
    print()
    if changes:
        print_table(changes, ("change", "alert", "type", "subject", "was", "severity", "title"))
    else:
        print("no alert changed")
    return 0


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    add_command(
        subparsers,
        "check",
        common,
        help="run the alert checks now and print what changed",
        handler=cmd_check,
    )
