"""The web dashboard in a real browser: Debian's Chromium, headless, driven
by Playwright, against pgvigil serve on loopback and a real database.

The tests sign in (by user and password, and by key), read the overview and
compare its numbers with the database, acknowledge and silence an alert and
find it so in the database, see a live update arrive without a reload, and
check that a viewer is offered no write. Every page is photographed at a
desktop and a phone width into .artifacts/dashboard/ (or
$PGVIGIL_ARTIFACTS/dashboard), and must load without a console error
(which is where a Content-Security-Policy violation shows) and, on a phone,
without scrolling sideways."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    expect,
    sync_playwright,
)
from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, scalar
from serving import Serving, make_key, make_user
from signals import add_errors, add_tasks, queue_sample, report_health

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("PGVIGIL_ARTIFACTS", Path(__file__).parents[2] / ".artifacts"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery staple"

RULE: dict[str, Any] = {
    "name": "cpu_high",
    "source": {"kind": "metric", "metric_name": "cpu"},
    "aggregate": "last",
    "window": "5m",
    "group_by": ["component"],
    "thresholds": {"high": 80},
    "annotations": {"summary": "CPU high on {{ $labels.component }}"},
}

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"{CHROMIUM} is missing: scripts/setup --test installs it",
)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # The flags keep Chromium off the network it cannot reach here, and let it run as root.
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run"],
    )  # fmt: skip
    yield browser
    browser.close()


@pytest.fixture
def serving(dsn: str) -> Iterator[Serving]:
    s = Serving(dsn, live_counts_interval=0.5)
    yield s
    s.stop()


class Console:
    """What the page logged as errors, and the answers of 400 and above it
    got, but the one the design expects: the first GET /api/v1/session
    before signing in is a 401."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("response", self._response)

    def _message(self, message: ConsoleMessage) -> None:
        # A failed request is also logged as "Failed to load resource": it is judged below, by its URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response: Response) -> None:
        signing_in = response.url.endswith("/api/v1/session") and response.request.method == "GET"
        if response.status >= 400 and not (signing_in and response.status == 401):
            self.errors.append(f"{response.status} {response.request.method} {response.url}")


@pytest.fixture
def new_page(browser: Browser, serving: Serving) -> Iterator[Callable[..., tuple[Page, Console]]]:
    """Opens pages, each in its own browser context, closed before the server stops."""
    contexts: list[BrowserContext] = []

    def open_one(viewport: dict[str, int] = DESKTOP) -> tuple[Page, Console]:
        context = browser.new_context(viewport=viewport, locale="en-US", timezone_id="UTC")  # type: ignore[arg-type]
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page, Console(page)

    yield open_one
    for context in contexts:
        context.close()


def sign_in_with_password(page: Page, serving: Serving, user: str) -> None:
    page.goto(serving.url + "/")
    page.get_by_label("User", exact=True).fill(user)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("who")).to_contain_text(user)


def sign_in_with_key(page: Page, serving: Serving, key: str) -> None:
    page.goto(serving.url + "/")
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_role("button", name="Sign in with key").click()
    expect(page.locator("#top")).to_be_visible()


def wait_for_page(page: Page, name: str) -> None:
    # (A locator, not wait_for_function: the page's CSP forbids the eval that needs.)
    expect(page.locator(f'main[data-page="{name}"][data-loaded-at]')).to_be_attached()


def open_page(page: Page, serving: Serving, hash_path: str, name: str) -> None:
    page.evaluate("delete document.getElementById('main').dataset.loadedAt")
    page.goto(f"{serving.url}/#/{hash_path}")
    wait_for_page(page, name)


def fire(conn: Conn, component: str, value: float = 95) -> int:
    conn.execute("SELECT monitoring.put_alert_rule(%s)", (Jsonb(RULE),))
    conn.execute(
        "SELECT monitoring.record_performance_metric('cpu', 'gauge', %s, 'percent', %s, '{}')",
        (value, component),
    )
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
    return int(
        scalar(conn, "SELECT alert_id FROM monitoring.alerts WHERE subject = %s", (component,))
    )


def workload(conn: Conn) -> None:
    add_tasks(conn, "etl", [1.0, 2.0, 3.0, 4.0], ["completed", "completed", "completed", "failed"])
    add_tasks(conn, "ocr", [5.0, 6.0], ["completed", "failed"])
    add_errors(conn, "api", 4, severity="high", minutes_ago=2)
    add_errors(conn, "db", 2, minutes_ago=3)
    report_health(conn, "db", "unhealthy", 5, "disk full")
    report_health(conn, "api", "healthy", 5)
    queue_sample(conn, "jobs", 12, 3, 40)


def test_the_overview_shows_the_databases_numbers(
    conn: Conn, serving: Serving, new_page: Callable[..., tuple[Page, Console]]
) -> None:
    workload(conn)
    fire(conn, "web")
    make_user(conn, "ana", "viewer", PASSWORD)
    page, console = new_page()
    sign_in_with_password(page, serving, "ana")
    wait_for_page(page, "overview")

    summary = scalar(conn, "SELECT monitoring.get_dashboard_summary()")
    tasks, errors = summary["tasks"], summary["errors"]
    shown = {
        "tasks-running": tasks["running"],
        "completed-last-hour": tasks["completed_last_hour"],
        "failed-last-hour": tasks["failed_last_hour"],
        "errors-last-hour": errors["last_hour"],
        "active-alerts": summary["alerts"]["active"],
    }
    assert shown["active-alerts"] >= 1  # cpu_high, and what the built-in rules raise
    del shown["active-alerts"]
    assert shown == {"tasks-running": 0, "completed-last-hour": 4, "failed-last-hour": 2,
                     "errors-last-hour": 6}  # fmt: skip
    shown["active-alerts"] = summary["alerts"]["active"]
    for key, value in shown.items():
        expect(page.locator(f'[data-stat="{key}"]')).to_have_text(str(value))
    expect(page.locator('[data-stat="failure-ratio"]')).to_have_text("33.3 %")
    for status, count in tasks["by_status"].items():
        row = page.locator(f'[data-table="tasks-by-status"] tr[data-row="{status}"]')
        expect(row).to_contain_text(str(count))
    expect(page.locator('[data-list="health"] li[data-row="db"]')).to_contain_text("unhealthy")
    expect(page.locator('[data-list="health"] li[data-row="db"]')).to_contain_text("disk full")
    expect(page.locator('[data-table="queues"] tr[data-row="jobs"]')).to_contain_text("12")
    expect(page.locator('[data-list="errors-by-component"] li[data-row="api"]')).to_contain_text(
        "4"
    )
    for severity, count in summary["alerts"]["by_severity"].items():
        if not count:
            continue
        row = page.locator(f'[data-table="alerts-by-severity"] tr[data-row="{severity}"]')
        expect(row).to_contain_text(str(count))
    assert console.errors == []


def test_an_operator_acknowledges_and_silences_an_alert(
    conn: Conn, serving: Serving, new_page: Callable[..., tuple[Page, Console]]
) -> None:
    alert_id = fire(conn, "web")
    make_user(conn, "olga", "operator", PASSWORD)
    page, console = new_page()
    sign_in_with_password(page, serving, "olga")
    open_page(page, serving, "alerts", "alerts")

    row = page.locator(f'[data-table="active-alerts"] tr[data-row="{alert_id}"]')
    row.get_by_role("button", name="Acknowledge").click()
    row.get_by_label("Acknowledge: note").fill("looking at it")
    row.locator("form").get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".message.ok")).to_contain_text("Acknowledge: done")
    expect(row).to_contain_text("olga")
    acknowledged = one(
        conn, "SELECT acknowledged_by, acknowledged_at IS NOT NULL AS done FROM monitoring.alerts"
        " WHERE alert_id = %s", (alert_id,),
    )  # fmt: skip
    assert acknowledged == {"acknowledged_by": "olga", "done": True}
    on_behalf = scalar(
        conn, "SELECT on_behalf_of FROM monitoring.audit_log WHERE action = 'acknowledge_alert'"
        " ORDER BY id DESC LIMIT 1",
    )  # fmt: skip
    assert on_behalf == "user:olga"

    row = page.locator(f'[data-table="active-alerts"] tr[data-row="{alert_id}"]')
    row.get_by_role("button", name="Silence like this").click()
    form = page.get_by_role("form", name="New silence")
    expect(form.get_by_label("Matchers, one per line")).to_have_value(re.compile('component="web"'))
    form.get_by_label("Duration").fill("1h")
    form.get_by_label("Comment").fill("deploying web")
    form.get_by_role("button", name="Create silence").click()
    expect(page.locator(".message.ok").last).to_contain_text("Silence created")
    silence = one(conn, "SELECT created_by, comment, matchers_text FROM monitoring.v_silences")
    assert silence["created_by"] == "olga"
    assert silence["comment"] == "deploying web"
    assert 'component="web"' in silence["matchers_text"]
    assert 'alertname="cpu_high"' in silence["matchers_text"]
    open_page(page, serving, "alerts?tab=silences", "alerts")
    expect(page.locator('[data-table="silences"]')).to_contain_text("deploying web")
    assert console.errors == []


def test_a_viewer_is_offered_no_write(
    conn: Conn, serving: Serving, new_page: Callable[..., tuple[Page, Console]]
) -> None:
    fire(conn, "web")
    page, console = new_page()
    sign_in_with_key(page, serving, make_key(conn, "viewer", "wall-screen"))
    expect(page.get_by_test_id("who")).to_have_text("wall-screen (viewer)")
    open_page(page, serving, "alerts", "alerts")
    expect(page.locator('[data-table="active-alerts"] tbody tr')).to_have_count(1)
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    assert page.get_by_role("button", name="Silence like this").count() == 0
    open_page(page, serving, "rules", "rules")
    expect(page.locator('[data-table="rules"]')).to_contain_text("cpu_high")
    assert page.get_by_role("button", name="New rule").count() == 0
    assert page.get_by_role("checkbox").count() == 0
    # And the API says no to what the page does not offer, even from the page's
    # own session with its real CSRF token: the role decides.
    answer = page.evaluate(
        """async () => {
             const session = await (await fetch('/api/v1/session')).json();
             const r = await fetch('/api/v1/silences', {method: 'POST', credentials: 'same-origin',
               headers: {'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token},
               body: JSON.stringify({matchers: ['a="b"'], comment: 'x', duration: '1h'})});
             return [r.status, (await r.json()).error.code];
           }"""
    )
    assert answer == [403, "PV712"]
    assert scalar(conn, "SELECT count(*) FROM monitoring.silences") == 0
    assert console.errors == [f"403 POST {serving.url}/api/v1/silences"]


def test_a_live_update_arrives_without_a_reload(
    conn: Conn, serving: Serving, new_page: Callable[..., tuple[Page, Console]]
) -> None:
    fire(conn, "web")
    page, console = new_page()
    sign_in_with_key(page, serving, make_key(conn, "viewer", "laptop"))
    open_page(page, serving, "alerts", "alerts")
    expect(page.locator("#live-state")).to_have_text("live")
    expect(page.locator('[data-table="active-alerts"] tbody tr')).to_have_count(1)
    page.evaluate("window.__sameDocument = true")

    new_alert = fire(conn, "db")
    expect(page.locator(f'[data-table="active-alerts"] tr[data-row="{new_alert}"]')).to_be_visible(
        timeout=5_000
    )
    expect(page.locator("#open-alerts")).to_have_text("2")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert console.errors == []


PAGES = [
    ("overview", "overview"),
    ("tasks", "tasks"),
    ("tasks?status=failed", "tasks"),
    ("metrics", "metrics"),
    ("alerts", "alerts"),
    ("alerts?tab=history", "alerts"),
    ("alerts?tab=silences", "alerts"),
    ("alerts/{alert_id}", "alerts"),
    ("rules", "rules"),
    ("components", "components"),
    ("components/db", "components"),
    ("notifications", "notifications"),
    ("reports", "reports"),
]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_every_page_loads_cleanly_and_is_photographed(
    conn: Conn, serving: Serving, new_page: Callable[..., tuple[Page, Console]], width: str
) -> None:
    workload(conn)
    alert_id = fire(conn, "web")
    for minutes in range(0, 60, 5):
        conn.execute(
            "SELECT monitoring.record_performance_metric('latency', 'timer', %s, 'ms', 'db', '{}',"
            " now() - make_interval(mins => %s))",
            (20 + minutes, minutes),
        )
    make_user(conn, "ops", "operator", PASSWORD)
    out = ARTIFACTS / "dashboard"
    out.mkdir(parents=True, exist_ok=True)
    page, console = new_page(DESKTOP if width == "desktop" else PHONE)
    page.goto(serving.url + "/")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    page.screenshot(path=out / f"login-{width}.png", full_page=True)
    sign_in_with_password(page, serving, "ops")
    for path, name in PAGES:
        path = path.format(alert_id=alert_id)
        open_page(page, serving, path, name)
        expect(page.locator("main h1")).to_be_visible()
        assert page.locator("main h1").inner_text() != "Could not load this page", path
        if width == "phone":
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{path} scrolls sideways by {overflow} px on a phone"
        shot = "alert-detail" if path.startswith("alerts/") else re.sub(r"[^a-z0-9]+", "-", path)
        page.screenshot(path=out / f"{shot}-{width}.png", full_page=True)
    assert console.errors == [], console.errors
    assert len(list(out.glob(f"*-{width}.png"))) == len(PAGES) + 1
