"""Timers over real HTTP: the queued write-back retried by the app on behalf of the rep, and the
expiry clean-up — called the way the Functions worker calls timer functions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from devstack.stack import Stack
from functions.timers import timers
from tests.integration.test_journey import OPEN_ANNA, Rep, answers, crm_record
from tests.support.browser import browser, sign_in
from tests.support.clock import MovableClock
from tests.support.sims import Sims
from tests.support.stack import USERS, LiveApp, live_app


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app(stack: Stack, fresh: Sims, clock: MovableClock) -> Iterator[LiveApp]:
    with live_app(
        stack,
        dataverse_max_attempts=2,
        dataverse_retry_after_cap_seconds=1,
        container_overrides={"clock": clock},
    ) as live:
        yield live


@pytest.fixture
async def anna(app: LiveApp) -> AsyncIterator[Rep]:
    async with browser() as client:
        response = await sign_in(client, app_url=app.url, username=USERS["anna"]["username"])
        yield Rep(app, client, response.json())


def timer_function(app: LiveApp, name: str):
    functions = func.FunctionApp()
    functions.register_functions(timers(app.container))
    fn = next(f for f in functions.get_functions() if f.get_function_name() == name)
    trigger = fn.get_bindings()[0]
    assert trigger.type == "timerTrigger"
    return fn.get_user_function()


async def test_a_throttled_write_back_is_retried_by_the_timer_on_behalf_of_the_rep(
    app: LiveApp, anna: Rep, sims: Sims, clock: MovableClock
) -> None:
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    await sims.dataverse("POST", "faults", json={"throttle_rate": 1.0, "retry_after": 1})
    result = (await anna.evaluate(OPEN_ANNA, answers(0))).json()
    assert result["writeback"]["status"] == "retrying"
    await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/faults")
    await sims.dataverse("DELETE", "requests")

    retry = timer_function(app, "writeback_retry")
    # Not due yet: nothing happens.
    await app.call(lambda c: retry(TimerRequest()))
    assert [
        r for r in (await sims.dataverse("GET", "requests"))["requests"] if r["method"] == "PATCH"
    ] == []

    clock.offset = timedelta(minutes=3)
    await app.call(lambda c: retry(TimerRequest()))
    patches = [
        r for r in (await sims.dataverse("GET", "requests"))["requests"] if r["method"] == "PATCH"
    ]
    assert len(patches) == 1
    # Made by the app user, on behalf of Anna: Dynamics applied her privileges too.
    assert patches[0]["caller_object_id"] == USERS["anna"]["oid"]
    record = await crm_record(sims, OPEN_ANNA)
    assert (
        str(record["closeprobability"]) in result["score"]["probability"].split(".")[0]
        or record["closeprobability"] is not None
    )
    history = (await anna.get(f"/api/projects/contoso/{OPEN_ANNA}/evaluations")).json()
    assert history[0]["writeback_status"] == "written"

    # The queue is empty: another run writes nothing.
    await sims.dataverse("DELETE", "requests")
    clock.offset = timedelta(minutes=30)
    await app.call(lambda c: retry(TimerRequest()))
    assert [
        r for r in (await sims.dataverse("GET", "requests"))["requests"] if r["method"] == "PATCH"
    ] == []


async def test_an_older_queued_value_never_overwrites_a_newer_evaluation(
    app: LiveApp, anna: Rep, sims: Sims, clock: MovableClock
) -> None:
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    await sims.dataverse("POST", "faults", json={"throttle_rate": 1.0, "retry_after": 1})
    await anna.evaluate(OPEN_ANNA, answers(0))  # queued
    await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/faults")
    newer = (await anna.evaluate(OPEN_ANNA, answers(2))).json()  # written directly
    assert newer["writeback"]["status"] == "written"
    await sims.dataverse("DELETE", "requests")
    clock.offset = timedelta(minutes=3)
    await app.call(lambda c: timer_function(app, "writeback_retry")(TimerRequest()))
    assert [
        r for r in (await sims.dataverse("GET", "requests"))["requests"] if r["method"] == "PATCH"
    ] == []


async def test_cleanup_removes_expired_sessions_and_flows(
    app: LiveApp, anna: Rep, clock: MovableClock
) -> None:
    async with browser() as other:
        await other.get(f"{app.url}/auth/login", params={"next": "/"})  # an abandoned sign-in
    clock.offset = timedelta(hours=app.container.settings.session_absolute_hours + 1)
    cleanup = timer_function(app, "expiry_cleanup")
    await app.call(lambda c: cleanup(TimerRequest()))

    async def count(c, logical):
        return len([e async for e in c.tables.client(logical).list_entities()])

    assert await app.call(lambda c: count(c, "sessions")) == 0
    assert await app.call(lambda c: count(c, "login_flows")) == 0
    clock.offset = timedelta()
    assert (await anna.get("/api/me")).status_code == 401
