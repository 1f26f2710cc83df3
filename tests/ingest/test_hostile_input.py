"""Bad input by the thousand: property-based tests of every recording function.

Hypothesis generates hostile arguments (empty, blank and over-long strings,
NUL bytes, lone surrogates, SQL fragments, emoji, NaN and infinities,
numbers beyond integer/bigint range, event times from year 1 to year 9999,
naive and aware, JSON of the wrong shape, too big or unencodable) for the six
recording functions, called in SQL with psycopg parameters, through
``MonitoringClient`` and through ``BufferedClient``.

Each call either succeeds and the stored row holds what was passed (long
messages, stack traces and failure reasons truncated as documented), or fails
with a clear error, after which the connection still answers ``SELECT 1`` and
the row count of every table in schema ``monitoring`` is unchanged (counts
only: a content hash per example would be too slow for hundreds of examples).

What counts as a clear error is decided per argument by an oracle, in the
order the errors happen:

1. in the driver, before anything is sent: text with a NUL byte (psycopg
   ``DataError`` without SQLSTATE: PostgreSQL text cannot hold ``\\x00``) and
   strings with lone surrogates (``UnicodeEncodeError``: not UTF-8);
2. in the server, converting a parameter to its SQL type: 22003 (an integer
   beyond ``integer``/``bigint``, a number beyond ``double precision``), 22P05
   (``\\u0000`` in JSON), 22P02 (a lone surrogate escape, NaN or Infinity in
   JSON);
3. in the function: the documented PV001-PV009 (and PV101-PV103 when a task
   id comes up twice), plus 22003 for a response time beyond ``double
   precision``.

The error must come from the earliest stage that has a problem, and be one of
that stage's codes for the arguments actually passed; an argument list without
problems must succeed. Through ``MonitoringClient`` stage 2 and 3 errors arrive
as the client's classes: PV00x and 22xxx as ``InvalidArgumentError`` with the
SQLSTATE, a NUL byte or a surrogate as ``InvalidArgumentError`` without one
(the driver's error as its cause). A ``BufferedClient`` never raises: after ``flush()``
each event is written or dropped under a ``rejected:*`` reason.

The ``conn`` fixture resets the database per test, not per example, so every
assertion is relative to the state just before the example.
"""

from __future__ import annotations

import itertools
import math
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from psycopg import sql
from psycopg.types.json import Jsonb

from dbhelpers import Conn, parent_tables, scalar
from pgvigil import BufferedClient, MonitoringClient
from pgvigil.errors import InvalidArgumentError, PgvigilError, TaskStateError

UTC = timezone.utc
SQL_EXAMPLES = 120
CLIENT_EXAMPLES = 40
SETTINGS: dict[str, Any] = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "database": None,
    # In CI the examples are the same every run, so a rare example that the
    # oracle judges wrongly cannot fail one submission and pass the next;
    # locally every run draws new ones.
    "derandomize": bool(os.environ.get("CI")),
}
_unique = itertools.count()

# -- the oracle --------------------------------------------------------------

CLIENT, CONVERT, FUNCTION = 0, 1, 2  # the stages at which an argument can fail
NUL = "NUL"
SURROGATE = "surrogate"
INT4 = (-(2**31), 2**31 - 1)
INT8 = (-(2**63), 2**63 - 1)
MAX_FLOAT = 1.7976931348623157e308


@dataclass
class Problems:
    """What each stage will object to, for one argument list."""

    stages: dict[int, set[str]] = field(default_factory=dict)
    ambiguous: bool = False  # e.g. an event time a hair from a bound: success or PV006

    def add(self, stage: int, code: str) -> None:
        self.stages.setdefault(stage, set()).add(code)

    def expected(self) -> tuple[int, set[str]] | None:
        if not self.stages:
            return None
        stage = min(self.stages)
        return stage, self.stages[stage]


def _encoding_problem(value: str) -> str | None:
    if "\x00" in value:
        return NUL
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        return SURROGATE
    return None


def check_text(p: Problems, value: str | None, *, limit: int | None, required: bool) -> None:
    """An identifier (limit 200), or a required/optional free text (limit None)."""
    if value is None:
        if required:
            p.add(FUNCTION, "PV001")
        return
    if "\x00" in value:
        p.add(CLIENT, NUL)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        p.add(CLIENT, SURROGATE)
    if (required or limit is not None) and value.strip(" ") == "":
        p.add(FUNCTION, "PV001")  # btrim() strips spaces only; a given identifier must not be blank
    if limit is not None and len(value) > limit:
        p.add(FUNCTION, "PV008")


def check_int(p: Problems, value: int | None, bounds: tuple[int, int], *, required: bool) -> None:
    if value is None:
        if required:
            p.add(FUNCTION, "PV001")
        return
    if not bounds[0] <= value <= bounds[1]:
        p.add(CONVERT, "22003")
    elif value < 0:
        p.add(FUNCTION, "PV004")


def check_float(p: Problems, value: float | int | None, *, required: bool, count: bool) -> None:
    """A double precision argument: a metric value (any sign) or a count/age (>= 0)."""
    if value is None:
        if required:
            p.add(FUNCTION, "PV001")
        return
    if isinstance(value, int) and abs(value) > MAX_FLOAT:
        p.add(CONVERT, "22003")
        return
    if math.isnan(value) or math.isinf(value):
        p.add(FUNCTION, "PV005")
    elif count and value < 0:
        p.add(FUNCTION, "PV004")


def check_response_time(p: Problems, value: float | int | None) -> None:
    """numeric parameter, checked as double precision inside the function."""
    if value is None:
        return
    if isinstance(value, int) and abs(value) > MAX_FLOAT:
        # numeric holds it; the check clamps it to double's range (a huge value is
        # stored, a huge negative one is PV004).
        if value < 0:
            p.add(FUNCTION, "PV004")
        return
    if math.isnan(value) or math.isinf(value):
        p.add(FUNCTION, "PV005")
    elif value < 0:
        p.add(FUNCTION, "PV004")


def _json_problems(p: Problems, value: Any) -> None:
    if isinstance(value, str):
        problem = _encoding_problem(value)
        if problem == NUL:
            p.add(CONVERT, "22P05")
        elif problem == SURROGATE:
            try:  # json.dumps escapes surrogates: a high+low pair is valid JSON
                value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
            except UnicodeDecodeError:
                p.add(CONVERT, "22P02")
    elif isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        p.add(CONVERT, "22P02")  # json.dumps writes NaN / Infinity: not JSON
    elif isinstance(value, dict):
        for key, item in value.items():
            _json_problems(p, key)
            _json_problems(p, item)
    elif isinstance(value, list):
        for item in value:
            _json_problems(p, item)


def _json_size(value: Any) -> int:
    import json

    return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def check_json(p: Problems, value: Any, *, step_timings: bool = False) -> None:
    if value is None:
        return
    _json_problems(p, value)
    if not isinstance(value, dict):
        p.add(FUNCTION, "PV007")
        return
    size = _json_size(value)
    if size > 80_000:
        p.add(FUNCTION, "PV008")
    elif size > 50_000:
        p.ambiguous = True  # jsonb's binary size differs from the text's
    if step_timings and any(
        isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in value.values()
    ):
        p.add(FUNCTION, "PV007")


@dataclass(frozen=True)
class EventTime:
    value: datetime | None
    offset: timedelta | None  # from now; None: far outside the range (or the default)


def check_time(p: Problems, t: EventTime) -> None:
    if t.value is None:
        return
    if t.offset is None:
        p.add(FUNCTION, "PV006")
        return
    inside = -timedelta(hours=168) < t.offset < timedelta(seconds=300)
    near = min(
        abs(t.offset + timedelta(hours=168)), abs(t.offset - timedelta(seconds=300))
    ) < timedelta(seconds=30)
    if near:
        p.ambiguous = True
    if not inside:
        p.add(FUNCTION, "PV006")


# -- strategies ----------------------------------------------------------------

SQL_FRAGMENTS = [
    "'; DROP TABLE monitoring.error_tracking; --",
    "x'); DELETE FROM monitoring.alerts; --",
    '"; SELECT pg_sleep(10); --',
    "' OR '1'='1",
    "%s",
    "%(task_id)s",
    "$1",
    "$$",
    "\\",
    "E'\\\\x00'",
    "/*",
    "NULL",
    "null",
    "completed ",
    "healthy\n",
]
EMOJI = ["😀", "👩‍👩‍👧‍👦", "🇺🇳", "é", "\u200b", "\u202e", "\ufeff", "\U0010ffff"]

surrogates = st.lists(st.integers(0xD800, 0xDFFF).map(chr), min_size=1, max_size=3).map("".join)
hostile_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(SQL_FRAGMENTS),
    st.sampled_from(["", " ", "   ", "\t", "\n", "\u00a0", "\u3000"]),
    st.integers(195, 205).map(lambda n: "x" * n),
    st.tuples(st.sampled_from(EMOJI), st.integers(190, 210)).map(lambda t: t[0] * t[1]),
    st.tuples(st.text(max_size=5), st.text(max_size=5)).map(lambda t: t[0] + "\x00" + t[1]),
    st.tuples(st.text(max_size=5), surrogates).map("".join),
    st.just("x" * 100_000),
)


def valid_or(valid: list[str]) -> st.SearchStrategy[str | None]:
    """Mostly a valid value, so that the later arguments get exercised too."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), hostile_text, st.none())


ints = st.one_of(
    st.integers(-5, 10**6),
    st.sampled_from([INT4[1], INT4[1] + 1, INT4[0] - 1, INT8[1], INT8[1] + 1, INT8[0] - 1]),
    st.integers(-(2**80), 2**80),
    st.none(),
)
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 5e-324, MAX_FLOAT, -MAX_FLOAT]),
    st.sampled_from([10**400, -(10**400), 2**1030]),
    st.integers(-(10**6), 10**6),
    st.none(),
)
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=10),
    hostile_text.filter(lambda s: len(s) < 1000),
)
json_any = st.recursive(
    json_leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=12,
)


def _nested(depth: int) -> dict[str, Any]:
    value: Any = 1
    for _ in range(depth):
        value = {"a": [value]}
    return {"deep": value}


json_value = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=8), json_any, max_size=5),
    json_any,  # arrays, scalars: the wrong shape
    st.integers(10, 400).map(_nested),
    st.integers(1, 3).map(lambda k: {str(i): "x" * 1000 for i in range(k * 40)}),  # 40-120 KB
    st.sampled_from([{"k": "\x00"}, {"\x00": 1}, {"k": "\ud800"}, {"n": float("nan")}]),
)
step_timings = st.one_of(
    st.none(),
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.floats(), st.integers(-5, 2**70), st.text(max_size=3), st.none()),
        max_size=5,
    ),
    json_value,
)


@st.composite
def event_times(draw: Any) -> EventTime:
    now = datetime.now(UTC)
    kind = draw(st.sampled_from(["default", "near", "near", "far", "naive-near", "naive-far"]))
    if kind == "default":
        return EventTime(None, None)
    if kind in ("near", "naive-near"):
        offset = timedelta(
            seconds=draw(st.integers(-(200 * 3600), 1000) | st.sampled_from([0, -3600, 250]))
        )
        zone = timezone(timedelta(minutes=draw(st.integers(-14 * 60, 14 * 60))))
        at = (now + offset).astimezone(zone)
        if kind == "naive-near":
            # A naive time is read in the session's TimeZone: the tests' sessions run in UTC.
            at = (now + offset).replace(tzinfo=None)
        return EventTime(at, offset)
    at = draw(
        st.one_of(
            st.sampled_from(
                [
                    datetime(1, 1, 1),
                    datetime(9999, 12, 31, 23, 59, 59, 999999),
                    datetime(1970, 1, 1),
                ]
            ),
            st.datetimes(
                min_value=datetime(1, 1, 2), max_value=datetime(2000, 1, 1), timezones=st.just(UTC)
            ),
            st.datetimes(min_value=datetime(2200, 1, 1), max_value=datetime(9999, 12, 30)),
        )
    )
    if kind == "far" and at.tzinfo is None:
        zone = timezone(timedelta(hours=draw(st.integers(-14, 14))))
        at = at.replace(tzinfo=zone)
    return EventTime(at, None)


# -- running one example ------------------------------------------------------


def counts_query(conn: Conn) -> sql.Composed:
    return sql.SQL("SELECT ARRAY[{}]").format(
        sql.SQL(", ").join(
            sql.SQL("(SELECT count(*) FROM {})").format(sql.Identifier(schema, t))
            for schema, t in parent_tables(conn)
        )
    )


def classify(exc: BaseException) -> tuple[int, str] | None:
    """The stage and code of an acceptable error; None for anything else."""
    if isinstance(exc, UnicodeEncodeError):
        return CLIENT, SURROGATE
    if isinstance(exc, PgvigilError):
        if exc.sqlstate is None:
            # The driver refused the argument: the client says so with its own class.
            cause = exc.__cause__
            if not isinstance(exc, InvalidArgumentError):
                return None
            if isinstance(cause, UnicodeEncodeError):
                return CLIENT, SURROGATE
            return classify(cause) if isinstance(cause, psycopg.DataError) else None
        code = exc.sqlstate
        if code.startswith(("PV00", "22")) and not isinstance(exc, InvalidArgumentError):
            return None
        if code.startswith("PV1") and not isinstance(exc, TaskStateError):
            return None
    elif isinstance(exc, psycopg.Error):
        code = exc.diag.sqlstate or ""
        if not code:
            return (CLIENT, NUL) if "NUL" in str(exc) else None
    else:
        return None
    if code in ("22003", "22P05", "22P02"):
        return CONVERT, code  # 22003 may also come from the function: checked by code
    if code.startswith("PV"):
        return FUNCTION, code
    return None


def run_example(
    conn: Conn,
    counts: sql.Composed,
    problems: Problems,
    call: Callable[[], Any],
    verify: Callable[[Any], None],
) -> str:
    """Runs one call; returns "written" or "error <code>" (what happened)."""
    before = scalar(conn, counts)
    try:
        result = call()
    except Exception as exc:
        got = classify(exc)
        event(f"error {got[1] if got else type(exc).__name__}")
        assert got is not None, f"unclear error {type(exc).__name__}: {exc}"
        assert scalar(conn, "SELECT 1") == 1
        assert scalar(conn, counts) == before, "a failed call changed the row counts"
        expected = problems.expected()
        outcome = f"error {got[1]}"
        if got[1] in ("PV101", "PV102", "PV103"):
            return outcome  # a task id that came up twice: a documented outcome
        if expected is None:
            assert problems.ambiguous, f"valid arguments refused: {got[1]}: {exc}"
            return outcome
        stage, codes = expected
        if got[1] == "22003":
            assert {"22003"} <= problems.stages.get(stage, set()), (got, expected, str(exc))
            return outcome
        assert got[0] == stage and got[1] in codes, (got, expected, str(exc))
        return outcome
    event("written")
    assert scalar(conn, "SELECT 1") == 1
    expected = problems.expected()
    assert expected is None or problems.ambiguous, f"accepted, expected {expected}"
    verify(result)
    return "written"


def fetch_one(conn: Conn, query: str, params: Any) -> tuple[Any, ...]:
    found = conn.execute(query, params).fetchall()
    assert len(found) == 1, found
    return found[0]


def stored_time(t: EventTime) -> datetime | None:
    if t.value is None:
        return None
    return t.value if t.value.tzinfo else t.value.replace(tzinfo=UTC)


def _jsonb(value: Any) -> Jsonb | None:
    return None if value is None else Jsonb(value)


def as_jsonb(conn: Conn, value: Any) -> Any:
    """A JSON argument as jsonb stores it: numbers are numeric, so a float
    such as -3.605813210492158e+16 comes back as the integer its decimal
    text names (-36058132104921580), which Python compares unequal."""
    return None if value is None else fetch_one(conn, "SELECT %s::jsonb", (Jsonb(value),))[0]


def _uid(prefix: str) -> str:
    return f"{prefix}-{next(_unique)}"


# -- the six functions: arguments, oracle, verification ------------------------

TEXT_OR_VALID = valid_or


@dataclass
class Case:
    """One generated call: arguments by name, their problems, how to verify success."""

    args: dict[str, Any]
    problems: Problems


def start_case(args: dict[str, Any]) -> Problems:
    p = Problems()
    check_text(p, args["task_id"], limit=200, required=True)
    check_text(p, args["task_type"], limit=200, required=True)
    check_int(p, args["input_size"], INT8, required=False)
    check_text(p, args["worker_id"], limit=200, required=False)
    check_json(p, args["metadata"])
    check_time(p, args["event_time"])
    return p


start_args = st.fixed_dictionaries(
    {
        "task_id": valid_or(["task"]),
        "task_type": valid_or(["ocr", "etl"]),
        "input_size": ints,
        "worker_id": st.one_of(st.none(), hostile_text),
        "metadata": json_value,
        "event_time": event_times(),
    }
)

START_SQL = (
    "SELECT monitoring.start_task_tracking(%s::text, %s::text, %s::bigint, %s::text, %s::jsonb,"
    " coalesce(%s::timestamptz, now()))"
)


def start_params(a: dict[str, Any]) -> tuple[Any, ...]:
    return (
        a["task_id"],
        a["task_type"],
        a["input_size"],
        a["worker_id"],
        _jsonb(a["metadata"]),
        a["event_time"].value,
    )


def verify_start(conn: Conn, a: dict[str, Any], returned: Any) -> None:
    assert returned == a["task_id"]
    row = fetch_one(
        conn,
        "SELECT task_type, input_size, worker_id, metadata, start_time, status"
        " FROM monitoring.processing_metrics WHERE task_id = %s",
        (a["task_id"],),
    )
    assert row[:4] == (
        a["task_type"],
        a["input_size"],
        a["worker_id"],
        as_jsonb(conn, a["metadata"]),
    )
    if a["event_time"].value is not None:
        assert row[4] == stored_time(a["event_time"])
    assert row[5] == "running"


def unique_task_id(a: dict[str, Any]) -> dict[str, Any]:
    """Valid ids get a unique suffix so that examples do not collide (PV101)."""
    if a["task_id"] in ("task",):
        a = {**a, "task_id": _uid("task")}
    return a


ERROR_SQL = (
    "SELECT monitoring.record_error(%s::text, %s::text, %s::text, %s::text, %s::text, %s::text,"
    " %s::jsonb, coalesce(%s::timestamptz, now()))"
)
error_args = st.fixed_dictionaries(
    {
        "task_id": st.one_of(st.none(), st.just("t1"), hostile_text),
        "error_type": valid_or(["ValueError"]),
        "severity": valid_or(["low", "medium", "high", "critical"]),
        "message": st.one_of(valid_or(["boom"]), st.integers(9990, 10010).map(lambda n: "m" * n)),
        "component": valid_or(["api"]),
        "stack_trace": st.one_of(
            st.none(), hostile_text, st.integers(99_990, 100_010).map(lambda n: "s" * n)
        ),
        "context": json_value,
        "event_time": event_times(),
    }
)


def error_problems(a: dict[str, Any]) -> Problems:
    p = Problems()
    check_text(p, a["task_id"], limit=200, required=False)
    check_text(p, a["error_type"], limit=200, required=True)
    check_text(p, a["severity"], limit=200, required=True)
    if a["severity"] is not None and a["severity"] not in ("low", "medium", "high", "critical"):
        p.add(FUNCTION, "PV003")
    check_text(p, a["message"], limit=None, required=True)
    check_text(p, a["component"], limit=200, required=True)
    check_text(p, a["stack_trace"], limit=None, required=False)
    check_json(p, a["context"])
    check_time(p, a["event_time"])
    return p


def error_params(a: dict[str, Any]) -> tuple[Any, ...]:
    return (
        a["task_id"],
        a["error_type"],
        a["severity"],
        a["message"],
        a["component"],
        a["stack_trace"],
        _jsonb(a["context"]),
        a["event_time"].value,
    )


def verify_error(conn: Conn, a: dict[str, Any], error_id: Any) -> None:
    row = fetch_one(
        conn,
        "SELECT task_id, error_type, severity, message, component, stack_trace, context,"
        " occurred_at FROM monitoring.error_tracking WHERE error_id = %s",
        (error_id,),
    )
    stack = a["stack_trace"]
    assert row[:7] == (
        a["task_id"],
        a["error_type"],
        a["severity"],
        a["message"][:10_000],
        a["component"],
        None if stack is None else stack[:100_000],
        as_jsonb(conn, a["context"]),
    )
    if a["event_time"].value is not None:
        assert row[7] == stored_time(a["event_time"])


METRIC_SQL = (
    "SELECT monitoring.record_performance_metric(%s::text, %s::text, %s::double precision,"
    " %s::text, %s::text, %s::jsonb, coalesce(%s::timestamptz, now()))"
)
metric_args = st.fixed_dictionaries(
    {
        "name": valid_or(["latency"]),
        "metric_type": valid_or(["histogram"]),
        "value": floats,
        "unit": valid_or(["ms"]),
        "component": valid_or(["api"]),
        "tags": json_value,
        "event_time": event_times(),
    }
)


def metric_problems(a: dict[str, Any]) -> Problems:
    p = Problems()
    check_text(p, a["name"], limit=200, required=True)
    check_text(p, a["metric_type"], limit=200, required=True)
    check_float(p, a["value"], required=True, count=False)
    check_text(p, a["unit"], limit=200, required=True)
    check_text(p, a["component"], limit=200, required=True)
    check_json(p, a["tags"])
    check_time(p, a["event_time"])
    return p


def metric_params(a: dict[str, Any]) -> tuple[Any, ...]:
    return (
        a["name"],
        a["metric_type"],
        a["value"],
        a["unit"],
        a["component"],
        _jsonb(a["tags"]),
        a["event_time"].value,
    )


def verify_metric(conn: Conn, a: dict[str, Any], _: Any) -> None:
    found = scalar(
        conn,
        "SELECT count(*) FROM monitoring.performance_monitoring WHERE metric_name = %s"
        " AND metric_type = %s AND metric_value = %s::double precision AND unit = %s"
        " AND component = %s AND tags IS NOT DISTINCT FROM %s::jsonb"
        " AND (%s::timestamptz IS NULL OR recorded_at = %s::timestamptz)",
        (
            a["name"],
            a["metric_type"],
            a["value"],
            a["unit"],
            a["component"],
            _jsonb(a["tags"]),
            stored_time(a["event_time"]),
            stored_time(a["event_time"]),
        ),
    )
    assert found >= 1


HEALTH_SQL = (
    "SELECT monitoring.update_system_health(%s::text, %s::text, %s::text, %s::numeric, %s::text,"
    " %s::jsonb, coalesce(%s::timestamptz, now()))"
)
health_args = st.fixed_dictionaries(
    {
        "component_type": valid_or(["api"]),
        "component_name": valid_or(["main", "replica"]),
        "status": valid_or(["healthy", "degraded", "unhealthy"]),
        "response_time": floats,
        "failure_reason": st.one_of(
            st.none(), hostile_text, st.integers(1990, 2010).map(lambda n: "r" * n)
        ),
        "details": json_value,
        "event_time": event_times(),
    }
)


def health_problems(a: dict[str, Any]) -> Problems:
    p = Problems()
    check_text(p, a["component_type"], limit=200, required=True)
    check_text(p, a["component_name"], limit=200, required=True)
    check_text(p, a["status"], limit=200, required=True)
    if a["status"] is not None and a["status"] not in ("healthy", "degraded", "unhealthy"):
        p.add(FUNCTION, "PV002")
    check_response_time(p, a["response_time"])
    check_text(p, a["failure_reason"], limit=None, required=False)
    check_json(p, a["details"])
    check_time(p, a["event_time"])
    return p


def health_params(a: dict[str, Any]) -> tuple[Any, ...]:
    return (
        a["component_type"],
        a["component_name"],
        a["status"],
        a["response_time"],
        a["failure_reason"],
        _jsonb(a["details"]),
        a["event_time"].value,
    )


def verify_health(conn: Conn, a: dict[str, Any], _: Any) -> None:
    row = fetch_one(
        conn,
        "SELECT status, response_time_ms, failure_reason, details, last_check_at"
        " FROM monitoring.system_health WHERE component_type = %s AND component_name = %s",
        (a["component_type"], a["component_name"]),
    )
    at = stored_time(a["event_time"])
    if at is None and row[4] > datetime.now(UTC) + timedelta(seconds=1):
        return  # now() is older than a report already stored with a (valid) future time
    if at is not None and row[4] != at:
        assert row[4] > at, "an older report is ignored; a newer one must be stored"
        return
    reason = a["failure_reason"]
    assert row[0] == a["status"]
    assert row[2] == (None if reason is None else reason[:2000])
    assert row[3] == as_jsonb(conn, a["details"])
    if a["response_time"] is None:
        assert row[1] is None
    else:
        # float8 -> numeric keeps 15 significant digits; an int is kept whole
        # (it may be beyond float's range: compare as Decimal).
        sent = Decimal(a["response_time"]) if isinstance(a["response_time"], int) else None
        if sent is not None:
            assert row[1] == sent
        else:
            assert float(row[1]) == pytest.approx(float(a["response_time"]), rel=1e-14, abs=1e-300)


QUEUE_SQL = (
    "SELECT monitoring.record_queue_stats(%s::text, %s::integer, %s::integer, %s::integer,"
    " %s::integer, %s::double precision, coalesce(%s::timestamptz, now()))"
)
queue_args = st.fixed_dictionaries(
    {
        "queue_name": valid_or(["jobs"]),
        "pending": ints,
        "processing": ints,
        "completed": ints,
        "failed": ints,
        "oldest_age": floats,
        "event_time": event_times(),
    }
)


def queue_problems(a: dict[str, Any]) -> Problems:
    p = Problems()
    check_text(p, a["queue_name"], limit=200, required=True)
    check_int(p, a["pending"], INT4, required=True)
    for key in ("processing", "completed", "failed"):
        check_int(p, a[key], INT4, required=False)
    check_float(p, a["oldest_age"], required=False, count=True)
    check_time(p, a["event_time"])
    return p


def queue_params(a: dict[str, Any]) -> tuple[Any, ...]:
    return (
        a["queue_name"],
        a["pending"],
        a["processing"],
        a["completed"],
        a["failed"],
        a["oldest_age"],
        a["event_time"].value,
    )


def verify_queue(conn: Conn, a: dict[str, Any], _: Any) -> None:
    found = scalar(
        conn,
        "SELECT count(*) FROM monitoring.queue_monitoring WHERE queue_name = %s"
        " AND pending_count = %s AND processing_count = %s AND completed_count = %s"
        " AND failed_count = %s"
        " AND oldest_pending_age_seconds IS NOT DISTINCT FROM %s::double precision"
        " AND (%s::timestamptz IS NULL OR recorded_at = %s::timestamptz)",
        (
            a["queue_name"],
            a["pending"],
            a["processing"] or 0,
            a["completed"] or 0,
            a["failed"] or 0,
            a["oldest_age"],
            stored_time(a["event_time"]),
            stored_time(a["event_time"]),
        ),
    )
    assert found >= 1


COMPLETE_SQL = (
    "SELECT monitoring.complete_task_tracking(%s::text, %s::text, %s::bigint, %s::jsonb,"
    " coalesce(%s::timestamptz, now()))"
)
complete_args = st.fixed_dictionaries(
    {
        "task_id": st.one_of(st.just("started"), st.just("started"), hostile_text, st.none()),
        "status": valid_or(["completed", "failed", "cancelled", "timeout"]),
        "output_size": ints,
        "step_timings": step_timings,
        "event_time": event_times(),
    }
)
TASK_STARTED_AGO = timedelta(hours=100)


def complete_problems(a: dict[str, Any]) -> Problems:
    p = Problems()
    check_text(p, a["task_id"], limit=200, required=True)
    check_text(p, a["status"], limit=200, required=True)
    if a["status"] is not None and a["status"] not in (
        "completed",
        "failed",
        "cancelled",
        "timeout",
    ):
        p.add(FUNCTION, "PV002")
    check_int(p, a["output_size"], INT8, required=False)
    check_json(p, a["step_timings"], step_timings=True)
    t = a["event_time"]
    check_time(p, t)
    if t.offset is not None and t.offset < -TASK_STARTED_AGO:
        p.add(FUNCTION, "PV006")  # ends before it started
        if abs(t.offset + TASK_STARTED_AGO) < timedelta(seconds=30):
            p.ambiguous = True
    return p


def complete_params(a: dict[str, Any]) -> tuple[Any, ...]:
    return (
        a["task_id"],
        a["status"],
        a["output_size"],
        _jsonb(a["step_timings"]),
        a["event_time"].value,
    )


def verify_complete(conn: Conn, a: dict[str, Any], duration: Any) -> None:
    row = fetch_one(
        conn,
        "SELECT status, output_size, step_timings, end_time,"
        " extract(epoch FROM end_time - start_time)::double precision"
        " FROM monitoring.processing_metrics WHERE task_id = %s",
        (a["task_id"],),
    )
    assert row[:3] == (a["status"], a["output_size"], a["step_timings"])
    if a["event_time"].value is not None:
        assert row[3] == stored_time(a["event_time"])
    assert duration == pytest.approx(row[4])


def start_for_completion(conn: Conn, a: dict[str, Any]) -> dict[str, Any]:
    if a["task_id"] == "started":
        task_id = _uid("started")
        conn.execute(
            "SELECT monitoring.start_task_tracking(%s, 'ocr', NULL, NULL, NULL, now() - %s)",
            (task_id, TASK_STARTED_AGO),
        )
        a = {**a, "task_id": task_id}
    return a


@dataclass(frozen=True)
class Function:
    name: str
    args: st.SearchStrategy[dict[str, Any]]
    statement: str
    params: Callable[[dict[str, Any]], tuple[Any, ...]]
    problems: Callable[[dict[str, Any]], Problems]
    verify: Callable[[Conn, dict[str, Any], Any], None]
    prepare: Callable[[Conn, dict[str, Any]], dict[str, Any]] = lambda _c, a: a


FUNCTIONS = [
    Function(
        "start_task_tracking",
        start_args,
        START_SQL,
        start_params,
        start_case,
        verify_start,
        lambda _c, a: unique_task_id(a),
    ),
    Function(
        "complete_task_tracking",
        complete_args,
        COMPLETE_SQL,
        complete_params,
        complete_problems,
        verify_complete,
        start_for_completion,
    ),
    Function("record_error", error_args, ERROR_SQL, error_params, error_problems, verify_error),
    Function(
        "record_performance_metric",
        metric_args,
        METRIC_SQL,
        metric_params,
        metric_problems,
        verify_metric,
    ),
    Function(
        "update_system_health",
        health_args,
        HEALTH_SQL,
        health_params,
        health_problems,
        verify_health,
    ),
    Function(
        "record_queue_stats", queue_args, QUEUE_SQL, queue_params, queue_problems, verify_queue
    ),
]


@pytest.mark.parametrize("function", FUNCTIONS, ids=[f.name for f in FUNCTIONS])
def test_sql_call_with_hostile_input_succeeds_exactly_or_fails_cleanly(
    conn: Conn, function: Function
) -> None:
    counts = counts_query(conn)

    @settings(max_examples=SQL_EXAMPLES, **SETTINGS)
    @given(args=function.args)
    def example(args: dict[str, Any]) -> None:
        a = function.prepare(conn, args)
        outcome = run_example(
            conn,
            counts,
            function.problems(a),
            lambda: scalar(conn, function.statement, function.params(a)),
            lambda result: function.verify(conn, a, result),
        )
        outcomes[outcome] += 1

    outcomes: Counter[str] = Counter()
    example()
    print(function.name, dict(outcomes))
    # Not vacuous: some calls were written and checked, some refused.
    assert outcomes["written"] > 0, outcomes
    assert sum(n for k, n in outcomes.items() if k.startswith("error")) > 0, outcomes


# -- through MonitoringClient --------------------------------------------------


def _client_calls(client: MonitoringClient) -> dict[str, Callable[[dict[str, Any]], Any]]:
    def t(a: dict[str, Any]) -> datetime | None:
        return a["event_time"].value

    return {
        "start_task_tracking": lambda a: client.start_task(
            a["task_type"],
            a["input_size"],
            worker_id=a["worker_id"],
            task_id=a["task_id"],
            metadata=a["metadata"],
            event_time=t(a),
        ),
        "complete_task_tracking": lambda a: client.complete_task(
            a["task_id"], a["status"], a["output_size"], a["step_timings"], event_time=t(a)
        ),
        "record_error": lambda a: client.record_error(
            a["task_id"],
            a["error_type"],
            a["severity"],
            a["message"],
            a["component"],
            stack_trace=a["stack_trace"],
            context=a["context"],
            event_time=t(a),
        ),
        "record_performance_metric": lambda a: client.record_performance_metric(
            a["name"],
            a["metric_type"],
            a["value"],
            a["unit"],
            a["component"],
            tags=a["tags"],
            event_time=t(a),
        ),
        "update_system_health": lambda a: client.update_system_health(
            a["component_type"],
            a["component_name"],
            a["status"],
            a["response_time"],
            failure_reason=a["failure_reason"],
            details=a["details"],
            event_time=t(a),
        ),
        "record_queue_stats": lambda a: client.record_queue_stats(
            a["queue_name"],
            a["pending"],
            a["processing"],
            completed_count=a["completed"],
            failed_count=a["failed"],
            oldest_pending_age_seconds=a["oldest_age"],
            event_time=t(a),
        ),
    }


@pytest.mark.parametrize("function", FUNCTIONS, ids=[f.name for f in FUNCTIONS])
def test_client_call_with_hostile_input_succeeds_exactly_or_raises_cleanly(
    conn: Conn, dsn: str, function: Function
) -> None:
    counts = counts_query(conn)
    with MonitoringClient(dsn, max_size=1) as client:
        call = _client_calls(client)[function.name]

        @settings(max_examples=CLIENT_EXAMPLES, **SETTINGS)
        @given(args=function.args)
        def example(args: dict[str, Any]) -> None:
            a = function.prepare(conn, args)
            if function.name == "start_task_tracking" and a["task_id"] is None:
                a = {**a, "task_id": _uid("client")}  # the client makes up an id: not an error
            outcome = run_example(
                conn,
                counts,
                function.problems(a),
                lambda: call(a),
                lambda result: function.verify(conn, a, result),
            )
            outcomes[outcome] += 1

        outcomes: Counter[str] = Counter()
        example()
        print(function.name, dict(outcomes))
        assert outcomes["written"] > 0, outcomes
        # The pooled connection survived every failed call.
        assert client.get_dashboard_summary()


# -- through BufferedClient ----------------------------------------------------

BUFFERED_KINDS = {
    "start_task_tracking": (start_args, start_case),
    "record_error": (error_args, error_problems),
    "record_performance_metric": (metric_args, metric_problems),
    "update_system_health": (health_args, health_problems),
    "record_queue_stats": (queue_args, queue_problems),
}
JSON_ARGS = ("metadata", "context", "tags", "details")


@st.composite
def buffered_events(draw: Any) -> list[tuple[str, dict[str, Any]]]:
    names = draw(st.lists(st.sampled_from(sorted(BUFFERED_KINDS)), min_size=1, max_size=25))
    return [(name, draw(BUFFERED_KINDS[name][0])) for name in names]


def test_buffered_client_never_raises_and_accounts_for_every_event(conn: Conn, dsn: str) -> None:
    """Hostile events never raise into the caller; each is written or dropped as rejected:*."""
    buffered = BufferedClient(dsn, flush_interval=0.05, batch_size=50)
    calls = _client_calls(buffered)  # type: ignore[arg-type]  # same signatures
    try:

        @settings(max_examples=15, **SETTINGS)
        @given(events=buffered_events())
        def example(events: list[tuple[str, dict[str, Any]]]) -> None:
            before = buffered.stats()
            must_write = must_drop = 0
            for name, args in events:
                a = args
                if name == "start_task_tracking":
                    a = unique_task_id(a)
                    if a["task_id"] is None:
                        a = {**a, "task_id": _uid("buffered")}
                problems = BUFFERED_KINDS[name][1](a)
                # JSON goes through orjson here (NaN becomes null, big ints and deep
                # nesting are refused): only events without JSON have a sure outcome.
                if all(a.get(k) is None for k in JSON_ARGS) and not problems.ambiguous:
                    if problems.expected() is None:
                        must_write += 1
                    else:
                        must_drop += 1
                calls[name](a)  # must not raise
            assert buffered.flush(timeout=20)
            after = buffered.stats()
            queued = after.queued - before.queued
            written = after.written - before.written
            dropped = {
                reason: n - before.dropped.get(reason, 0)
                for reason, n in after.dropped.items()
                if n != before.dropped.get(reason, 0)
            }
            # Tags that cannot be serialized are dropped at the call (never queued).
            at_call = dropped.get("rejected:invalid_json", 0)
            assert queued + at_call == len(events), (queued, dropped)
            assert written + sum(dropped.values()) == len(events), (written, dropped)
            assert all(reason.startswith("rejected:") for reason in dropped), dropped
            assert written >= must_write, (written, must_write, dropped)
            assert sum(dropped.values()) >= must_drop, (dropped, must_drop)
            assert after.write_failures == before.write_failures, after.last_error
            assert scalar(conn, "SELECT 1") == 1

        example()
    finally:
        buffered.close(timeout=10)


def test_response_time_near_dbl_max_is_accepted(conn: Conn) -> None:
    # p_response_time_ms is numeric: float8 -> numeric keeps 15 significant digits and
    # rounds 1.7976931348623157e308 up to 1.79769313486232e308, beyond double's range;
    # update_system_health() once refused it with 22003 (found by the tests above).
    assert scalar(conn, HEALTH_SQL, ("api", "main", "healthy", MAX_FLOAT, None, None, None))


# -- sequences: replays and out-of-order calls never escape the PV codes --------

# Calls on a few task ids at a few fixed times, in any order and repeated: a
# replayed start of a finished task once raised 23505 (a duplicate key).
lifecycle_steps = st.lists(
    st.tuples(
        st.sampled_from(["start", "complete", "start_buffered_batch"]),
        st.integers(0, 2),  # task id
        st.integers(0, 2),  # minutes ago (start) / status (complete)
    ),
    min_size=1,
    max_size=12,
)
_STATUSES = ["completed", "failed", "cancelled"]


@settings(max_examples=SQL_EXAMPLES, **SETTINGS)
@given(steps=lifecycle_steps)
def _lifecycle_property(conn: Conn, steps: list[tuple[str, int, int]]) -> None:
    run = next(_unique)
    base = scalar(conn, "SELECT date_trunc('second', now())")
    for kind, task, arg in steps:
        task_id = f"life-{run}-{task}"
        at = base - timedelta(minutes=10 * (arg + 1))
        try:
            with conn.transaction():
                if kind == "start":
                    conn.execute(START_SQL, (task_id, "ocr", None, None, None, at))
                elif kind == "complete":
                    conn.execute(
                        "SELECT monitoring.complete_task_tracking(%s, %s)",
                        (task_id, _STATUSES[arg]),
                    )
                else:  # a buffered batch holding the start and its completion
                    conn.execute(
                        "SELECT * FROM monitoring.record_task_events("
                        "ARRAY['start','complete'], ARRAY[%(id)s,%(id)s], ARRAY['ocr',NULL],"
                        " ARRAY[NULL,NULL]::text[], ARRAY[NULL,NULL]::bigint[],"
                        " ARRAY[NULL,NULL]::jsonb[], ARRAY[NULL,'completed'],"
                        " ARRAY[NULL,NULL]::bigint[], ARRAY[NULL,NULL]::jsonb[],"
                        " ARRAY[%(at)s, %(end)s]::timestamptz[])",
                        {"id": task_id, "at": at, "end": at + timedelta(seconds=5)},
                    )
        except psycopg.Error as exc:
            code = exc.diag.sqlstate or ""
            event(f"{kind}: {code}")
            assert code.startswith("PV"), f"{kind} {task_id}: {code} {exc}"
            assert exc.diag.message_hint, f"{code} without a hint: {exc}"
        assert scalar(conn, "SELECT 1") == 1


def test_task_call_sequences_raise_only_project_codes(conn: Conn) -> None:
    _lifecycle_property(conn)


def test_replayed_start_of_a_finished_task_is_pv103(conn: Conn) -> None:
    at = scalar(conn, "SELECT now() - interval '1 minute'")
    conn.execute(START_SQL, ("replayed", "ocr", None, None, None, at))
    conn.execute("SELECT monitoring.complete_task_tracking('replayed', 'completed')")
    before = scalar(conn, counts_query(conn))
    with pytest.raises(psycopg.Error) as raised:
        conn.execute(START_SQL, ("replayed", "ocr", None, None, None, at))
    assert raised.value.diag.sqlstate == "PV103"
    assert raised.value.diag.message_hint
    assert scalar(conn, counts_query(conn)) == before


@pytest.mark.parametrize("value", ["1e-400", "-1e-400", "1e400", "-1e400", "-1"])
def test_response_time_beyond_double_precision_gets_a_project_code(conn: Conn, value: str) -> None:
    # numeric holds 1e-400; converting it to double for the check underflowed (22003).
    statement = "SELECT monitoring.update_system_health('db', %s, 'healthy', %s::numeric)"
    if value.startswith("-"):
        with pytest.raises(psycopg.Error) as raised:
            conn.execute(statement, (f"x{value}", value))
        assert raised.value.diag.sqlstate == "PV004"
    else:
        assert scalar(conn, statement, (f"x{value}", value)) is True
        assert scalar(
            conn,
            "SELECT response_time_ms = %s::numeric FROM monitoring.system_health"
            " WHERE component_name = %s",
            (value, f"x{value}"),
        )
