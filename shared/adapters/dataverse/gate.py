"""Per-user traffic control for Dataverse calls: what ``Transport`` waits for before it sends.

Dataverse evaluates its service protection limits per user
(https://learn.microsoft.com/power-apps/developer/data-platform/api-limits, "How service
protection API limits are enforced"): requests and execution time in a 5-minute sliding window,
and 52 concurrent requests. Per user, this module keeps

- a **concurrency cap** far below 52;
- the **pause** after a 429: nothing is sent for that user until ``Retry-After`` has passed, because
  "if the application continues to send such demanding requests, the duration will be extended"
  (same page, "The Retry-After duration");
- optionally (``RetryPolicy.learn_request_budget``; docs/dataverse-client-bench.md says why it is
  off by default) a **request budget** learned from the limits. After a 429 for the number of requests or the
  execution time, the user's requests are kept within what Dataverse admitted in the window before
  it said no, and the budget is raised a little after every window without such a 429. The same
  section asks for exactly this: "achieve a consistent rate by starting with a lower number of
  requests and gradually increasing until you start hitting the service protection API limits.
  After that, let the server tell you how many requests it can handle within a 5 minute period.
  Keeping your maximum number of requests limited within this 5 minute period and gradually
  increasing will keep the retry-after duration low". Without it a busy user crosses the limit
  again as soon as each pause ends, and every request still in flight then extends the penalty.
  The budget is never guessed in advance ("Don't try to calculate how many requests to send at a
  time", "How to maximize throughput"), and the ``x-ms-ratelimit-*`` headers are not used: they
  "are intended for debugging purposes" (same page, "HTTP Response headers").
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from shared.domain.errors import CrmBusy

# 429 codes that mean "this user sent too much in the window" (api-limits, "Service Protection API
# Limit Errors returned"): number of requests, combined execution time. The third, concurrent
# requests (0x80072326), is about requests at once, not about the window.
WINDOW_LIMIT_CODES = frozenset({"0x80072322", "0x80072321"})
# The budget grows by an eighth of the confirmed count (at least 1) per window without such a 429,
# and is dropped after this many quiet windows: a budget learned while other instances of the app
# sent as the same user must not hold this one back for long.
_GROWTH = 8
_QUIET_WINDOWS = 4
# A refusal after fewer requests than this in the window is not this client's own rate crossing
# the request limit (documented at 6,000 per window): other instances of the app sending as the
# same user, a few heavy requests over the execution-time limit, or a 429 for another reason. Then
# only the pause applies; a budget learned from such a count would starve the user.
_MIN_BUDGET = 100
_MAX_GATES = 10_000


@dataclass
class UserGate:
    """One user's cap, pause and budget."""

    semaphore: asyncio.Semaphore
    blocked_until: float = 0.0
    users: int = 0  # operations of this user currently inside a call (pruning never drops these)
    # One [time] per request that counts against the window: the send time while it is in flight,
    # then the time its answer came (never earlier than Dataverse received it, so an entry never
    # leaves our window before it leaves Dataverse's). Requests answered 429 are taken out.
    window: deque[list[float]] = field(default_factory=deque)
    budget: int | None = None  # what may be in the window now (the confirmed count + growth)
    confirmed: int = 0  # what Dataverse admitted in the window when it last said no
    budget_set_at: float = 0.0
    limited_at: float = 0.0  # the end of the pause after the last 429 for a window limit
    # Requests beyond the confirmed count go one at a time: when one of them crosses the limit,
    # no other request of the user is in flight to extend the penalty.
    probe: asyncio.Lock = field(default_factory=asyncio.Lock)


class UserGates:
    """The gates of every user of one transport, created on first use and pruned when idle."""

    def __init__(
        self,
        *,
        concurrency: int,
        window_seconds: float,
        learn_budget: bool,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._concurrency = concurrency
        self._window = window_seconds
        self._learn = learn_budget
        self._clock = clock
        self._sleep = sleep
        self._gates: dict[str, UserGate] = {}

    def get(self, key: str) -> UserGate:
        gate = self._gates.get(key)
        if gate is None:
            if len(self._gates) > _MAX_GATES:
                self._prune()
            gate = UserGate(asyncio.Semaphore(self._concurrency))
            self._gates[key] = gate
        return gate

    @asynccontextmanager
    async def slot(
        self, gate: UserGate, *, deadline: float, name: str
    ) -> AsyncIterator[list[float]]:
        """One of the user's concurrency slots, taken only while the user is neither paused nor
        out of budget. Yields the request's window entry (for ``answered``/``throttled``)."""
        while True:
            await self._wait_for(gate, deadline=deadline, name=name)
            await self._acquire(gate.semaphore, deadline=deadline, name=name)
            probing = gate.budget is not None and len(gate.window) >= gate.confirmed
            if probing:
                try:
                    await self._acquire(gate.probe, deadline=deadline, name=name)
                except BaseException:
                    gate.semaphore.release()
                    raise
            if self._ready_in(gate) <= 0:
                break
            # Paused or out of budget while we queued for a slot: give it back; nothing was sent.
            if probing:
                gate.probe.release()
            gate.semaphore.release()
        entry = [self._clock()]
        gate.window.append(entry)
        try:
            yield entry
        finally:
            if probing:
                gate.probe.release()
            gate.semaphore.release()

    def answered(self, entry: list[float]) -> None:
        """The request got an answer other than 429: it counts until a window after now."""
        entry[0] = self._clock()

    def throttled(self, gate: UserGate, entry: list[float], *, wait: float, code: str) -> None:
        """A 429: pause the user; for a window limit, learn the budget from what was admitted."""
        now = self._clock()
        gate.blocked_until = max(gate.blocked_until, now + wait)
        try:
            gate.window.remove(entry)  # a refused request is not counted by Dataverse either
        except ValueError:
            pass
        if not self._learn or code.lower() not in WINDOW_LIMIT_CODES:
            return
        self._expire(gate, now)
        # Requests still in flight are counted; each of them answered 429 takes itself out and
        # lands here again, so the last word is what Dataverse really admitted.
        admitted = len(gate.window)
        if admitted < _MIN_BUDGET:
            return
        gate.budget = gate.confirmed = admitted
        # Windows are counted from the end of the pause: a pause is not a quiet window.
        gate.budget_set_at = gate.limited_at = gate.blocked_until

    # --- waiting ----------------------------------------------------------------------------------

    async def _wait_for(self, gate: UserGate, *, deadline: float, name: str) -> None:
        while (wait := self._ready_in(gate)) > 0:
            if self._clock() + wait > deadline:
                raise CrmBusy(f"{name}: throttled past the deadline", retry_after=wait)
            await self._sleep(wait)

    async def _acquire(
        self, lock: asyncio.Semaphore | asyncio.Lock, *, deadline: float, name: str
    ) -> None:
        remaining = deadline - self._clock()
        try:
            # Queueing behind the user's own requests counts against the deadline too.
            async with asyncio.timeout(max(remaining, 0.0)):
                await lock.acquire()
        except TimeoutError:
            raise CrmBusy(
                f"{name}: deadline reached while queued behind this user's other requests"
            ) from None

    def _ready_in(self, gate: UserGate) -> float:
        """Seconds until this user may send: the pause, then the budget; 0 when it may now."""
        now = self._clock()
        paused = gate.blocked_until - now
        if paused > 0:
            return paused
        budget = gate.budget
        if budget is None:
            return 0.0
        if now - gate.limited_at >= _QUIET_WINDOWS * self._window:
            gate.budget, gate.confirmed = None, 0
            return 0.0
        if now - gate.budget_set_at >= self._window:
            # A whole window without a limit 429: raise the budget a little (api-limits asks to
            # increase gradually and let the server say when it is too much).
            budget = gate.budget = budget + max(1, gate.confirmed // _GROWTH)
            gate.budget_set_at = now
        self._expire(gate, now)
        over = len(gate.window) - budget
        if over < 0:
            return 0.0
        # Wait until enough of the oldest leave the window (entries are close to time order).
        return max(gate.window[over][0] + self._window - now, 0.001)

    def _expire(self, gate: UserGate, now: float) -> None:
        horizon = now - self._window
        window = gate.window
        while window and window[0][0] <= horizon:
            window.popleft()

    def _prune(self) -> None:
        now = self._clock()
        for gate in self._gates.values():
            self._expire(gate, now)
        idle = [
            key
            for key, gate in self._gates.items()
            if gate.users == 0 and gate.blocked_until <= now and not gate.window
        ]
        for key in idle:
            del self._gates[key]
