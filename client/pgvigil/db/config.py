"""Config documents: read, validate against the shipped JSON Schema, apply.

The schema checks shape and types, reporting every problem at once; the
database's ``monitoring.validate_config()`` adds the rules that span keys
(thresholds ordered low <= medium <= high <= critical) and guards documents
applied straight from SQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import psycopg
from psycopg.types.json import Jsonb

from pgvigil.db.queries import query
from pgvigil.db.resources import config_schema_path
from pgvigil.errors import InvalidConfigError, from_psycopg

_APPLY_CONFIG = query("apply_config")


def schema_problems(document: Any) -> list[str]:
    """Every JSON Schema violation of ``document``, as readable lines."""
    schema = json.loads(config_schema_path().read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path))):
        where = ".".join(str(p) for p in error.absolute_path) or "(document)"
        problems.append(f"{where}: {error.message}")
    return problems


def load_config_file(path: Path) -> dict[str, Any]:
    """Read and schema-validate a config file; raise InvalidConfigError listing all problems."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidConfigError(
            f"{path} is not valid JSON: {exc}",
            sqlstate="PV301",
            hint="The config is plain JSON: no comments, no trailing commas.",
        ) from exc
    problems = schema_problems(document)
    if problems:
        raise InvalidConfigError(
            f"{path}: {len(problems)} problem(s)",
            sqlstate="PV301",
            detail="\n".join(problems),
            hint="Fix every listed key; see config/monitoring_config.schema.json.",
        )
    if not isinstance(document, dict):  # the schema requires an object; keeps mypy honest
        raise InvalidConfigError(f"{path}: the config must be a JSON object", sqlstate="PV301")
    return document


def apply_config_file(conninfo: str, path: Path) -> dict[str, Any]:
    """Validate ``path`` and make it the active config of the database."""
    document = load_config_file(path)
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(_APPLY_CONFIG, (Jsonb(document),))
    except psycopg.Error as exc:
        raise from_psycopg(exc) from exc
    return document
