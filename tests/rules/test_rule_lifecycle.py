"""User-defined alert rules: pending -> firing -> resolved with Prometheus's
semantics (for, keep_firing_for, a pending alert that clears is dropped),
labels and Alertmanager fingerprints, every no-data policy, every source,
composites, state that survives a new session, and two evaluators at once.

Rules are written through monitoring.put_alert_rule() (the config stays their
one source); evaluations run through monitoring.evaluate_alert_rules(), each
in its own transaction, so now() moves on between them as under the worker.
Durations of a second or two keep the for clocks short.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, rows, scalar
from signals import add_errors, add_tasks, queue_sample, report_health, start_task


def put_rule(conn: Conn, rule: dict[str, Any]) -> None:
    conn.execute("SELECT monitoring.put_alert_rule(%s)", (Jsonb(rule),))


def evaluate(conn: Conn, source: str = "test") -> dict[str, dict[str, Any]]:
    result = rows(conn, "SELECT * FROM monitoring.evaluate_alert_rules(%s)", (source,))
    return {r["rule_name"]: r for r in result}


def metric(conn: Conn, name: str, value: float, component: str = "web", **tags: str) -> None:
    conn.execute(
        "SELECT monitoring.record_performance_metric(%s, 'gauge', %s, 'unit', %s, %s)",
        (name, value, component, Jsonb(tags)),
    )


def active(conn: Conn, rule: str) -> list[dict[str, Any]]:
    return rows(
        conn,
        "SELECT alert_id, state, severity, subject, title, message, labels, annotations,"
        " fingerprint, current_value FROM monitoring.v_active_alerts WHERE rule_name = %s"
        " ORDER BY subject",
        (rule,),
    )


def gauge_rule(name: str = "load_high", **overrides: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "name": name,
        "source": {"kind": "metric", "metric_name": "load"},
        "aggregate": "max",
        "window": "5m",
        "group_by": ["component"],
        "thresholds": {"medium": 50, "high": 80},
    }
    rule.update(overrides)
    return rule


# --- fingerprints -------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        # prometheus/common model/signature_test.go
        ({}, 14695981039346656037),
        ({"name": "garland, briggs", "fear": "love is not enough"}, 5799056148416392346),
    ],
)
def test_the_fingerprint_is_alertmanagers(conn, labels, expected):
    assert scalar(conn, "SELECT monitoring.alert_fingerprint(%s)", (Jsonb(labels),)) == (
        f"{expected:016x}"
    )


def _fnv1a_fingerprint(labels: dict[str, str]) -> str:
    h = 14695981039346656037
    for name in sorted(labels, key=lambda n: n.encode()):
        for part in (name, labels[name]):
            for byte in part.encode() + b"\xff":
                h = ((h ^ byte) * 1099511628211) % (1 << 64)
    return f"{h:016x}"


def test_the_fingerprint_sorts_names_by_bytes_and_hashes_utf8(conn):
    labels = {"Zone": "é-1", "alertname": "x", "a_b": "", "ä": "ünïcode"}
    assert scalar(conn, "SELECT monitoring.alert_fingerprint(%s)", (Jsonb(labels),)) == (
        _fnv1a_fingerprint(labels)
    )


# --- the lifecycle --------------------------------------------------------------


def test_a_rule_without_for_fires_at_once_with_labels_fingerprint_and_annotations(conn):
    put_rule(
        conn,
        gauge_rule(
            labels={"team": "web-{{ $labels.component }}"},
            annotations={
                "summary": "load {{ $value }} on {{ $labels.component }}",
                "runbook_url": "https://runbooks/{{ $rule }}/{{ $severity }}",
            },
        ),
    )
    metric(conn, "load", 90, "api")
    metric(conn, "load", 60, "web")
    metric(conn, "load", 10, "db")
    result = evaluate(conn)["load_high"]
    assert (result["groups"], result["firing"], result["pending"]) == (3, 2, 0)
    api, web = active(conn, "load_high")
    assert (api["state"], api["severity"], api["subject"]) == ("firing", "high", "api")
    assert api["labels"] == {
        "alertname": "load_high",
        "component": "api",
        "severity": "high",
        "team": "web-api",
    }
    assert api["fingerprint"] == _fnv1a_fingerprint(api["labels"])
    assert api["title"] == "load 90 on api"
    assert api["annotations"]["runbook_url"] == "https://runbooks/load_high/high"
    assert web["severity"] == "medium"
    history = rows(
        conn,
        "SELECT transition, severity, value, seconds_to_detect FROM monitoring.v_alert_history"
        " WHERE alert_id = %s",
        (api["alert_id"],),
    )
    assert [(h["transition"], h["severity"], h["value"]) for h in history] == [
        ("firing", "high", 90)
    ]
    assert history[0]["seconds_to_detect"] == pytest.approx(0, abs=0.5)


def test_for_keeps_a_breach_pending_then_fires_and_it_resolves_when_cleared(conn):
    put_rule(conn, gauge_rule(**{"for": "1s"}))
    metric(conn, "load", 95, "api")
    assert evaluate(conn)["load_high"]["pending"] == 1
    [pending] = active(conn, "load_high")
    assert (pending["state"], pending["alert_id"]) == ("pending", None)
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts") == 0
    time.sleep(1.1)
    assert evaluate(conn)["load_high"]["firing"] == 1
    [firing] = active(conn, "load_high")
    assert firing["state"] == "firing" and firing["alert_id"] is not None
    detect = scalar(
        conn,
        "SELECT seconds_to_detect FROM monitoring.v_alert_history WHERE alert_id = %s",
        (firing["alert_id"],),
    )
    assert detect >= 1.0
    # The sample ages out of the window: the condition clears, the alert resolves.
    conn.execute("DELETE FROM monitoring.performance_monitoring")
    evaluate(conn)
    assert active(conn, "load_high") == []
    assert scalar(
        conn,
        "SELECT resolution_note FROM monitoring.alerts WHERE alert_id = %s",
        (firing["alert_id"],),
    ) == ("the condition cleared")
    transitions = scalar(
        conn,
        "SELECT array_agg(transition ORDER BY event_id) FROM monitoring.v_alert_history"
        " WHERE alert_id = %s",
        (firing["alert_id"],),
    )
    assert transitions == ["firing", "resolved"]


def test_a_pending_alert_that_clears_is_dropped_silently(conn):
    put_rule(conn, gauge_rule(**{"for": "1h"}))
    metric(conn, "load", 95, "api")
    evaluate(conn)
    assert [a["state"] for a in active(conn, "load_high")] == ["pending"]
    conn.execute("DELETE FROM monitoring.performance_monitoring")
    evaluate(conn)
    assert active(conn, "load_high") == []
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts") == 0
    assert scalar(conn, "SELECT count(*) FROM monitoring.alert_events") == 0


def test_the_for_clock_survives_a_new_session(dsn, conn):
    put_rule(conn, gauge_rule(**{"for": "1s"}))
    metric(conn, "load", 95, "api")
    with psycopg.connect(dsn, autocommit=True) as first:
        evaluate(first, "worker-1")
    time.sleep(1.1)
    # Another evaluator (the worker restarted, or pg_cron) picks the clock up.
    with psycopg.connect(dsn, autocommit=True) as second:
        assert evaluate(second, "worker-2")["load_high"]["firing"] == 1
    assert scalar(conn, "SELECT triggered_by FROM monitoring.alerts") == "worker-2"


def test_keep_firing_for_holds_an_alert_through_a_short_clear(conn):
    put_rule(conn, gauge_rule(keep_firing_for="2s"))
    metric(conn, "load", 95, "api")
    evaluate(conn)
    conn.execute("DELETE FROM monitoring.performance_monitoring")
    assert evaluate(conn)["load_high"]["firing"] == 1
    assert [a["state"] for a in active(conn, "load_high")] == ["firing"]
    time.sleep(2.1)
    evaluate(conn)
    assert active(conn, "load_high") == []


def test_a_severity_change_updates_the_firing_alert_in_place(conn):
    put_rule(conn, gauge_rule())
    metric(conn, "load", 60, "api")
    evaluate(conn)
    [before] = active(conn, "load_high")
    metric(conn, "load", 95, "api")
    evaluate(conn)
    [after] = active(conn, "load_high")
    assert after["alert_id"] == before["alert_id"]
    assert (before["severity"], after["severity"]) == ("medium", "high")
    # The labels carry the severity, so the fingerprint follows it.
    assert after["fingerprint"] != before["fingerprint"]
    assert scalar(
        conn,
        "SELECT array_agg(transition || ':' || severity ORDER BY event_id)"
        " FROM monitoring.v_alert_history WHERE alert_id = %s",
        (after["alert_id"],),
    ) == ["firing:medium", "severity_changed:high"]


def test_a_disabled_rule_resolves_its_alerts_and_forgets_its_groups(conn):
    put_rule(conn, gauge_rule(**{"for": "1h"}))
    put_rule(conn, gauge_rule("load_now"))
    metric(conn, "load", 95, "api")
    evaluate(conn)
    assert conn.execute("SELECT monitoring.set_alert_rule_enabled('load_now', false)").fetchone()
    assert active(conn, "load_now") == []
    assert scalar(
        conn, "SELECT resolution_note FROM monitoring.alerts WHERE rule_name = 'load_now'"
    ) == ("its rule was removed or disabled")
    conn.execute("SELECT monitoring.delete_alert_rule('load_high')")
    assert (
        scalar(
            conn,
            "SELECT count(*) FROM monitoring_internal.rule_groups WHERE rule_name = 'load_high'",
        )
        == 0
    )
    assert "load_now" not in evaluate(conn)
    actions = rows(
        conn,
        "SELECT subject, details ->> 'operation' AS operation FROM monitoring.audit_log"
        " WHERE action = 'change_alert_rule' ORDER BY id",
    )
    assert [(a["subject"], a["operation"]) for a in actions] == [
        ("load_high", "create"),
        ("load_now", "create"),
        ("load_now", "disable"),
        ("load_high", "delete"),
    ]


def test_a_hand_resolved_alert_whose_condition_still_holds_fires_again(conn):
    put_rule(conn, gauge_rule())
    metric(conn, "load", 95, "api")
    evaluate(conn)
    [first] = active(conn, "load_high")
    conn.execute("SELECT monitoring.resolve_alert(%s, 'me', 'fixed?')", (first["alert_id"],))
    evaluate(conn)
    [again] = active(conn, "load_high")
    assert again["alert_id"] != first["alert_id"]


# --- no data ------------------------------------------------------------------


def _silence(conn: Conn) -> None:
    conn.execute("DELETE FROM monitoring.performance_monitoring")


def test_no_data_ok_clears_the_alert(conn):
    put_rule(conn, gauge_rule(no_data="ok"))
    metric(conn, "load", 95, "api")
    evaluate(conn)
    _silence(conn)
    evaluate(conn)
    assert active(conn, "load_high") == []


def test_no_data_alerting_fires_at_the_top_severity(conn):
    put_rule(conn, gauge_rule(no_data="alerting"))
    metric(conn, "load", 10, "api")  # seen, quiet
    evaluate(conn)
    assert active(conn, "load_high") == []
    _silence(conn)
    evaluate(conn)
    [alert] = active(conn, "load_high")
    assert (alert["severity"], alert["subject"], alert["current_value"]) == ("high", "api", None)
    metric(conn, "load", 10, "api")
    evaluate(conn)
    assert active(conn, "load_high") == []


def test_no_data_keep_last_keeps_the_last_state(conn):
    put_rule(conn, gauge_rule(no_data="keep_last"))
    metric(conn, "load", 60, "api")
    evaluate(conn)
    _silence(conn)
    evaluate(conn)
    [alert] = active(conn, "load_high")
    assert (alert["severity"], alert["current_value"]) == ("medium", 60)


def test_no_data_nodata_raises_a_datasource_no_data_alert_of_its_own(conn):
    put_rule(conn, gauge_rule(no_data="nodata"))
    metric(conn, "load", 95, "api")
    evaluate(conn)
    _silence(conn)
    evaluate(conn)
    alerts = rows(
        conn,
        "SELECT labels, state FROM monitoring.v_active_alerts ORDER BY alert_key",
    )
    assert [a["labels"]["alertname"] for a in alerts] == ["DatasourceNoData"]
    assert alerts[0]["labels"]["rulename"] == "load_high"
    assert alerts[0]["labels"]["component"] == "api"
    assert scalar(
        conn,
        "SELECT resolution_note FROM monitoring.alerts WHERE labels ->> 'alertname' = 'load_high'",
    ) == ("the condition cleared")
    metric(conn, "load", 10, "api")
    evaluate(conn)
    assert active(conn, "load_high") == []


def test_an_ungrouped_rule_without_any_data_alerts_under_alerting(conn):
    put_rule(
        conn,
        {
            "name": "heartbeat_missing",
            "source": {"kind": "metric", "metric_name": "heartbeat"},
            "aggregate": "count",
            "window": "1m",
            "comparison": "<",
            "thresholds": {"critical": 1},
            "no_data": "alerting",
        },
    )
    evaluate(conn)
    [alert] = active(conn, "heartbeat_missing")
    assert (alert["severity"], alert["subject"]) == ("critical", "all")
    metric(conn, "heartbeat", 1)
    evaluate(conn)
    assert active(conn, "heartbeat_missing") == []


# --- sources --------------------------------------------------------------------


def test_a_metric_rule_filters_by_tags_and_groups_by_a_tag(conn):
    put_rule(
        conn,
        gauge_rule(
            source={"kind": "metric", "metric_name": "load", "tags": {"env": "prod"}},
            aggregate="avg",
            group_by=["tags.host"],
        ),
    )
    metric(conn, "load", 100, "api", env="prod", host="a")
    metric(conn, "load", 80, "api", env="prod", host="a")
    metric(conn, "load", 100, "api", env="dev", host="b")
    evaluate(conn)
    [alert] = active(conn, "load_high")
    assert alert["labels"] == {"alertname": "load_high", "host": "a", "severity": "high"}
    assert alert["current_value"] == 90


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [("min", 10), ("max", 40), ("sum", 100), ("count", 4), ("avg", 25), ("last", 40),
     ("delta", 30), ("p50", 25)],
)  # fmt: skip
def test_metric_aggregates(conn, aggregate, expected):
    for value in (10, 20, 30, 40):
        metric(conn, "load", value, "api")
    result = rows(
        conn,
        "SELECT value FROM monitoring.test_alert_rule(%s)",
        (Jsonb(gauge_rule(aggregate=aggregate, thresholds={"low": -1e9})),),
    )
    assert [r["value"] for r in result] == [pytest.approx(expected)]


def test_task_sources_measure_durations_failures_throughput_and_stuck_tasks(conn):
    add_tasks(conn, "etl", [1, 2, 3, 10], ["completed", "failed", "completed", "timeout"])
    start_task(conn, "stuck-1", "etl", 600)

    def value(aggregate: str) -> float:
        rule = {
            "name": "t",
            "source": {"kind": "task", "task_type": "etl"},
            "aggregate": aggregate,
            "window": "10m",
            "group_by": ["task_type"],
            "thresholds": {"low": -1},
        }
        [row] = rows(conn, "SELECT * FROM monitoring.test_alert_rule(%s)", (Jsonb(rule),))
        assert row["group_labels"] == {"task_type": "etl"}
        return float(row["value"])

    assert value("duration_max") == pytest.approx(10)
    assert value("duration_avg") == pytest.approx(4)
    assert value("failure_ratio") == pytest.approx(0.5)
    assert value("count") == 4
    assert value("throughput") == pytest.approx(0.4)  # 4 tasks in 10 minutes, per minute
    assert value("running") == 1
    assert value("oldest_running_seconds") == pytest.approx(600, abs=5)


def test_error_queue_and_health_sources(conn):
    add_errors(conn, "billing", 6, minutes_ago=5)
    queue_sample(conn, "emails", 10, 240)
    queue_sample(conn, "emails", 70, 30, age=45)
    report_health(conn, "payments", "unhealthy", 120, "down")

    def value(source: dict[str, Any], aggregate: str, group_by: list[str]) -> float:
        rule = {"name": "t", "source": source, "aggregate": aggregate, "window": "10m",
                "group_by": group_by, "thresholds": {"low": -1}}  # fmt: skip
        [row] = rows(conn, "SELECT * FROM monitoring.test_alert_rule(%s)", (Jsonb(rule),))
        return float(row["value"])

    assert value({"kind": "error", "component": "billing"}, "count", ["component"]) == 6
    assert value({"kind": "error"}, "per_hour", ["component"]) == pytest.approx(36)
    assert value({"kind": "queue"}, "pending", ["queue_name"]) == 70
    assert value({"kind": "queue"}, "growth", ["queue_name"]) == 60
    assert value({"kind": "queue"}, "oldest_pending_seconds", ["queue_name"]) == 45
    health = {"kind": "health", "component_name": "payments"}
    assert value(health, "status_seconds", ["component_name"]) == pytest.approx(120, abs=5)
    assert value(health, "unhealthy", ["component_name"]) == 1
    assert value(health, "report_age_seconds", ["component_name"]) == pytest.approx(120, abs=5)


def test_min_samples_turns_a_thin_group_into_no_data(conn):
    put_rule(conn, gauge_rule(min_samples=3))
    metric(conn, "load", 95, "api")
    metric(conn, "load", 95, "api")
    assert evaluate(conn)["load_high"]["groups"] == 0
    metric(conn, "load", 95, "api")
    assert evaluate(conn)["load_high"]["firing"] == 1


# --- composites -----------------------------------------------------------------


def _composite(match: str) -> dict[str, Any]:
    return {
        "name": "overloaded",
        match: [
            {"rule": "load_high"},
            {
                "source": {"kind": "metric", "metric_name": "queue_depth"},
                "aggregate": "last",
                "window": "5m",
                "comparison": ">",
                "threshold": 100,
            },
        ],
        "group_by": ["component"],
        "severity": "critical",
    }


def test_an_all_of_composite_fires_where_every_condition_holds(conn):
    put_rule(conn, gauge_rule())
    put_rule(conn, _composite("all_of"))
    metric(conn, "load", 95, "api")
    metric(conn, "queue_depth", 500, "api")
    metric(conn, "load", 95, "web")
    metric(conn, "queue_depth", 5, "web")
    evaluate(conn)
    [alert] = active(conn, "overloaded")
    assert (alert["subject"], alert["severity"], alert["current_value"]) == ("api", "critical", 95)


def test_an_any_of_composite_fires_where_one_condition_holds(conn):
    put_rule(conn, gauge_rule())
    put_rule(conn, _composite("any_of"))
    metric(conn, "load", 95, "api")
    metric(conn, "queue_depth", 500, "db")
    metric(conn, "load", 5, "web")
    evaluate(conn)
    assert [a["subject"] for a in active(conn, "overloaded")] == ["api", "db"]


# --- concurrency ----------------------------------------------------------------


def test_two_evaluators_at_once_never_make_a_transition_twice(dsn, conn):
    put_rule(conn, gauge_rule())
    metric(conn, "load", 95, "api")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as c:
                barrier.wait()
                for _ in range(5):
                    evaluate(c, f"worker-{n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts") == 1
    assert scalar(conn, "SELECT count(*) FROM monitoring.alert_events") == 1


def test_an_evaluation_skips_while_another_holds_the_lock(dsn, conn):
    put_rule(conn, gauge_rule())
    with psycopg.connect(dsn) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(hashtext('pgvigil.monitoring_checks'))")
        assert evaluate(conn) == {}
    assert "load_high" in evaluate(conn)


def test_a_long_window_reads_the_minute_rollups(conn):
    # 90 samples, one a minute, 1 to 90, on two components; rolled up.
    conn.execute(
        "SELECT count(monitoring.record_performance_metric('latency', 'gauge', i, 'ms', c, NULL,"
        " now() - make_interval(mins => 91 - i) + interval '20 seconds'))"
        " FROM generate_series(1, 90) AS i, (VALUES ('api'), ('db')) AS x (c)"
    )
    conn.execute("CALL monitoring.refresh_rollups()")
    rule = gauge_rule("latency_2h", source={"kind": "metric", "metric_name": "latency"},
                      window="2h", thresholds={"low": 0})  # fmt: skip

    def measured(aggregate: str, **source: Any) -> dict[str, float]:
        tested = rows(
            conn,
            "SELECT group_labels, value FROM monitoring.test_alert_rule(%s)",
            (Jsonb({**rule, "aggregate": aggregate, "source": {**rule["source"], **source}}),),
        )
        return {r["group_labels"]["component"]: r["value"] for r in tested}

    assert measured("count") == {"api": 90, "db": 90}
    assert measured("avg") == {"api": pytest.approx(45.5), "db": pytest.approx(45.5)}
    assert measured("max") == {"api": 90, "db": 90}
    assert measured("sum", component="db") == {"db": 4095}
    # With the raw samples of the rolled-up minutes gone, as retention drops
    # them long before the rollups, the window still sees them...
    conn.execute(
        "DELETE FROM monitoring.performance_monitoring WHERE recorded_at < now() - interval '10 minutes'"
    )
    assert measured("count") == {"api": 90, "db": 90}
    assert measured("min") == {"api": 1, "db": 1}
    # ...where a percentile (not in the minute rollups' sums) reads what is
    # left of them: the last 10 samples, 81 to 90.
    assert measured("p50") == {"api": pytest.approx(85.5), "db": pytest.approx(85.5)}
