"""The notifications section is an Alertmanager config: an alertmanager.yml
applies as it is (routes, receivers, inhibit rules, time intervals), every
key pgvigil does not support and every secret written as a value is
refused by name, each problem with its own code and hint, and nothing is
applied from a config that fails. Routing follows Alertmanager's tree
(dispatch/route.go): first match, continue, inherited settings, its route
and group keys. Time intervals are read in their own time zone, across DST."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from psycopg.types.json import Jsonb

from dbhelpers import Conn, rows, scalar
from pgvigil.cli import main

ALERTMANAGER_YML = """
global:
  resolve_timeout: 5m
  smtp_from: alerts@example.com
  smtp_smarthost: 127.0.0.1:2525
route:
  receiver: default
  group_by: [alertname, component]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 2h
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      continue: true
    - matchers: ['team=~"pay.*"']
      receiver: payments
      group_by: ['...']
      mute_time_intervals: [tuesday-maintenance]
      routes:
        - match: {env: dev}
          receiver: default
    - match_re: {component: 'db|cache'}
      receiver: dba
receivers:
  - name: default
  - name: pager
    pagerduty_configs:
      - routing_key_file: /run/secrets/pagerduty
  - name: payments
    slack_configs:
      - api_url_env: PAYMENTS_SLACK_URL
        channel: '#payments'
    email_configs:
      - to: payments@example.com
  - name: dba
    webhook_configs:
      - url_file: /run/secrets/dba-hook
        send_resolved: true
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity=~"low|medium"']
    equal: [component]
time_intervals:
  - name: tuesday-maintenance
    time_intervals:
      - weekdays: [tuesday]
        times: [{start_time: "02:00", end_time: "04:00"}]
        location: Europe/Paris
"""


def notifications(conn: Conn) -> Any:
    return scalar(conn, "SELECT document -> 'notifications' FROM monitoring.config")


def apply_notifications(conn: Conn, section: Any) -> None:
    document = scalar(conn, "SELECT document FROM monitoring.config")
    document["notifications"] = section
    conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(document),))


def routes(conn: Conn, **labels: str) -> list[tuple[str, str]]:
    return [
        (r["receiver"], r["group_key"])
        for r in rows(conn, "SELECT * FROM monitoring.test_route(%s)", (Jsonb(labels),))
    ]


def test_an_alertmanager_yml_applies_as_it_is(dsn: str, conn: Conn, tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(ALERTMANAGER_YML, encoding="utf-8")
    assert main(["--database", dsn, "config", "apply", str(path)]) == 0
    assert notifications(conn) == yaml.safe_load(ALERTMANAGER_YML)
    before = scalar(conn, "SELECT document FROM monitoring.config")
    assert main(["--database", dsn, "config", "diff", str(path)]) == 0  # nothing left to change
    assert scalar(conn, "SELECT document FROM monitoring.config") == before


def test_routing_follows_alertmanagers_tree(conn: Conn) -> None:
    apply_notifications(conn, yaml.safe_load(ALERTMANAGER_YML))
    # No child matches: the root itself.
    assert routes(conn, alertname="x", component="api") == [
        ("default", '{}:{alertname="x", component="api"}')
    ]
    # critical continues: pager, then the next match (dba).
    assert routes(conn, alertname="x", component="db", severity="critical") == [
        ("pager", '{}/{severity="critical"}:{alertname="x", component="db"}'),
        ("dba", '{}/{component=~"db|cache"}:{alertname="x", component="db"}'),
    ]
    # The first match without continue ends the search; its child wins; ... groups by all labels.
    assert routes(conn, alertname="x", team="payments", env="dev") == [
        ("default", '{}/{team=~"pay.*"}/{env="dev"}:{alertname="x", env="dev", team="payments"}')
    ]
    found = rows(
        conn,
        "SELECT * FROM monitoring.test_route(%s)",
        (Jsonb({"alertname": "x", "team": "payments"}),),
    )
    assert [(r["receiver"], r["mute_time_intervals"]) for r in found] == [
        ("payments", ["tuesday-maintenance"])
    ]
    assert (
        found[0]["group_wait_seconds"],
        found[0]["group_interval_seconds"],
        found[0]["repeat_interval_seconds"],
    ) == (10, 60, 7200)
    # Regexes match whole values: "xpayments" is not "pay.*".
    assert routes(conn, alertname="x", team="xpayments") == [("default", '{}:{alertname="x"}')]


def test_without_a_notifications_section_nothing_is_routed(conn: Conn) -> None:
    conn.execute("SELECT monitoring.patch_config('{\"notifications\": null}')")
    assert routes(conn, alertname="x") == []


def test_the_shipped_route_meets_the_delivery_target(conn: Conn) -> None:
    found = rows(conn, 'SELECT * FROM monitoring.test_route(\'{"alertname": "cpu_usage_high"}\')')
    assert [(r["receiver"], r["group_wait_seconds"]) for r in found] == [("default", 10)]


BAD: list[tuple[str, str, Any]] = [
    (
        "PV601",
        "unknown receiver",
        {"route": {"receiver": "nobody"}, "receivers": [{"name": "default"}]},
    ),
    (
        "PV601",
        "receiver twice",
        {"route": {"receiver": "a"}, "receivers": [{"name": "a"}, {"name": "a"}]},
    ),
    (
        "PV601",
        "child unknown receiver",
        {"route": {"receiver": "a", "routes": [{"receiver": "b"}]}, "receivers": [{"name": "a"}]},
    ),
    (
        "PV602",
        "malformed matcher",
        {
            "route": {"receiver": "a", "routes": [{"matchers": ["severity"]}]},
            "receivers": [{"name": "a"}],
        },
    ),
    (
        "PV602",
        "bad regex",
        {
            "route": {"receiver": "a", "routes": [{"matchers": ['team=~"(unclosed"']}]},
            "receivers": [{"name": "a"}],
        },
    ),
    (
        "PV602",
        "bad inhibit matcher",
        {
            "route": {"receiver": "a"},
            "receivers": [{"name": "a"}],
            "inhibit_rules": [{"source_matchers": ["=x"]}],
        },
    ),
    (
        "PV603",
        "unknown time zone",
        {
            "route": {"receiver": "a"},
            "receivers": [{"name": "a"}],
            "time_intervals": [{"name": "w", "time_intervals": [{"location": "Mars/Olympus"}]}],
        },
    ),
    (
        "PV603",
        "impossible times",
        {
            "route": {"receiver": "a"},
            "receivers": [{"name": "a"}],
            "time_intervals": [
                {
                    "name": "w",
                    "time_intervals": [{"times": [{"start_time": "05:00", "end_time": "04:00"}]}],
                }
            ],
        },
    ),
    (
        "PV603",
        "unknown weekday",
        {
            "route": {"receiver": "a"},
            "receivers": [{"name": "a"}],
            "time_intervals": [{"name": "w", "time_intervals": [{"weekdays": ["funday"]}]}],
        },
    ),
    (
        "PV603",
        "unknown interval",
        {
            "route": {
                "receiver": "a",
                "routes": [{"receiver": "a", "mute_time_intervals": ["nope"]}],
            },
            "receivers": [{"name": "a"}],
        },
    ),
    (
        "PV606",
        "unsupported receiver type",
        {"route": {"receiver": "a"}, "receivers": [{"name": "a", "opsgenie_configs": [{}]}]},
    ),
    (
        "PV606",
        "unsupported key",
        {"route": {"receiver": "a"}, "receivers": [{"name": "a"}], "templates": ["x.tmpl"]},
    ),
    (
        "PV606",
        "unsupported route key",
        {"route": {"receiver": "a", "colour": "red"}, "receivers": [{"name": "a"}]},
    ),
    (
        "PV607",
        "inline slack url",
        {
            "route": {"receiver": "a"},
            "receivers": [
                {
                    "name": "a",
                    "slack_configs": [{"api_url": "https://hooks.slack.com/services/T/B/X"}],
                }
            ],
        },
    ),
    (
        "PV607",
        "inline webhook url",
        {
            "route": {"receiver": "a"},
            "receivers": [{"name": "a", "webhook_configs": [{"url": "http://h/t0ken"}]}],
        },
    ),
    (
        "PV607",
        "inline smtp password",
        {
            "route": {"receiver": "a"},
            "receivers": [{"name": "a"}],
            "global": {"smtp_auth_password": "hunter2"},
        },
    ),
    (
        "PV608",
        "bad duration",
        {"route": {"receiver": "a", "group_wait": "soon"}, "receivers": [{"name": "a"}]},
    ),
    (
        "PV608",
        "webhook without url",
        {"route": {"receiver": "a"}, "receivers": [{"name": "a", "webhook_configs": [{}]}]},
    ),
    (
        "PV608",
        "bad webhook timeout",
        {
            "route": {"receiver": "a"},
            "receivers": [{"name": "a", "webhook_configs": [{"url_env": "U", "timeout": "soon"}]}],
        },
    ),
]


@pytest.mark.parametrize(("code", "what", "section"), BAD, ids=[b[1] for b in BAD])
def test_a_bad_notifications_config_gets_its_code_and_changes_nothing(
    conn: Conn, code: str, what: str, section: Any
) -> None:
    before = scalar(conn, "SELECT document FROM monitoring.config")
    with pytest.raises(psycopg.Error) as error:
        apply_notifications(conn, section)
    assert error.value.diag.sqlstate == code, error.value.diag.message_detail
    assert error.value.diag.message_hint
    assert scalar(conn, "SELECT document FROM monitoring.config") == before
    assert scalar(conn, "SELECT count(*) FROM monitoring.audit_log") == 0


def test_a_refused_key_is_named(conn: Conn) -> None:
    with pytest.raises(psycopg.Error) as error:
        apply_notifications(conn, {"route": {"receiver": "a"}, "receivers": [{"name": "a", "slack_configs": [
            {"api_url_file": "/s", "title": "{{ .CommonLabels.alertname }}"}]}]})  # fmt: skip
    assert "notifications.receivers[a].slack_configs[0].title is not supported" in (
        error.value.diag.message_detail or ""
    )


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# Tue 02:00-04:00 Europe/Paris, on both sides of the 2026 changes (29 March,
# 25 October): 00:00-02:00 UTC in summer time, 01:00-03:00 UTC in winter.
PARIS_WINDOW = [{"weekdays": ["tuesday"], "times": [{"start_time": "02:00", "end_time": "04:00"}],
                 "location": "Europe/Paris"}]  # fmt: skip


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        ("2026-03-24 00:30", False),  # winter: 01:30 in Paris
        ("2026-03-24 01:30", True),  # 02:30 in Paris
        ("2026-03-24 02:59", True),
        ("2026-03-24 03:00", False),  # 04:00 in Paris
        ("2026-03-31 00:30", True),  # summer, two days after the change: 02:30 in Paris
        ("2026-03-31 02:30", False),  # 04:30 in Paris
        ("2026-10-20 00:00", True),  # still summer
        ("2026-10-27 00:30", False),  # winter again: 01:30 in Paris
        ("2026-10-27 01:00", True),
        ("2026-10-28 01:30", False),  # a Wednesday
    ],
)
def test_a_time_interval_is_read_in_its_own_time_zone_across_dst(
    conn: Conn, moment: str, inside: bool
) -> None:
    assert (
        scalar(
            conn,
            "SELECT monitoring_internal.time_interval_active(%s, %s)",
            (Jsonb(PARIS_WINDOW), _utc(moment)),
        )
        is inside
    )


def test_time_interval_fields(conn: Conn) -> None:
    def active(ranges: Any, moment: str) -> bool:
        return scalar(
            conn,
            "SELECT monitoring_internal.time_interval_active(%s, %s)",
            (Jsonb(ranges), _utc(moment)),
        )

    assert active([{"days_of_month": ["-1"]}], "2026-02-28 12:00")  # the last day of February
    assert not active([{"days_of_month": ["-1"]}], "2026-02-27 12:00")
    assert active([{"months": ["december:december"], "years": ["2026"]}], "2026-12-01 12:00")
    assert not active([{"months": ["january:march"]}], "2026-12-01 12:00")
    assert active(
        [{"weekdays": ["monday:friday"]}, {"weekdays": ["sunday"]}], "2026-11-29 12:00"
    )  # a Sunday
    assert not active([{"weekdays": ["monday:friday"]}], "2026-11-28 12:00")  # a Saturday
    assert active([], "2026-11-28 12:00") is False
