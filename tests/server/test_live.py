"""Live updates over server-sent events: an alert's events arrive with their
ids as they commit (triggered, acknowledged, resolved), health changes and
counts arrive, and a client that reconnects with Last-Event-ID gets every
alert event it missed, once, in order."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, scalar
from serving import Serving, make_key
from signals import report_health

RULE: dict[str, Any] = {
    "name": "cpu_high",
    "source": {"kind": "metric", "metric_name": "cpu"},
    "aggregate": "last",
    "window": "5m",
    "group_by": ["component"],
    "thresholds": {"high": 80},
}


class EventStream:
    """A real SSE client in a thread: parses events into a queue."""

    def __init__(self, serving: Serving, key: str, last_event_id: int | None = None) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.kept: list[dict[str, Any]] = []
        headers = {"Authorization": f"Bearer {key}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.client = httpx.Client(base_url=serving.url, headers=headers, timeout=None)
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.opened.wait(10), "the event stream did not open"

    def _read(self) -> None:
        try:
            with self.client.stream("GET", "/api/v1/events") as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                self.opened.set()
                event: dict[str, Any] = {}
                for line in response.iter_lines():
                    if line.startswith("id: "):
                        event["id"] = int(line[4:])
                    elif line.startswith("event: "):
                        event["event"] = line[7:]
                    elif line.startswith("data: "):
                        event["data"] = json.loads(line[6:])
                    elif line == "" and "event" in event:
                        self.events.put(event)
                        event = {}
        except (httpx.HTTPError, RuntimeError):
            pass  # closed by the test

    def next(self, kind: str, seconds: float = 10) -> dict[str, Any]:
        """The first event of this kind not taken yet (others wait their turn)."""
        deadline = time.monotonic() + seconds
        while True:
            for i, event in enumerate(self.kept):
                if event["event"] == kind:
                    return self.kept.pop(i)
            try:
                self.kept.append(self.events.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no {kind} event in {seconds} s") from None

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def serving(dsn: str) -> Iterator[Serving]:
    s = Serving(dsn, live_counts_interval=0.2)
    yield s
    s.stop()


def fire(conn: Conn, component: str) -> None:
    conn.execute("SELECT monitoring.put_alert_rule(%s)", (Jsonb(RULE),))
    conn.execute(
        "SELECT monitoring.record_performance_metric('cpu', 'gauge', 95, 'percent', %s, '{}')",
        (component,),
    )
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")


def test_alert_events_health_and_counts_arrive_as_they_commit(conn: Conn, serving: Serving) -> None:
    key = make_key(conn, "operator")
    stream = EventStream(serving, key)
    try:
        fire(conn, "web")
        triggered = stream.next("alert")
        alert_id = scalar(conn, "SELECT alert_id FROM monitoring.alerts")
        assert triggered["data"]["alert_id"] == alert_id
        assert triggered["data"]["transition"] == "firing"
        assert triggered["id"] == triggered["data"]["event_id"]
        with serving.client(key) as client:
            client.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={"note": "mine"})
        acknowledged = stream.next("alert")
        assert acknowledged["data"]["transition"] == "acknowledged"
        assert acknowledged["id"] > triggered["id"]
        report_health(conn, "db", "unhealthy", 1)
        health = stream.next("health")
        assert [(h["component_name"], h["status"]) for h in health["data"]] == [("db", "unhealthy")]
        # Counts come as they change: the last one says one alert is open.
        deadline = time.monotonic() + 10
        while True:
            alerts = stream.next("counts")["data"]["alerts"]
            if alerts["active"] + alerts["acknowledged"] == 1 or time.monotonic() > deadline:
                break
        assert alerts["active"] + alerts["acknowledged"] == 1
    finally:
        stream.close()


def test_a_client_that_reconnects_misses_no_alert_event(conn: Conn, serving: Serving) -> None:
    key = make_key(conn, "viewer")
    first = EventStream(serving, key)
    fire(conn, "web")
    seen = first.next("alert")["id"]
    first.close()
    # While it is away: two more alerts fire and the first resolves.
    fire(conn, "db")
    fire(conn, "api")
    conn.execute(
        "SELECT monitoring.resolve_alert(alert_id, 'pytest', 'done') FROM monitoring.alerts"
        " WHERE subject = 'web'"
    )
    missed = [
        r[0]
        for r in conn.execute(
            "SELECT event_id FROM monitoring.alert_events WHERE event_id > %s ORDER BY event_id",
            (seen,),
        )
    ]
    assert len(missed) == 3
    again = EventStream(serving, key, last_event_id=seen)
    try:
        replayed = [again.next("alert")["id"] for _ in missed]
        assert replayed == missed
        # And the live ones follow, without repeats (web fires again too:
        # its metric is still high after the resolve by hand).
        fire(conn, "worker")
        live = [again.next("alert") for _ in range(2)]
        assert all(e["id"] > missed[-1] for e in live)
        assert sorted(e["data"]["subject"] for e in live) == ["web", "worker"]
    finally:
        again.close()
