"""Silences, mute time intervals and inhibition, decided when a group
flushes: a silenced or inhibited alert is left out of its notifications and
each one it held back is logged with its cause (a silence's id); an alert
that resolved and fired again under a silence is notified as soon as the
silence ends; a resolve the receiver is owed is sent even under a silence;
a muted notification waits; an inhibit rule with equal labels and a
component's unhealthy dependency inhibit and say why. Silences themselves:
Alertmanager's states and rules, validated whole, audited."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, rows, scalar
from signals import add_errors, delete_errors, report_health

ROUTE = {"receiver": "hooks", "group_by": ["alertname"], "group_wait": "0s",
         "group_interval": "1m", "repeat_interval": "1h"}  # fmt: skip
RECEIVERS = [{"name": "hooks", "webhook_configs": [{"url_env": "PGVIGIL_TEST_HOOK"}]}]


def configure(conn: Conn, **section: Any) -> None:
    document = {"route": ROUTE, "receivers": RECEIVERS, **section}
    conn.execute(
        "SELECT monitoring.patch_config(%s, '{notifications}')",
        (Jsonb({"notifications": document}),),
    )


def evaluate(conn: Conn) -> None:
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('test')")


def flush(conn: Conn, *, due: bool = True) -> list[dict[str, Any]]:
    """Flush (with the groups' timers due when ``due``); what was written."""
    if due:
        conn.execute(
            "UPDATE monitoring.notification_groups SET next_flush_at = now() - interval '1 second'"
        )
    before = scalar(conn, "SELECT coalesce(max(notification_id), 0) FROM monitoring.notifications")
    conn.execute("SELECT monitoring.flush_notification_groups()")
    return rows(
        conn,
        "SELECT * FROM monitoring.notifications WHERE notification_id > %s ORDER BY notification_id",
        (before,),
    )


def components_in(notification: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["labels"]["component"], a["status"]) for a in notification["payload"]["alerts"]]


def silence(conn: Conn, *matchers: str, duration: str = "2h", **kwargs: Any) -> str:
    return str(
        scalar(
            conn,
            "SELECT monitoring.create_silence(%s, %s, p_duration => %s, p_created_by => 'pytest')",
            (list(matchers), kwargs.get("comment", "maintenance, CHG-1"), duration),
        )
    )


def expire(conn: Conn, silence_id: str) -> bool:
    return bool(scalar(conn, "SELECT monitoring.expire_silence(%s)", (silence_id,)))


# Silences themselves.


def test_a_silence_is_created_listed_and_audited(conn: Conn) -> None:
    silence_id = silence(conn, 'service=~"api|web"', "alertname=error_rate")
    row = one(conn, "SELECT * FROM monitoring.v_silences")
    assert str(row["silence_id"]) == silence_id
    assert row["state"] == "active"
    assert row["matchers_text"] == 'alertname="error_rate", service=~"api|web"'
    assert row["created_by"] == "pytest"
    assert (
        scalar(conn, "SELECT extract(epoch FROM ends_at - starts_at) FROM monitoring.silences")
        == 7200
    )
    audit = one(conn, "SELECT * FROM monitoring.audit_log")
    assert (audit["action"], audit["subject"]) == ("create_silence", silence_id)


SILENCE_BAD = [
    ("PV604", "at least one matcher", [], "2h", "why"),
    (
        "PV604",
        "must not match the empty string",
        ['env=""', 'service=~".*"', 'team!="x"'],
        "2h",
        "why",
    ),
    ("PV602", "is not a matcher", ["service~api"], "2h", "why"),
    ("PV602", "does not compile", ['service=~"(api"'], "2h", "why"),
    ("PV604", "not a duration", ["service=api"], "two hours", "why"),
    ("PV604", "not a duration", ["service=api"], "-5m", "why"),
    ("PV604", "needs a comment", ["service=api"], "2h", " "),
]


@pytest.mark.parametrize(("code", "says", "matchers", "duration", "comment"), SILENCE_BAD)
def test_a_bad_silence_gets_its_code_and_writes_nothing(
    conn: Conn, code: str, says: str, matchers: list[str], duration: str, comment: str
) -> None:
    with pytest.raises(psycopg.Error) as error:
        silence(conn, *matchers, duration=duration, comment=comment)
    assert error.value.diag.sqlstate == code
    assert says in f"{error.value.diag.message_primary}\n{error.value.diag.message_detail}"
    assert error.value.diag.message_hint
    assert scalar(conn, "SELECT count(*) FROM monitoring.silences") == 0
    assert scalar(conn, "SELECT count(*) FROM monitoring.audit_log") == 0


def test_a_silence_that_ends_before_it_starts_is_refused(conn: Conn) -> None:
    with pytest.raises(psycopg.Error) as error:
        conn.execute(
            "SELECT monitoring.create_silence(ARRAY['service=api'], 'why',"
            " p_starts_at => now() + interval '2 hours', p_ends_at => now() + interval '1 hour')"
        )
    assert error.value.diag.sqlstate == "PV604"
    assert "must end after it starts" in str(error.value.diag.message_primary)
    with pytest.raises(psycopg.Error) as error:
        conn.execute(
            "SELECT monitoring.create_silence(ARRAY['service=api'], 'why',"
            " p_ends_at => now() - interval '1 minute', p_starts_at => now() - interval '1 hour')"
        )
    assert "cannot end in the past" in str(error.value.diag.message_primary)


def test_an_active_silence_may_only_move_its_end(conn: Conn) -> None:
    silence_id = silence(conn, "service=api")
    changed = one(
        conn,
        "SELECT * FROM monitoring.update_silence(%s, p_ends_at => now() + interval '5 hours',"
        " p_comment => 'longer')",
        (silence_id,),
    )
    assert changed["comment"] == "longer"
    for change in ("p_matchers => ARRAY['service=web']", "p_starts_at => now() - interval '1 day'"):
        with pytest.raises(psycopg.Error) as error:
            conn.execute(f"SELECT monitoring.update_silence(%s, {change})", (silence_id,))
        assert error.value.diag.sqlstate == "PV604"
        assert "only its end and comment" in str(error.value.diag.message_primary)
    assert scalar(conn, "SELECT matchers FROM monitoring.silences") == [
        {"name": "service", "op": "=", "value": "api"}
    ]
    assert expire(conn, silence_id) is True
    assert expire(conn, silence_id) is False
    assert scalar(conn, "SELECT state FROM monitoring.v_silences") == "expired"
    with pytest.raises(psycopg.Error) as error:
        conn.execute(
            "SELECT monitoring.update_silence(%s, p_ends_at => now() + interval '1 hour')",
            (silence_id,),
        )
    assert error.value.diag.sqlstate == "PV604"
    actions = [
        r["action"] for r in rows(conn, "SELECT action FROM monitoring.audit_log ORDER BY 1")
    ]
    assert actions == ["change_silence", "create_silence", "expire_silence"]


def test_a_pending_silence_may_change_anything(conn: Conn) -> None:
    silence_id = scalar(
        conn,
        "SELECT monitoring.create_silence(ARRAY['service=api'], 'tonight',"
        " p_starts_at => now() + interval '1 hour', p_duration => '2h')",
    )
    assert scalar(conn, "SELECT state FROM monitoring.v_silences") == "pending"
    conn.execute(
        "SELECT monitoring.update_silence(%s, p_matchers => ARRAY['service=~\"api|web\"'])",
        (silence_id,),
    )
    assert scalar(conn, "SELECT matchers_text FROM monitoring.v_silences") == 'service=~"api|web"'
    # Expired before it started, it never starts.
    assert expire(conn, str(silence_id)) is True
    assert scalar(conn, "SELECT state FROM monitoring.v_silences") == "expired"


def test_an_unknown_silence_is_named(conn: Conn) -> None:
    for call in ("expire_silence(%s)", "update_silence(%s, p_comment => 'x')"):
        with pytest.raises(psycopg.Error) as error:
            conn.execute(f"SELECT monitoring.{call}", ("00000000-0000-0000-0000-000000000000",))
        assert error.value.diag.sqlstate == "PV609"
        assert error.value.diag.message_hint


# Silences applied to notifications.


def test_a_silenced_alert_is_held_back_logged_and_notified_when_the_silence_ends(
    conn: Conn,
) -> None:
    configure(conn)
    silence_id = silence(conn, "component=api")
    add_errors(conn, "api", 30)
    add_errors(conn, "db", 30)
    evaluate(conn)
    [sent] = flush(conn)
    assert components_in(sent) == [("db", "firing")]
    held = one(conn, "SELECT * FROM monitoring.notification_suppressions")
    assert (held["reason"], str(held["silence_id"])) == ("silenced", silence_id)
    assert held["fingerprint"] == scalar(
        conn, "SELECT fingerprint FROM monitoring.alerts WHERE component = 'api'"
    )
    assert "maintenance, CHG-1" in held["detail"]
    view = one(conn, "SELECT * FROM monitoring.v_silences")
    assert (view["suppressed_alerts"], view["suppressed_notifications"]) == (1, 1)
    # Still silenced at the next tick: nothing new to say.
    assert flush(conn) == []
    # The silence ends: the group flushes at once, without waiting for its tick.
    expire(conn, silence_id)
    [sent] = flush(conn, due=False)
    assert sent["reason"] == "new_alerts"
    assert components_in(sent) == [("api", "firing"), ("db", "firing")]


def test_a_re_fire_under_a_silence_is_notified_as_soon_as_it_ends(conn: Conn) -> None:
    configure(conn)
    add_errors(conn, "api", 30)
    evaluate(conn)
    [first] = flush(conn)
    assert components_in(first) == [("api", "firing")]
    silence_id = silence(conn, "component=api")
    # It resolves: the receiver was told it fires, so it is told it resolved.
    delete_errors(conn, "api")
    evaluate(conn)
    # ... and fires again, under the silence, before the group's next tick.
    add_errors(conn, "api", 30)
    evaluate(conn)
    [resolved] = flush(conn)
    assert resolved["reason"] == "all_resolved"
    assert components_in(resolved) == [("api", "resolved")]
    assert flush(conn) == []
    expire(conn, silence_id)
    [again] = flush(conn, due=False)
    assert again["reason"] == "new_alerts"
    assert components_in(again) == [("api", "firing")]


def test_a_pending_silence_holds_nothing_back(conn: Conn) -> None:
    configure(conn)
    conn.execute(
        "SELECT monitoring.create_silence(ARRAY['component=api'], 'later',"
        " p_starts_at => now() + interval '1 hour', p_duration => '1h')"
    )
    add_errors(conn, "api", 30)
    evaluate(conn)
    [sent] = flush(conn)
    assert components_in(sent) == [("api", "firing")]


# Time intervals applied to notifications.


def test_a_muted_notification_waits_for_the_interval_to_end(conn: Conn) -> None:
    year = scalar(conn, "SELECT extract(year FROM now())::int")
    routes = [
        {"receiver": "hooks", "matchers": ["component=api"], "mute_time_intervals": ["freeze"]}
    ]
    configure(
        conn,
        route={**ROUTE, "routes": routes},
        time_intervals=[{"name": "freeze", "time_intervals": [{"years": [str(year)]}]}],
    )
    add_errors(conn, "api", 30)
    evaluate(conn)
    assert flush(conn) == []
    held = one(conn, "SELECT * FROM monitoring.notification_suppressions")
    assert (held["reason"], held["suppressed_by"]) == ("muted", "freeze")
    assert flush(conn) == []
    assert scalar(conn, "SELECT notifications FROM monitoring.notification_suppressions") == 2
    # The freeze is over (its definition says so now): the next tick sends.
    configure(
        conn,
        route={**ROUTE, "routes": routes},
        time_intervals=[{"name": "freeze", "time_intervals": [{"years": [str(year - 1)]}]}],
    )
    [sent] = flush(conn)
    assert (sent["reason"], components_in(sent)) == ("first", [("api", "firing")])


def test_outside_its_active_intervals_a_route_waits(conn: Conn) -> None:
    year = scalar(conn, "SELECT extract(year FROM now())::int")
    routes = [
        {"receiver": "hooks", "matchers": ["component=api"], "active_time_intervals": ["hours"]}
    ]
    configure(
        conn,
        route={**ROUTE, "routes": routes},
        time_intervals=[{"name": "hours", "time_intervals": [{"years": [str(year + 1)]}]}],
    )
    add_errors(conn, "api", 30)
    evaluate(conn)
    assert flush(conn) == []
    held = one(conn, "SELECT * FROM monitoring.notification_suppressions")
    assert (held["reason"], held["suppressed_by"]) == ("muted", "outside hours")


# Inhibition.


def test_an_inhibit_rule_with_equal_labels(conn: Conn) -> None:
    # db's error alert inhibits api's, when both have the same alertname.
    configure(
        conn,
        inhibit_rules=[{"source_matchers": ["component=db"], "target_matchers": ["component=api"],
                        "equal": ["alertname"]}],
    )  # fmt: skip
    add_errors(conn, "api", 30)
    add_errors(conn, "db", 30)
    evaluate(conn)
    [sent] = flush(conn)
    assert components_in(sent) == [("db", "firing")]
    held = one(conn, "SELECT * FROM monitoring.notification_suppressions")
    assert held["reason"] == "inhibited"
    assert (
        held["detail"]
        == 'inhibited by error_rate{alertname="error_rate"} (inhibit_rules[0], equal alertname)'
    )
    # The source resolves: at the next tick the target is notified.
    delete_errors(conn, "db")
    evaluate(conn)
    [sent] = flush(conn)
    assert sorted(components_in(sent)) == [("api", "firing"), ("db", "resolved")]


def test_alerts_meeting_both_sides_do_not_inhibit_each_other(conn: Conn) -> None:
    configure(
        conn,
        inhibit_rules=[{"source_matchers": ["alertname=error_rate"],
                        "target_matchers": ["alertname=error_rate"], "equal": ["alertname"]}],
    )  # fmt: skip
    add_errors(conn, "api", 30)
    add_errors(conn, "db", 30)
    evaluate(conn)
    [sent] = flush(conn)
    assert sorted(components_in(sent)) == [("api", "firing"), ("db", "firing")]


def test_an_alert_on_a_component_whose_dependency_is_down_is_inhibited(conn: Conn) -> None:
    configure(conn)
    conn.execute("SELECT monitoring.put_component('db', '{}')")
    conn.execute("SELECT monitoring.put_component('api', '{\"depends_on\": [\"db\"]}')")
    report_health(conn, "db", "unhealthy", 0, "connection refused")
    add_errors(conn, "api", 30)
    evaluate(conn)
    sent = flush(conn)
    notified = [a["labels"] for n in sent for a in n["payload"]["alerts"]]
    assert [(a["alertname"], a["component_name"]) for a in notified] == [("component_health", "db")]
    held = one(conn, "SELECT * FROM monitoring.notification_suppressions")
    assert held["reason"] == "inhibited"
    assert held["detail"] == "inhibited: api depends on db, which is unhealthy (connection refused)"
