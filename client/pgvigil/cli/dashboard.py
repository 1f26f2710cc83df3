"""pgvigil status: the dashboard summary."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from pgvigil.cli.common import add_command, resolve_database
from pgvigil.recording import MonitoringClient

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers


def cmd_status(args: argparse.Namespace) -> int:
    from pgvigil.dashboard import render_summary

    with MonitoringClient(resolve_database(args)) as client:
        summary = client.get_dashboard_summary()
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(render_summary(summary, color=sys.stdout.isatty()))
    return 0


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    status = add_command(
        subparsers, "status", common, help="the dashboard summary", handler=cmd_status
    )
    status.add_argument("--json", action="store_true", help="print the raw jsonb document")
