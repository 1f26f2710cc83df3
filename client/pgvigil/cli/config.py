"""pgvigil config show, validate and apply."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from pgvigil.cli.common import add_command, resolve_database
from pgvigil.db.config import (
    apply_config_file,
    config_diff,
    config_patch_of,
    load_config_file,
    merged_config,
    patch_config_file,
    read_config_file,
)
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
    # A whole config file, offline; a partial one is checked, merged, by
    # `config diff` and `config apply` (the database checks the rules).
    load_config_file(args.file)
    print(f"{args.file}: valid")
    return 0


def cmd_config_apply(args: argparse.Namespace) -> int:
    conninfo = resolve_database(args)
    if args.replace:
        apply_config_file(conninfo, args.file)
        print(f"applied {args.file} (the whole config)")
    else:
        patch_config_file(conninfo, args.file)
        print(f"applied {args.file} over the active config")
    return 0


def cmd_config_diff(args: argparse.Namespace) -> int:
    """Like diff(1): exit 0 when applying the file would change nothing, 1 when it would."""
    conninfo = resolve_database(args)
    if args.replace:
        with psycopg.connect(conninfo) as conn:
            row = conn.execute(_SHOW_CONFIG).fetchone()
        before, after = (row[0] if row else {}), read_config_file(args.file)
    else:
        before, after = merged_config(conninfo, *config_patch_of(read_config_file(args.file)))
    diff = config_diff(before, after, label=f"after applying {args.file}")
    sys.stdout.write(diff)
    return 1 if diff else 0


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    config = add_command(
        subparsers, "config", common, help="show, validate, diff or apply the config"
    )
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    add_command(
        actions, "show", common, help="print the active (effective) config", handler=cmd_config_show
    )
    apply = add_command(actions, "apply", common, handler=cmd_config_apply,
                        help="apply a config file (JSON or YAML) over the active config")  # fmt: skip
    diff = add_command(actions, "diff", common, handler=cmd_config_diff,
                       help="show what applying a config file would change")  # fmt: skip
    for p in (apply, diff):
        p.add_argument("file", type=Path)
        p.add_argument("--replace", action="store_true",
                       help="the file is the whole config, not changes to the active one")  # fmt: skip
    validate = add_command(actions, "validate", common, handler=cmd_config_validate,
                           help="check a whole config file offline (partial files: config diff)")  # fmt: skip
    validate.add_argument("file", type=Path)
