"""``pgvigil serve``: the HTTP API, with API keys, web users and roles,
over the ``monitoring`` schema.

- ``app``: the ASGI application (FastAPI) and its settings;
- ``keys``: the one home of the API key format and its hash;
- ``passwords``: the one home of web users' passwords (argon2id);
- ``sessions``: the one home of the web session's cookie, token and CSRF
  token;
- ``database``: the async connection pool, each request in a transaction
  under the database role its key or session maps to;
- ``auth``: who is calling (``Authorization: Bearer KEY``, else the session
  cookie), the CSRF check of a cookie's writes, and what their role may do;
- ``limits``: rate limits per key and per address, and the request size
  limit;
- ``errors``: every error as JSON with its PV code and hint;
- ``api``: pgvigil's own JSON API, under ``/api/v1``, with the login
  (``/api/v1/session``) and the web users.
"""

from pgvigil.server.app import ServerSettings, create_app

__all__ = ["ServerSettings", "create_app"]
