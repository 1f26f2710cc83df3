"""The named queries file: every statement the package runs is in
client/pgvigil/db/queries.sql, every block there is used, every name used
is there, and the modules take them at import (not per call)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pgvigil.db import queries
from pgvigil.db.queries import QUERIES, QueryFileError, is_template, load_queries
from pgvigil.recording import buffered

PACKAGE = Path(queries.__file__).resolve().parents[1]
_ACCESSORS = {"query", "template"}
# An SQL statement as a string of its own: a keyword, then a space or newline.
_SQL_LITERAL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CALL|COPY|CREATE|DROP|ALTER|SET|WITH|TRUNCATE|GRANT|REVOKE)\s"
)


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(PACKAGE.rglob("*.py"))]


def _accessor_calls() -> list[tuple[Path, ast.Call, bool]]:
    """Every ``query(...)``/``template(...)`` call in the package, and whether
    it is a module-level statement (run once, at import)."""
    calls = []
    for path, tree in _modules():
        top_level = {
            id(node)
            for statement in tree.body
            if isinstance(statement, (ast.Assign, ast.AnnAssign))
            for node in ast.walk(statement)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in _ACCESSORS and path.name != "queries.py":
                calls.append((path, node, id(node) in top_level))
    return calls


def _used() -> dict[str, set[str]]:
    """{name: {"query" or "template"}} of the names the package asks for."""
    used: dict[str, set[str]] = {}
    for _path, call, _top in _accessor_calls():
        (arg,) = call.args
        assert isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        func = call.func
        kind = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        used.setdefault(arg.value, set()).add(kind)
    return used


def test_the_file_has_the_statements() -> None:
    assert len(QUERIES) >= 50
    assert QUERIES["start_task"].startswith("SELECT monitoring.start_task_tracking(")
    # Descriptions and the next section's heading are not part of a statement.
    assert QUERIES["run_checks"] == (
        "SELECT check_name, alerts, duration_ms\n"
        "FROM monitoring.run_monitoring_checks(p_source => %(source)s::text)"
    )
    # Comments inside a statement are kept.
    assert "-- pg_get_functiondef() rejects aggregates" in QUERIES["schema_fingerprint"]


def test_every_accessor_call_names_one_query_literally_at_import_time() -> None:
    calls = _accessor_calls()
    assert len(calls) >= len(QUERIES)
    problems = []
    for path, call, top_level in calls:
        where = f"{path.relative_to(PACKAGE)}:{call.lineno}"
        literal = (
            len(call.args) == 1
            and not call.keywords
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
        )
        if not literal:
            problems.append(f"{where}: the name must be one string literal")
        if not top_level:
            problems.append(f"{where}: take the statement in a module constant, at import")
    assert problems == []


def test_every_name_used_exists_as_the_kind_asked_for() -> None:
    used = _used()
    assert sorted(set(used) - set(QUERIES)) == []
    wrong_kind = {
        name: kinds
        for name, kinds in used.items()
        if name in QUERIES and kinds != {"template" if is_template(name) else "query"}
    }
    assert wrong_kind == {}


def test_every_query_in_the_file_is_used() -> None:
    assert sorted(set(QUERIES) - set(_used())) == []


def test_no_sql_is_written_in_the_code() -> None:
    """String literals that are SQL statements belong in queries.sql (docstrings aside)."""
    found = []
    for path, tree in _modules():
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and _SQL_LITERAL.match(node.value)
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value[:40]!r}")
    assert found == []


def test_unknown_names_and_wrong_kinds_fail() -> None:
    with pytest.raises(KeyError, match="no query named 'no_such_query'"):
        queries.query("no_such_query")
    with pytest.raises(KeyError, match="is a template"):
        queries.query("create_database")
    with pytest.raises(KeyError, match="has no"):
        queries.template("start_task")


def test_templates_fill_identifiers() -> None:
    from psycopg import sql

    statement = queries.template("create_database_from_template").format(
        dbname=sql.Identifier('we"ird'), template=sql.Identifier("pgvigil_template")
    )
    assert statement.as_string() == (
        'CREATE DATABASE "we""ird" TEMPLATE "pgvigil_template" STRATEGY FILE_COPY'
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n", "defined twice"),
        ("-- name: Bad-Name\nSELECT 1\n", "invalid query name"),
        ("-- name:\nSELECT 1\n", "invalid query name"),
        ("-- name: a b\nSELECT 1\n", "invalid query name 'a b'"),
        ("--name:a\nSELECT 1\n-- name: a\nSELECT 2\n", "defined twice"),
        ("-- name: a\n-- only a description\n\n-- name: b\nSELECT 1\n", "'a' has no statement"),
        ("SELECT 1\n", "no '-- name:' block"),
    ],
)
def test_a_malformed_file_is_refused(text: str, message: str) -> None:
    with pytest.raises(QueryFileError, match=message):
        load_queries(text)


def test_the_copy_columns_match_the_copy_types() -> None:
    columns = re.search(r"\(([^)]*)\) FROM STDIN", QUERIES["copy_performance_metrics"])
    assert columns
    assert len(columns[1].split(",")) == len(buffered._METRIC_TYPES)
