"""The transport's retry policy: throttling pauses, backoff, per-user concurrency, and error normalisation."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from shared.adapters.dataverse import DataverseGateway, RetryPolicy, domain_error, parse_retry_after
from shared.domain.crm import CrmCaller, Opportunity
from shared.domain.errors import (
    CrmAccessDenied,
    CrmBusy,
    CrmConflict,
    CrmFieldSecured,
    CrmRecordClosed,
    CrmRecordNotFound,
    CrmRejected,
    CrmUnavailable,
    ReauthRequired,
)
from tests.unit.dataverse.helpers import (
    OPP,
    ORG,
    FakeClock,
    caller,
    collection,
    error,
    json_response,
    make_gateway,
    opportunity_row,
)


def ok() -> httpx.Response:
    return collection([opportunity_row()])


async def read(gateway: DataverseGateway, who: CrmCaller | None = None) -> Opportunity:
    return await gateway.get_opportunity(org=ORG, opportunity_id=OPP, caller=who or caller())


async def test_429_waits_retry_after_then_succeeds() -> None:
    answers = iter([error(429, "0x80072322", headers={"Retry-After": "2"}), ok()])
    gateway, recorder, clock = make_gateway(lambda r: next(answers))

    await read(gateway)

    assert clock.sleeps == [2.0]
    assert recorder.times[1] - recorder.times[0] >= 2.0


async def test_retry_after_is_capped() -> None:
    clock = FakeClock()
    policy = RetryPolicy(retry_after_cap=5, sleep=clock.sleep, rand=lambda: 0.5)
    answers = iter([error(429, "0x80072321", headers={"Retry-After": "100"}), ok()])
    gateway, _, _ = make_gateway(lambda r: next(answers), clock=clock, policy=policy)
    await read(gateway)
    assert clock.sleeps == [5.0]


async def test_429_without_retry_after_backs_off_exponentially() -> None:
    answers = iter([error(429, "0x80072322"), error(429, "0x80072322"), ok()])
    gateway, _, clock = make_gateway(lambda r: next(answers))
    await read(gateway)
    assert clock.sleeps == [2.0, 4.0]  # 2^attempt, like Microsoft's sample policy


async def test_429_beyond_max_attempts_is_crm_busy_with_retry_after() -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=3, sleep=clock.sleep, rand=lambda: 0.5)
    gateway, recorder, _ = make_gateway(
        lambda r: error(429, "0x80072326", headers={"Retry-After": "1"}), clock=clock, policy=policy
    )
    with pytest.raises(CrmBusy) as caught:
        await read(gateway)
    assert caught.value.retry_after == 1.0
    assert "0x80072326" in caught.value.detail
    assert len(recorder.requests) == 3


async def test_429_past_the_deadline_is_not_waited_for() -> None:
    clock = FakeClock()
    policy = RetryPolicy(deadline_seconds=5, sleep=clock.sleep, rand=lambda: 0.5)
    gateway, recorder, _ = make_gateway(
        lambda r: error(429, "0x80072322", headers={"Retry-After": "10"}),
        clock=clock,
        policy=policy,
    )
    with pytest.raises(CrmBusy) as caught:
        await read(gateway)
    assert caught.value.retry_after == 10.0
    assert clock.sleeps == [] and len(recorder.requests) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_back_off_with_full_jitter(status: int) -> None:
    clock = FakeClock()
    policy = RetryPolicy(backoff_base=0.5, sleep=clock.sleep, rand=lambda: 0.5)
    answers = iter([error(status, "0x80040216"), error(status, "0x80040216"), ok()])
    gateway, _, _ = make_gateway(lambda r: next(answers), clock=clock, policy=policy)
    await read(gateway)
    # ceilings 0.5 and 1.0, times the injected random 0.5
    assert clock.sleeps == [0.25, 0.5]


async def test_backoff_is_bounded_and_then_unavailable() -> None:
    clock = FakeClock()
    policy = RetryPolicy(
        max_attempts=5, backoff_base=1, backoff_max=3, jitter=False, sleep=clock.sleep
    )
    gateway, recorder, _ = make_gateway(
        lambda r: error(503, "0x80040216"), clock=clock, policy=policy
    )
    with pytest.raises(CrmUnavailable):
        await read(gateway)
    assert clock.sleeps == [1, 2, 3, 3]
    assert len(recorder.requests) == 5


async def test_transport_errors_are_retried_then_unavailable() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    clock = FakeClock()
    policy = RetryPolicy(max_attempts=2, sleep=clock.sleep, rand=lambda: 0.5)
    gateway, recorder, _ = make_gateway(fail, clock=clock, policy=policy)
    with pytest.raises(CrmUnavailable) as caught:
        await read(gateway)
    assert "ConnectError" in caught.value.detail
    assert len(recorder.requests) == 2


async def test_timeouts_are_retried() -> None:
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return ok()

    gateway, _, clock = make_gateway(flaky)
    await read(gateway)
    assert calls == 2 and len(clock.sleeps) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 412, 500])
async def test_non_retryable_answers_are_sent_once(status: int) -> None:
    gateway, recorder, clock = make_gateway(lambda r: error(status, "0x0"))
    with pytest.raises(Exception):  # noqa: B017 - the mapping is tested below
        await gateway.write_number(
            org=ORG, opportunity_id=OPP, field="closeprobability", value=1, caller=caller()
        )
    assert len(recorder.requests) == 1 and clock.sleeps == []


async def test_a_429_pauses_every_request_of_that_user() -> None:
    clock = FakeClock()
    policy = RetryPolicy(deadline_seconds=1000, sleep=clock.sleep, rand=lambda: 0.5)
    first = True

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal first
        if first:
            first = False
            return error(429, "0x80072322", headers={"Retry-After": "3"})
        return ok()

    gateway, recorder, _ = make_gateway(handler, clock=clock, policy=policy)
    throttled_at = clock.now
    await asyncio.gather(*(read(gateway) for _ in range(5)))
    # Every request after the 429 (for that user) arrived at least Retry-After later.
    assert len(recorder.times) == 6
    assert all(t >= throttled_at + 3 for t in recorder.times[1:])


async def test_per_user_concurrency_is_capped_and_users_are_independent() -> None:
    active: dict[str, int] = {}
    peak: dict[str, int] = {}

    async def handler(request: httpx.Request) -> httpx.Response:
        who = request.headers["Authorization"]
        active[who] = active.get(who, 0) + 1
        peak[who] = max(peak.get(who, 0), active[who])
        await asyncio.sleep(0.01)
        active[who] -= 1
        return ok()

    tokens = {"anna": "A", "ben": "B"}

    def person(name: str) -> CrmCaller:
        async def token(resource: str) -> str:
            return tokens[name]

        return CrmCaller(key=name, token=token)

    policy = RetryPolicy(per_user_concurrency=3)
    gateway, _, _ = make_gateway(handler, policy=policy)
    await asyncio.gather(*(read(gateway, person(n)) for n in ["anna", "ben"] * 12))
    assert peak == {"Bearer A": 3, "Bearer B": 3}


def test_policy_refuses_a_cap_at_or_above_the_service_limit() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(per_user_concurrency=52)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1", 1.0),
        (" 2 ", 2.0),
        ("0.5", 0.5),
        (None, None),
        ("soon", None),
        ("-1", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(raw: str | None, expected: float | None) -> None:
    assert parse_retry_after(raw) == expected


def body(code: str, message: str = "m", **extra: str) -> bytes:
    import json

    return json.dumps({"error": {"code": code, "message": message, **extra}}).encode()


@pytest.mark.parametrize(
    "status, payload, expected",
    [
        (401, b"", ReauthRequired),
        (404, body(""), CrmRecordNotFound),
        (400, body("0x80040217"), CrmRecordNotFound),
        (403, body("0x80040220"), CrmAccessDenied),
        (403, body("0x80048306"), CrmAccessDenied),
        (403, body("0x8004A110"), CrmAccessDenied),
        (403, body("0x80072560"), CrmAccessDenied),
        (403, body("0x8004F507"), CrmFieldSecured),
        (403, body("0x8004f504"), CrmFieldSecured),
        (412, body(""), CrmConflict),
        (412, body("0x80060882"), CrmConflict),
        (429, body("0x80072322"), CrmBusy),
        (
            400,
            body("0x80040265", **{"@Microsoft.PowerApps.CDS.ErrorDetails.SubErrorCode": "4711"}),
            CrmRecordClosed,
        ),
        (
            400,
            body("0x80040265", **{"@Microsoft.PowerApps.CDS.ErrorDetails.SubErrorCode": "1"}),
            CrmRejected,
        ),
        (400, body("0x0", "Could not find a property named 'x'"), CrmRejected),
        (400, b"<html>not json</html>", CrmRejected),
        (405, body("0x80060888"), CrmRejected),
        (500, body("0x80040216"), CrmUnavailable),
        (503, b"", CrmUnavailable),
    ],
)
def test_error_normalisation(status: int, payload: bytes, expected: type) -> None:
    error = domain_error(status, payload, operation="op")
    assert type(error) is expected
    assert error.detail.startswith(f"op: HTTP {status}")


def test_error_detail_never_contains_request_secrets() -> None:
    error = domain_error(
        403,
        body("0x80040220", "Principal user (Id=x) is missing prvReadOpportunity"),
        operation="read opportunity",
    )
    assert "Bearer" not in error.detail and "prvReadOpportunity" in error.detail


async def test_unauthorized_maps_to_reauth_and_is_not_retried() -> None:
    gateway, recorder, _ = make_gateway(
        lambda r: httpx.Response(401, headers={"WWW-Authenticate": "Bearer x"})
    )
    with pytest.raises(ReauthRequired):
        await read(gateway)
    assert len(recorder.requests) == 1


async def test_who_am_i_with_unexpected_body_is_rejected() -> None:
    gateway, _, _ = make_gateway(lambda r: json_response(200, {"nothing": True}))
    with pytest.raises(CrmRejected):
        await gateway.who_am_i(org=ORG, caller=caller())


@pytest.mark.parametrize("content", [b"<html>proxy page</html>", b"[1, 2]"])
async def test_a_success_status_without_a_json_object_is_unavailable(content: bytes) -> None:
    gateway, _, _ = make_gateway(lambda r: httpx.Response(200, content=content))
    with pytest.raises(CrmUnavailable):
        await read(gateway)
