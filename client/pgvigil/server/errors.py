"""Every error the server answers is JSON with a code and a hint:

    {"error": {"code": "PV201", "message": "...", "hint": "...", "detail": null}}

The database's own codes (PVxxx, raised by the schema's functions) pass
through with their message, detail and hint; the server's own are PV711 to
PV719 (docs/error-codes.md). No answer carries a stack trace or a secret:
an unexpected error is logged here and answered as PV719."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import psycopg

from pgvigil.errors import DatabaseUnavailableError, from_psycopg

log = logging.getLogger("pgvigil.server")

# The server's own codes.
UNAUTHENTICATED = "PV711"
FORBIDDEN = "PV712"
RATE_LIMITED = "PV713"
TOO_LARGE = "PV714"
INVALID_REQUEST = "PV715"
NOT_FOUND = "PV716"
UNAVAILABLE = "PV717"
CSRF = "PV718"
INTERNAL = "PV719"

HINTS = {
    UNAUTHENTICATED: "send a live API key as 'Authorization: Bearer KEY' (pgvigil keys create --role viewer --name NAME), or log in at POST /api/v1/session with a key or a user's name and password (pgvigil users create)",
    FORBIDDEN: "this needs a role with more rights: viewers read; operators also acknowledge, silence and manage rules; admins also manage config, receivers, keys and users",
    RATE_LIMITED: "wait for the seconds in Retry-After; the limits are pgvigil serve's --rate-limit options",
    TOO_LARGE: "send a smaller body; the limit is pgvigil serve's --max-body-bytes",
    INVALID_REQUEST: "see the API's OpenAPI page (/docs) for each endpoint's parameters",
    NOT_FOUND: "see the API's OpenAPI page (/docs) for the endpoints",
    UNAVAILABLE: "the database did not answer; pgvigil serve retries on the next request",
    CSRF: "a write with the session cookie must carry the session's X-CSRF-Token header: the csrf_token of POST or GET /api/v1/session",
    INTERNAL: "the server logged what happened; nothing was written",
}

# Database codes that mean "no such thing" or "not in that state".
_NOT_FOUND_CODES = frozenset({"PV102", "PV201", "PV510", "PV522", "PV609", "PV702", "PV704"})
_CONFLICT_CODES = frozenset({"PV101", "PV103", "PV202", "PV511", "PV523"})


@dataclass
class ApiError(Exception):
    status: int
    code: str
    message: str
    hint: str | None = None
    detail: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, object]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "hint": self.hint if self.hint is not None else HINTS.get(self.code),
                "detail": self.detail,
            }
        }


def from_database(exc: psycopg.Error) -> ApiError:
    """The answer to an error the database raised, by its SQLSTATE."""
    error = from_psycopg(exc)
    code = error.sqlstate or ""
    if code == "42501":  # insufficient_privilege: the role the key maps to may not
        return ApiError(403, FORBIDDEN, "your role may not do this")
    if isinstance(error, DatabaseUnavailableError):
        return ApiError(503, UNAVAILABLE, "the database is unavailable")
    if code in _NOT_FOUND_CODES:
        return ApiError(404, code, error.message, error.hint, error.detail)
    if code in _CONFLICT_CODES:
        return ApiError(409, code, error.message, error.hint, error.detail)
    if code.startswith(("PV", "22", "23")):
        return ApiError(422, code, error.message, error.hint, error.detail)
    log.error("unexpected database error %s: %s", code, error.message)
    return ApiError(500, INTERNAL, "internal error")
