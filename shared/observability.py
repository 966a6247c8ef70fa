"""Structured logging with a correlation id, and a last line of defence against secrets in logs.

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
import uuid
from datetime import UTC, datetime
from typing import Any

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
