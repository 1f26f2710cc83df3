"""Where the SQL sources and the default config live.

In a built wheel they are packaged under ``pgvigil/_resources`` (see
pyproject's ``force-include``); in a source checkout (editable install,
tests) they are the repository's ``sql/`` and ``config/`` directories, next
to ``client/``. Both are found from the ``pgvigil`` package directory, one
level above this module.
"""

from __future__ import annotations

from pathlib import Path

import pgvigil

# pgvigil/ (wheel) or client/pgvigil/ (source checkout).
_PACKAGE_DIR = Path(pgvigil.__file__).resolve().parent


def _resource_dir(name: str) -> Path:
    packaged = _PACKAGE_DIR / "_resources" / name
    if packaged.is_dir():
        return packaged
    source_tree = _PACKAGE_DIR.parent.parent / name
    if source_tree.is_dir():
        return source_tree
    raise FileNotFoundError(f"pgvigil resource directory {name!r} not found (broken install?)")


def sql_dir() -> Path:
    """The directory holding ``migrations/``, ``functions/``, ``views/`` and ``grants.sql``."""
    return _resource_dir("sql")


def default_config_path() -> Path:
    """The shipped ``monitoring_config.json``."""
    return _resource_dir("config") / "monitoring_config.json"


def config_schema_path() -> Path:
    """The JSON Schema that config documents are validated against."""
    return _resource_dir("config") / "monitoring_config.schema.json"
