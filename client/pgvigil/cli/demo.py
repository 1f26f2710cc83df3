"""pgvigil demo: a simulated workload, then the dashboard."""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from typing import TYPE_CHECKING

import httpx
import psycopg
from psycopg.types.json import Jsonb

from pgvigil.cli.common import add_command, local_cluster, resolve_database
from pgvigil.db.queries import query
from pgvigil.recording import BufferedClient, MonitoringClient
from pgvigil.server.keys import new_api_key

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_PG_CRON_CHECK_RUNS_SINCE = query("pg_cron_check_runs_since")
_PATCH_CONFIG = query("patch_config")
_RULE_ALERTS = query("demo_rule_alerts")
_CREATE_KEY = query("create_api_key")


def _wait_for_pg_cron_checks(conninfo: str, since: float, timeout: float) -> bool:
    """Wait until pg_cron has run the checks job successfully after since (epoch seconds)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while time.monotonic() < deadline:
            # A checks run commits check_runs with its source: no job name needed.
            row = conn.execute(_PG_CRON_CHECK_RUNS_SINCE, (since,)).fetchone()
            if row and row[0] > 0:
                return True
            time.sleep(1)
    return False


def cmd_demo(args: argparse.Namespace) -> int:
    from pgvigil.dashboard import render_summary
    from pgvigil.tools.demo import DEMO_RULES, run_demo
    from pgvigil.tools.demo_notifications import (
        DemoReceiver,
        deliver_demo_notifications,
        prepare_demo_notifications,
        print_notification_report,
    )

    conninfo = resolve_database(args)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(_PATCH_CONFIG, (Jsonb({"alert_rules": DEMO_RULES}), []))
        # Where the alerts go: a webhook receiver in this process, and one silence.
        prepare_demo_notifications(conn)
    with MonitoringClient(conninfo) as client:
        if args.buffered:
            with BufferedClient(conninfo) as buffered:
                run_demo(buffered, seed=args.seed, history_minutes=args.history_minutes,
                         live_seconds=args.live_seconds)  # fmt: skip
                buffered.flush(timeout=60)
        else:
            run_demo(client, seed=args.seed, history_minutes=args.history_minutes,
                     live_seconds=args.live_seconds)  # fmt: skip
        if args.wait_for_pg_cron:
            written_at = time.time()
            print(
                "demo: waiting for pg_cron to run the checks (it runs them every minute)...",
                flush=True,
            )
            if not _wait_for_pg_cron_checks(conninfo, written_at, args.wait_timeout):
                print("demo: pg_cron did not run the checks in time; is the job scheduled? "
                      "(pgvigil schedule)", file=sys.stderr)  # fmt: skip
                return 1
            print("demo: pg_cron ran the checks.\n")
        print(render_summary(client.get_dashboard_summary(), color=sys.stdout.isatty()))
    _print_rule_alerts(conninfo)
    if args.wait_for_pg_cron:
        # pg_cron's checks decided the notifications (the outbox); deliver
        # them to a receiver in this process, as pgvigil worker would.
        receiver = DemoReceiver()
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                report = deliver_demo_notifications(conn, receiver)
            print()
            print_notification_report(report, receiver)
        finally:
            receiver.close()
    if args.serve:
        return _serve_in_background(args, conninfo)
    return 0


def _port_or_free(port: int) -> int:
    """``port`` if nothing listens on it on loopback, else a free one."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])


def _wait_for(url: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


def _listening(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def _new_key(conninfo: str, role: str, name: str) -> str:
    made = new_api_key()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(_CREATE_KEY, {"name": name, "role": role, "key_hash": made.key_hash,
                                   "prefix": made.prefix, "expires_at": None})  # fmt: skip
    return made.key


def _serve_in_background(args: argparse.Namespace, conninfo: str) -> int:
    """Leaves pgvigil serve (with the worker), the demo's webhook receiver
    and an hour of live workload running, and prints how to open the
    dashboard; pgvigil down stops them."""
    from pgvigil.tools import background
    from pgvigil.tools.demo_notifications import URL_ENV

    home = local_cluster(args).home
    receiver_port, port = _port_or_free(args.serve_port + 1), _port_or_free(args.serve_port)
    receiver_url = f"http://127.0.0.1:{receiver_port}/pgvigil-demo"
    env = {**os.environ, "DATABASE_URL": conninfo, URL_ENV: receiver_url}
    background.start_detached(home, "webhooks", [sys.executable, "-m", "pgvigil.tools.demo_receiver",
                                                 "--port", str(receiver_port)], env)  # fmt: skip
    background.start_detached(home, "workload", [sys.executable, "-m", "pgvigil.tools.demo_live",
                                                 "--seconds", "3600"], env)  # fmt: skip
    background.start_detached(home, "serve", [sys.executable, "-m", "pgvigil.cli", "serve",
                                              "--with-worker", "--port", str(port)], env)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    if not _wait_for(url + "health") or not _listening(receiver_port):
        print(f"demo: pgvigil serve did not start; see {home / 'serve.log'}", file=sys.stderr)
        background.stop_all(home)
        return 1
    stamp = time.strftime("%Y%m%d-%H%M%S")
    viewer = _new_key(conninfo, "viewer", f"demo-viewer-{stamp}")
    operator = _new_key(conninfo, "operator", f"demo-operator-{stamp}")
    print(f"""
dashboard: {url}  (pgvigil serve --with-worker, left running; its log: {home / "serve.log"})
  open it in a browser and sign in with the viewer key (read only):
    {viewer}
  or, to acknowledge and silence alerts, with the operator key:
    {operator}
  (keys are shown this once; pgvigil keys list / revoke manage them)
  from another machine: ssh -L {port}:127.0.0.1:{port} THIS-HOST, then open {url}
  a live workload (a few tasks a second) runs for an hour beside it
  the worker delivers to the demo's webhook receiver: tail -f {home / "webhooks.log"}
  stop them all: .venv/bin/pgvigil down (with PGVIGIL_HOME={home})""")
    return 0


def _print_rule_alerts(conninfo: str) -> None:
    """The alerts of rules, firing and pending, with their labels: what the
    notification issue will route on."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        alerts = conn.execute(_RULE_ALERTS).fetchall()
    if not alerts:
        return
    print("alerts from rules (monitoring.v_active_alerts):")
    for state, severity, fingerprint, labels in alerts:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
        print(f"  {state:<8} {severity:<9} {fingerprint or '(pending)':<17} {{{shown}}}")


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    demo = add_command(
        subparsers,
        "demo",
        common,
        help="write a realistic simulated workload and show the dashboard",
        handler=cmd_demo,
    )
    demo.add_argument("--seed", type=int, default=None)
    demo.add_argument("--history-minutes", type=int, default=60)
    demo.add_argument("--live-seconds", type=float, default=0.0)
    demo.add_argument("--buffered", action="store_true",
                      help="write the workload through a BufferedClient instead of MonitoringClient")  # fmt: skip
    demo.add_argument("--wait-for-pg-cron", action="store_true",
                      help="after writing, wait until pg_cron has run the checks")  # fmt: skip
    demo.add_argument("--wait-timeout", type=float, default=150.0)
    demo.add_argument("--serve", action="store_true",
                      help="then leave pgvigil serve --with-worker running on loopback, with a "
                           "webhook receiver, and print the dashboard's URL and keys (pgvigil down stops them)")  # fmt: skip
    demo.add_argument("--serve-port", type=int, default=8080,
                      help="the dashboard's port (the next one is the receiver's; a free one if taken)")  # fmt: skip
