"""The database side of the client: connection settings, the SQL the package
runs (``queries.sql``), the schema's SQL sources and config (``resources``),
``migrate``, config files, and the embedded local cluster.

Nothing is imported here: ``pgvigil.db.queries`` is loaded by the recording
clients, which need neither yoyo nor jsonschema.
"""
