"""pgvigil components list, set, delete: the registry of monitored components."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from pgvigil.cli.common import add_command, fetch_rows, resolve_database
from pgvigil.db.queries import query
from pgvigil.errors import InvalidComponentError

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_LIST_COMPONENTS = query("list_components")
_PUT_COMPONENT = query("put_component")
_DELETE_COMPONENT = query("delete_component")


def cmd_components_list(args: argparse.Namespace) -> int:
    components = fetch_rows(resolve_database(args), _LIST_COMPONENTS)
    if args.json:
        print(json.dumps(components, indent=2, default=str))
        return 0
    print(f"{'component':<24} {'type':<12} {'health':<10} {'alerts':>6} {'criticality':<11} labels")
    for c in components:
        labels = ",".join(f"{k}={v}" for k, v in sorted(c["labels"].items()))
        alerts = f"{c['open_alerts']}" + (f" {c['top_severity']}" if c["top_severity"] else "")
        print(f"{c['component']:<24} {c['component_type'] or '-':<12} {c['health_status'] or '-':<10} "
              f"{alerts:>6} {c['criticality'] or '-':<11} {labels}")  # fmt: skip
    return 0


def _label(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise InvalidComponentError(
            f"--label {text!r}: expected NAME=VALUE",
            sqlstate="PV521",
            hint="For example --label team=payments --label env=prod.",
        )
    return name, value


def cmd_components_set(args: argparse.Namespace) -> int:
    settings: dict[str, Any] = {}
    if args.type is not None:
        settings["component_type"] = args.type
    if args.label:
        settings["labels"] = dict(_label(t) for t in args.label)
    if args.criticality is not None:
        settings["criticality"] = args.criticality
    if args.depends_on is not None:
        settings["depends_on"] = args.depends_on
    if args.description is not None:
        settings["description"] = args.description
    fetch_rows(resolve_database(args), _PUT_COMPONENT, (args.name, Jsonb(settings)))
    print(f"{args.name}: set {', '.join(sorted(settings)) or 'nothing (registered)'}")
    return 0


def cmd_components_delete(args: argparse.Namespace) -> int:
    fetch_rows(resolve_database(args), _DELETE_COMPONENT, (args.name,))
    print(f"{args.name}: deleted")
    return 0


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    components = add_command(subparsers, "components", common,
                             help="list the monitored components, set their labels and dependencies")  # fmt: skip
    actions = components.add_subparsers(dest="components_command", required=True, metavar="ACTION")
    listing = add_command(actions, "list", common, handler=cmd_components_list,
                          help="each component's health, open alerts, labels")  # fmt: skip
    listing.add_argument("--json", action="store_true")
    put = add_command(actions, "set", common, handler=cmd_components_set,
                      help="register a component or set what is given (the rest stays)")  # fmt: skip
    put.add_argument("name")
    put.add_argument("--type", help="component type, e.g. api, database, worker")
    put.add_argument("--label", action="append", metavar="NAME=VALUE",
                     help="a label every alert about it carries (repeat; replaces all its labels)")  # fmt: skip
    put.add_argument("--criticality", help="low, medium, high or critical")
    put.add_argument("--depends-on", nargs="*", metavar="COMPONENT",
                     help="the components it depends on (replaces the list; none to clear)")  # fmt: skip
    put.add_argument("--description")
    delete = add_command(actions, "delete", common, handler=cmd_components_delete,
                         help="remove a component from the registry")  # fmt: skip
    delete.add_argument("name")
