"""``pgvigil serve`` (to come).

Here will live the HTTP API, Prometheus ``/metrics``, an Alertmanager-compatible
API and the web dashboard, all reading the ``monitoring`` schema.
"""
