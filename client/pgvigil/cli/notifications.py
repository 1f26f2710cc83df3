"""pgvigil alerts, ack, silence, notifications, notify: what on-call
engineers do from a terminal. Matchers and durations are written as amtool
writes them (``service=~"api|web"``, ``2h``); the database parses and
checks them (PV602, PV604), so the CLI, the worker and the server agree."""

from __future__ import annotations

import argparse
import json
import os
import socket
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
from psycopg.rows import dict_row

from pgvigil.cli.common import add_command, fetch_rows, print_table, resolve_database
from pgvigil.db.queries import query
from pgvigil.errors import UnknownSilenceError
from pgvigil.notify.delivery import deliver_due

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_ACTIVE_ALERTS = query("list_active_alerts")
_ALL_ALERTS = query("list_all_alerts")
_ACKNOWLEDGE = query("acknowledge_alert")
_CREATE_SILENCE = query("create_silence")
_LIST_SILENCES = query("list_silences")
_EXPIRE_SILENCE = query("expire_silence")
_NOTIFICATION_LOG = query("list_notification_log")
_SEND_TEST = query("send_test_notification")
_NOTIFICATION_STATUS = query("notification_status")


def _print_json(rows: list[dict[str, Any]]) -> None:
    print(json.dumps(rows, indent=2, default=str))


def _labels(labels: dict[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))


def cmd_alerts(args: argparse.Namespace) -> int:
    statement = _ALL_ALERTS if args.all else _ACTIVE_ALERTS
    alerts = fetch_rows(
        resolve_database(args), statement, {"matchers": args.matchers or None, "limit": args.limit}
    )
    if args.json:
        _print_json(alerts)
        return 0
    if not alerts:
        print("no alerts" if args.all else "no active alerts")
        return 0
    print_table(
        [(a["alert_id"] or "-", a["severity"], a["state"], a["subject"], a["since"], _labels(a["labels"]))
         for a in alerts],
        ("id", "severity", "state", "subject", "since", "labels"),
    )  # fmt: skip
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    with psycopg.connect(resolve_database(args), autocommit=True) as conn:
        for alert_id in args.alert_ids:
            params = {"alert_id": alert_id, "by": args.by, "note": args.note}
            row = conn.execute(_ACKNOWLEDGE, params).fetchone()
            print(
                f"alert {alert_id}: {'acknowledged' if row and row[0] else 'already acknowledged'}"
            )
    return 0


def cmd_silence_add(args: argparse.Namespace) -> int:
    row = fetch_rows(
        resolve_database(args),
        _CREATE_SILENCE,
        {"matchers": args.matchers, "comment": args.comment, "until": args.until,
         "duration": None if args.until else args.duration, "start": args.start, "author": args.author},
    )[0]  # fmt: skip
    print(row["silence_id"])
    return 0


def cmd_silence_list(args: argparse.Namespace) -> int:
    silences = fetch_rows(resolve_database(args), _LIST_SILENCES, {"expired": args.expired})
    if args.json:
        _print_json(silences)
        return 0
    if not silences:
        print("no silences")
        return 0
    print_table(
        [(s["silence_id"], s["state"], s["matchers_text"], s["ends_at"], s["created_by"], s["comment"],
          s["suppressed_notifications"]) for s in silences],
        ("id", "state", "matchers", "ends", "created by", "comment", "held back"),
    )  # fmt: skip
    return 0


def _silence_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise UnknownSilenceError(
            f"unknown silence: {text!r} is not a silence id",
            sqlstate="PV609",
            hint="List silences with pgvigil silence list: ids are UUIDs.",
        ) from None


def cmd_silence_expire(args: argparse.Namespace) -> int:
    ids = [_silence_id(s) for s in args.silence_ids]
    with psycopg.connect(resolve_database(args), autocommit=True) as conn:
        for silence_id in ids:
            row = conn.execute(_EXPIRE_SILENCE, (silence_id,)).fetchone()
            print(f"{silence_id}: {'expired' if row and row[0] else 'had already expired'}")
    return 0


def cmd_notifications(args: argparse.Namespace) -> int:
    log = fetch_rows(resolve_database(args), _NOTIFICATION_LOG, {"limit": args.limit})
    if args.json:
        _print_json(log)
        return 0
    if not log:
        print("no notifications")
        return 0
    print_table(
        [(n["notification_id"], n["created_at"], n["receiver"], n["integration"].removesuffix("_configs"),
          n["reason"], n["status"], n["attempts"], n["last_status_code"] or "-", n["last_error"] or "")
         for n in log],
        ("id", "created", "receiver", "via", "reason", "status", "attempts", "code", "last error"),
    )  # fmt: skip
    return 0


def cmd_notify_test(args: argparse.Namespace) -> int:
    """Write a test notification for each integration of the receiver and
    deliver it from here, with this process's secrets, as the worker would."""
    worker = f"pgvigil-notify-test@{socket.gethostname()}:{os.getpid()}"
    with psycopg.connect(resolve_database(args), autocommit=True) as conn:
        ids = [r[0] for r in conn.execute(_SEND_TEST, (args.receiver,)).fetchall()]
        with httpx.Client() as client:
            deliver_due(conn, client, worker=worker, only=ids, flush=False)
        cur = conn.cursor(row_factory=dict_row)
        results = cur.execute(_NOTIFICATION_STATUS, (ids,)).fetchall()
    print_table(
        [(r["integration"].removesuffix("_configs"), r["integration_index"], r["status"],
          r["last_status_code"] or "-", r["last_error"] or "") for r in results],
        ("via", "#", "status", "code", "error"),
    )  # fmt: skip
    return 0 if all(r["status"] == "delivered" for r in results) else 1


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    alerts = add_command(
        subparsers, "alerts", common, help="list active alerts (amtool matchers filter them)",
        handler=cmd_alerts,
    )  # fmt: skip
    alerts.add_argument("matchers", nargs="*", metavar="MATCHER",
                        help='only alerts whose labels match, e.g. severity=critical service=~"api|web"')  # fmt: skip
    alerts.add_argument("--all", action="store_true", help="resolved alerts too, newest first")
    alerts.add_argument("--limit", type=int, default=100, help="with --all: at most this many")
    alerts.add_argument("--json", action="store_true", help="print JSON")

    ack = add_command(subparsers, "ack", common, help="acknowledge alerts", handler=cmd_ack)
    ack.add_argument("alert_ids", nargs="+", type=int, metavar="ID")
    ack.add_argument("--note", help="what you are doing about it")
    ack.add_argument("--by", help="who acknowledges (default: the database user)")

    silence = add_command(subparsers, "silence", common, help="add, list and expire silences")
    actions = silence.add_subparsers(dest="silence_command", required=True, metavar="ACTION")
    add = add_command(
        actions, "add", common, help="silence the alerts that match", handler=cmd_silence_add
    )
    add.add_argument("matchers", nargs="+", metavar="MATCHER",
                     help='as amtool writes them: alertname=DiskFull service=~"api|web"')  # fmt: skip
    add.add_argument("--comment", "-c", help="why, and a ticket (required: PV604 without one)")
    when = add.add_mutually_exclusive_group()
    when.add_argument("--duration", default="1h", help="how long: 30m, 2h, 1d (default 1h)")
    when.add_argument("--until", help="when it ends: a timestamp such as 2026-12-01T18:00Z")
    add.add_argument("--start", help="when it starts, if later than now")
    add.add_argument("--author", "-a", help="who silences (default: the database user)")
    listing = add_command(actions, "list", common, help="list silences", handler=cmd_silence_list)
    listing.add_argument("--expired", action="store_true", help="expired ones too")
    listing.add_argument("--json", action="store_true", help="print JSON")
    expire = add_command(
        actions, "expire", common, help="end silences now", handler=cmd_silence_expire
    )
    expire.add_argument("silence_ids", nargs="+", metavar="ID")

    log = add_command(
        subparsers, "notifications", common, help="the delivery log, failures first",
        handler=cmd_notifications,
    )  # fmt: skip
    log.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    log.add_argument("--json", action="store_true", help="print JSON")

    notify = add_command(subparsers, "notify", common, help="send notifications")
    notify_actions = notify.add_subparsers(dest="notify_command", required=True, metavar="ACTION")
    test = add_command(
        notify_actions, "test", common,
        help="send a test notification to each integration of a receiver, from here",
        handler=cmd_notify_test,
    )  # fmt: skip
    test.add_argument("receiver", metavar="RECEIVER")
