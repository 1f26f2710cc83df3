"""Exceptions raised by the pgvigil client, one class per SQLSTATE the SQL raises.

The SQL side raises every error with its own code (``PV001`` ...) and a hint, so
callers can catch a class instead of parsing message text.
"""

from __future__ import annotations

import psycopg

__all__ = [
    "ERROR_CLASSES",
    "AlertAlreadyResolvedError",
    "ApiKeyError",
    "InvalidApiKeyError",
    "InvalidPostedAlertError",
    "UnknownApiKeyError",
    "WebUserError",
    "InvalidWebUserError",
    "UnknownWebUserError",
    "InvalidWebSessionError",
    "AlertStateError",
    "ConfigError",
    "DatabaseUnavailableError",
    "EventTimeOutOfRangeError",
    "InvalidArgumentError",
    "InvalidConfigError",
    "AlertRuleError",
    "UnknownRuleSourceError",
    "UnknownAggregateError",
    "InvalidDurationError",
    "InvalidThresholdsError",
    "InvalidTemplateError",
    "NonFiniteThresholdError",
    "DuplicateRuleError",
    "InvalidCompositeError",
    "InvalidRuleError",
    "UnknownRuleError",
    "ShippedRuleError",
    "ComponentError",
    "InvalidComponentError",
    "UnknownComponentError",
    "ComponentDependencyError",
    "NotificationConfigError",
    "UnknownReceiverError",
    "InvalidMatcherError",
    "InvalidTimeIntervalError",
    "UnsupportedKeyError",
    "InlineSecretError",
    "InvalidNotificationConfigError",
    "InvalidJsonError",
    "InvalidScheduleError",
    "MalformedBatchError",
    "MissingValueError",
    "NotFiniteError",
    "OutOfRangeError",
    "PgCronUnavailableError",
    "PgvigilError",
    "SchedulingError",
    "TaskAlreadyCompletedError",
    "TaskAlreadyRunningError",
    "TaskStateError",
    "UnknownAlertError",
    "UnknownSeverityError",
    "UnknownStatusError",
    "UnknownTaskError",
    "ValueTooLongError",
    "from_psycopg",
]


class PgvigilError(Exception):
    """Base class of every pgvigil error; carries the server's SQLSTATE, detail and hint."""

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nHINT: {self.hint}"
        return self.message


class InvalidArgumentError(PgvigilError):
    """An argument was rejected by the SQL validation (PV001-PV008)."""


class MissingValueError(InvalidArgumentError):
    """PV001: a required argument is NULL or empty."""


class UnknownStatusError(InvalidArgumentError):
    """PV002: the status is not one the function accepts."""


class UnknownSeverityError(InvalidArgumentError):
    """PV003: the severity is not one of low, medium, high, critical."""


class OutOfRangeError(InvalidArgumentError):
    """PV004: a number is out of range (e.g. a negative size, count or response time)."""


class NotFiniteError(InvalidArgumentError):
    """PV005: a number is NaN or infinite."""


class EventTimeOutOfRangeError(InvalidArgumentError):
    """PV006: the event time is outside the accepted range."""


class InvalidJsonError(InvalidArgumentError):
    """PV007: a jsonb argument does not have the expected shape."""


class ValueTooLongError(InvalidArgumentError):
    """PV008: a text argument is too long."""


class MalformedBatchError(InvalidArgumentError):
    """PV009: a batch of a buffered client is malformed (arrays of different lengths, unknown event kind)."""


class TaskStateError(PgvigilError):
    """The task is not in a state that allows the operation (PV101-PV103)."""


class TaskAlreadyRunningError(TaskStateError):
    """PV101: a task with this id is already running."""


class UnknownTaskError(TaskStateError):
    """PV102: no task with this id exists."""


class TaskAlreadyCompletedError(TaskStateError):
    """PV103: the task has already been completed."""


class AlertStateError(PgvigilError):
    """The alert is not in a state that allows the operation (PV201-PV202)."""


class UnknownAlertError(AlertStateError):
    """PV201: no alert with this id exists."""


class AlertAlreadyResolvedError(AlertStateError):
    """PV202: the alert is already resolved."""


class ConfigError(PgvigilError):
    """A configuration problem (PV301)."""


class InvalidConfigError(ConfigError):
    """PV301: the configuration is invalid."""


class AlertRuleError(ConfigError):
    """An alert rule the database refuses (PV501-PV511)."""


class UnknownRuleSourceError(AlertRuleError):
    """PV501: the rule's source kind or one of its filters is unknown."""


class UnknownAggregateError(AlertRuleError):
    """PV502: the aggregate is not one the rule's source has."""


class InvalidDurationError(AlertRuleError):
    """PV503: a window, for or keep_firing_for that is not a duration."""


class InvalidThresholdsError(AlertRuleError):
    """PV504: no threshold, an unknown severity, or thresholds out of order."""


class InvalidTemplateError(AlertRuleError):
    """PV505: a label or annotation template is malformed."""


class NonFiniteThresholdError(AlertRuleError):
    """PV506: a threshold that is not a finite number."""


class DuplicateRuleError(AlertRuleError):
    """PV507: two rules of one config (or file) have the same name."""


class InvalidCompositeError(AlertRuleError):
    """PV508: a composite rule whose conditions refer to nothing usable."""


class InvalidRuleError(AlertRuleError):
    """PV509: another field of the rule is invalid (name, group_by, comparison, ...)."""


class UnknownRuleError(AlertRuleError):
    """PV510: no rule of that name."""


class ShippedRuleError(AlertRuleError):
    """PV511: a shipped rule cannot be removed; disable it instead."""


class ComponentError(ConfigError):
    """A component registry change the database refuses (PV521-PV523)."""


class InvalidComponentError(ComponentError):
    """PV521: a component setting is invalid (labels, criticality, type...)."""


class UnknownComponentError(ComponentError):
    """PV522: no such component (or a dependency that is not one)."""


class ComponentDependencyError(ComponentError):
    """PV523: a dependency cycle, or deleting a component others depend on."""


class NotificationConfigError(ConfigError):
    """The notifications section (an Alertmanager config) is refused (PV601-PV608)."""


class UnknownReceiverError(NotificationConfigError):
    """PV601: a route names a receiver that does not exist, or one is named twice."""


class InvalidMatcherError(NotificationConfigError):
    """PV602: a malformed matcher or regular expression."""


class InvalidTimeIntervalError(NotificationConfigError):
    """PV603: a time interval unknown, or with an unknown time zone or impossible times."""


class InvalidEscalationPolicyError(NotificationConfigError):
    """PV605: an escalation policy unnamed, without tiers, with a negative
    delay, a bad repeat or ack_timeout, or a route naming one that does not exist."""


class UnsupportedKeyError(NotificationConfigError):
    """PV606: a key pgvigil does not support (named in the message)."""


class InlineSecretError(NotificationConfigError):
    """PV607: a secret written as a value; give KEY_file or KEY_env."""


class InvalidNotificationConfigError(NotificationConfigError):
    """PV608: any other malformed value of the notifications section."""


class SilenceError(PgvigilError):
    """A silence is refused (PV604, PV609; a malformed matcher is PV602)."""


class InvalidSilenceError(SilenceError):
    """PV604: no matchers, matchers that match everything, an end before the
    start or in the past, no creator or comment, or a change an active or
    expired silence does not allow."""


class UnknownSilenceError(SilenceError):
    """PV609: no silence has this id."""


class InvalidPostedAlertError(PgvigilError):
    """PV610: alerts posted through the Alertmanager API that cannot be taken
    (every problem, with the alert's index, in the detail)."""


class ApiKeyError(PgvigilError):
    """An API key of pgvigil serve is refused (PV701, PV702)."""


class InvalidApiKeyError(ApiKeyError):
    """PV701: no name, an unknown role, not a 32-byte SHA-256, an expiry in
    the past, or a key registered already."""


class UnknownApiKeyError(ApiKeyError):
    """PV702: no API key has this id."""


class WebUserError(PgvigilError):
    """A web user or web session of pgvigil serve is refused (PV703-PV705)."""


class InvalidWebUserError(WebUserError):
    """PV703: no name (1-200 characters), a name taken before, an unknown
    role, or a password hash that is not an argon2id PHC string."""


class UnknownWebUserError(WebUserError):
    """PV704: no web user has this name."""


class InvalidWebSessionError(WebUserError):
    """PV705: a token hash that is not 32 bytes, not exactly one of a key
    and a user, a key or user that is not live, a lifetime not in (0, 30
    days], or a token registered already."""


class SchedulingError(PgvigilError):
    """A scheduling problem (PV401-PV402)."""


class PgCronUnavailableError(SchedulingError):
    """PV401: pg_cron is not available in this database."""


class InvalidScheduleError(SchedulingError):
    """PV402: the schedule is invalid."""


class DatabaseUnavailableError(PgvigilError):
    """The database could not be reached: connection failure, shutdown or pool timeout."""


ERROR_CLASSES: dict[str, type[PgvigilError]] = {
    "PV001": MissingValueError,
    "PV002": UnknownStatusError,
    "PV003": UnknownSeverityError,
    "PV004": OutOfRangeError,
    "PV005": NotFiniteError,
    "PV006": EventTimeOutOfRangeError,
    "PV007": InvalidJsonError,
    "PV008": ValueTooLongError,
    "PV009": MalformedBatchError,
    "PV101": TaskAlreadyRunningError,
    "PV102": UnknownTaskError,
    "PV103": TaskAlreadyCompletedError,
    "PV201": UnknownAlertError,
    "PV202": AlertAlreadyResolvedError,
    "PV301": InvalidConfigError,
    "PV501": UnknownRuleSourceError,
    "PV502": UnknownAggregateError,
    "PV503": InvalidDurationError,
    "PV504": InvalidThresholdsError,
    "PV505": InvalidTemplateError,
    "PV506": NonFiniteThresholdError,
    "PV507": DuplicateRuleError,
    "PV508": InvalidCompositeError,
    "PV509": InvalidRuleError,
    "PV510": UnknownRuleError,
    "PV511": ShippedRuleError,
    "PV521": InvalidComponentError,
    "PV522": UnknownComponentError,
    "PV523": ComponentDependencyError,
    "PV601": UnknownReceiverError,
    "PV602": InvalidMatcherError,
    "PV603": InvalidTimeIntervalError,
    "PV605": InvalidEscalationPolicyError,
    "PV606": UnsupportedKeyError,
    "PV607": InlineSecretError,
    "PV608": InvalidNotificationConfigError,
    "PV604": InvalidSilenceError,
    "PV609": UnknownSilenceError,
    "PV401": PgCronUnavailableError,
    "PV402": InvalidScheduleError,
    "PV610": InvalidPostedAlertError,
    "PV701": InvalidApiKeyError,
    "PV702": UnknownApiKeyError,
    "PV703": InvalidWebUserError,
    "PV704": UnknownWebUserError,
    "PV705": InvalidWebSessionError,
}

# The one classification of SQLSTATEs, used by both clients.
# "The database is not there": connection exceptions (class 08), shutdowns and
# "cannot connect now" (57P01-57P03), too many connections (53300).
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# "The arguments were refused": the project's own codes (PVxxx), data
# exceptions (22xxx: out of range, invalid text, NUL in JSON) and constraint
# violations (23xxx: the CHECKs the buffered COPY path relies on).
_REFUSED_SQLSTATE_PREFIXES = ("PV", "22", "23")


def _is_unavailable(exc: psycopg.Error, sqlstate: str | None) -> bool:
    if sqlstate is None:
        # Client-side failures (connect errors, PoolTimeout, PoolClosed) have no SQLSTATE.
        return isinstance(exc, psycopg.OperationalError)
    return sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES


def is_refused_input(exc: psycopg.Error) -> bool:
    """True when the database refused the arguments themselves, so sending
    them again as they are cannot succeed (as opposed to a lost connection, a
    missing privilege or function, which a retry may outlive)."""
    return (exc.diag.sqlstate or "").startswith(_REFUSED_SQLSTATE_PREFIXES)


def from_psycopg(exc: psycopg.Error) -> PgvigilError:
    """Convert a psycopg error to the pgvigil class matching its SQLSTATE.

    Unknown codes give a plain ``PgvigilError`` that still keeps the message,
    detail and hint.
    """
    diag = exc.diag
    sqlstate = diag.sqlstate
    message = diag.message_primary or str(exc) or type(exc).__name__
    cls: type[PgvigilError]
    if sqlstate is not None and sqlstate in ERROR_CLASSES:
        cls = ERROR_CLASSES[sqlstate]
    elif (sqlstate is not None and sqlstate.startswith("22")) or (
        sqlstate is None and isinstance(exc, psycopg.DataError)
    ):
        # A value PostgreSQL could not take (22xxx data exceptions: out of range,
        # invalid text, NUL in JSON), or one the driver refused (a NUL byte in text).
        cls = InvalidArgumentError
    elif _is_unavailable(exc, sqlstate):
        cls = DatabaseUnavailableError
    else:
        cls = PgvigilError
    return cls(message, sqlstate=sqlstate, detail=diag.message_detail, hint=diag.message_hint)
