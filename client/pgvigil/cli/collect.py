"""pgvigil collect: record this host's system metrics."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pgvigil.cli.common import add_command, resolve_database
from pgvigil.recording import BufferedClient, MonitoringClient

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers


def cmd_collect(args: argparse.Namespace) -> int:
    from pgvigil.tools.collect import collect

    conninfo = resolve_database(args)
    client_class = BufferedClient if args.buffered else MonitoringClient
    with client_class(conninfo) as client:
        try:
            written = collect(
                client, interval=args.interval, count=args.count, component=args.component
            )
        except KeyboardInterrupt:
            return 0
    print(f"recorded {written} samples")
    return 0


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    collect = add_command(
        subparsers,
        "collect",
        common,
        help="record CPU, memory, disk and network as metrics",
        handler=cmd_collect,
    )
    collect.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    collect.add_argument("--count", type=int, help="stop after this many samples (default: never)")
    collect.add_argument("--component", default="system")
    collect.add_argument(
        "--buffered",
        action="store_true",
        help="record through a BufferedClient (queued, written in batches, never blocking)",
    )
