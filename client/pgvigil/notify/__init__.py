"""Notification routing and the delivery worker (to come).

Here will live what happens after the database raises an alert: grouping,
silences, and delivery from the outbox to webhooks, Slack, Teams, email and
PagerDuty. The alert rules stay in SQL (``monitoring.run_monitoring_checks()``).
"""
