-- One evaluation's source values, computed once per distinct source (kind,
-- filter, aggregate, window, group_by) and shared by every rule that reads
-- it: 1,000 rules over 10 metrics are 10-40 scans, not 1,000. Rows live for
-- one evaluation (evaluate_alert_rules() empties the table first, under the
-- evaluation lock, so no two evaluations write it at once). UNLOGGED: it is
-- scratch space, rebuilt every cycle, not worth WAL; it is empty after a crash.
CREATE UNLOGGED TABLE monitoring_internal.evaluation_values (
    source_key text NOT NULL,
    group_key text NOT NULL,
    group_labels jsonb NOT NULL,
    value double precision,
    samples bigint NOT NULL
);
CREATE INDEX evaluation_values_source_key_idx ON monitoring_internal.evaluation_values (source_key);
COMMENT ON TABLE monitoring_internal.evaluation_values IS
    'Scratch space of one evaluate_alert_rules() run: each distinct rule source''s value per group (source_key = rule_source_key()).';
