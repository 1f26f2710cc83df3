"""pgvigil users: the web users of pgvigil serve, who log in to the
dashboard with a name and a password (hashed here with argon2id: only the
hash reaches the database)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from pgvigil.cli.common import add_command, fetch_rows, print_table, resolve_database
from pgvigil.db.queries import query
from pgvigil.server.passwords import hash_password, password_problem

if TYPE_CHECKING:
    from pgvigil.cli.common import Subparsers

_CREATE_USER = query("create_web_user")
_LIST_USERS = query("list_web_users")
_DISABLE_USER = query("disable_web_user")

PASSWORD_VARIABLE = "PGVIGIL_PASSWORD"


class PasswordUnavailable(Exception):
    pass


def read_password(args: argparse.Namespace) -> str:
    """The new user's password: --password-file, else $PGVIGIL_PASSWORD, else
    asked twice on a terminal."""
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as file:
            text = file.read()
        # The file's one line, without its line end; anything else is kept.
        return text[:-1] if text.endswith("\n") else text
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    if sys.stdin.isatty():
        first = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != first:
            raise PasswordUnavailable("the two passwords differ")
        return first
    raise PasswordUnavailable(
        f"no password: give --password-file FILE, set {PASSWORD_VARIABLE}, or run on a terminal"
    )


def cmd_users_create(args: argparse.Namespace) -> int:
    try:
        password = read_password(args)
    except (PasswordUnavailable, OSError) as exc:
        print(f"pgvigil users create: {exc}", file=sys.stderr)
        return 2
    problem = password_problem(password)
    if problem:
        print(f"pgvigil users create: {problem}", file=sys.stderr)
        return 2
    [row] = fetch_rows(
        resolve_database(args),
        _CREATE_USER,
        {"name": args.name, "role": args.role, "password_hash": hash_password(password)},
    )
    print(f"web user {row['user_id']} ({args.role}, {args.name.strip()}) created")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    users = fetch_rows(resolve_database(args), _LIST_USERS, {"all": args.all})
    if not users:
        print("no web users")
        return 0
    print_table(
        [(u["user_id"], u["name"], u["role"], u["state"], u["live_sessions"],
          u["last_login_at"] or "-", u["created_at"]) for u in users],
        ("id", "name", "role", "state", "sessions", "last login", "created"),
    )  # fmt: skip
    return 0


def cmd_users_disable(args: argparse.Namespace) -> int:
    conninfo = resolve_database(args)
    for name in args.names:
        [row] = fetch_rows(conninfo, _DISABLE_USER, (name,))
        state = "disabled, its sessions ended" if row["disabled"] else "already disabled"
        print(f"web user {name}: {state}")
    return 0


def register(subparsers: Subparsers, common: argparse.ArgumentParser) -> None:
    users = add_command(
        subparsers, "users", common, help="create, list and disable the web dashboard's users"
    )
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    create = add_command(
        actions, "create", common, help="make a web user with a password", handler=cmd_users_create
    )
    create.add_argument("--name", required=True, help="the name it logs in with")
    create.add_argument("--role", required=True, choices=("viewer", "operator", "admin"))
    create.add_argument(
        "--password-file",
        metavar="FILE",
        help=f"read the password from FILE (else ${PASSWORD_VARIABLE}, else asked twice)",
    )
    listing = add_command(actions, "list", common, help="list web users", handler=cmd_users_list)
    listing.add_argument("--all", action="store_true", help="disabled ones too")
    disable = add_command(
        actions, "disable", common, help="disable users and end their sessions",
        handler=cmd_users_disable,
    )  # fmt: skip
    disable.add_argument("names", nargs="+", metavar="NAME")
