"""``pgvigil serve``: the HTTP API, with API keys and roles, over the
``monitoring`` schema.

- ``app``: the ASGI application (FastAPI) and its settings;
- ``keys``: the one home of the API key format and its hash;
- ``database``: the async connection pool, each request in a transaction
  under the database role its key maps to;
- ``auth``: who is calling (``Authorization: Bearer KEY``) and what their
  role may do;
- ``limits``: rate limits per key and per address, and the request size
  limit;
- ``errors``: every error as JSON with its PV code and hint;
- ``api``: pgvigil's own JSON API, under ``/api/v1``.
"""

from pgvigil.server.app import ServerSettings, create_app

__all__ = ["ServerSettings", "create_app"]
