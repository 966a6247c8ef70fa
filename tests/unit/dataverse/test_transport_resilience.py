"""The caller's resilience hooks in the transport: one forced token refresh on a 401, a time
budget per operation, and "busy" told apart from "unreachable"."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from shared.adapters.dataverse import DataverseGateway, RetryPolicy
from shared.domain.crm import CrmCaller
from shared.domain.errors import CrmBusy, CrmUnavailable, ReauthRequired
from tests.unit.dataverse.helpers import (
    OPP,
    ORG,
    FakeClock,
    caller,
    collection,
    error,
    make_gateway,
    opportunity_row,
)


def ok() -> httpx.Response:
    return collection([opportunity_row()])


class Refresher:
    """A ``CrmCaller.refresh`` that hands out new tokens and counts the calls."""

    def __init__(self, *, fail: Exception | None = None) -> None:
        self.resources: list[str] = []
        self.fail = fail

    async def __call__(self, resource: str) -> str:
        self.resources.append(resource)
        if self.fail is not None:
            raise self.fail
        return f"fresh-{len(self.resources)}"


def unauthorized() -> httpx.Response:
    return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def read(gateway: DataverseGateway, who: CrmCaller) -> None:
    await gateway.get_opportunity(org=ORG, opportunity_id=OPP, caller=who)


# --- 401 → one forced refresh ----------------------------------------------------------------------


async def test_a_401_refreshes_the_token_once_and_repeats_the_request() -> None:
    answers = iter([unauthorized(), ok()])
    gateway, recorder, _ = make_gateway(lambda r: next(answers))
    refresh = Refresher()

    await read(gateway, caller(refresh=refresh))

    assert refresh.resources == [ORG.url]
    assert [r.headers["Authorization"] for r in recorder.requests] == [
        f"Bearer token-for-{ORG.url}",
        "Bearer fresh-1",
    ]
    # Still one logical operation.
    assert len({r.headers["x-ms-client-request-id"] for r in recorder.requests}) == 1


async def test_a_second_401_is_reauth_required() -> None:
    gateway, recorder, _ = make_gateway(lambda r: unauthorized())
    refresh = Refresher()
    with pytest.raises(ReauthRequired):
        await read(gateway, caller(refresh=refresh))
    assert refresh.resources == [ORG.url] and len(recorder.requests) == 2


async def test_without_refresh_a_401_is_reauth_required_at_once() -> None:
    gateway, recorder, _ = make_gateway(lambda r: unauthorized())
    with pytest.raises(ReauthRequired):
        await read(gateway, caller())
    assert len(recorder.requests) == 1


async def test_a_failing_refresh_is_passed_on_without_another_request() -> None:
    gateway, recorder, _ = make_gateway(lambda r: unauthorized())
    refresh = Refresher(fail=ReauthRequired("the refresh token was revoked"))
    with pytest.raises(ReauthRequired, match="revoked"):
        await read(gateway, caller(refresh=refresh))
    assert len(recorder.requests) == 1


async def test_the_refreshed_token_is_kept_and_the_refresh_uses_no_attempt() -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=2, sleep=clock.sleep, rand=lambda: 0.5)
    answers = iter([unauthorized(), error(503, "0x80040216"), ok()])
    gateway, recorder, _ = make_gateway(lambda r: next(answers), clock=clock, policy=policy)

    await read(gateway, caller(refresh=Refresher()))

    assert [r.headers["Authorization"] for r in recorder.requests] == [
        f"Bearer token-for-{ORG.url}",
        "Bearer fresh-1",
        "Bearer fresh-1",
    ]


# --- budget -----------------------------------------------------------------------------------------


async def test_a_budget_shorter_than_retry_after_gives_up_at_once() -> None:
    clock = FakeClock()
    policy = RetryPolicy(deadline_seconds=60, sleep=clock.sleep, rand=lambda: 0.5)
    throttled = error(429, "0x80072322", headers={"Retry-After": "10"})
    gateway, recorder, _ = make_gateway(lambda r: throttled, clock=clock, policy=policy)

    with pytest.raises(CrmBusy) as caught:
        await read(gateway, caller(budget=5))

    assert caught.value.retry_after == 10 and clock.sleeps == [] and len(recorder.requests) == 1


async def test_background_work_without_a_budget_waits_for_retry_after() -> None:
    clock = FakeClock()
    policy = RetryPolicy(deadline_seconds=60, sleep=clock.sleep, rand=lambda: 0.5)
    answers = iter([error(429, "0x80072322", headers={"Retry-After": "10"}), ok()])
    gateway, recorder, _ = make_gateway(lambda r: next(answers), clock=clock, policy=policy)
    await read(gateway, caller())
    assert clock.sleeps == [10.0] and len(recorder.requests) == 2


async def test_backoff_stops_when_the_budget_is_spent() -> None:
    clock = FakeClock()
    policy = RetryPolicy(
        max_attempts=6, backoff_base=2, jitter=False, deadline_seconds=60, sleep=clock.sleep
    )
    gateway, recorder, _ = make_gateway(
        lambda r: error(503, "0x80040216"), clock=clock, policy=policy
    )
    with pytest.raises(CrmUnavailable) as caught:
        await read(gateway, caller(budget=3))
    # slept 2 s; the next backoff (4 s) would end past the 3 s budget
    assert clock.sleeps == [2.0] and len(recorder.requests) == 2
    assert caught.value.code == "crm_unavailable"


@pytest.mark.parametrize("budget, expected", [(2.0, 2.0), (None, 10.0), (100.0, 10.0)])
async def test_each_attempt_times_out_within_what_is_left(
    budget: float | None, expected: float
) -> None:
    clock = FakeClock()
    policy = RetryPolicy(deadline_seconds=30, sleep=clock.sleep, rand=lambda: 0.5)
    gateway, recorder, _ = make_gateway(lambda r: ok(), clock=clock, policy=policy)
    await read(gateway, caller(budget=budget))
    timeouts = recorder.requests[0].extensions["timeout"]
    # client timeout 10 s (helpers); capped by the budget when that is shorter
    assert timeouts == {"connect": expected, "read": expected, "write": expected, "pool": expected}


async def test_a_hanging_answer_ends_with_the_budget() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)  # MockTransport ignores httpx timeouts; only the budget ends this
        return ok()

    gateway, recorder, _ = make_gateway(hang)
    with pytest.raises(CrmUnavailable) as caught:
        await asyncio.wait_for(read(gateway, caller(budget=0.2)), timeout=10)
    assert caught.value.code == "crm_unreachable" and len(recorder.requests) == 1


async def test_queueing_behind_the_users_own_requests_ends_with_the_budget() -> None:
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return ok()

    policy = RetryPolicy(per_user_concurrency=1)
    gateway, recorder, _ = make_gateway(slow, policy=policy)
    background = asyncio.create_task(read(gateway, caller()))
    await asyncio.sleep(0.01)  # the background read holds the user's only slot

    with pytest.raises(CrmBusy, match="queued"):
        await asyncio.wait_for(read(gateway, caller(budget=0.1)), timeout=10)

    release.set()
    await background
    assert len(recorder.requests) == 1


# --- busy vs unreachable ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("Connection refused"),
        httpx.ReadError("Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
    ],
)
async def test_no_answer_after_retries_is_unreachable(failure: httpx.TransportError) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    clock = FakeClock()
    policy = RetryPolicy(max_attempts=3, sleep=clock.sleep, rand=lambda: 0.5)
    gateway, recorder, _ = make_gateway(fail, clock=clock, policy=policy)
    with pytest.raises(CrmUnavailable) as caught:
        await read(gateway, caller())
    assert caught.value.code == "crm_unreachable"
    assert type(failure).__name__ in caught.value.detail
    assert len(recorder.requests) == 3


async def test_5xx_after_retries_is_unavailable_and_429_is_busy() -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=2, sleep=clock.sleep, rand=lambda: 0.5)
    gateway, _, _ = make_gateway(lambda r: error(502, "0x80040216"), clock=clock, policy=policy)
    with pytest.raises(CrmUnavailable) as unavailable:
        await read(gateway, caller())
    assert unavailable.value.code == "crm_unavailable"

    throttled = error(429, "0x80072322", headers={"Retry-After": "1"})
    gateway, _, _ = make_gateway(lambda r: throttled, clock=clock, policy=policy)
    with pytest.raises(CrmBusy) as busy:
        await read(gateway, caller())
    assert busy.value.code == "crm_busy"


async def test_the_last_failure_decides() -> None:
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return error(503, "0x80040216")
        raise httpx.ConnectError("Connection refused")

    clock = FakeClock()
    policy = RetryPolicy(max_attempts=2, sleep=clock.sleep, rand=lambda: 0.5)
    gateway, _, _ = make_gateway(flaky, clock=clock, policy=policy)
    with pytest.raises(CrmUnavailable) as caught:
        await read(gateway, caller())
    assert caught.value.code == "crm_unreachable"
