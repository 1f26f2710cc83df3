"""The web dashboard: one HTML page at ``/`` and its static files under
``/static`` (plain JavaScript, and uPlot vendored from npm by
scripts/vendor-uplot: nothing is loaded from elsewhere at run time).

The page signs in with POST /api/v1/session (a key, or a user and
password), then reads the same JSON API as any client, with its session
cookie, and sends the session's CSRF token with every write. What a role
may do is decided by the API and the database; the page only hides what
the role cannot do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

# The page runs only its own scripts and styles and talks only to this server.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


class StaticAssets(StaticFiles):
    """The dashboard's files: revalidated on every load (ETag, 304), so an
    upgraded server never serves a page with an old script."""

    def file_response(self, *args: Any, **kwargs: Any) -> Any:
        response = super().file_response(*args, **kwargs)
        response.headers["cache-control"] = "no-cache"
        return response


@router.get("/")
async def page() -> FileResponse:
    return FileResponse(
        STATIC / "index.html",
        headers={"content-security-policy": CONTENT_SECURITY_POLICY, "cache-control": "no-cache"},
    )


def static_files() -> StaticAssets:
    return StaticAssets(directory=STATIC)
