"""Small query helpers shared by the test modules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

Conn = psycopg.Connection[Any]

# Both schemas: the public tables and views, and pgvigil's bookkeeping tables.
_SCHEMAS = "('monitoring'::regnamespace, 'monitoring_internal'::regnamespace)"
RELATIONS_SQL = f"""
    SELECT c.relnamespace::regnamespace::text, c.relname, c.relkind::text FROM pg_class AS c
    WHERE c.relnamespace IN {_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'i', 'I')
    ORDER BY 1, 2
"""
PARTITIONS_SQL = """
    SELECT c.relname FROM pg_class AS c
    WHERE c.relnamespace = 'monitoring'::regnamespace AND c.relispartition AND c.relkind = 'r'
"""
PARENT_TABLES_SQL = f"""
    SELECT c.relnamespace::regnamespace::text, c.relname FROM pg_class AS c
    WHERE c.relnamespace IN {_SCHEMAS} AND c.relkind IN ('r', 'p')
      AND NOT c.relispartition ORDER BY 1, 2
"""


def scalar(conn: Conn, query: Any, params: Any = None) -> Any:
    """The first column of the one row a query returns."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, query
    return row[0]


def rows(conn: Conn, query: Any, params: Any = None) -> list[dict[str, Any]]:
    """All rows as dicts."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params)
        return cur.fetchall()


def one(conn: Conn, query: Any, params: Any = None) -> dict[str, Any]:
    """The single row a query must return, as a dict."""
    result = rows(conn, query, params)
    assert len(result) == 1, result
    return result[0]


def db_now(conn: Conn) -> datetime:
    """The database's transaction time."""
    return scalar(conn, "SELECT now()")


def parent_tables(conn: Conn) -> list[tuple[str, str]]:
    """(schema, table) of every table of pgvigil's two schemas; a partitioned
    table stands for its partitions."""
    return [(r[0], r[1]) for r in conn.execute(PARENT_TABLES_SQL)]


def partitions(conn: Conn) -> set[str]:
    """The names of every partition in schema monitoring."""
    return {r[0] for r in conn.execute(PARTITIONS_SQL)}


# The rows of monitoring.run_monitoring_checks(), in order.
CHECK_NAMES = [
    "register_components",
    "check_error_rate_alerts",
    "check_processing_performance_alerts",
    "check_system_health_alerts",
    "check_queue_backlog_alerts",
    "evaluate_alert_rules",
    "resolve_resolved_alerts",
    "flush_notification_groups",
]
