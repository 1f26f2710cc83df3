"""The web dashboard's first load, in headless Chromium (Debian's, driven by
Playwright): from navigating to the overview, in a browser context with an
empty cache and a signed-in session cookie, until the overview has drawn
its numbers (``main[data-loaded-at]``, set by app.js once every request of
the page has been answered and rendered)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def session_cookie(url: str, key: str) -> dict[str, str]:
    """Signs in with the key (POST /api/v1/session), as the login form does."""
    answer = httpx.post(f"{url}/api/v1/session", json={"key": key}, timeout=30)
    answer.raise_for_status()
    host = urlsplit(url).hostname or "127.0.0.1"
    return {"name": "pgvigil_session", "value": answer.cookies["pgvigil_session"],
            "domain": host, "path": "/"}  # fmt: skip


def first_loads(url: str, key: str, runs: int) -> list[float]:
    """Seconds to the overview drawn, once per run, each in a new context
    (no cache, no connection kept from the run before)."""
    from playwright.sync_api import sync_playwright

    cookie = session_cookie(url, key)
    seconds: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_cookies([cookie])  # type: ignore[list-item]
                page = context.new_page()
                started = time.perf_counter()
                page.goto(f"{url}/#/overview")
                page.wait_for_selector('main[data-page="overview"][data-loaded-at]', timeout=30_000)
                seconds.append(time.perf_counter() - started)
                context.close()
        finally:
            browser.close()
    return seconds
