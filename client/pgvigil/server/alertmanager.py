"""The Alertmanager API v2, under ``/alertmanager/api/v2``: the one home of
that protocol, so that a Prometheus can list pgvigil under
``alerting.alertmanagers`` (``path_prefix: /alertmanager``) and amtool can
use ``--alertmanager.url http://host:8080/alertmanager``.

What each endpoint means lives in the database (``receive_alerts()``,
``alertmanager_alerts()``, ``alertmanager_alert_groups()``,
``alertmanager_silences()``, ``alertmanager_status()``, and the silence
functions); this module only translates: Alertmanager's matcher objects
to amtool matcher text and back, and its times. Keys as everywhere:
reading needs a viewer, posting alerts and silences an operator."""

from __future__ import annotations

import socket
import uuid
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from psycopg.types.json import Jsonb
from pydantic import BaseModel

import pgvigil
from pgvigil.db.queries import query
from pgvigil.server import auth
from pgvigil.server.api import database, fetch_one
from pgvigil.server.database import Principal
from pgvigil.server.errors import NOT_FOUND, ApiError

_RECEIVE = query("am_receive_alerts")
_ALERTS = query("am_alerts")
_GROUPS = query("am_alert_groups")
_SILENCES = query("am_silences")
_STATUS = query("am_status")
_CREATE_SILENCE = query("create_silence")
_UPDATE_SILENCE = query("am_update_silence")
_EXPIRE_SILENCE = query("expire_silence")

PREFIX = "/alertmanager/api/v2"
STARTED = datetime.now(timezone.utc)

Viewer = Annotated[Principal, Depends(auth.viewer)]
Operator = Annotated[Principal, Depends(auth.operator)]
Filters = Annotated[list[str] | None, Query(description='amtool matchers: filter=alertname="x"')]

router = APIRouter(prefix=PREFIX, tags=["Alertmanager API v2"])


class Matcher(BaseModel):
    name: str
    value: str
    isRegex: bool  # noqa: N815 (Alertmanager's field names)
    isEqual: bool = True  # noqa: N815


class PostableSilence(BaseModel):
    id: str | None = None
    matchers: list[Matcher]
    startsAt: datetime  # noqa: N815
    endsAt: datetime  # noqa: N815
    createdBy: str  # noqa: N815
    comment: str


def matcher_text(matcher: Matcher) -> str:
    """An Alertmanager matcher object as amtool writes it: name, operator,
    and the value double-quoted with \\ " and newlines escaped."""
    op = (
        ("=~" if matcher.isRegex else "=")
        if matcher.isEqual
        else ("!~" if matcher.isRegex else "!=")
    )
    value = matcher.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'{matcher.name}{op}"{value}"'


@router.post("/alerts", summary="Post alerts, as a Prometheus does (operator)")
async def post_alerts(
    who: Operator, request: Request, alerts: Annotated[Any, Body()]
) -> dict[str, Any]:
    async with database(request).acting_as(who) as conn:
        await conn.execute(_RECEIVE, (Jsonb(alerts), f"alertmanager-api:{who.name}"))
    return {}


@router.get("/alerts", summary="Open alerts, as amtool alert query reads them")
async def get_alerts(
    who: Viewer,
    request: Request,
    filter: Filters = None,
    active: bool = True,
    silenced: bool = True,
    inhibited: bool = True,
    unprocessed: bool = True,
    receiver: str | None = None,
) -> Any:
    params = {
        "filter": filter,
        "active": active,
        "silenced": silenced,
        "inhibited": inhibited,
        "receiver": receiver,
    }
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _ALERTS, params)
    return row["alerts"] if row else []


@router.get("/alerts/groups", summary="Notification groups with their open alerts")
async def get_alert_groups(who: Viewer, request: Request, filter: Filters = None) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _GROUPS, {"filter": filter})
    return row["groups"] if row else []


@router.get("/silences", summary="Silences, as amtool silence query reads them")
async def get_silences(who: Viewer, request: Request, filter: Filters = None) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _SILENCES, {"silence_id": None})
    silences: list[dict[str, Any]] = row["silences"] if row else []
    if filter:  # silences whose matchers include each filter's
        wanted = set(filter)
        silences = [
            s for s in silences if wanted <= {matcher_text(Matcher(**m)) for m in s["matchers"]}
        ]
    return silences


@router.post("/silences", summary="Create a silence, or update one by id (operator)")
async def post_silence(who: Operator, request: Request, silence: PostableSilence) -> Any:
    """As Alertmanager: with an id, a silence whose matchers are unchanged is
    updated (its end, comment, a pending one's start); otherwise the old one
    is expired and a new one made. Returns {"silenceID": ...}."""
    matchers = [matcher_text(m) for m in silence.matchers]
    now = datetime.now(timezone.utc)
    starts_at = silence.startsAt if silence.startsAt > now else None
    async with database(request).acting_as(who) as conn:
        if silence.id:
            silence_id = _silence_id(silence.id)
            row = await fetch_one(conn, _SILENCES, {"silence_id": silence_id})
            [old] = row["silences"] if row and row["silences"] else [None]
            if old is None:
                raise ApiError(404, "PV609", f"unknown silence: {silence.id}")
            same = [matcher_text(Matcher(**m)) for m in old["matchers"]] == matchers
            if same and old["status"]["state"] != "expired":
                await conn.execute(
                    _UPDATE_SILENCE,
                    {
                        "silence_id": silence_id,
                        "ends_at": silence.endsAt,
                        "comment": silence.comment,
                        "starts_at": starts_at if old["status"]["state"] == "pending" else None,
                    },
                )
                return {"silenceID": str(silence_id)}
            await conn.execute(_EXPIRE_SILENCE, (silence_id,))
        created = await fetch_one(
            conn,
            _CREATE_SILENCE,
            {
                "matchers": matchers,
                "comment": silence.comment,
                "until": silence.endsAt,
                "duration": None,
                "start": starts_at,
                "author": silence.createdBy,
            },
        )
    assert created is not None
    return {"silenceID": str(created["silence_id"])}


def _silence_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ApiError(404, "PV609", f"unknown silence: {text}") from None


@router.get("/silence/{silence_id}", summary="One silence")
async def get_silence(who: Viewer, request: Request, silence_id: str) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _SILENCES, {"silence_id": _silence_id(silence_id)})
    if not row or not row["silences"]:
        raise ApiError(404, NOT_FOUND, f"no silence {silence_id}")
    return row["silences"][0]


@router.delete("/silence/{silence_id}", summary="Expire a silence (operator)")
async def delete_silence(who: Operator, request: Request, silence_id: str) -> dict[str, Any]:
    async with database(request).acting_as(who) as conn:
        await conn.execute(_EXPIRE_SILENCE, (_silence_id(silence_id),))
    return {}


@router.get("/status", summary="Version, config and cluster status, as amtool reads them")
async def get_status(who: Viewer, request: Request) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _STATUS)
    status = row["status"] if row and row["status"] else {}
    return {
        "cluster": {**status.get("cluster", {"status": "disabled", "peers": []}),
                    "name": socket.gethostname()},
        "versionInfo": {
            "version": pgvigil.__version__,
            "revision": "pgvigil",
            "branch": "main",
            "buildUser": "pgvigil",
            "buildDate": STARTED.strftime("%Y%m%d-%H:%M:%S"),
            "goVersion": "none (pgvigil, Python)",
        },
        "config": status.get("config", {"original": "{}"}),
        "uptime": STARTED.isoformat().replace("+00:00", "Z"),
    }  # fmt: skip


@router.get("/receivers", summary="The receivers' names")
async def get_receivers(who: Viewer, request: Request) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _STATUS)
    return (row["status"] or {}).get("receivers", []) if row else []
