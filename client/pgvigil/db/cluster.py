"""An embedded local PostgreSQL cluster with pg_cron, for trying pgvigil and for tests.

It lives under a data home (``$PGVIGIL_HOME``, else
``$XDG_DATA_HOME/pgvigil``, else ``~/.local/share/pgvigil``)::

    data/           the cluster (PGDATA)
    run/            its Unix socket: the cluster listens on no TCP port
    postgres.log    the server log

Authentication is ``trust`` on that private socket only. PostgreSQL refuses
to run as root, so when started by root the server runs as the ``postgres``
OS user (created by Debian's ``postgresql-15`` package).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from pgvigil.db.queries import query, template

DEFAULT_DBNAME = "pgvigil"
DEFAULT_PORT = 5432

_DATABASE_EXISTS = query("database_exists")
_CREATE_DATABASE = template("create_database")
_CREATE_DATABASE_FROM_TEMPLATE = template("create_database_from_template")


class ClusterError(RuntimeError):
    """The local cluster could not be created, started or stopped."""


def default_home() -> Path:
    """The data home of the embedded cluster."""
    if os.environ.get("PGVIGIL_HOME"):
        return Path(os.environ["PGVIGIL_HOME"]).resolve()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "pgvigil"


def find_pg_bindir() -> Path:
    """PostgreSQL's server binaries: ``$PGVIGIL_PG_BINDIR``, else the newest Debian install."""
    if os.environ.get("PGVIGIL_PG_BINDIR"):
        return Path(os.environ["PGVIGIL_PG_BINDIR"])
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise ClusterError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found. "
        "Install them (Debian: apt-get install postgresql-15 postgresql-15-cron) "
        "or set PGVIGIL_PG_BINDIR."
    )


@dataclass
class LocalCluster:
    """A PostgreSQL cluster under ``home``, reachable on a private Unix socket."""

    home: Path
    port: int = DEFAULT_PORT
    dbname: str = DEFAULT_DBNAME
    fast_and_unsafe: bool = False  # fsync off: for throwaway test clusters only

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    def conninfo(self, dbname: str | None = None) -> str:
        """libpq connection string for a database of this cluster."""
        return psycopg.conninfo.make_conninfo(
            host=str(self.socket_dir), port=self.port, dbname=dbname or self.dbname, user="postgres"
        )

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(find_pg_bindir() / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 and tool != "pg_ctl":
            raise ClusterError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialized():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir)).returncode == 0

    def init(self) -> None:
        """initdb with pg_cron preloaded for ``dbname`` (no-op when already there)."""
        if self.is_initialized():
            return
        for directory in (self.home, self.socket_dir):
            directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            for directory in (self.home, self.socket_dir):
                shutil.chown(directory, "postgres", "postgres")
            os.chmod(self.home, 0o755)
        self._run(
            "initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-locale", "--no-instructions",
        )  # fmt: skip
        settings = {
            "listen_addresses": "''",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "shared_preload_libraries": "'pg_cron'",
            "cron.database_name": f"'{self.dbname}'",
            # Jobs run in background workers: no libpq connection, no pg_hba entry needed.
            "cron.use_background_workers": "on",
            "max_worker_processes": "20",
            "timezone": "'UTC'",
        }
        if self.fast_and_unsafe:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        conf = self.data_dir / "postgresql.conf"
        if os.geteuid() == 0:
            subprocess.run(["runuser", "-u", "postgres", "--", "tee", "-a", str(conf)],
                           input="\n# pgvigil embedded cluster\n" + lines, text=True,
                           capture_output=True, check=True)  # fmt: skip
        else:
            with conf.open("a", encoding="utf-8") as handle:
                handle.write("\n# pgvigil embedded cluster\n" + lines)

    def start(self) -> None:
        """Start the server (no-op when running) and create ``dbname``."""
        self.init()
        if not self.is_running():
            result = self._run(
                "pg_ctl",
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
            )
            if result.returncode != 0:
                raise ClusterError(
                    f"PostgreSQL did not start: {result.stderr.strip() or result.stdout.strip()}; "
                    f"see {self.log_file}"
                )
        self.create_database(self.dbname)

    def create_database(self, dbname: str, *, template: str | None = None) -> None:
        """Create a database unless it exists."""
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            if conn.execute(_DATABASE_EXISTS, (dbname,)).fetchone():
                return
            if template:
                statement = _CREATE_DATABASE_FROM_TEMPLATE.format(
                    dbname=sql.Identifier(dbname), template=sql.Identifier(template)
                )
            else:
                statement = _CREATE_DATABASE.format(dbname=sql.Identifier(dbname))
            conn.execute(statement)

    def stop(self) -> bool:
        """Stop the server; returns False when it was not running."""
        if not self.is_running():
            return False
        result = self._run(
            "pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60"
        )
        if result.returncode != 0:
            raise ClusterError(f"PostgreSQL did not stop: {result.stderr.strip()}")
        return True

    def destroy(self) -> None:
        """Stop the server and delete the whole data home."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
