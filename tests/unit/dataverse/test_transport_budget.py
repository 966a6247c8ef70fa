"""The request budget learned from Dataverse's window limits (gate.py): after the first refusal a
busy user stays within what Dataverse admitted per window, so it is not refused again (and sends
nothing while refused). A server with the documented sliding-window request limit is played on a
fake clock; everything asserted is a count."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import httpx

from shared.adapters.dataverse import RetryPolicy
from tests.unit.dataverse.helpers import OPP, ORG, FakeClock, caller, error, make_gateway
from tests.unit.dataverse.test_transport_retry import ok

WINDOW = 10.0
LIMIT = 120


def window_limited_server(
    clock: FakeClock,
) -> tuple[list[int], Callable[[httpx.Request], httpx.Response]]:
    """A handler admitting ``LIMIT`` requests per sliding ``WINDOW`` (api-limits, "How service
    protection API limits are enforced"); refused requests are not counted."""
    admitted: deque[float] = deque()
    statuses: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        now = clock.now
        while admitted and admitted[0] <= now - WINDOW:
            admitted.popleft()
        if len(admitted) >= LIMIT:
            statuses.append(429)
            wait = int(admitted[0] + WINDOW - now) + 1
            return error(429, "0x80072322", headers={"Retry-After": str(wait)})
        admitted.append(now)
        statuses.append(200)
        return ok()

    return statuses, handler


async def run(*, learn: bool, operations: int = 500) -> list[int]:
    clock = FakeClock()
    statuses, handler = window_limited_server(clock)
    policy = RetryPolicy(
        deadline_seconds=1000,
        max_attempts=10,
        limit_window_seconds=WINDOW,
        learn_request_budget=learn,
        per_user_concurrency=4,
        sleep=clock.sleep,
        rand=lambda: 0.5,
    )
    gateway, _, _ = make_gateway(handler, clock=clock, policy=policy)

    async def one(i: int) -> None:
        if i % 2:
            await gateway.get_opportunity(org=ORG, opportunity_id=OPP, caller=caller())
        else:
            await gateway.write_number(
                org=ORG, opportunity_id=OPP, field="closeprobability", value=1, caller=caller()
            )
        # Work between operations takes time, as it does in the app.
        await clock.sleep(0.001)

    queue = iter(range(operations))

    async def worker() -> None:
        for i in queue:
            await one(i)

    await asyncio.gather(*(worker() for _ in range(4)))
    return statuses


async def test_with_a_learned_budget_the_limit_is_crossed_less_often() -> None:
    plain = await run(learn=False)
    paced = await run(learn=True)
    # Every operation succeeded in both; with the budget Dataverse refused half as often (2 vs 4:
    # the first crossing, then one probe above the budget, sent alone).
    assert plain.count(200) == paced.count(200) == 500
    assert (paced.count(429), plain.count(429)) == (2, 4)


def test_the_budget_is_off_unless_asked_for() -> None:
    assert RetryPolicy().learn_request_budget is False
    assert RetryPolicy().limit_window_seconds == 300.0
