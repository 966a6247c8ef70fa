"""The one retry policy for Dataverse calls.

- 429: wait the ``Retry-After`` seconds Dataverse sent (capped), and send nothing else for that user
  meanwhile — "If the application continues to send such demanding requests, the duration will be
  extended" (https://learn.microsoft.com/power-apps/developer/data-platform/api-limits, "The
  Retry-After duration"). Without the header, fall back to exponential backoff like Microsoft's
  sample policy (``2^count`` seconds).
- 502/503/504, timeouts, connection errors: exponential backoff with full jitter.
- Bounded attempts and an overall deadline, then a domain error (CrmBusy / CrmUnavailable).
- A per-user concurrency cap far below the service's 52 concurrent requests per user.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

RETRYABLE_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``sleep`` and ``rand`` are injectable so unit tests need no clock."""

    max_attempts: int = 4
    retry_after_cap: float = 30.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    jitter: bool = True
    deadline_seconds: float = 30.0
    per_user_concurrency: int = 8
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 1 <= self.per_user_concurrency < 52:
            # The service allows 52 concurrent requests per user (api-limits.md); stay below.
            raise ValueError("per_user_concurrency must be between 1 and 51")
        if self.deadline_seconds <= 0 or self.retry_after_cap < 0:
            raise ValueError("deadline_seconds must be positive and retry_after_cap not negative")

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based) after a 5xx or transport error."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** (attempt - 1))
        # "Full jitter": uniform in [0, ceiling] spreads retries of many clients apart.
        return ceiling * self.rand() if self.jitter else ceiling

    def throttle_wait(self, retry_after: float | None, attempt: int) -> float:
        """Delay after a 429: the server's Retry-After (capped), else exponential backoff."""
        if retry_after is None:
            return min(self.retry_after_cap, float(2**attempt))
        return min(self.retry_after_cap, retry_after)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (Dataverse sends delta-seconds); None when absent or unreadable.
    HTTP-date values are not used by Dataverse and are treated as absent."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds
