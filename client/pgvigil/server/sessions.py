"""The one home of the web dashboard's session: its cookie, its token and
the CSRF token derived from it.

A login (``POST /api/v1/session``) makes a token of 256 random bits
(``secrets.token_urlsafe(32)``) and sets it as the cookie
``pgvigil_session``: HttpOnly (no script reads it), SameSite=Strict (no
other site's page sends it), Path=/, Max-Age the session's lifetime, and
Secure when the request came over HTTPS (uvicorn's TLS, or a proxy's
X-Forwarded-Proto under ``--behind-proxy``). Only the token's SHA-256
reaches the database, as for an API key: nobody can guess a 256-bit token
from its hash, so no slow hash is needed.

The CSRF token is stateless: HMAC-SHA256 keyed with the session's token
over ``pgvigil-csrf``, URL-safe base64. The login's answer carries it (as
does ``GET /api/v1/session``); the page sends it back as ``X-CSRF-Token``
with every write, which another site's page cannot do, since it can read
neither the cookie nor the answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from pgvigil.server.keys import hash_key

COOKIE_NAME = "pgvigil_session"
CSRF_HEADER = "X-CSRF-Token"
# The methods that change nothing: the only ones a session cookie may
# authenticate without the CSRF header.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CSRF_MESSAGE = b"pgvigil-csrf"


@dataclass(frozen=True)
class NewSessionToken:
    token: str
    token_hash: bytes


def hash_token(token: str) -> bytes:
    """The SHA-256 the database knows the session by (as an API key's)."""
    return hash_key(token)


def new_session_token() -> NewSessionToken:
    token = secrets.token_urlsafe(32)
    return NewSessionToken(token, hash_token(token))


def csrf_token(token: str) -> str:
    digest = hmac.new(token.encode("utf-8"), _CSRF_MESSAGE, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def csrf_matches(token: str, given: str | None) -> bool:
    """Whether the X-CSRF-Token sent is the session's (in constant time)."""
    if not given:
        return False
    # Header values arrive decoded as latin-1: encoded back, nothing is lost.
    return hmac.compare_digest(given.encode("latin-1"), csrf_token(token).encode("ascii"))


def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE_NAME) or None


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=max_age,
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", secure=_secure(request), httponly=True, samesite="strict"
    )
