"""Config documents: read, validate against the shipped JSON Schema, apply.

The schema checks shape and types, reporting every problem at once; the
database's ``monitoring.validate_config()`` adds the rules that span keys
(thresholds ordered low <= medium <= high <= critical) and guards documents
applied straight from SQL.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import jsonschema
import psycopg
import yaml
from psycopg.types.json import Jsonb

from pgvigil.db.queries import query
from pgvigil.db.resources import config_schema_path
from pgvigil.errors import InvalidConfigError, from_psycopg

_APPLY_CONFIG = query("apply_config")
_PATCH_CONFIG = query("patch_config")
_PREVIEW_CONFIG_PATCH = query("preview_config_patch")
_SHOW_CONFIG = query("show_config")


def schema_problems(document: Any) -> list[str]:
    """Every JSON Schema violation of ``document``, as readable lines."""
    schema = json.loads(config_schema_path().read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path))):
        where = ".".join(str(p) for p in error.absolute_path) or "(document)"
        problems.append(f"{where}: {error.message}")
    return problems


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a config file, whole or partial: JSON, or YAML for ``.yaml``/``.yml``
    (alert rules read well in YAML). Not validated: see load_config_file()."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        if Path(path).suffix.lower() in (".yaml", ".yml"):
            document = yaml.safe_load(text)
        else:
            document = json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidConfigError(
            f"{path} is not valid {'YAML' if Path(path).suffix.lower() in ('.yaml', '.yml') else 'JSON'}: {exc}",
            sqlstate="PV301",
            hint="The config is plain JSON (no comments, no trailing commas), or YAML in a .yaml file.",
        ) from exc
    if not isinstance(document, dict):
        raise InvalidConfigError(
            f"{path}: the config must be an object of sections",
            sqlstate="PV301",
            hint='A config file holds sections such as {"retention": {...}, "alert_rules": [...]}.',
        )
    return document


# The top-level keys of an Alertmanager config file (alertmanager.yml).
ALERTMANAGER_KEYS = frozenset(
    {
        "global",
        "route",
        "receivers",
        "inhibit_rules",
        "time_intervals",
        "mute_time_intervals",
        "templates",
    }
)


def config_patch_of(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(the partial config a file means, the sections it replaces whole).

    An Alertmanager config (only Alertmanager's top-level keys, with a route
    or receivers) is the notifications section, whole: applied as it is, as
    Alertmanager would read it, not merged into the one before. Any other
    file is a partial pgvigil config, merged key by key."""
    if (
        document
        and document.keys() <= ALERTMANAGER_KEYS
        and document.keys() & {"route", "receivers"}
    ):
        return {"notifications": document}, ["notifications"]
    return document, []


def _raise_schema_problems(where: str, document: Any) -> None:
    problems = schema_problems(document)
    if problems:
        raise InvalidConfigError(
            f"{where}: {len(problems)} problem(s)",
            sqlstate="PV301",
            detail="\n".join(problems),
            hint="Fix every listed key; see config/monitoring_config.schema.json.",
        )


def load_config_file(path: Path) -> dict[str, Any]:
    """Read and schema-validate a whole config file; raise InvalidConfigError listing all problems."""
    document = read_config_file(path)
    _raise_schema_problems(str(path), document)
    return document


def _connect(conninfo: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(conninfo, autocommit=True)
    except psycopg.Error as exc:
        raise from_psycopg(exc) from exc


def merged_config(
    conninfo: str, patch: dict[str, Any], replace: list[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(active config, what applying the partial document ``patch`` over it
    gives, the sections in ``replace`` replaced whole), the merge done by the
    database (monitoring.preview_config_patch)."""
    try:
        with _connect(conninfo) as conn:
            row = conn.execute(_SHOW_CONFIG).fetchone()
            merged = conn.execute(_PREVIEW_CONFIG_PATCH, (Jsonb(patch), replace or [])).fetchone()
    except psycopg.Error as exc:
        raise from_psycopg(exc) from exc
    return (row[0] if row else {}), (merged[0] if merged else {})


def config_diff(before: dict[str, Any], after: dict[str, Any], *, label: str) -> str:
    """A unified diff of two config documents, as pretty JSON with sorted keys."""

    def lines(document: dict[str, Any]) -> list[str]:
        return json.dumps(document, indent=2, sort_keys=True).splitlines(keepends=True)

    return "".join(difflib.unified_diff(lines(before), lines(after), "active config", label))


def patch_config_file(conninfo: str, path: Path) -> dict[str, Any]:
    """Merge the partial config file ``path`` over the active config and apply
    the result, validated as a whole (the JSON Schema here, every rule in the
    database); nothing changes unless all of it is valid."""
    patch, replace = config_patch_of(read_config_file(path))
    _current, merged = merged_config(conninfo, patch, replace)
    _raise_schema_problems(f"{path} merged over the active config", merged)
    try:
        with _connect(conninfo) as conn:
            row = conn.execute(_PATCH_CONFIG, (Jsonb(patch), replace)).fetchone()
    except psycopg.Error as exc:
        raise from_psycopg(exc) from exc
    return row[0] if row else merged


def apply_config_file(conninfo: str, path: Path) -> dict[str, Any]:
    """Validate ``path`` and make it the active config of the database."""
    document = load_config_file(path)
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(_APPLY_CONFIG, (Jsonb(document),))
    except psycopg.Error as exc:
        raise from_psycopg(exc) from exc
    return document
