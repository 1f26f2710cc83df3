"""pgvigil migrate: install or upgrade the monitoring schema."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from pgvigil.cli.common import add_command, resolve_database
from pgvigil.db.migrate import migrate
from pgvigil.db.resources import default_config_path

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers


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


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    mig = add_command(
        subparsers,
        "migrate",
        common,
        help="install or upgrade the monitoring schema",
        handler=cmd_migrate,
    )
    mig.add_argument(
        "--config", type=Path, help="config loaded on first install (default: the shipped one)"
    )
