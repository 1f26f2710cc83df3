"""The committed schema snapshot equals what the migrations produce.

``tests/schema/schema_snapshot.sql`` is ``pg_dump --schema-only`` of schemas
``monitoring`` and ``monitoring_internal`` on a fresh install, normalised (no comments or SET lines, no
owners, no daily partitions, whose names depend on the date). A change to a
migration, function, view or grant changes it: review the diff, then write
the new snapshot with ``scripts/update-schema-snapshot``. graphile-worker
keeps the same check.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg

from pgvigil.db.cluster import ClusterError, find_pg_bindir

SNAPSHOT = Path(__file__).resolve().parent / "schema_snapshot.sql"
UPDATE_VARIABLE = "PGVIGIL_UPDATE_SNAPSHOT"
_PG_DUMP_LINE = re.compile(
    r"^(--$|-- (Name|Dependencies|PostgreSQL database dump|Dumped (from|by)|Started on|Completed on)\b"
    r"|SET \w+ = |SELECT pg_catalog\.set_config\(|\\(un)?restrict )"
)


def _pg_dump() -> str:
    try:
        candidate = find_pg_bindir() / "pg_dump"
        if candidate.exists():
            return str(candidate)
    except ClusterError:
        pass
    found = shutil.which("pg_dump")
    assert found, "pg_dump not found"
    return found


def normalised_dump(conninfo: str) -> str:
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    env = {**os.environ}
    for key, variable in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"),
                          ("password", "PGPASSWORD"), ("dbname", "PGDATABASE")):  # fmt: skip
        if params.get(key):
            env[variable] = str(params[key])
    result = subprocess.run(
        [_pg_dump(), "--schema-only", "--no-owner", "--schema=monitoring", "--schema=monitoring_internal",
         "--exclude-table=monitoring.*_p????????"],  # fmt: skip
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    lines = []
    for line in result.stdout.splitlines():
        # pg_dump's own lines: its comment headers (function bodies keep
        # theirs), session settings, and \restrict with a random key.
        if _PG_DUMP_LINE.match(line):
            continue
        lines.append(line.rstrip())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    return text


def test_the_schema_snapshot_is_what_the_migrations_produce(fresh_dsn: str) -> None:
    dump = normalised_dump(fresh_dsn)
    assert re.search(r"_p[0-9]{8}\b", dump) is None, "a daily partition leaked into the snapshot"
    if os.environ.get(UPDATE_VARIABLE):
        SNAPSHOT.write_text(dump)
    assert SNAPSHOT.is_file(), f"no snapshot: run scripts/update-schema-snapshot ({SNAPSHOT})"
    committed = SNAPSHOT.read_text()
    if dump != committed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True), dump.splitlines(keepends=True),
                "tests/schema/schema_snapshot.sql (committed)", "migrations (fresh install)", n=2,
            )
        )  # fmt: skip
        raise AssertionError(
            "the schema differs from tests/schema/schema_snapshot.sql; if the change is intended,"
            f" run scripts/update-schema-snapshot and commit it:\n{diff[:20000]}"
        )
