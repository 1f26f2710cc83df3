"""pgvigil watches itself: PgvigilEvaluationStalled fires from the watchdog
(check_watchdog, its own pg_cron job) when no whole evaluation has run for
3 minutes, and resolves at the next one; the watchdog's own runs do not
count as evaluations; Watchdog, when enabled, always fires. (A failing
pg_cron job raising PgvigilJobFailing: tests/jobs/test_pg_cron.py.)"""

from __future__ import annotations

from psycopg.types.json import Jsonb

from dbhelpers import Conn, one, rows, scalar


def firing(conn: Conn, source: str = "pytest") -> dict[str, int]:
    return {
        r["rule_name"]: r["firing"]
        for r in rows(conn, "SELECT * FROM monitoring.check_watchdog(%s)", (source,))
    }


def test_a_stalled_evaluation_fires_and_the_next_one_resolves_it(conn: Conn) -> None:
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('worker')")
    assert firing(conn)["PgvigilEvaluationStalled"] == 0
    conn.execute(
        "UPDATE monitoring_internal.check_runs SET last_run_at = now() - interval '4 minutes'"
        " WHERE check_name = 'alert_rules'"
    )
    assert firing(conn)["PgvigilEvaluationStalled"] == 1
    assert firing(conn)["PgvigilEvaluationStalled"] == 1  # the watchdog is not an evaluation
    alert = one(
        conn, "SELECT * FROM monitoring.alerts WHERE rule_name = 'PgvigilEvaluationStalled'"
    )
    assert alert["severity"] == "critical"
    assert alert["labels"]["alertname"] == "PgvigilEvaluationStalled"
    assert alert["details"]["last_source"] == "worker"
    assert alert["title"].startswith("pgvigil has not evaluated its alert rules for 24")
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('worker')")
    assert (
        scalar(
            conn, "SELECT status FROM monitoring.alerts WHERE alert_id = %s", (alert["alert_id"],)
        )
        == "resolved"
    )


def test_an_install_that_never_evaluated_does_not_fire(conn: Conn) -> None:
    conn.execute("DELETE FROM monitoring_internal.check_runs WHERE check_name = 'alert_rules'")
    assert firing(conn)["PgvigilEvaluationStalled"] == 0


def test_watchdog_always_fires_once_enabled(conn: Conn) -> None:
    assert "Watchdog" not in firing(conn)  # shipped disabled
    conn.execute("SELECT monitoring.set_alert_rule_enabled('Watchdog', true)")
    assert firing(conn)["Watchdog"] == 1
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('worker')")
    alert = one(conn, "SELECT * FROM monitoring.alerts WHERE rule_name = 'Watchdog'")
    assert (alert["status"], alert["labels"]["alertname"]) == ("active", "Watchdog")


def test_the_stall_threshold_is_a_rule_setting(conn: Conn) -> None:
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules('worker')")
    conn.execute(
        "SELECT monitoring.patch_config(%s)",
        (
            Jsonb(
                {
                    "alert_rules": [
                        {"name": "PgvigilEvaluationStalled", "thresholds": {"critical": 30}}
                    ]
                }
            ),
        ),
    )
    conn.execute(
        "UPDATE monitoring_internal.check_runs SET last_run_at = now() - interval '40 seconds'"
        " WHERE check_name = 'alert_rules'"
    )
    assert firing(conn)["PgvigilEvaluationStalled"] == 1
