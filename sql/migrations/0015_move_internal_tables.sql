-- pgvigil's bookkeeping tables move to monitoring_internal, beside the
-- helpers that use them: schema monitoring keeps what users read and write
-- (tasks, errors, samples, health, queues, alerts, config, the rollups and
-- the audit log). These tables are not a public interface.
--
-- Moving a table keeps its rows, indexes, constraints and oid. For the
-- moment between this migration's commit and the functions' (migrate
-- applies the function files in the next transaction), a plain view under
-- the old name lets the functions already installed go on writing: the
-- ingest paths' INSERT ... ON CONFLICT (column), UPDATE, DELETE and
-- SELECT ... FOR UPDATE all work through an automatically updatable view.
-- (ON CONFLICT ON CONSTRAINT does not, so a checks run or a rollup refresh
-- that falls in that moment fails and runs again at the next minute.)
-- migrate drops these views in the transaction that installs the new
-- functions, as it drops every view no file defines.
--
-- Each move takes its table's ACCESS EXCLUSIVE lock until the commit. The
-- lock timeout keeps a move that waits behind a long transaction from
-- stalling the writers queued behind it: the migration then fails whole,
-- and `pgvigil migrate` can simply run again.
SET LOCAL lock_timeout = '5s';
ALTER TABLE monitoring.running_tasks SET SCHEMA monitoring_internal;
ALTER TABLE monitoring.pending_task_completions SET SCHEMA monitoring_internal;
ALTER TABLE monitoring.ingest_batches SET SCHEMA monitoring_internal;
ALTER TABLE monitoring.rollup_state SET SCHEMA monitoring_internal;
ALTER TABLE monitoring.rollup_pending SET SCHEMA monitoring_internal;
ALTER TABLE monitoring.schema_sources SET SCHEMA monitoring_internal;
ALTER TABLE monitoring.history_tables SET SCHEMA monitoring_internal;
ALTER TABLE monitoring.check_runs SET SCHEMA monitoring_internal;

CREATE VIEW monitoring.running_tasks AS SELECT * FROM monitoring_internal.running_tasks;
CREATE VIEW monitoring.pending_task_completions AS
    SELECT * FROM monitoring_internal.pending_task_completions;
CREATE VIEW monitoring.ingest_batches AS SELECT * FROM monitoring_internal.ingest_batches;
CREATE VIEW monitoring.rollup_state AS SELECT * FROM monitoring_internal.rollup_state;
CREATE VIEW monitoring.rollup_pending AS SELECT * FROM monitoring_internal.rollup_pending;
CREATE VIEW monitoring.schema_sources AS SELECT * FROM monitoring_internal.schema_sources;
CREATE VIEW monitoring.history_tables AS SELECT * FROM monitoring_internal.history_tables;
CREATE VIEW monitoring.check_runs AS SELECT * FROM monitoring_internal.check_runs;
