"""The pgvigil command line: the parser and main; one module per command group."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import psycopg

from pgvigil.cli import (
    alerts,
    cluster,
    collect,
    components,
    config,
    dashboard,
    demo,
    jobs,
    notifications,
    rules,
    schema,
    serve,
    users,
)
from pgvigil.cli.common import add_global_options, global_options_parent, resolve_database
from pgvigil.db.cluster import ClusterError
from pgvigil.errors import PgvigilError, from_psycopg

__all__ = ["build_parser", "main", "resolve_database"]

DESCRIPTION = """\
Monitoring and alerting whose logic lives in the PostgreSQL schema "monitoring".

Connection, as psql: --database DSN (a conninfo string or URL), else
DATABASE_URL, else the libpq PG* variables when any is set, else the
embedded cluster of "pgvigil up" when it is running.

The global options are accepted before or after the command, also after a
nested one: "pgvigil migrate --database DSN" is "pgvigil --database DSN migrate",
and "pgvigil config apply FILE --database DSN" works too. Given in both places,
the one after the command wins.

Run "pgvigil COMMAND --help" for the options of a command.
"""

# The command groups, in the order their commands are listed in the help.
_GROUPS = (
    cluster,
    schema,
    config,
    rules,
    components,
    jobs,
    alerts,
    notifications,
    serve,
    users,
    dashboard,
    collect,
    demo,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pgvigil",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_global_options(parser, top_level=True)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = global_options_parent()
    for group in _GROUPS:
        group.register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except PgvigilError as exc:
        return _report_error(exc)
    except psycopg.Error as exc:
        return _report_error(from_psycopg(exc))
    except ClusterError as exc:
        print(f"pgvigil: {exc}", file=sys.stderr)
        return 2


def _report_error(exc: PgvigilError) -> int:
    print(f"pgvigil: error [{exc.sqlstate or '-'}]: {exc.message}", file=sys.stderr)
    if exc.detail:
        print(f"DETAIL: {exc.detail}", file=sys.stderr)
    if exc.hint:
        print(f"HINT: {exc.hint}", file=sys.stderr)
    return 2
