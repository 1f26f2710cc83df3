"""pgvigil check: run the alert checks now."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import psycopg

from pgvigil.cli.common import add_command, print_table, resolve_database

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers


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
