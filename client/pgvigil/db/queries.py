"""Every SQL statement the package runs, from the named blocks of ``queries.sql``.

The file sits next to this module and ships inside the package. It is read
and split once, at import; the modules then take their statements at their
own import, as module constants::

    _START_TASK = query("start_task")

so a call costs nothing more than before (a constant passed to psycopg,
which caches the parsed statement), and a name missing from the file fails
the import of the module using it. ``tests/schema/test_queries.py`` checks that
every name used exists and every block is used.

``query(name)`` returns a plain statement. ``template(name)`` returns a
``psycopg.sql.SQL`` for the few statements that need identifiers filled in
(``{dbname}``, ``{view}``, ...: names cannot be bound as parameters), which
the caller completes with ``.format(...)`` and ``sql.Identifier``; asking for
a block as the wrong kind raises too.

What stays in code, because it is not the client's own statement text:

- the repeatable sources ``migrate`` applies (the schema's
  ``sql/functions``, ``sql/views``, ``sql/grants.sql``) and the numbered
  migrations yoyo applies (yoyo's bookkeeping SQL is yoyo's);
- the job commands the Python scheduler runs, read from
  ``monitoring.job_definitions()`` (the database defines them);
- the identifiers filled into the templates above, composed with
  ``sql.Identifier`` (or, for a routine's signature as ``regprocedure``
  prints it, ``sql.SQL``) at the call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.resources import files
from types import MappingProxyType
from typing import TYPE_CHECKING

from psycopg import sql

if TYPE_CHECKING:
    from typing_extensions import LiteralString

__all__ = ["QUERIES", "QueryFileError", "is_template", "load_queries", "query", "template"]

# Loose on purpose: a name line that is malformed is refused, never taken as a comment.
_NAME_LINE = re.compile(r"^--\s*name:(?P<name>.*)$", re.M)
_VALID_NAME = re.compile(r"[a-z][a-z0-9_]*")
# A ``{field}`` of psycopg.sql.SQL.format (``{{`` is a literal brace).
_TEMPLATE_FIELD = re.compile(r"(?<!\{)\{[a-z_]*\}")


class QueryFileError(ValueError):
    """``queries.sql`` is malformed (a bad or repeated name, an empty block)."""


def load_queries(text: str) -> dict[str, str]:
    """Split the text of a queries file into ``{name: statement}``.

    A block is a ``-- name: <name>`` line, optional ``--`` description lines
    right after it, then the statement up to the next name line. Comment and
    blank lines before and after the statement are dropped (the file's
    section headings sit there), comments inside it kept. Anything before
    the first name line is the file's own commentary.
    """
    matches = list(_NAME_LINE.finditer(text))
    if not matches:
        raise QueryFileError("no '-- name:' block found")
    queries: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        name = match["name"].strip()
        if not _VALID_NAME.fullmatch(name):
            raise QueryFileError(f"invalid query name {name!r} (lower case, digits, _)")
        if name in queries:
            raise QueryFileError(f"query {name!r} is defined twice")
        end = following.start() if following is not None else len(text)
        lines = text[match.end() : end].split("\n")
        while lines and _is_comment_or_blank(lines[0]):
            lines.pop(0)  # the block's description
        while lines and _is_comment_or_blank(lines[-1]):
            lines.pop()  # the next section's heading
        statement = "\n".join(lines)
        if not statement:
            raise QueryFileError(f"query {name!r} has no statement")
        queries[name] = statement
    return queries


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("--")


QUERIES: Mapping[str, str] = MappingProxyType(
    load_queries(files("pgvigil.db").joinpath("queries.sql").read_text(encoding="utf-8"))
)


def is_template(name: str) -> bool:
    """Whether the block has ``{field}`` placeholders to fill with ``sql.SQL.format``."""
    return _TEMPLATE_FIELD.search(_lookup(name)) is not None


def _lookup(name: str) -> str:
    try:
        return QUERIES[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} in pgvigil/db/queries.sql") from None


def query(name: str) -> LiteralString:
    """The statement named ``name`` (KeyError if there is none).

    Typed ``LiteralString`` as psycopg asks for: the text is the package's
    own file, as trusted as a literal in the code, never outside input.
    """
    if is_template(name):
        raise KeyError(f"query {name!r} is a template: use template({name!r})")
    return _lookup(name)


def template(name: str) -> sql.SQL:
    """The template named ``name``, as ``sql.SQL`` for ``.format(field=sql.Identifier(...))``."""
    if not is_template(name):
        raise KeyError(f"query {name!r} has no {{field}}: use query({name!r})")
    return sql.SQL(_lookup(name))
