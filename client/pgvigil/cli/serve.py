"""pgvigil serve: the HTTP API (with --with-worker, the worker too, in one
process); pgvigil keys: its API keys."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pgvigil.cli.common import (
    add_command,
    configure_logging,
    fetch_rows,
    print_table,
    resolve_database,
)
from pgvigil.db.queries import query
from pgvigil.server.keys import new_api_key

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_CREATE_KEY = query("create_api_key")
_LIST_KEYS = query("list_api_keys")
_REVOKE_KEY = query("revoke_api_key")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from pgvigil.jobs.worker import run_worker
    from pgvigil.server import ServerSettings, create_app

    tls = bool(args.tls_cert and args.tls_key)
    if bool(args.tls_cert) != bool(args.tls_key):
        print("pgvigil serve: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if not is_loopback(args.host) and not (tls or args.behind_proxy):
        print(
            f"pgvigil serve: refusing to listen on {args.host} without TLS: give --tls-cert and"
            " --tls-key, or --behind-proxy when a reverse proxy on this machine terminates TLS",
            file=sys.stderr,
        )
        return 2
    if not 0 < args.session_hours <= 720:
        print("pgvigil serve: --session-hours is more than 0 and at most 720", file=sys.stderr)
        return 2
    conninfo = resolve_database(args)
    settings = ServerSettings(
        conninfo=conninfo,
        rate_per_key=args.rate_limit_per_key,
        burst_per_key=max(1.0, args.rate_limit_per_key * 4),
        rate_per_address=args.rate_limit_per_address,
        burst_per_address=max(1.0, args.rate_limit_per_address * 4),
        max_body_bytes=args.max_body_bytes,
        metrics_without_key=args.metrics_without_key,
        cache_seconds=args.cache_seconds,
        session_lifetime_seconds=args.session_hours * 3600,
    )
    configure_logging("%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    worker = None
    if args.with_worker:
        worker = threading.Thread(
            target=run_worker,
            args=(conninfo,),
            kwargs={"stop": stop, "interval": args.worker_interval},
            name="pgvigil-worker",
            daemon=True,
        )
        worker.start()
    config = uvicorn.Config(
        create_app(settings),
        host=args.host,
        port=args.port,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
        proxy_headers=args.behind_proxy,
        forwarded_allow_ips="127.0.0.1" if args.behind_proxy else None,
        server_header=False,
        log_level="warning",
        access_log=False,
        # Live clients keep their streams open: do not wait for them forever.
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    scheme = "https" if tls else "http"
    print(f"pgvigil serve: listening on {scheme}://{args.host}:{args.port}/", flush=True)
    # uvicorn shuts down on SIGTERM or SIGINT, then raises the signal again
    # with the handler it found; this one lets the worker stop and the
    # process exit 0 after a graceful shutdown.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        server.run()
    finally:
        stop.set()
        if worker is not None:
            worker.join(timeout=30)
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    made = new_api_key()
    expires_at = (
        datetime.now(timezone.utc) + timedelta(days=args.expires_in_days)
        if args.expires_in_days is not None
        else None
    )
    [row] = fetch_rows(
        resolve_database(args),
        _CREATE_KEY,
        {
            "name": args.name,
            "role": args.role,
            "key_hash": made.key_hash,
            "prefix": made.prefix,
            "expires_at": expires_at,
        },
    )
    print(f"API key {row['key_id']} ({args.role}, {args.name}); it is shown this once:")
    print(made.key)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    keys = fetch_rows(resolve_database(args), _LIST_KEYS, {"all": args.all})
    if not keys:
        print("no API keys")
        return 0
    print_table(
        [(k["key_id"], k["name"], k["role"], k["key_prefix"] + "...", k["state"],
          k["expires_at"] or "-", k["last_used_at"] or "-") for k in keys],
        ("id", "name", "role", "key", "state", "expires", "last used"),
    )  # fmt: skip
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    conninfo = resolve_database(args)
    for key_id in args.key_ids:
        [row] = fetch_rows(conninfo, _REVOKE_KEY, (key_id,))
        print(f"API key {key_id}: {'revoked' if row['revoked'] else 'already revoked'}")
    return 0


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    serve = add_command(
        subparsers, "serve", common, help="the HTTP API (and the worker, with --with-worker)",
        handler=cmd_serve,
    )  # fmt: skip
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; another needs TLS or --behind-proxy)")  # fmt: skip
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--with-worker", action="store_true",
                       help="also evaluate rules and deliver notifications, as pgvigil worker")  # fmt: skip
    serve.add_argument("--worker-interval", type=float, default=5.0,
                       help="with --with-worker: seconds between evaluations (default 5)")  # fmt: skip
    serve.add_argument("--tls-cert", help="PEM certificate to serve HTTPS with")
    serve.add_argument("--tls-key", help="PEM private key of --tls-cert")
    serve.add_argument("--behind-proxy", action="store_true",
                       help="a reverse proxy on this machine terminates TLS (trusts its X-Forwarded-* headers)")  # fmt: skip
    serve.add_argument("--rate-limit-per-key", type=float, default=50.0,
                       help="requests a second per API key, on average (bursts of 4 seconds' worth; default 50)")  # fmt: skip
    serve.add_argument("--rate-limit-per-address", type=float, default=100.0,
                       help="requests a second per client address (default 100)")  # fmt: skip
    serve.add_argument("--metrics-without-key", action="store_true",
                       help="let GET /metrics answer without a key (as the reader role)")  # fmt: skip
    serve.add_argument("--cache-seconds", type=float, default=1.0,
                       help="share the busiest reads between callers for this long (default 1; 0: off);"
                            " alert and health changes drop them at once")  # fmt: skip
    serve.add_argument("--max-body-bytes", type=int, default=1024 * 1024,
                       help="largest request body accepted (default 1 MiB)")  # fmt: skip
    serve.add_argument("--session-hours", type=float, default=12.0,
                       help="how long a web dashboard login lasts (default 12; at most 720)")  # fmt: skip

    keys = add_command(subparsers, "keys", common, help="create, list and revoke API keys")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = add_command(
        actions, "create", common, help="make a key; it is printed once", handler=cmd_keys_create
    )
    create.add_argument("--name", required=True, help="what or who it is for")
    create.add_argument("--role", required=True, choices=("viewer", "operator", "admin"))
    create.add_argument("--expires-in-days", type=int, help="it stops working after this many days")
    listing = add_command(actions, "list", common, help="list keys", handler=cmd_keys_list)
    listing.add_argument("--all", action="store_true", help="revoked and expired ones too")
    revoke = add_command(actions, "revoke", common, help="revoke keys", handler=cmd_keys_revoke)
    revoke.add_argument("key_ids", nargs="+", type=int, metavar="ID")
