"""pgvigil rules list, show, apply, test, enable, disable, delete."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from psycopg.types.json import Jsonb

from pgvigil.cli.common import add_command, fetch_rows, resolve_database
from pgvigil.db.queries import query
from pgvigil.errors import InvalidConfigError

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_LIST_RULES = query("list_alert_rules")
_SHOW_RULE = query("show_alert_rule")
_PATCH_CONFIG = query("patch_config")
_TEST_RULE = query("test_alert_rule")
_SET_RULE_ENABLED = query("set_alert_rule_enabled")
_DELETE_RULE = query("delete_alert_rule")


def cmd_rules_list(args: argparse.Namespace) -> int:
    rules = fetch_rows(resolve_database(args), _LIST_RULES)
    if args.json:
        print(json.dumps(rules, indent=2, default=str))
        return 0
    print(
        f"{'rule':<28} {'source':<10} {'on':<3} {'for':>6} {'pending':>7} {'firing':>6}  description"
    )
    for r in rules:
        print(f"{r['rule_name']:<28} {r['source_kind']:<10} {'yes' if r['enabled'] else 'no':<3} "
              f"{r['for_seconds']:>5g}s {r['pending_groups']:>7} {r['firing_alerts']:>6}  "
              f"{r['description'] or ''}")  # fmt: skip
    return 0


def cmd_rules_show(args: argparse.Namespace) -> int:
    rows = fetch_rows(resolve_database(args), _SHOW_RULE, (args.name,))
    if not rows:
        print(f"no alert rule named {args.name} (pgvigil rules list)", file=sys.stderr)
        return 1
    print(json.dumps(rows[0]["definition"], indent=2))
    return 0


def _rules_file(path: Path) -> list[dict[str, Any]]:
    """A rules file: a list of rules, or an object with alert_rules, in YAML or
    JSON (YAML reads JSON too)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidConfigError(
            f"{path} is not valid YAML or JSON: {exc}", sqlstate="PV301"
        ) from exc
    rules = document.get("alert_rules") if isinstance(document, dict) else document
    if not isinstance(rules, list):
        raise InvalidConfigError(
            f"{path}: expected a list of rules, or an object with alert_rules",
            sqlstate="PV301",
            hint='A rules file is [{"name": ..., "source": ...}, ...] or {"alert_rules": [...]}.',
        )
    return rules


def cmd_rules_apply(args: argparse.Namespace) -> int:
    rules = _rules_file(args.file)
    fetch_rows(resolve_database(args), _PATCH_CONFIG, (Jsonb({"alert_rules": rules}), []))
    print(f"applied {len(rules)} rule(s) from {args.file}")
    return 0


def cmd_rules_test(args: argparse.Namespace) -> int:
    if args.file:
        candidates = [r for r in _rules_file(args.file) if r.get("name") == args.name]
        if not candidates:
            print(f"{args.file} has no rule named {args.name}", file=sys.stderr)
            return 1
        rule: dict[str, Any] = candidates[0]
    else:
        rule = {"name": args.name}
    rows = fetch_rows(resolve_database(args), _TEST_RULE, (Jsonb(rule),))
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    if not rows:
        print(f"{args.name}: no data for any group now")
        return 0
    print(f"{'group':<40} {'value':>12} {'severity':<9} {'now':<9} would be")
    for r in rows:
        group = ",".join(f"{k}={v}" for k, v in sorted(r["group_labels"].items())) or "(all)"
        value = "-" if r["value"] is None else f"{r['value']:.4g}"
        print(f"{group:<40} {value:>12} {r['severity'] or '-':<9} {r['state']:<9} {r['would_be']}")
    return 0


def cmd_rules_enable(args: argparse.Namespace) -> int:
    fetch_rows(
        resolve_database(args), _SET_RULE_ENABLED, (args.name, args.rules_command == "enable")
    )
    print(f"{args.name}: {args.rules_command}d")
    return 0


def cmd_rules_delete(args: argparse.Namespace) -> int:
    fetch_rows(resolve_database(args), _DELETE_RULE, (args.name,))
    print(f"{args.name}: deleted")
    return 0


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    rules = add_command(subparsers, "rules", common, help="list, show, apply and test alert rules")
    actions = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    listing = add_command(actions, "list", common, help="the rules, with pending and firing counts",
                          handler=cmd_rules_list)  # fmt: skip
    listing.add_argument("--json", action="store_true")
    show = add_command(
        actions, "show", common, help="one rule as configured", handler=cmd_rules_show
    )
    show.add_argument("name")
    apply = add_command(actions, "apply", common, handler=cmd_rules_apply,
                        help="create or change the rules of a file (by name; the others stay)")  # fmt: skip
    apply.add_argument("file", type=Path)
    test = add_command(actions, "test", common, handler=cmd_rules_test,
                       help="evaluate a rule now and show what it would fire (changes nothing)")  # fmt: skip
    test.add_argument("name")
    test.add_argument(
        "--file", type=Path, help="test the rule of this name from a file, not the config"
    )
    test.add_argument("--json", action="store_true")
    for action in ("enable", "disable"):
        p = add_command(actions, action, common, help=f"{action} a rule", handler=cmd_rules_enable)
        p.add_argument("name")
    delete = add_command(actions, "delete", common, help="remove a rule (shipped ones: disable)",
                         handler=cmd_rules_delete)  # fmt: skip
    delete.add_argument("name")
