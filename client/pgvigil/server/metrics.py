"""GET /metrics: the Prometheus text exposition. The families are written
by the database (``monitoring.prometheus_metrics()``, one home for what
they mean); this module adds the two only the server knows: pgvigil_up (0
when the database did not answer) and pgvigil_scrape_duration_seconds.
A key with the viewer role is needed, unless pgvigil serve runs with
--metrics-without-key."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request
from starlette.responses import Response

from pgvigil.db.queries import query
from pgvigil.server.auth import Gate
from pgvigil.server.database import Database, Principal

log = logging.getLogger("pgvigil.server")

_METRICS = query("server_prometheus_metrics")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Who reads when no key is asked for: the reader role.
ANONYMOUS = Principal("anonymous", 0, "metrics", "viewer", "pgvigil_reader")

router = APIRouter()


@router.get(
    "/metrics",
    summary="Prometheus metrics (viewer, or no key with --metrics-without-key)",
    response_class=Response,
)
async def metrics(request: Request) -> Response:
    gate: Gate = request.app.state.gate
    if request.app.state.settings.metrics_without_key:
        gate.count_address(request)
        who = ANONYMOUS
    else:
        who = await gate.principal(request)
    db: Database = request.app.state.db
    started = time.perf_counter()
    try:
        async with db.acting_as(who) as conn:
            row = await (await conn.execute(_METRICS)).fetchone()
        body, up = (row["metrics"] if row else ""), 1
    except Exception as exc:  # the scrape still answers: pgvigil_up says what failed
        log.warning("metrics: the database did not answer: %s", exc)
        body, up = "", 0
    elapsed = time.perf_counter() - started
    body += (
        "# HELP pgvigil_up 1 when pgvigil's database answered this scrape, else 0.\n"
        "# TYPE pgvigil_up gauge\n"
        f"pgvigil_up {up}\n"
        "# HELP pgvigil_scrape_duration_seconds How long the database took to answer this scrape.\n"
        "# TYPE pgvigil_scrape_duration_seconds gauge\n"
        f"pgvigil_scrape_duration_seconds {elapsed:.6f}\n"
    )
    return Response(body, media_type=CONTENT_TYPE)
