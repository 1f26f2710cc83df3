"""Rules as code and as data: partial config files merged over the active
config (one threshold, one rule, one key of one rule), config show/diff,
YAML files, the rules CLI, and every bad rule refused with its own PV code,
a hint, and nothing applied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from dbhelpers import Conn, rows, scalar
from pgvigil.cli import main
from pgvigil.db.migrate import migrate


def document(conn: Conn) -> dict[str, Any]:
    return scalar(conn, "SELECT document FROM monitoring.config")


def rule_names(conn: Conn) -> list[str]:
    return [r["rule_name"] for r in rows(conn, "SELECT rule_name FROM monitoring.v_alert_rules")]


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


CPU_RULE = {
    "name": "cpu_hot",
    "source": {"kind": "metric", "metric_name": "cpu_percent"},
    "aggregate": "avg",
    "window": "5m",
    "group_by": ["component"],
    "thresholds": {"high": 80, "critical": 95},
}


# --- partial config files -------------------------------------------------------


def test_a_file_with_one_threshold_changes_only_that_threshold(dsn, conn, tmp_path):
    before = document(conn)
    path = write(tmp_path, "one.json", {"alert_thresholds": {"error_rates": {"high": 80}}})
    assert main(["--database", dsn, "config", "apply", str(path)]) == 0
    after = document(conn)
    assert after["alert_thresholds"]["error_rates"]["high"] == 80
    before["alert_thresholds"]["error_rates"]["high"] = 80
    assert after == before
    assert (
        scalar(conn, "SELECT count(*) FROM monitoring.audit_log WHERE action = 'apply_config'") == 1
    )


def test_a_file_with_just_alert_rules_adds_a_rule_and_keeps_the_others(dsn, conn, tmp_path):
    shipped = rule_names(conn)
    path = write(tmp_path, "rules.yaml", "alert_rules:\n  - " + json.dumps(CPU_RULE) + "\n")
    assert main(["--database", dsn, "config", "apply", str(path)]) == 0
    assert rule_names(conn) == sorted([*shipped, "cpu_hot"])
    # One key of one rule; null removes a key (JSON Merge Patch).
    patch = {"alert_rules": [{"name": "cpu_hot", "for": "2m", "window": None}]}
    assert main(["--database", dsn, "config", "apply", str(write(tmp_path, "p.json", patch))]) == 0
    [rule] = [r for r in document(conn)["alert_rules"] if r["name"] == "cpu_hot"]
    assert (
        rule["for"] == "2m"
        and "window" not in rule
        and rule["thresholds"] == CPU_RULE["thresholds"]
    )
    assert (
        scalar(
            conn, "SELECT window_seconds FROM monitoring.alert_rules WHERE rule_name = 'cpu_hot'"
        )
        == 300
    )  # the default window


def test_config_diff_shows_what_an_apply_would_change_and_changes_nothing(
    dsn, conn, tmp_path, capsys
):
    before = document(conn)
    path = write(tmp_path, "d.json", {"retention": {"queue_monitoring_days": 14}})
    assert main(["--database", dsn, "config", "diff", str(path)]) == 1
    out = capsys.readouterr().out
    assert '-    "queue_monitoring_days": 7' in out and '+    "queue_monitoring_days": 14' in out
    assert document(conn) == before
    same = write(tmp_path, "same.json", {"retention": {"queue_monitoring_days": 7}})
    assert main(["--database", dsn, "config", "diff", str(same)]) == 0
    assert capsys.readouterr().out == ""


def test_config_show_prints_the_effective_config(dsn, conn, capsys):
    assert main(["--database", dsn, "config", "show"]) == 0
    assert json.loads(capsys.readouterr().out) == document(conn)


def test_a_partial_file_that_breaks_the_whole_is_refused_and_changes_nothing(dsn, conn, tmp_path):
    before = document(conn)
    path = write(tmp_path, "bad.json", {"retention": {"queue_monitoring_days": -1}})
    assert main(["--database", dsn, "config", "apply", str(path)]) != 0
    assert document(conn) == before


def test_replace_applies_a_whole_file(dsn, conn, tmp_path):
    whole = document(conn)
    whole["retention"]["queue_monitoring_days"] = 3
    path = write(tmp_path, "whole.json", whole)
    assert main(["--database", dsn, "config", "apply", "--replace", str(path)]) == 0
    assert document(conn) == whole
    partial = write(tmp_path, "partial.json", {"retention": {"queue_monitoring_days": 4}})
    assert main(["--database", dsn, "config", "apply", "--replace", str(partial)]) != 0
    assert document(conn) == whole


# --- bad rules ------------------------------------------------------------------


def _rule(**changes: Any) -> dict[str, Any]:
    rule = dict(CPU_RULE)
    for key, value in changes.items():
        if value is None:
            rule.pop(key, None)
        else:
            rule[key] = value
    return rule


BAD_RULES: list[tuple[str, Any]] = [
    ("PV501", _rule(source={"kind": "logs"})),
    ("PV501", _rule(source={"kind": "metric", "metric_name": "x", "host": "a"})),
    ("PV501", _rule(source={"kind": "metric"})),
    ("PV502", _rule(aggregate="median")),
    ("PV502", _rule(source={"kind": "error"}, aggregate="avg")),
    ("PV503", _rule(window="5 minutes")),
    ("PV503", _rule(window="0s")),
    ("PV503", _rule(**{"for": "-1m"})),
    ("PV504", _rule(thresholds={"urgent": 1})),
    ("PV504", _rule(thresholds={})),
    ("PV504", _rule(thresholds={"high": 90, "critical": 80})),
    ("PV504", _rule(thresholds=None)),
    ("PV505", _rule(annotations={"summary": "{{ $value"})),
    ("PV505", _rule(annotations={"summary": "{{ .Labels.x }}"})),
    ("PV506", _rule(thresholds={"high": "80"})),
    ("PV506", json.dumps(_rule(thresholds={"high": 0})).replace('"high": 0', '"high": 1e400')),
    ("PV508", {"name": "c", "all_of": [], "severity": "high"}),
    ("PV508", {"name": "c", "all_of": [{"rule": "nope"}], "severity": "high"}),
    ("PV509", _rule(name="1bad")),
    ("PV509", _rule(group_by=["hostname"])),
    ("PV501", _rule(source={"kind": "health", "status": ["broken"]}, aggregate="status_seconds")),
    ("PV501", _rule(source={"kind": "health", "status": []}, aggregate="status_seconds")),
    ("PV502", _rule(source={"kind": "task"}, aggregate="duration_percentile")),
    ("PV502", _rule(quantile=0.9)),
    ("PV502", _rule(source={"kind": "task"}, aggregate="duration_percentile", quantile=1.5)),
    (
        "PV502",
        _rule(
            source={"kind": "task"}, aggregate="duration_percentile", quantile="alert_settings.nope"
        ),
    ),
    ("PV503", _rule(window="alert_settings.no_such_minutes")),
    ("PV503", _rule(window="alert_settings.degraded_max_severity")),
    ("PV504", _rule(severity_caps=[{"when": {"status": "degraded"}, "max": "urgent"}])),
    ("PV504", _rule(severity_caps=[{"max": "low"}])),
    ("PV504", _rule(severity_caps={"when": {}, "max": "low"})),
    ("PV505", _rule(annotations={"summary": "{{ $details }}"})),
    ("PV509", _rule(min_samples="alert_settings.degraded_max_severity")),
    ("PV509", _rule(comparison="==")),
    ("PV509", _rule(no_data="maybe")),
    ("PV509", _rule(colour="red")),
    ("PV509", _rule(labels={"severity": "x"})),
]


@pytest.mark.parametrize(("code", "rule"), BAD_RULES)
def test_a_bad_rule_gets_its_own_code_and_hint_and_nothing_is_applied(conn, code, rule):
    before = document(conn)
    compiled = rows(conn, "SELECT * FROM monitoring.alert_rules ORDER BY rule_name")
    text = rule if isinstance(rule, str) else json.dumps(rule)  # JSON text: 1e400 stays 1e400
    with pytest.raises(psycopg.Error) as error:
        conn.execute("SELECT monitoring.put_alert_rule(%s::jsonb)", (text,))
    assert error.value.diag.sqlstate == code, error.value.diag.message_detail
    assert error.value.diag.message_hint
    assert document(conn) == before
    assert rows(conn, "SELECT * FROM monitoring.alert_rules ORDER BY rule_name") == compiled
    assert scalar(conn, "SELECT count(*) FROM monitoring.audit_log") == 0


def test_a_file_with_a_rule_twice_is_refused(conn):
    with pytest.raises(psycopg.Error) as error:
        conn.execute(
            "SELECT monitoring.patch_config(%s)", (Jsonb({"alert_rules": [CPU_RULE, CPU_RULE]}),)
        )
    assert error.value.diag.sqlstate == "PV507"


def test_a_whole_config_lists_every_rule_problem_at_once(conn):
    whole = document(conn)
    whole["alert_rules"] = [*whole["alert_rules"], _rule(aggregate="median", window="x")]
    with pytest.raises(psycopg.Error) as error:
        conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(whole),))
    assert error.value.diag.sqlstate == "PV502"
    assert len((error.value.diag.message_detail or "").splitlines()) == 2


def test_unknown_rules_and_shipped_rules(conn):
    for statement in (
        "SELECT monitoring.set_alert_rule_enabled('nope', false)",
        "SELECT monitoring.delete_alert_rule('nope')",
        'SELECT * FROM monitoring.test_alert_rule(\'{"name": "nope"}\')',
    ):
        with pytest.raises(psycopg.Error) as error:
            conn.execute(statement)
        assert error.value.diag.sqlstate == "PV510"
    with pytest.raises(psycopg.Error) as error:
        conn.execute("SELECT monitoring.delete_alert_rule('cpu_usage_high')")
    assert error.value.diag.sqlstate == "PV511"
    without = document(conn)
    without["alert_rules"] = [r for r in without["alert_rules"] if r["name"] != "cpu_usage_high"]
    with pytest.raises(psycopg.Error) as error:
        conn.execute("SELECT monitoring.apply_config(%s)", (Jsonb(without),))
    assert error.value.diag.sqlstate == "PV511"
    assert conn.execute(
        "SELECT monitoring.set_alert_rule_enabled('cpu_usage_high', false)"
    ).fetchone()
    assert (
        scalar(
            conn, "SELECT enabled FROM monitoring.alert_rules WHERE rule_name = 'cpu_usage_high'"
        )
        is False
    )


def test_filters_reach_the_database_as_data(conn):
    # A filter that looks like SQL is a string compared for equality, nothing more.
    rule = _rule(source={"kind": "metric", "metric_name": "x'; DROP TABLE monitoring.alerts; --"})
    conn.execute("SELECT monitoring.put_alert_rule(%s)", (Jsonb(rule),))
    conn.execute("SELECT * FROM monitoring.evaluate_alert_rules()")
    assert scalar(conn, "SELECT to_regclass('monitoring.alerts') IS NOT NULL")


def test_upgrades_keep_a_disabled_shipped_rule_disabled_and_add_new_ones(dsn, conn):
    conn.execute("SELECT monitoring.set_alert_rule_enabled('disk_usage_high', false)")
    # As after an upgrade from before rules: a stored config without one shipped rule.
    stored = document(conn)
    stored["alert_rules"] = [r for r in stored["alert_rules"] if r["name"] != "memory_usage_high"]
    conn.execute("DELETE FROM monitoring_internal.shipped_alert_rules")
    conn.execute("UPDATE monitoring.config SET document = %s", (Jsonb(stored),))
    report = migrate(dsn)
    assert report.config_defaults_added
    rules = {r["name"]: r for r in document(conn)["alert_rules"]}
    assert rules["disk_usage_high"]["enabled"] is False
    assert "memory_usage_high" in rules
    assert set(rule_names(conn)) >= {"cpu_usage_high", "memory_usage_high", "disk_usage_high"}


# --- the rules CLI --------------------------------------------------------------


def test_rules_cli_apply_list_show_test_disable_delete(dsn, conn, tmp_path, capsys):
    path = write(tmp_path, "rules.yaml", "- " + json.dumps(CPU_RULE) + "\n")
    assert main(["--database", dsn, "rules", "apply", str(path)]) == 0
    conn.execute(
        "SELECT monitoring.record_performance_metric('cpu_percent', 'gauge', 97, '%', 'web', NULL)"
    )
    capsys.readouterr()
    assert main(["--database", dsn, "rules", "list"]) == 0
    listing = capsys.readouterr().out
    assert "cpu_hot" in listing and "cpu_usage_high" in listing
    assert main(["--database", dsn, "rules", "show", "cpu_hot"]) == 0
    assert json.loads(capsys.readouterr().out) == CPU_RULE
    assert main(["--database", dsn, "rules", "test", "cpu_hot", "--json"]) == 0
    [tested] = json.loads(capsys.readouterr().out)
    assert (tested["severity"], tested["would_be"], tested["group_labels"]) == (
        "critical", "firing", {"component": "web"}
    )  # fmt: skip
    # test changed nothing.
    assert scalar(conn, "SELECT count(*) FROM monitoring.alerts") == 0
    assert scalar(conn, "SELECT count(*) FROM monitoring_internal.rule_groups") == 0
    draft = write(tmp_path, "draft.yaml", "- " + json.dumps({**CPU_RULE, "name": "draft",
                                                             "thresholds": {"low": 99}}) + "\n")  # fmt: skip
    assert main(["--database", dsn, "rules", "test", "draft", "--file", str(draft)]) == 0
    assert "inactive" in capsys.readouterr().out
    assert main(["--database", dsn, "rules", "disable", "cpu_hot"]) == 0
    assert main(["--database", dsn, "rules", "delete", "cpu_hot"]) == 0
    assert "cpu_hot" not in rule_names(conn)
    assert main(["--database", dsn, "rules", "delete", "cpu_usage_high"]) != 0
    assert "shipped" in capsys.readouterr().err
