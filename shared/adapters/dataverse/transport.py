"""The one retry policy for Dataverse calls, and the only loop that applies it.

Every request of the gateway goes through ``Transport.call``. What it does, and why:

- **429** (service protection): wait the ``Retry-After`` seconds Dataverse sent (capped), and send
  nothing else for that user meanwhile. Limits are evaluated per user, and "if the application
  continues to send such demanding requests, the duration will be extended"
  (https://learn.microsoft.com/power-apps/developer/data-platform/api-limits#the-retry-after-duration).
  Without the header, back off ``2^attempt`` seconds like Microsoft's sample policy
  (same page, "How to re-try"). After the attempts or the deadline: ``CrmBusy``.
- **502/503/504, timeouts, refused or reset connections**: exponential backoff with full jitter,
  so many workers retrying at once do not hit the service in lockstep
  (https://learn.microsoft.com/azure/well-architected/reliability/handle-transient-faults,
  https://learn.microsoft.com/azure/architecture/patterns/retry). After the attempts or the
  deadline: ``CrmUnavailable`` — code ``crm_unavailable`` when Dataverse answered 5xx, code
  ``crm_unreachable`` when it never answered (connection refused or reset, timed out), so a rep is
  told "Dynamics cannot be reached" rather than "Dynamics is busy".
- **401**: access tokens expire (about an hour,
  https://learn.microsoft.com/power-apps/developer/data-platform/authenticate-oauth) and can be
  revoked before that; the 401 codes are listed in
  https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors.
  When the caller offers ``refresh``, it is asked ONCE for a new token and the request is sent
  once more; a second 401, or no ``refresh``, is ``ReauthRequired``.
- **Per user** (``gate.py``): a concurrency cap far below the service's 52 concurrent requests
  (api-limits, "How service protection API limits are enforced"), the pause after a 429, and a
  request budget learned from the 429s for the request-count and execution-time limits, so a busy
  user keeps the "consistent rate" api-limits asks for instead of crossing the limit again after
  every pause.
- **Deadline**: every operation (all its attempts and waits) ends by the policy's deadline, or by
  the caller's ``budget_seconds`` when that is shorter — an interactive request gives up after a
  few seconds while background work uses the full deadline. Each attempt's timeouts are capped to
  what is left. Api-limits asks interactive clients to show "server busy" instead of waiting
  ("Interactive application re-try"); non-interactive ones to wait and retry.

Any other answer (400, 403, 404, 412, 500 …) ends the operation at once, mapped by
``errors.domain_error``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from shared.adapters.dataverse.errors import domain_error, parse_error_body
from shared.adapters.dataverse.gate import UserGate, UserGates
from shared.adapters.wire import Wire
from shared.domain.crm import CrmCaller
from shared.domain.errors import CockpitError, CrmBusy, CrmUnavailable
from shared.domain.orgs import CrmOrg

logger = logging.getLogger(__name__)

API_PATH = "/api/data/v9.2/"
# Sent on every request (compose-http-requests-handle-errors, "HTTP headers"); If-None-Match: null
# keeps intermediaries from answering from a cache.
STANDARD_HEADERS = {
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
    "If-None-Match": "null",
}
RETRYABLE_STATUSES = frozenset({502, 503, 504})
UNREACHABLE = "crm_unreachable"


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
    # The sliding window of the request-count and execution-time limits: 5 minutes (api-limits).
    limit_window_seconds: float = 300.0
    # Keep a user within what Dataverse admitted per window once it refused for a window limit
    # (gate.py). Off by default: a 429 that is not the window limit at work (a test's random
    # throttling with the request-limit code) would hold the user back for a window.
    learn_request_budget: bool = False
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 1 <= self.per_user_concurrency < 52:
            # The service allows 52 concurrent requests per user (api-limits); stay below.
            raise ValueError("per_user_concurrency must be between 1 and 51")
        if self.deadline_seconds <= 0 or self.retry_after_cap < 0 or self.limit_window_seconds <= 0:
            raise ValueError(
                "deadline_seconds and limit_window_seconds must be positive and retry_after_cap "
                "not negative"
            )

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


@dataclass
class Answer:
    """A response as the gateway needs it (status, headers, body), read completely."""

    status: int
    headers: Mapping[str, str]  # case-insensitive names
    body: bytes

    def json(self) -> dict[str, Any]:
        """The JSON object of a success answer; Decimal keeps money and decimal values exact."""
        try:
            value = json.loads(self.body or b"{}", parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CrmUnavailable(f"HTTP {self.status}: the answer is not JSON") from exc
        if not isinstance(value, dict):
            raise CrmUnavailable(f"HTTP {self.status}: the answer is not a JSON object")
        return value


@dataclass
class _Operation:
    """One logical request and its retry state."""

    org: CrmOrg
    caller: CrmCaller
    method: str
    url: str
    name: str
    headers: Mapping[str, str]
    content: bytes | None
    deadline: float
    # One id for the logical operation, kept across retries, so our logs and the server's request
    # log tie the attempts together.
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempt: int = 0
    # The token a 401 made us refresh; used for the rest of this operation.
    bearer: str | None = None


def _quote(text: str) -> str:
    return quote(text, safe="$,()='@:/;*?&=")


class Transport:
    """Sends Dataverse requests under ``RetryPolicy`` over ``wire`` (``shared/adapters/wire.py``);
    returns a 2xx ``Answer`` or raises a domain error. ``clock`` is a monotonic seconds source
    (deadlines, throttle pauses)."""

    def __init__(
        self,
        *,
        wire: Wire,
        policy: RetryPolicy,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._wire = wire
        self._policy = policy
        self._clock = clock
        self._gates = UserGates(
            concurrency=policy.per_user_concurrency,
            window_seconds=policy.limit_window_seconds,
            learn_budget=policy.learn_request_budget,
            clock=clock,
            sleep=policy.sleep,
        )

    async def call(
        self,
        org: CrmOrg,
        caller: CrmCaller,
        method: str,
        path: str,
        *,
        operation: str,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Answer:
        """Send ``method path`` (relative to the org's Web API root) as ``caller``."""
        state = _Operation(
            org=org,
            caller=caller,
            method=method,
            url=f"{org.url}{API_PATH}{_quote(path)}",
            name=operation,
            headers=headers or {},
            content=content,
            deadline=self._deadline(caller),
        )
        gate = self._gates.get(caller.key)
        gate.users += 1
        try:
            return await self._run(gate, state)
        finally:
            gate.users -= 1

    def _deadline(self, caller: CrmCaller) -> float:
        seconds = self._policy.deadline_seconds
        if caller.budget_seconds is not None:
            seconds = min(seconds, caller.budget_seconds)
        return self._clock() + seconds

    async def _run(self, gate: UserGate, op: _Operation) -> Answer:
        while True:
            op.attempt += 1
            outcome = await self._send(gate, op)
            if isinstance(outcome, CockpitError):
                await self._back_off_or_raise(op, outcome)
                continue
            if outcome.status < 400:
                return outcome
            if outcome.status == 401:
                await self._refresh_or_raise(op, outcome)
            elif outcome.status == 429:
                self._retry_after_pause_or_raise(op, outcome)
            elif outcome.status in RETRYABLE_STATUSES:
                failure = domain_error(outcome.status, outcome.body, operation=op.name)
                await self._back_off_or_raise(op, failure)
            else:
                raise domain_error(outcome.status, outcome.body, operation=op.name)

    async def _send(self, gate: UserGate, op: _Operation) -> Answer | CockpitError:
        """One attempt inside the user's gate: the answer, or the transport failure (not raised,
        so the caller decides whether to retry)."""
        async with self._gates.slot(gate, deadline=op.deadline, name=op.name) as entry:
            remaining = op.deadline - self._clock()
            if remaining <= 0:
                raise CrmBusy(f"{op.name}: deadline reached before the request could be sent")
            # The token comes first and outside the attempt's timeout: a hanging identity provider
            # is the token source's to bound, and must not be reported as Dataverse unreachable.
            headers = await self._headers(op)
            try:
                # The httpx timeouts bound each phase; this bounds the whole attempt, so an
                # operation never outlives its deadline (or the caller's budget).
                async with asyncio.timeout(remaining):
                    exchanged = await self._wire.exchange(
                        op.method,
                        op.url,
                        headers=headers,
                        content=op.content,
                        timeout=self._timeout(remaining),
                    )
            except TimeoutError:
                return CrmUnavailable(
                    f"{op.name}: no answer within {remaining:.2f} s", code=UNREACHABLE
                )
            except httpx.TransportError as exc:
                # Refused, reset, TLS failure, or an httpx timeout: Dataverse never answered.
                return CrmUnavailable(f"{op.name}: {type(exc).__name__}", code=UNREACHABLE)
            except httpx.HTTPError as exc:
                return CrmUnavailable(f"{op.name}: {type(exc).__name__}")
            answer = Answer(exchanged.status, exchanged.headers, exchanged.body)
            if answer.status == 429:
                # Paused before the slot is released, so no request of this user slips through.
                code = parse_error_body(answer.body)[0]
                self._gates.throttled(gate, entry, wait=self._throttle_wait(op, answer), code=code)
            else:
                self._gates.answered(entry)
            return answer

    def _throttle_wait(self, op: _Operation, answer: Answer) -> float:
        retry_after = parse_retry_after(answer.headers.get("retry-after"))
        return self._policy.throttle_wait(retry_after, op.attempt)

    async def _headers(self, op: _Operation) -> dict[str, str]:
        headers = dict(STANDARD_HEADERS)
        token = op.bearer if op.bearer is not None else await op.caller.token(op.org.url)
        headers["Authorization"] = f"Bearer {token}"
        headers["x-ms-client-request-id"] = op.request_id
        if op.caller.impersonate_object_id:
            # Impersonation: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api
            headers["CallerObjectId"] = op.caller.impersonate_object_id
        headers.update(op.headers)
        return headers

    async def _refresh_or_raise(self, op: _Operation, answer: Answer) -> None:
        """A 401: one forced token refresh, then the same request once more."""
        refresh = op.caller.refresh
        if refresh is None or op.bearer is not None:
            raise domain_error(401, answer.body, operation=op.name)
        logger.info("%s: 401 for %s, refreshing the token once", op.name, op.caller.key)
        op.bearer = await refresh(op.org.url)
        # A refreshed token is not a retry of a failing service: it does not use up an attempt.
        op.attempt -= 1

    def _retry_after_pause_or_raise(self, op: _Operation, answer: Answer) -> None:
        """A 429: the user is already paused for Retry-After (``_send``); retry after the pause
        unless attempts or time ran out. Every request of the user waits, not just this one:
        continuing to send extends the penalty (api-limits, "The Retry-After duration")."""
        retry_after = parse_retry_after(answer.headers.get("retry-after"))
        wait = self._throttle_wait(op, answer)
        if op.attempt < self._policy.max_attempts and self._clock() + wait <= op.deadline:
            logger.info(
                "%s: throttled for %s (attempt %d), waiting %.2f s",
                op.name,
                op.caller.key,
                op.attempt,
                wait,
            )
            return
        raise domain_error(429, answer.body, operation=op.name, retry_after=retry_after or wait)

    async def _back_off_or_raise(self, op: _Operation, failure: CockpitError) -> None:
        """A 5xx or a transport failure: wait the jittered backoff, unless attempts or time ran out."""
        delay = self._policy.backoff(op.attempt)
        if op.attempt >= self._policy.max_attempts or self._clock() + delay > op.deadline:
            raise failure
        logger.info(
            "%s: %s (attempt %d), retrying in %.2f s",
            op.name,
            failure.detail or failure,
            op.attempt,
            delay,
        )
        await self._policy.sleep(delay)

    def _timeout(self, remaining: float) -> httpx.Timeout:
        """The wire's configured timeouts, each capped to the time left for this operation."""
        configured = self._wire.timeout

        def cap(value: float | None) -> float:
            return remaining if value is None else min(value, remaining)

        return httpx.Timeout(
            connect=cap(configured.connect),
            read=cap(configured.read),
            write=cap(configured.write),
            pool=cap(configured.pool),
        )
