"""pgvigil's own JSON API, version 1, under ``/api/v1`` (and the seed
design's ``GET /alerts`` and ``POST /alerts``). Every endpoint names the
role it needs, but the web session's (``/api/v1/session``), which take
credentials or the session cookie themselves; every statement is a named
block of ``db/queries.sql`` run under the caller's database role, so the
schema's functions validate and audit as they do for psql. Times are RFC
3339; a range is ``since`` and ``until`` (the last 24 hours by default)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field
from starlette.responses import Response

from pgvigil.db.queries import query
from pgvigil.server import auth
from pgvigil.server.auth import Gate, unauthenticated
from pgvigil.server.cache import ReadCache
from pgvigil.server.database import Connection, Database, Principal, Session
from pgvigil.server.errors import CSRF, INVALID_REQUEST, NOT_FOUND, ApiError
from pgvigil.server.keys import new_api_key
from pgvigil.server.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hash_password
from pgvigil.server.responses import dumps
from pgvigil.server.sessions import (
    CSRF_HEADER,
    clear_session_cookie,
    csrf_matches,
    csrf_token,
    hash_token,
    new_session_token,
    session_token,
    set_session_cookie,
)

_OVERVIEW = query("server_overview")
_ACTIVE_ALERTS = query("server_active_alerts")
_ALERT_HISTORY = query("server_alert_history")
_ALERT = query("server_alert")
_ALERT_TIMELINE = query("server_alert_timeline")
_ACKNOWLEDGE = query("acknowledge_alert")
_RESOLVE = query("resolve_alert")
_RULES = query("server_rules")
_RULE = query("server_rule")
_PUT_RULE = query("put_alert_rule")
_TEST_RULE = query("test_alert_rule")
_SET_RULE_ENABLED = query("set_alert_rule_enabled")
_DELETE_RULE = query("delete_alert_rule")
_SILENCES = query("server_silences")
_SILENCE = query("server_silence")
_CREATE_SILENCE = query("create_silence")
_EXPIRE_SILENCE = query("expire_silence")
_RECEIVERS = query("server_receivers")
_NOTIFICATIONS = query("server_notifications")
_COMPONENTS = query("server_components")
_COMPONENT = query("server_component")
_COMPONENT_HEALTH = query("server_component_health")
_COMPONENT_ALERTS = query("server_component_alerts")
_TASK_STATUS = query("server_task_status")
_TASK_HISTORY = query("server_task_history")
_ERRORS = query("server_errors")
_METRIC_HISTORY = query("server_metric_history")
_METRIC_NAMES = query("server_metric_names")
_LIST_TASKS = query("server_list_tasks")
_ALERT_RESPONSE_REPORT = query("server_alert_response_report")
_COMPONENT_UPTIME_REPORT = query("server_component_uptime_report")
_CREATE_KEY = query("create_api_key")
_LIST_KEYS = query("list_api_keys")
_REVOKE_KEY = query("revoke_api_key")
_CREATE_USER = query("create_web_user")
_LIST_USERS = query("list_web_users")
_DISABLE_USER = query("disable_web_user")

# Where the 5-minute views end and the hourly ones take over.
FINE_HISTORY = timedelta(hours=24)
MAX_LIMIT = 10_000

Viewer = Annotated[Principal, Depends(auth.viewer)]
Operator = Annotated[Principal, Depends(auth.operator)]
Admin = Annotated[Principal, Depends(auth.admin)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Matchers = Annotated[
    list[str] | None,
    Query(description='amtool matchers, each its own parameter: matcher=severity="critical"'),
]

router = APIRouter(prefix="/api/v1")
seed_router = APIRouter()


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def gate(request: Request) -> Gate:
    the_gate: Gate = request.app.state.gate
    return the_gate


async def cached(who: Principal, request: Request, compute: Any) -> Response:
    """A busy read, from the read cache (server/cache.py) when fresh: the
    answer is kept rendered, so a hit costs no database and no encoding."""
    cache: ReadCache = request.app.state.cache
    key = (who.database_role, request.url.path, tuple(sorted(request.query_params.multi_items())))

    async def render() -> bytes:
        return dumps(await compute())

    return Response(await cache.get(key, render), media_type="application/json")


async def fetch_all(conn: Connection, statement: Any, params: Any = None) -> list[dict[str, Any]]:
    return await (await conn.execute(statement, params)).fetchall()


async def fetch_one(conn: Connection, statement: Any, params: Any = None) -> dict[str, Any] | None:
    return await (await conn.execute(statement, params)).fetchone()


def time_range(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime, bool]:
    """The range asked for (the last 24 hours by default), and whether it
    lies within the 5-minute views (fine) or needs the hourly ones."""
    now = datetime.now(timezone.utc)
    until = until or now
    since = since or until - FINE_HISTORY
    for value in (since, until):
        if value.tzinfo is None:
            raise ApiError(422, INVALID_REQUEST, "times need a time zone: 2026-01-31T12:00:00Z")
    if since >= until:
        raise ApiError(422, INVALID_REQUEST, "since must be before until")
    return since, until, since >= now - FINE_HISTORY


def not_found(what: str) -> ApiError:
    return ApiError(404, NOT_FOUND, f"no {what}")


# --- overview ------------------------------------------------------------------


@router.get("/overview", summary="Tasks, alerts, errors, health and queues at a glance")
async def overview(who: Viewer, request: Request) -> Any:
    async def compute() -> Any:
        async with database(request).acting_as(who) as conn:
            row = await fetch_one(conn, _OVERVIEW)
        return row["summary"] if row else {}

    return await cached(who, request, compute)


# --- alerts ----------------------------------------------------------------------


@router.get("/alerts", summary="Active alerts (firing, acknowledged, pending), worst first")
async def active_alerts(
    who: Viewer, request: Request, matcher: Matchers = None, limit: Limit = 1000
) -> Any:
    async def compute() -> Any:
        async with database(request).acting_as(who) as conn:
            return await fetch_all(conn, _ACTIVE_ALERTS, {"matchers": matcher, "limit": limit})

    return await cached(who, request, compute)


@router.get("/alerts/history", summary="Alert transitions in a time range, newest first")
async def alert_history(
    who: Viewer,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
    matcher: Matchers = None,
    limit: Limit = 1000,
) -> Any:
    since, until, _ = time_range(since, until)
    params = {"since": since, "until": until, "matchers": matcher, "limit": limit}
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _ALERT_HISTORY, params)


@router.get("/alerts/{alert_id}", summary="One alert and its incident timeline")
async def alert(who: Viewer, request: Request, alert_id: int) -> Any:
    async with database(request).acting_as(who) as conn:
        current = await fetch_one(conn, _ALERT, (alert_id,))
        timeline = await fetch_all(conn, _ALERT_TIMELINE, (alert_id,))
    if current is None and not timeline:
        raise not_found(f"alert {alert_id}")
    return {"alert_id": alert_id, "active": current, "timeline": timeline}


class Note(BaseModel):
    note: str | None = Field(default=None, max_length=10_000)


@router.post("/alerts/{alert_id}/acknowledge", summary="Acknowledge an alert (operator)")
async def acknowledge(
    who: Operator, request: Request, alert_id: int, body: Note | None = None
) -> Any:
    params = {"alert_id": alert_id, "by": who.name, "note": body.note if body else None}
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _ACKNOWLEDGE, params)
    return {"alert_id": alert_id, "changed": bool(row and row["acknowledge_alert"])}


@router.post("/alerts/{alert_id}/resolve", summary="Resolve an alert by hand (operator)")
async def resolve(who: Operator, request: Request, alert_id: int, body: Note | None = None) -> Any:
    params = {"alert_id": alert_id, "by": who.name, "note": body.note if body else None}
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _RESOLVE, params)
    return {"alert_id": alert_id, "changed": bool(row and row["resolve_alert"])}


# --- rules -----------------------------------------------------------------------


@router.get("/rules", summary="Alert rules with their state")
async def rules(who: Viewer, request: Request) -> Any:
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _RULES)


@router.get("/rules/{name}", summary="One alert rule")
async def rule(who: Viewer, request: Request, name: str) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _RULE, (name,))
    if row is None:
        raise not_found(f"alert rule {name}")
    return row


async def put_rule(who: Principal, request: Request, definition: dict[str, Any]) -> Any:
    async with database(request).acting_as(who) as conn:
        await conn.execute(_PUT_RULE, (Jsonb(definition),))
        return await fetch_one(conn, _RULE, (definition.get("name"),))


@router.post("/rules", status_code=201, summary="Create or replace an alert rule (operator)")
async def create_rule(who: Operator, request: Request, definition: dict[str, Any]) -> Any:
    return await put_rule(who, request, definition)


@router.put("/rules/{name}", summary="Replace an alert rule (operator)")
async def replace_rule(
    who: Operator, request: Request, name: str, definition: dict[str, Any]
) -> Any:
    if definition.get("name", name) != name:
        raise ApiError(422, INVALID_REQUEST, "the rule's name differs from the one in the path")
    return await put_rule(who, request, {**definition, "name": name})


class Enabled(BaseModel):
    enabled: bool


@router.put("/rules/{name}/enabled", summary="Enable or disable an alert rule (operator)")
async def set_rule_enabled(who: Operator, request: Request, name: str, body: Enabled) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _SET_RULE_ENABLED, (name, body.enabled))
    return {
        "rule_name": name,
        "enabled": body.enabled,
        "changed": bool(row and row["set_alert_rule_enabled"]),
    }


@router.delete("/rules/{name}", summary="Delete an alert rule (operator)")
async def delete_rule(who: Operator, request: Request, name: str) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _DELETE_RULE, (name,))
    return {"rule_name": name, "deleted": bool(row and row["delete_alert_rule"])}


@router.post("/rules/test", summary="Evaluate a rule now, changing nothing (operator)")
async def test_rule(who: Operator, request: Request, definition: dict[str, Any]) -> Any:
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _TEST_RULE, (Jsonb(definition),))


# --- silences ----------------------------------------------------------------------


@router.get("/silences", summary="Silences (pending and active; expired too with expired=true)")
async def silences(who: Viewer, request: Request, expired: bool = False) -> Any:
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _SILENCES, {"expired": expired})


class NewSilence(BaseModel):
    matchers: list[str] = Field(
        description='amtool matchers: ["alertname=\\"DiskFull\\"", "env=~\\"prod|staging\\""]'
    )
    comment: str
    ends_at: datetime | None = None
    duration: str | None = Field(default=None, description="instead of ends_at: 2h, 1d, 30m")
    starts_at: datetime | None = None


@router.post("/silences", status_code=201, summary="Create a silence (operator)")
async def create_silence(who: Operator, request: Request, body: NewSilence) -> Any:
    params = {
        "matchers": body.matchers,
        "comment": body.comment,
        "until": body.ends_at,
        "duration": body.duration,
        "start": body.starts_at,
        "author": who.name,
    }
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _CREATE_SILENCE, params)
        assert row is not None
        return await fetch_one(conn, _SILENCE, (row["silence_id"],))


@router.delete("/silences/{silence_id}", summary="Expire a silence now (operator)")
async def expire_silence(who: Operator, request: Request, silence_id: uuid.UUID) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _EXPIRE_SILENCE, (silence_id,))
    return {"silence_id": silence_id, "expired": bool(row and row["expire_silence"])}


# --- notifications -----------------------------------------------------------------


@router.get("/receivers", summary="Receivers and their delivery health (no secrets)")
async def receivers(who: Viewer, request: Request) -> Any:
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _RECEIVERS)


@router.get("/notifications", summary="The notification delivery log, newest first")
async def notifications(
    who: Viewer,
    request: Request,
    receiver: str | None = None,
    status: str | None = None,
    limit: Limit = 200,
) -> Any:
    params = {"receiver": receiver, "status": status, "limit": limit}
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _NOTIFICATIONS, params)


# --- components, tasks, errors, metrics ------------------------------------------


@router.get("/components", summary="Components (agents) with their health and open alerts")
async def components(who: Viewer, request: Request) -> Any:
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _COMPONENTS)


@router.get("/components/{name}", summary="One component: health, uptime and open alerts")
async def component(who: Viewer, request: Request, name: str) -> Any:
    async with database(request).acting_as(who) as conn:
        registry = await fetch_one(conn, _COMPONENT, (name,))
        health = await fetch_all(conn, _COMPONENT_HEALTH, (name,))
        alerts = await fetch_all(conn, _COMPONENT_ALERTS, (name, name))
    if registry is None and not health:
        raise not_found(f"component {name}")
    return {"component": name, "registry": registry, "health": health, "open_alerts": alerts}


@router.get("/tasks", summary="Task status now, and over a time range")
async def tasks(
    who: Viewer,
    request: Request,
    task_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Any:
    since, until, fine = time_range(since, until)
    params = {"task_type": task_type, "since": since, "until": until, "fine": fine}

    async def compute() -> Any:
        async with database(request).acting_as(who) as conn:
            status = await fetch_all(conn, _TASK_STATUS, params)
            history = await fetch_all(conn, _TASK_HISTORY, params)
        return {"bucket": "5m" if fine else "1h", "status": status, "history": history}

    return await cached(who, request, compute)


@router.get("/tasks/runs", summary="Task runs, newest first, by type, status and worker")
async def task_runs(
    who: Viewer,
    request: Request,
    task_type: str | None = None,
    status: str | None = None,
    worker_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 100,
) -> Any:
    """The runs that started in the range (the last 24 hours by default, at
    most 31 days), each with the errors recorded with its id."""
    since, until, _ = time_range(since, until)
    params = {"since": since, "until": until, "task_type": task_type, "status": status,
              "worker_id": worker_id, "limit": limit}  # fmt: skip
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _LIST_TASKS, params)


@router.get("/errors", summary="Errors by hour, component, type and severity (last 24 hours)")
async def errors(
    who: Viewer,
    request: Request,
    component: str | None = None,
    severity: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 1000,
) -> Any:
    since, until, _ = time_range(since, until)
    params = {
        "component": component,
        "severity": severity,
        "since": since,
        "until": until,
        "limit": limit,
    }
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _ERRORS, params)


@router.get("/metrics", summary="The metrics recorded in the last 7 days, with their components")
async def metric_names(who: Viewer, request: Request) -> Any:
    async def compute() -> Any:
        async with database(request).acting_as(who) as conn:
            return await fetch_all(conn, _METRIC_NAMES)

    return await cached(who, request, compute)


@router.get("/metrics/{metric}/history", summary="A metric over a time range, from the rollups")
async def metric_history(
    who: Viewer,
    request: Request,
    metric: str,
    component: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Any:
    since, until, fine = time_range(since, until)
    params = {
        "metric": metric,
        "component": component,
        "since": since,
        "until": until,
        "fine": fine,
    }

    async def compute() -> Any:
        async with database(request).acting_as(who) as conn:
            points = await fetch_all(conn, _METRIC_HISTORY, params)
        return {"metric": metric, "bucket": "5m" if fine else "1h", "points": points}

    return await cached(who, request, compute)


# --- reports -------------------------------------------------------------------------


@router.get("/reports", summary="MTTD, MTTA and MTTR per rule, and uptime per component")
async def reports(
    who: Viewer,
    request: Request,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Any:
    """Over [since, until): the last 7 days by default, at most 366 days."""
    until = until or datetime.now(timezone.utc)
    since, until, _ = time_range(since or until - timedelta(days=7), until)
    params = {"since": since, "until": until}
    async with database(request).acting_as(who) as conn:
        alerts = await fetch_all(conn, _ALERT_RESPONSE_REPORT, params)
        components = await fetch_all(conn, _COMPONENT_UPTIME_REPORT, params)
    return {"since": since, "until": until, "alerts": alerts, "components": components}


# --- API keys ------------------------------------------------------------------------


class NewKeyRequest(BaseModel):
    name: str
    role: str = Field(description="viewer, operator or admin")
    expires_at: datetime | None = None


@router.get("/keys", summary="API keys, without their secrets (admin)")
async def keys(who: Admin, request: Request, all: bool = False) -> Any:
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _LIST_KEYS, {"all": all})


@router.post("/keys", status_code=201, summary="Create an API key, shown this once (admin)")
async def create_key(who: Admin, request: Request, body: NewKeyRequest) -> Any:
    made = new_api_key()
    params = {
        "name": body.name,
        "role": body.role,
        "key_hash": made.key_hash,
        "prefix": made.prefix,
        "expires_at": body.expires_at,
    }
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _CREATE_KEY, params)
    assert row is not None
    return {"key_id": row["key_id"], "name": body.name, "role": body.role, "key": made.key}


@router.delete("/keys/{key_id}", summary="Revoke an API key (admin)")
async def revoke_key(who: Admin, request: Request, key_id: int) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _REVOKE_KEY, (key_id,))
    return {"key_id": key_id, "revoked": bool(row and row["revoked"])}


# --- web users -----------------------------------------------------------------------


class NewUserRequest(BaseModel):
    name: str
    role: str = Field(description="viewer, operator or admin")
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)


@router.get("/users", summary="Web users, without their password hashes (admin)")
async def users(who: Admin, request: Request, all: bool = False) -> Any:
    async with database(request).acting_as(who) as conn:
        return await fetch_all(conn, _LIST_USERS, {"all": all})


@router.post("/users", status_code=201, summary="Create a web user with a password (admin)")
async def create_user(who: Admin, request: Request, body: NewUserRequest) -> Any:
    # The password is hashed here (argon2id, in a thread): only the hash reaches SQL.
    password_hash = await asyncio.to_thread(hash_password, body.password)
    params = {"name": body.name, "role": body.role, "password_hash": password_hash}
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _CREATE_USER, params)
    assert row is not None
    return {"user_id": row["user_id"], "name": body.name.strip(), "role": body.role}


@router.delete("/users/{name}", summary="Disable a web user and end its sessions (admin)")
async def disable_user(who: Admin, request: Request, name: str) -> Any:
    async with database(request).acting_as(who) as conn:
        row = await fetch_one(conn, _DISABLE_USER, (name,))
    return {"name": name, "disabled": bool(row and row["disabled"])}


# --- web sessions --------------------------------------------------------------------


class LoginRequest(BaseModel):
    key: str | None = Field(default=None, max_length=200, description="an API key (pgv_...)")
    user: str | None = Field(default=None, max_length=200, description="or a web user's name")
    password: str | None = Field(
        default=None, max_length=MAX_PASSWORD_LENGTH, description="and its password"
    )


def session_answer(session: Session, token: str) -> dict[str, Any]:
    who = session.principal
    return {
        "kind": who.kind,
        "name": who.name,
        "role": who.role,
        "csrf_token": csrf_token(token),
        "expires_at": session.expires_at,
    }


@router.post(
    "/session",
    status_code=201,
    summary="Log in with an API key, or a web user's name and password: sets the session cookie"
    " (no role needed)",
)
async def login(request: Request, response: Response, body: LoginRequest) -> Any:
    the_gate = gate(request)
    the_gate.count_address(request)
    key_id = user_id = None
    if body.key is not None and body.user is None and body.password is None:
        principal = await the_gate.authenticate_key(body.key)
        if principal is None:
            raise the_gate.failed(request, "unknown, revoked or expired API key")
        key_id, audit_name = principal.id, principal.audit_name
    elif body.key is None and body.user is not None and body.password is not None:
        user_id = await the_gate.authenticate_password(request, body.user, body.password)
        audit_name = f"user:{body.user}"
    else:
        raise ApiError(
            422, INVALID_REQUEST, 'log in with {"key": ...}, or with {"user": ..., "password": ...}'
        )
    made = new_session_token()
    lifetime = timedelta(seconds=request.app.state.settings.session_lifetime_seconds)
    session = await database(request).open_session(
        made.token_hash, lifetime, key_id=key_id, user_id=user_id, audit_name=audit_name
    )
    if session is None:  # revoked, expired or disabled since its check, a moment ago
        raise unauthenticated("the key or user is no longer live")
    the_gate.count_principal(session.principal)
    left = (session.expires_at - datetime.now(timezone.utc)).total_seconds()
    max_age = max(1, min(int(lifetime.total_seconds()), int(left)))
    set_session_cookie(response, request, made.token, max_age)
    return session_answer(session, made.token)


@router.get(
    "/session", summary="The session of the cookie: who, role, CSRF token, expiry (no role needed)"
)
async def current_session(request: Request) -> Any:
    the_gate = gate(request)
    the_gate.count_address(request)
    token = session_token(request)
    session = await database(request).authenticate_session(hash_token(token)) if token else None
    if token is None or session is None:
        raise unauthenticated("no live session: log in at POST /api/v1/session")
    the_gate.count_principal(session.principal)
    return session_answer(session, token)


@router.delete(
    "/session",
    status_code=204,
    response_class=Response,
    summary="Log out: ends the session and clears its cookie (needs X-CSRF-Token; no role needed)",
)
async def logout(request: Request) -> Response:
    gate(request).count_address(request)
    token = session_token(request)
    if token is not None:
        if not csrf_matches(token, request.headers.get(CSRF_HEADER)):
            raise ApiError(403, CSRF, f"logging out needs the session's {CSRF_HEADER} header")
        token_hash = hash_token(token)
        db = database(request)
        session = await db.authenticate_session(token_hash)
        await db.end_session(token_hash, session.principal.audit_name if session else None)
    answer = Response(status_code=204)
    clear_session_cookie(answer, request)
    return answer


# --- the seed design's endpoints ----------------------------------------------------


@seed_router.get("/alerts", summary="Active alerts (as GET /api/v1/alerts)")
async def seed_alerts(who: Viewer, request: Request, matcher: Matchers = None) -> Any:
    return await active_alerts(who, request, matcher, 1000)


@seed_router.post(
    "/alerts", status_code=201, summary="Create an alert rule (as POST /api/v1/rules)"
)
async def seed_create_rule(who: Operator, request: Request, definition: dict[str, Any]) -> Any:
    return await put_rule(who, request, definition)
