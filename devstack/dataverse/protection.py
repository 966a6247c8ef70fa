"""Service protection API limits, per user, as Dataverse documents them.

https://learn.microsoft.com/power-apps/developer/data-platform/api-limits
(MicrosoftDocs/powerapps-docs developer/data-platform/api-limits.md):
- "The service protection API limits are evaluated per user"; three facets: the number of requests
  (6,000) and their combined execution time (20 minutes = 1,200,000 ms) "within the 5 minute
  sliding window", and the number of concurrent requests (52).
- "If either limits are exceeded within the preceding 300 seconds, a service protection API Limit
  error will be returned on subsequent requests … until the Retry-After duration has ended";
  "exceeding the number of concurrent requests will immediately return an error".
- 429 with ``Retry-After`` in seconds and codes 0x80072322 (requests), 0x80072321 (execution
  time), 0x80072326 (concurrency).
- "If the application continues to send such demanding requests, the duration will be extended":
  every request that arrives while the user is throttled pushes the end of the penalty further
  out by ``penalty_extension_seconds`` (the amount is not documented — UNCONFIRMED, see README).
- Response headers ``x-ms-ratelimit-burst-remaining-xrm-requests`` (remaining requests) and
  ``x-ms-ratelimit-time-remaining-xrm-requests`` (remaining execution time) — "intended for
  debugging purposes".
Each simulated org is one web server; the figures are configurable (``/_sim/limits``) with the
documented defaults, so tests can use small ones.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from devstack.dataverse.errors import (
    THROTTLE_CONCURRENCY,
    THROTTLE_EXECUTION_TIME,
    THROTTLE_REQUESTS,
    DataverseError,
)


class ProtectionSettings(BaseModel):
    """Body of ``POST /_sim/limits`` (omitted fields take the documented defaults)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    window_seconds: float = Field(300.0, gt=0, le=3600)
    max_requests: int = Field(6000, ge=1)
    max_execution_ms: int = Field(1_200_000, ge=1)
    max_concurrent: int = Field(52, ge=1)
    penalty_extension_seconds: float = Field(1.0, ge=0, le=300)
    # The longest a penalty may grow to (UNCONFIRMED: no figure is documented).
    max_penalty_seconds: float = Field(300.0, gt=0, le=3600)


@dataclass
class _UserState:
    # (start, execution ms) of admitted requests in the window; ms is None while in flight.
    requests: deque[list[Any]] = field(default_factory=deque)
    # The sum of the finished requests' ms in ``requests``, kept as they finish and leave, so a
    # request costs the same whether the window holds ten entries or the documented 6,000.
    used_ms: float = 0.0
    in_flight: int = 0
    blocked_until: float = 0.0
    blocked_code: str = THROTTLE_REQUESTS
    throttled: int = 0


@dataclass(frozen=True)
class Ticket:
    """An admitted request; hand it back to ``finish``."""

    user: str
    entry: list[Any]


def _message(code: str, settings: ProtectionSettings) -> str:
    window = f"{settings.window_seconds:g}"
    if code == THROTTLE_REQUESTS:
        return (
            f"Number of requests exceeded the limit of {settings.max_requests} over time window "
            f"of {window} seconds."
        )
    if code == THROTTLE_EXECUTION_TIME:
        return (
            f"Combined execution time of incoming requests exceeded limit of "
            f"{settings.max_execution_ms:,} milliseconds over time window of {window} seconds. "
            "Decrease number of concurrent requests or reduce the duration of requests and try "
            "again later."
        )
    return f"Number of concurrent requests exceeded the limit of {settings.max_concurrent}."


class ServiceProtection:
    """Per-user windows. Single-threaded (the event loop) by construction."""

    def __init__(self, settings: ProtectionSettings | None = None) -> None:
        self.settings = settings or ProtectionSettings()
        self._users: dict[str, _UserState] = {}

    def configure(self, settings: ProtectionSettings) -> None:
        self.settings = settings
        self._users.clear()

    def _prune(self, state: _UserState, now: float) -> None:
        horizon = now - self.settings.window_seconds
        while (
            state.requests and state.requests[0][0] <= horizon and state.requests[0][1] is not None
        ):
            state.used_ms -= state.requests.popleft()[1]
        if not state.requests:
            state.used_ms = 0.0  # no float drift left behind

    def admit(self, user: str, now: float) -> Ticket | DataverseError:
        """Count the request in, or the 429 it gets."""
        settings = self.settings
        state = self._users.setdefault(user, _UserState())
        if not settings.enabled:
            state.in_flight += 1
            return Ticket(user, [now, None])
        if state.in_flight + 1 > settings.max_concurrent:
            return self._throttle(state, THROTTLE_CONCURRENCY, 1)
        if now < state.blocked_until:
            state.blocked_until = min(
                state.blocked_until + settings.penalty_extension_seconds,
                now + settings.max_penalty_seconds,
            )
            return self._throttle(state, state.blocked_code, state.blocked_until - now)
        self._prune(state, now)
        code, until = self._over_limit(state, now)
        if code is not None:
            state.blocked_until, state.blocked_code = until, code
            return self._throttle(state, code, until - now)
        entry: list[Any] = [now, None]
        state.requests.append(entry)
        state.in_flight += 1
        return Ticket(user, entry)

    def _over_limit(self, state: _UserState, now: float) -> tuple[str | None, float]:
        settings = self.settings
        window = settings.window_seconds
        if len(state.requests) >= settings.max_requests:
            oldest = state.requests[len(state.requests) - settings.max_requests][0]
            return THROTTLE_REQUESTS, oldest + window
        total = state.used_ms
        if total >= settings.max_execution_ms:
            # Throttled until enough of the oldest requests leave the window.
            remaining = total
            for start, ms in state.requests:
                remaining -= ms or 0
                if remaining < settings.max_execution_ms:
                    return THROTTLE_EXECUTION_TIME, float(start) + window
        return None, now

    def _throttle(self, state: _UserState, code: str, wait: float) -> DataverseError:
        state.throttled += 1
        seconds = max(1, math.ceil(wait))
        return DataverseError(
            429, code, _message(code, self.settings), headers={"Retry-After": str(seconds)}
        )

    def finish(self, ticket: Ticket, now: float) -> dict[str, str]:
        """Record the execution time; answer the debugging headers for the response."""
        state = self._users[ticket.user]
        state.in_flight = max(0, state.in_flight - 1)
        ticket.entry[1] = max(0.0, (now - ticket.entry[0]) * 1000)
        if not self.settings.enabled:
            return {}
        state.used_ms += ticket.entry[1]
        self._prune(state, now)
        used_ms = state.used_ms
        return {
            "x-ms-ratelimit-burst-remaining-xrm-requests": str(
                max(0, self.settings.max_requests - len(state.requests))
            ),
            "x-ms-ratelimit-time-remaining-xrm-requests": f"{max(0.0, self.settings.max_execution_ms - used_ms):.2f}",
        }

    def stats(self, now: float) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for user, state in self._users.items():
            self._prune(state, now)
            out[user] = {
                "requests_in_window": len(state.requests),
                "execution_ms_in_window": round(state.used_ms, 3),
                "in_flight": state.in_flight,
                "throttled": state.throttled,
                "blocked_for_seconds": round(max(0.0, state.blocked_until - now), 3),
            }
        return out
