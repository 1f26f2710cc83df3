-- A composite rule's groups go into evaluation_values too, under the key
-- 'composite:' || rule_name, so that one decision query covers every rule.
-- Their severity is not a function of the value (it is where the
-- conditions hold), so it is stored; NULL for the rows of simple sources,
-- whose severity each rule reads from its own thresholds.
ALTER TABLE monitoring_internal.evaluation_values ADD COLUMN severity text;
