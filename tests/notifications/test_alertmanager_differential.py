"""pgvigil against the real Alertmanager (0.25, Debian's package): the same
notifications config and the same alerts go to both, and the webhook
bodies that reach one loopback receiver must agree on routing (nested
routes, continue, matchers), grouping (groupKey, groupLabels, commonLabels,
commonAnnotations), inhibition, silences and resolves.

pgvigil's alerts come from its own rules; each is then posted to
Alertmanager as Prometheus would post it (labels, annotations, startsAt, and
endsAt once resolved). pgvigil's group timers are moved on by hand (their
arithmetic has tests of its own); Alertmanager runs on its own short
timers and is waited for. Compared: every field of the webhook body, the
order of the alerts in it included (Alertmanager's: by job, instance, then
labels), but externalURL (Alertmanager's own address; pgvigil has none).
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, rows, scalar
from pgvigil.notify.delivery import deliver_due
from prometheus_stack import Alertmanager
from receivers import Receiver

RECEIVERS = ["default", "pager", "db", "replica"]

# Alertmanager's notifications config; pgvigil's is the same with each url
# read from an environment variable (secrets stay out of the database).
ROUTE: dict[str, Any] = {
    "receiver": "default",
    "group_by": ["alertname"],
    "group_wait": "1s",
    "group_interval": "2s",
    "repeat_interval": "1h",
    "routes": [
        {
            "matchers": ['severity="critical"'],
            "receiver": "pager",
            "group_by": ["alertname", "component"],
            "continue": True,
        },
        {
            "matchers": ['team=~"db|storage"'],
            "receiver": "db",
            "group_by": ["team"],
            "routes": [{"matchers": ['component="db-replica"'], "receiver": "replica"}],
        },
    ],
}

# (rule, team label or None, {component: value}); values over 80 are
# critical, over 50 medium.
FLEET: list[tuple[str, str | None, dict[str, float]]] = [
    ("load_high", "db", {"db-primary": 90, "db-replica": 60}),
    ("latency_high", None, {"web": 95, "api": 70, "worker": 55}),
    ("disk_full", "storage", {"db-primary": 65}),
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def section(receiver: Receiver, inhibit_rules: list[dict[str, Any]], for_pgvigil: bool) -> Any:
    base = receiver.url.rsplit("/hook/", 1)[0]
    receivers = []
    for name in RECEIVERS:
        target: dict[str, Any] = (
            {"url_env": f"PGVIGIL_DIFF_{name.upper()}"}
            if for_pgvigil
            else {"url": f"{base}/am/{name}"}
        )
        receivers.append({"name": name, "webhook_configs": [{**target, "send_resolved": True}]})
    config: dict[str, Any] = {"route": copy.deepcopy(ROUTE), "receivers": receivers}
    if inhibit_rules:
        config["inhibit_rules"] = inhibit_rules
    return config


def environ(receiver: Receiver) -> dict[str, str]:
    base = receiver.url.rsplit("/hook/", 1)[0]
    return {f"PGVIGIL_DIFF_{name.upper()}": f"{base}/pv/{name}" for name in RECEIVERS}


def put_rules(conn: Conn) -> None:
    for rule, team, _ in FLEET:
        conn.execute(
            "SELECT monitoring.put_alert_rule(%s)",
            (
                Jsonb(
                    {
                        "name": rule,
                        "source": {"kind": "metric", "metric_name": rule},
                        "aggregate": "last",
                        "window": "5m",
                        "group_by": ["component"],
                        "thresholds": {"medium": 50, "critical": 80},
                        "labels": {"team": team} if team else {},
                        "annotations": {"summary": "{{ $labels.component }} at {{ $value }}"},
                    }
                ),
            ),
        )


def record(conn: Conn, rule: str, component: str, value: float) -> None:
    conn.execute(
        "SELECT monitoring.record_performance_metric(%s, 'gauge', %s, 'unit', %s, '{}')",
        (rule, value, component),
    )


def pgvigil_alerts(conn: Conn) -> list[dict[str, Any]]:
    """Every alert pgvigil has, as Prometheus posts alerts to Alertmanager."""
    alerts = []
    for a in rows(conn, "SELECT * FROM monitoring.alerts ORDER BY alert_id"):
        alert = {
            "labels": a["labels"],
            "annotations": a["annotations"] or {},
            "startsAt": a["triggered_at"].isoformat(),
            "generatorURL": "",
        }
        if a["resolved_at"] is not None:
            alert["endsAt"] = a["resolved_at"].isoformat()
        alerts.append(alert)
    return alerts


def flush_pgvigil(conn: Conn, receiver: Receiver) -> None:
    """pgvigil's group timers are due now: flush and deliver."""
    conn.execute(
        "UPDATE monitoring.notification_groups SET next_flush_at = now() - interval '1 second'"
    )
    with httpx.Client() as client:
        stats = deliver_due(conn, client, worker="pytest", environ=environ(receiver))
    assert stats.failed == 0


def wait_for_alertmanager(receiver: Receiver, seconds: float) -> None:
    """Alertmanager's timers run on their own: wait for them, then until
    nothing more arrives for a second and a half."""
    time.sleep(seconds)
    count, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 1.5:
        if len(sent(receiver, "am")) != count:
            count, quiet_since = len(sent(receiver, "am")), time.monotonic()
        time.sleep(0.1)


def sent(receiver: Receiver, side: str) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in receiver.requests if r["path"].startswith(f"/{side}/")]


def instant(text: str) -> datetime:
    """Go prints RFC 3339 with up to nine fractional digits; pgvigil six."""
    m = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    assert m, text
    fraction = (m.group(2) or "0")[:6].ljust(6, "0")
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(f"{m.group(1)}.{fraction}{zone}").astimezone(timezone.utc)


def normalized(body: dict[str, Any]) -> dict[str, Any]:
    alerts = [
        {
            "fingerprint": a["fingerprint"],
            "status": a["status"],
            "labels": a["labels"],
            "annotations": a["annotations"],
            "startsAt": instant(a["startsAt"]).isoformat(),
            "endsAt": a["endsAt"]
            if a["endsAt"].startswith("0001-01-01")
            else instant(a["endsAt"]).isoformat(),
            "generatorURL": a["generatorURL"],
        }
        for a in body["alerts"]
    ]
    kept = {k: v for k, v in body.items() if k not in ("externalURL", "alerts")}
    return {**kept, "alerts": alerts}


def bodies(receiver: Receiver, side: str, skip: int = 0) -> list[dict[str, Any]]:
    return sorted(
        (normalized(b) for b in sent(receiver, side)[skip:]),
        key=lambda b: (b["receiver"], b["groupKey"], b["status"]),
    )


def run_both(
    conn: Conn,
    receiver: Receiver,
    inhibit_rules: list[dict[str, Any]] | None = None,
    silence: list[str] | None = None,
) -> tuple[Alertmanager, list[dict[str, Any]]]:
    """The fleet fires in pgvigil and in Alertmanager; returns Alertmanager
    and the first round's bodies, after checking that both sent the same."""
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": section(receiver, inhibit_rules or [], for_pgvigil=True)}),),
    )
    am = Alertmanager(section(receiver, inhibit_rules or [], for_pgvigil=False))
    try:
        if silence:
            conn.execute(
                "SELECT monitoring.create_silence(%s, 'maintenance', p_duration => '1h',"
                " p_created_by => 'pytest')",
                (silence,),
            )
            am.post_silence(
                {
                    "matchers": [amtool_matcher(m) for m in silence],
                    "startsAt": datetime.now(timezone.utc).isoformat(),
                    "endsAt": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat(),
                    "createdBy": "pytest",
                    "comment": "maintenance",
                }
            )
        put_rules(conn)
        for rule, _, values in FLEET:
            for component, value in values.items():
                record(conn, rule, component, value)
        conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
        am.post_alerts(pgvigil_alerts(conn))
        flush_pgvigil(conn, receiver)
        wait_for_alertmanager(receiver, 1.5)
        first = bodies(receiver, "pv")
        assert first == bodies(receiver, "am"), am.output()
        return am, first
    except BaseException:
        am.stop()
        raise


def amtool_matcher(text: str) -> dict[str, Any]:
    m = re.fullmatch(r'(\w+)(=~|!~|!=|=)"(.*)"', text)
    assert m, text
    name, op, value = m.groups()
    return {"name": name, "value": value, "isRegex": "~" in op, "isEqual": "!" not in op}


def test_routing_grouping_and_resolves_match_alertmanager(conn: Conn, receiver: Receiver) -> None:
    am, first = run_both(conn, receiver)
    try:
        # The case is not trivial: every receiver got something, the
        # critical alerts went on (continue) to the team route, and the
        # nested route caught the replica.
        groups = {(b["receiver"], b["groupKey"]) for b in first}
        assert {r for r, _ in groups} == set(RECEIVERS)
        assert (
            "pager",
            '{}/{severity="critical"}:{alertname="load_high", component="db-primary"}',
        ) in groups
        assert ("replica", '{}/{team=~"db|storage"}/{component="db-replica"}:{team="db"}') in groups
        # Then some alerts resolve, and one group resolves whole.
        before = (len(sent(receiver, "pv")), len(sent(receiver, "am")))
        record(conn, "latency_high", "api", 10)
        record(conn, "load_high", "db-replica", 10)
        record(conn, "disk_full", "db-primary", 10)
        conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")
        assert (
            scalar(conn, "SELECT count(*) FROM monitoring.alerts WHERE resolved_at IS NOT NULL")
            == 3
        )
        am.post_alerts(pgvigil_alerts(conn))
        flush_pgvigil(conn, receiver)
        wait_for_alertmanager(receiver, 2.5)
        second = bodies(receiver, "pv", skip=before[0])
        assert second == bodies(receiver, "am", skip=before[1]), am.output()
        assert {b["status"] for b in second} == {"firing", "resolved"}
    finally:
        am.stop()


def test_inhibition_matches_alertmanager(conn: Conn, receiver: Receiver) -> None:
    # A critical alert on a component holds back that component's medium
    # ones (equal: component); a medium alert elsewhere is not held back.
    rules = [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="medium"'],
            "equal": ["component"],
        }
    ]
    am, first = run_both(conn, receiver, inhibit_rules=rules)
    try:
        notified = {
            (a["labels"]["alertname"], a["labels"]["component"]) for b in first for a in b["alerts"]
        }
        assert ("disk_full", "db-primary") not in notified  # load_high is critical there
        assert ("load_high", "db-replica") in notified  # nothing critical on the replica
    finally:
        am.stop()


def test_silences_match_alertmanager(conn: Conn, receiver: Receiver) -> None:
    am, first = run_both(conn, receiver, silence=['component=~"db-.*"', 'severity!="critical"'])
    try:
        notified = {
            (a["labels"]["alertname"], a["labels"]["component"]) for b in first for a in b["alerts"]
        }
        assert ("load_high", "db-replica") not in notified
        assert ("disk_full", "db-primary") not in notified
        assert ("load_high", "db-primary") in notified  # critical: not matched
    finally:
        am.stop()
