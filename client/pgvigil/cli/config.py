"""pgvigil config show, validate and apply."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from pgvigil.cli.common import add_command, resolve_database
from pgvigil.db.config import apply_config_file, load_config_file
from pgvigil.db.queries import query

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_SHOW_CONFIG = query("show_config")


def cmd_config_show(args: argparse.Namespace) -> int:
    with psycopg.connect(resolve_database(args)) as conn:
        row = conn.execute(_SHOW_CONFIG).fetchone()
    if row is None:
        print("no config loaded: run pgvigil migrate", file=sys.stderr)
        return 1
    print(json.dumps(row[0], indent=2))
    print(f"# applied {row[1]} by {row[2]}", file=sys.stderr)
    return 0


def cmd_config_validate(args: argparse.Namespace) -> int:
    load_config_file(args.file)
    print(f"{args.file}: valid")
    return 0


def cmd_config_apply(args: argparse.Namespace) -> int:
    apply_config_file(resolve_database(args), args.file)
    print(f"applied {args.file}")
    return 0


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    config = add_command(subparsers, "config", common, help="show, validate or apply the config")
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    add_command(actions, "show", common, help="print the active config", handler=cmd_config_show)
    for action, handler in (("apply", cmd_config_apply), ("validate", cmd_config_validate)):
        p = add_command(actions, action, common, help=f"{action} a config file", handler=handler)
        p.add_argument("file", type=Path)
