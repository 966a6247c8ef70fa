"""Structured logging with a correlation id, and a last line of defence against secrets in logs.

With telemetry on (shared/telemetry.py) the same records also leave as OpenTelemetry log records
(:class:`OtelLogHandler`), scrubbed by :func:`scrub_attributes` on the way out.

Every record is one JSON object with ``correlation_id`` (from the request's ``x-correlation-id``
header, the Functions invocation id, or a fresh one). Code never logs tokens, cookies or personal
data on purpose; a log-record factory additionally masks anything shaped like a JWT, a bearer
header, a cookie/session value or a client secret, in case a library does.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import traceback
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")

_PATTERNS = [
    # JWTs (access/ID tokens, client assertions): three base64url segments starting with "eyJ".
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)((?:__Host-)?cockpit_p?sid=)[^;\s,]+"),
    re.compile(
        r"(?i)((?:client_secret|refresh_token|access_token|id_token|code|assertion)[\"']?\s*[=:]\s*[\"']?)[^&\s\"',}]+"
    ),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
    return text


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a library's broken format string must not break logging
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None


_installed_factory: list[bool] = []


def _install_redacting_factory() -> None:
    """Redact at record creation, so every handler (ours, the Functions host's, pytest's) only
    ever sees the cleaned text, whichever library logged it."""
    if _installed_factory:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed_factory.append(True)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "correlation_id": correlation_id.get(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            payload.update({k: v for k, v in extra.items() if k not in payload})
        if record.exc_info and record.exc_info[0] is not None:
            # Type, message and stack for operators, through the same redaction as messages
            # (frames show code, not request data; a message quoting a token is masked).
            payload["error_type"] = record.exc_info[0].__name__
            payload["error"] = redact(str(record.exc_info[1]))[:1000]
            payload["stack"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def configure_logging(level: str = "INFO") -> None:
    """Install the JSON handler on the root logger once (idempotent)."""
    _install_redacting_factory()
    root = logging.getLogger()
    if any(getattr(h, "_cockpit", False) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._cockpit = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's access log prints query strings (auth codes, ids); the app logs requests itself.
    logging.getLogger("uvicorn.access").disabled = True
    # azure-core logs full request URLs and headers at INFO; keep it to warnings.
    logging.getLogger("azure").setLevel(logging.WARNING)
    logging.getLogger("msal").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


# --- telemetry: what may leave (shared/telemetry.py exports through these) -----------------------
_DROP_KEY = re.compile(
    r"(?i)(authorization|cookie|token|secret|password|assertion|credential|"
    r"http\.(request|response)\.header\.|client\.address|enduser\.|user_agent)"
)
_URL_KEYS = frozenset({"url.full", "http.url", "url.query", "http.target"})
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _mask_query(value: str, *, whole: bool) -> str:
    """Keep query-string keys, mask their values (auth codes, hints, ids)."""
    query = value if whole else urlsplit(value).query
    if not query:
        return value
    masked = "&".join(f"{k}=REDACTED" for k, _ in parse_qsl(query, keep_blank_values=True))
    return masked if whole else value.replace(query, masked)


def scrub_text(value: str, *, key: str = "") -> str:
    """``redact`` plus e-mail addresses, and query-string values for URL attributes."""
    if key in _URL_KEYS:
        value = _mask_query(value, whole=key == "url.query")
    return _EMAIL.sub("[redacted-email]", redact(value))


def scrub_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """The attributes that may be exported: secret-bearing keys dropped, strings masked."""
    cleaned: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        if _DROP_KEY.search(key):
            continue
        if isinstance(value, str):
            cleaned[key] = scrub_text(value, key=key)
        elif isinstance(value, Sequence) and not isinstance(value, bytes):
            cleaned[key] = tuple(scrub_text(v, key=key) if isinstance(v, str) else v for v in value)
        else:
            cleaned[key] = value
    return cleaned


# Python logging levels to OpenTelemetry severity numbers (OpenTelemetry logs data model).
_SEVERITY = ((logging.CRITICAL, 21), (logging.ERROR, 17), (logging.WARNING, 13), (logging.INFO, 9))
# The exporters' own loggers: exporting their records would feed back into the exporter.
_SELF = ("opentelemetry", "azure.monitor.opentelemetry")


class OtelLogHandler(logging.Handler):
    """Log records to an OpenTelemetry logger provider: the message, the request's dimensions and
    the call's ``fields`` (as ``cockpit.<name>``), and an exception's type, message and stack.

    Written here rather than the SDK's ``LoggingHandler`` (deprecated in opentelemetry-sdk 1.45):
    what becomes an attribute is decided by this code, not by whatever a record happens to carry.
    """

    def __init__(self, provider: Any) -> None:
        super().__init__()
        self._provider = provider

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_SELF):
            return
        try:
            level = next((n for lvl, n in _SEVERITY if record.levelno >= lvl), 5)
            self._provider.get_logger(record.name).emit(
                timestamp=int(record.created * 1e9),
                severity_number=_severity(level),
                severity_text=record.levelname,
                body=record.getMessage(),
                attributes=_log_attributes(record),
            )
        except Exception:
            self.handleError(record)


def _severity(number: int) -> Any:
    from opentelemetry._logs import SeverityNumber

    return SeverityNumber(number)


def _log_attributes(record: logging.LogRecord) -> dict[str, Any]:
    from shared import telemetry  # the request's dimensions live with the telemetry set-up

    attributes: dict[str, Any] = {"code.function.name": record.funcName}
    fields = getattr(record, "fields", None)
    if isinstance(fields, dict):
        for key, value in fields.items():
            if isinstance(value, str | bool | int | float):
                attributes[f"cockpit.{key}"] = value
    attributes.update(telemetry.current_dimensions())
    if record.exc_info and record.exc_info[0] is not None:
        kind, value, _ = record.exc_info
        attributes["exception.type"] = kind.__name__
        attributes["exception.message"] = str(value)
        attributes["exception.stacktrace"] = "".join(traceback.format_exception(*record.exc_info))
    return attributes


def use_stderr_logs(enabled: bool) -> None:
    """Switch the JSON lines on stderr on or off (off while telemetry exports the same records)."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_cockpit", False):
            handler.setLevel(logging.NOTSET if enabled else logging.CRITICAL + 1)
