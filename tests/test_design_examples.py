"""The SQL examples of the original design run as written.

The ```sql blocks are read at run time from the design document
(``<checkout>/../shared/spec/original-design.md``, where CI has it, or the
file named by ``PGVIGIL_SPEC``), so a change on either side is caught. They
run in document order in one database after ``SET search_path = monitoring,
public``, as a user of the original design would type them.

Skipped on purpose: the "Performance Optimization" block. It runs CREATE
INDEX CONCURRENTLY on processing_metrics and error_tracking, which cannot
run on partitioned tables (PostgreSQL refuses it); pgvigil ships the
equivalent indexes on the partitioned tables instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from dbhelpers import Conn

SKIPPED_SECTIONS = {"Performance Optimization"}
REQUIRED_SECTIONS = [
    "Task Monitoring",
    "Error Tracking",
    "System Health",
    "Dashboard Data",
    "Automated Checks",
    "Automated Cleanup",
    "Health Check Automation",
]


# One database for the module, reset before each test: a fresh database per
# test (the conftest ``dsn`` fixture) costs a CREATE DATABASE each. The reset
# empties the tables, restores the default config, and drops or re-creates
# partitions so that the relations are exactly those of the template.


def spec_path() -> Path:
    if os.environ.get("PGVIGIL_SPEC"):
        return Path(os.environ["PGVIGIL_SPEC"])
    return Path(__file__).resolve().parents[2] / "shared/spec/original-design.md"


def sql_blocks(text: str) -> list[tuple[str, str]]:
    """(nearest heading above, body) of every ```sql block, in document order."""
    blocks = []
    heading = ""
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.strip() == "```sql":
            body = []
            for inner in lines:
                if inner.strip() == "```":
                    break
                body.append(inner)
            blocks.append((heading, "\n".join(body)))
    return blocks


def statements(block: str) -> list[str]:
    """The statements of a block: comments removed, split on the ';' ending a line."""
    without_comments = re.sub(r"--[^\n]*", "", block)
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", without_comments) if s.strip()]


def load_examples() -> list[Any]:
    path = spec_path()
    if not path.is_file():
        return [pytest.param("", "", id="design-document-missing")]
    blocks = [
        (heading, body)
        for heading, body in sql_blocks(path.read_text(encoding="utf-8"))
        if heading not in SKIPPED_SECTIONS
    ]
    return [pytest.param(h, b, id=f"{i}-{h.replace(' ', '-')}") for i, (h, b) in enumerate(blocks)]


EXAMPLES = load_examples()


def run_in_order(conn: Conn, upto: int | None = None) -> list[Any]:
    """Runs the examples (all, or those before index ``upto``); returns the last results."""
    conn.execute("SET search_path = monitoring, public")
    results: list[Any] = []
    for param in EXAMPLES[:upto]:
        _, body = param.values
        for statement in statements(body):
            results.append(conn.execute(statement).fetchall())
    return results


def test_the_design_document_has_the_expected_examples() -> None:
    path = spec_path()
    assert path.is_file(), f"design document not found at {path} (set PGVIGIL_SPEC)"
    headings = [heading for heading, _ in sql_blocks(path.read_text(encoding="utf-8"))]
    for section in REQUIRED_SECTIONS:
        assert section in headings, f"no ```sql block under {section!r}"
    assert "Performance Optimization" in headings


@pytest.mark.parametrize(("heading", "body"), EXAMPLES)
def test_example_runs_as_written(conn: Conn, heading: str, body: str) -> None:
    """Each block runs after the ones above it (a task is started before it completes)."""
    assert body, f"design document not found at {spec_path()} (set PGVIGIL_SPEC)"
    index = next(i for i, p in enumerate(EXAMPLES) if p.values == (heading, body))
    run_in_order(conn, index)
    conn.execute("SET search_path = monitoring, public")
    for statement in statements(body):
        try:
            conn.execute(statement).fetchall()
        except psycopg.Error as exc:
            pytest.fail(f"[{heading}] {statement!r} failed: {exc}")


def test_examples_have_the_documented_effect(conn: Conn) -> None:
    run_in_order(conn)
    with conn.cursor(row_factory=dict_row) as cur:
        task = cur.execute("SELECT * FROM monitoring.processing_metrics").fetchall()
        error = cur.execute("SELECT * FROM monitoring.error_tracking").fetchall()
        health = cur.execute("SELECT * FROM monitoring.system_health").fetchall()
    assert [(t["task_id"], t["task_type"], t["input_size"], t["worker_id"]) for t in task] == [
        ("task-123", "document_processing", 1024, "worker-01")
    ]
    assert task[0]["status"] == "completed"
    assert task[0]["output_size"] == 2048
    assert task[0]["step_timings"] == {"step1": 1.2}
    assert task[0]["duration_seconds"] >= 0
    assert [
        (e["task_id"], e["error_type"], e["severity"], e["message"], e["component"]) for e in error
    ] == [("task-123", "validation_error", "medium", "Invalid input", "processor")]
    assert [
        (h["component_type"], h["component_name"], h["status"], h["response_time_ms"])
        for h in health
    ] == [("api", "main_api", "healthy", 50)]
    summary = conn.execute("SELECT get_dashboard_summary()").fetchone()
    assert summary is not None
    assert summary[0]["tasks"]["by_status"] == {"completed": 1}
    assert summary[0]["errors"]["last_24h"] == 1
    assert summary[0]["health"]["healthy"] == 1
