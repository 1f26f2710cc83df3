"""Fixtures: a real PostgreSQL 15 with pg_cron, started by the tests.

Where the server comes from, in order:
- ``PGVIGIL_TEST_DSN``: an existing server (superuser conninfo) with pg_cron
  preloaded for the database in that DSN;
- the local PostgreSQL binaries: a throwaway cluster in a temp dir, on a
  private Unix socket (no TCP), fsync off;
- otherwise testcontainers, which needs a Docker engine: without one the
  whole suite skips with that reason.

Databases are copied from a migrated template, so tests do not pay for
migrations: ``dsn``/``conn`` give one database per module, reset before each
test; ``fresh_dsn`` a brand-new one. The cluster's main database
(``pgvigil``) is the one pg_cron runs jobs in.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from dbhelpers import PARENT_TABLES_SQL, PARTITIONS_SQL, RELATIONS_SQL
from pgvigil.db.cluster import ClusterError, LocalCluster, find_pg_bindir
from pgvigil.db.migrate import migrate

TEMPLATE_DB = "pgvigil_template"
_counter = itertools.count()


class Server:
    """Where the tests' databases live."""

    def __init__(self, admin_conninfo: str, cron_dbname: str) -> None:
        self.admin_conninfo = admin_conninfo
        self.cron_dbname = cron_dbname

    def conninfo(self, dbname: str) -> str:
        params = psycopg.conninfo.conninfo_to_dict(self.admin_conninfo)
        params["dbname"] = dbname
        return psycopg.conninfo.make_conninfo(**params)  # type: ignore[arg-type]

    def execute(self, statement: Any, dbname: str = "postgres") -> None:
        with psycopg.connect(self.conninfo(dbname), autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, name: str, template: str | None = None) -> str:
        if template:
            self.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            self.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.conninfo(name)

    def drop_database(self, name: str) -> None:
        self.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _local_binaries_available() -> bool:
    try:
        find_pg_bindir()
    except ClusterError:
        return False
    return True


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[LocalCluster | None]:
    """The throwaway cluster (None when PGVIGIL_TEST_DSN points elsewhere)."""
    if os.environ.get("PGVIGIL_TEST_DSN"):
        yield None
        return
    if not _local_binaries_available():
        # A testcontainers backend would need a Docker engine and an image
        # with pg_cron; these machines have neither, so say what to do instead.
        pytest.skip(
            "no PostgreSQL server binaries: install postgresql-15 and postgresql-15-cron"
            " (scripts/setup --test does) or set PGVIGIL_TEST_DSN"
        )
    home = Path(tempfile.mkdtemp(prefix="pgvigil-test-"))
    cluster = LocalCluster(home, fast_and_unsafe=True)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def server(local_cluster: LocalCluster | None) -> Iterator[Server]:
    if local_cluster is None:
        dsn = os.environ["PGVIGIL_TEST_DSN"]
        params = psycopg.conninfo.conninfo_to_dict(dsn)
        srv = Server(dsn, str(params.get("dbname") or "postgres"))
    else:
        srv = Server(local_cluster.conninfo("postgres"), local_cluster.dbname)
    srv.drop_database(TEMPLATE_DB)
    migrate(srv.create_database(TEMPLATE_DB))
    # The pg_cron database gets the schema too (jobs run there); migrate
    # creates the extension there, where the server preloads it.
    migrate(srv.conninfo(srv.cron_dbname))
    yield srv
    srv.drop_database(TEMPLATE_DB)


@pytest.fixture
def fresh_dsn(server: Server) -> Iterator[str]:
    """A brand-new migrated database for one test (about 0.6 s: use ``dsn`` unless needed)."""
    name = f"pgvigil_test_{os.getpid()}_{next(_counter)}"
    conninfo = server.create_database(name, template=TEMPLATE_DB)
    yield conninfo
    server.drop_database(name)


# One database per test module, reset before each test: cheaper than a
# CREATE DATABASE per test. The reset empties every table but the install's
# own (schema_sources, history_tables, shipped_alert_rules, config), restores
# the default config and its compiled alert rules,
# and drops or re-creates partitions, then asserts the relations are exactly
# the template's, so a test that leaks schema changes fails loudly.
_KEPT_TABLES = ("schema_sources", "history_tables", "shipped_alert_rules", "config")


@dataclass(frozen=True)
class _Pristine:
    config: Any
    relations: list[Any]
    partitions: set[str]


@pytest.fixture(scope="module")
def module_dsn(server: Server, request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"pgvigil_{request.module.__name__.rsplit('.', 1)[-1]}_{os.getpid()}"
    server.drop_database(name)
    conninfo = server.create_database(name, template=TEMPLATE_DB)
    yield conninfo
    server.drop_database(name)


@pytest.fixture(scope="module")
def _pristine(module_dsn: str) -> _Pristine:
    with psycopg.connect(module_dsn, autocommit=True) as c:
        config = c.execute("SELECT document FROM monitoring.config").fetchone()
        assert config is not None
        return _Pristine(
            config[0],
            c.execute(RELATIONS_SQL).fetchall(),
            {r[0] for r in c.execute(PARTITIONS_SQL)},
        )


@pytest.fixture
def dsn(module_dsn: str, _pristine: _Pristine) -> str:
    """The module's migrated database, reset to its just-installed state for this test."""
    with psycopg.connect(module_dsn, autocommit=True) as c:
        with c.transaction():
            for schema, table in c.execute(PARENT_TABLES_SQL).fetchall():
                if table not in _KEPT_TABLES:
                    c.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(schema, table)))
            c.execute("DELETE FROM monitoring.config")
            c.execute(
                "INSERT INTO monitoring.config (document) VALUES (%s)", (Jsonb(_pristine.config),)
            )
            # The rules and the router's notifications as the pristine config makes them
            # (their tables were emptied above).
            c.execute(
                "SELECT monitoring_internal.compile_alert_rules(%s)", (Jsonb(_pristine.config),)
            )
            c.execute(
                "SELECT monitoring_internal.copy_notification_config(%s)",
                (Jsonb(_pristine.config),),
            )
            current = {r[0] for r in c.execute(PARTITIONS_SQL)}
            for extra in sorted(current - _pristine.partitions):
                c.execute(sql.SQL("DROP TABLE monitoring.{}").format(sql.Identifier(extra)))
            for missing in sorted(_pristine.partitions - current):
                match = re.fullmatch(r"(.+)_p(\d{8})", missing)
                assert match, missing
                c.execute(
                    "SELECT monitoring_internal.create_partition(%s, to_date(%s, 'YYYYMMDD'))",
                    (match[1], match[2]),
                )
        assert c.execute(RELATIONS_SQL).fetchall() == _pristine.relations, "reset failed"
    return module_dsn


@pytest.fixture
def conn(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit superuser connection to the test's database, search_path = monitoring."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SET search_path = monitoring, public")
        yield connection
