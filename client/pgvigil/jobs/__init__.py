"""The periodic jobs: ``scheduler`` runs them from Python where pg_cron is not
available, the same jobs ``monitoring.schedule_jobs()`` installs in pg_cron."""
