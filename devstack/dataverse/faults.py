"""Scriptable service-protection limits, outages and latency, plus the request log tests count.

Service protection (https://learn.microsoft.com/power-apps/developer/data-platform/api-limits;
MicrosoftDocs/powerapps-docs developer/data-platform/api-limits.md): limits are evaluated per user;
the Web API answers ``429 Too Many Requests`` with a ``Retry-After`` header in seconds and one of
three codes — 0x80072322 (number of requests, sliding window), 0x80072321 (execution time) and
0x80072326 (concurrent requests; "exceeding the number of concurrent requests will immediately
return an error", default limit 52). Batches count as one request. Faults apply to ``/api/data``
only, never to the ``/_sim`` control API.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from devstack.dataverse.errors import (
    THROTTLE_CONCURRENCY,
    THROTTLE_MESSAGES,
    THROTTLE_REQUESTS,
    DataverseError,
)

# "Unspecified" — "An unexpected error occurred." (web-service-error-codes.md).
UNSPECIFIED = "0x80040216"


class RequestBudget(BaseModel):
    """At most ``requests`` accepted requests per user within a sliding ``window_seconds``."""

    model_config = ConfigDict(extra="forbid")
    requests: int = Field(ge=1)
    window_seconds: float = Field(gt=0, le=3600)


class FaultSettings(BaseModel):
    """Body of ``POST /_sim/faults``. Omitted fields take these defaults (the call replaces the
    whole configuration, so a test states everything it relies on)."""

    model_config = ConfigDict(extra="forbid")
    throttle_rate: float = Field(0.0, ge=0.0, le=1.0)
    retry_after: int = Field(1, ge=0, le=3600)
    throttle_code: Literal["0x80072322", "0x80072321", "0x80072326"] = "0x80072322"
    unavailable_rate: float = Field(0.0, ge=0.0, le=1.0)
    unavailable_status: Literal[500, 502, 503, 504] = 503
    latency_ms: int = Field(0, ge=0, le=60_000)
    concurrency_limit: int = Field(52, ge=1, le=10_000)
    user_request_budget: RequestBudget | None = None
    seed: int | None = None


@dataclass
class LogEntry:
    seq: int
    user: str | None
    method: str
    path: str
    start: float
    end: float | None
    in_flight_at_start: int
    status: int | None = None
    retry_after: int | None = None
    code: str | None = None
    client_request_id: str | None = None
    caller_object_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Per-user counters and the scripted faults. Single-threaded (event loop) by construction."""

    def __init__(self) -> None:
        self.settings = FaultSettings()
        self._rng = random.Random()
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self._windows: dict[str, deque[float]] = {}
        self.throttled: dict[str, int] = {}

    def configure(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._rng = random.Random(settings.seed)
        self._windows.clear()

    def reset_stats(self) -> None:
        self.max_in_flight = {user: count for user, count in self.in_flight.items() if count}
        self.throttled.clear()

    def enter(self, user: str) -> int:
        count = self.in_flight.get(user, 0) + 1
        self.in_flight[user] = count
        self.max_in_flight[user] = max(self.max_in_flight.get(user, 0), count)
        return count

    def leave(self, user: str) -> None:
        self.in_flight[user] = max(0, self.in_flight.get(user, 0) - 1)

    def decide(self, user: str, *, in_flight: int, now: float) -> DataverseError | None:
        """The fault this request meets, if any. Called once per request, after authentication."""
        settings = self.settings
        if in_flight > settings.concurrency_limit:
            return self._throttle(
                user,
                THROTTLE_CONCURRENCY,
                THROTTLE_MESSAGES[THROTTLE_CONCURRENCY].format(limit=settings.concurrency_limit),
                settings.retry_after,
            )
        budget = settings.user_request_budget
        if budget is not None:
            window = self._windows.setdefault(user, deque())
            while window and window[0] <= now - budget.window_seconds:
                window.popleft()
            if len(window) >= budget.requests:
                wait = max(1, math.ceil(window[0] + budget.window_seconds - now))
                message = THROTTLE_MESSAGES[THROTTLE_REQUESTS].format(
                    limit=budget.requests, window=f"{budget.window_seconds:g}"
                )
                return self._throttle(user, THROTTLE_REQUESTS, message, wait)
            window.append(now)
        # Two draws per request, always in this order, so a seed gives a reproducible sequence.
        throttle_draw = self._rng.random()
        outage_draw = self._rng.random()
        if throttle_draw < settings.throttle_rate:
            message = THROTTLE_MESSAGES[settings.throttle_code].format(
                limit=6000 if settings.throttle_code != THROTTLE_CONCURRENCY else 52, window=300
            )
            return self._throttle(user, settings.throttle_code, message, settings.retry_after)
        if outage_draw < settings.unavailable_rate:
            return DataverseError(
                settings.unavailable_status, UNSPECIFIED, "An unexpected error occurred."
            )
        return None

    def _throttle(self, user: str, code: str, message: str, retry_after: int) -> DataverseError:
        self.throttled[user] = self.throttled.get(user, 0) + 1
        return DataverseError(429, code, message, headers={"Retry-After": str(retry_after)})
