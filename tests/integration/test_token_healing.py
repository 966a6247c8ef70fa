"""Token failures heal by themselves over real HTTP: Dataverse refusing a token MSAL still holds
(a key rollover, a clock that was off) costs one forced refresh and no click; a revoked sign-in
ends in one re-authentication that really replaces the cached tokens, while the write-back the rep
asked for meanwhile is kept and finished in the background."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest

from devstack.stack import Stack
from tests.integration.test_journey import NAVIGATION, OPEN_ANNA, Rep, answers, crm_record
from tests.support.browser import authorize_as, browser, deliver, follow, sign_in
from tests.support.clock import MovableClock
from tests.support.sims import Sims
from tests.support.stack import USERS, LiveApp, live_app


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app(stack: Stack, fresh: Sims, clock: MovableClock) -> Iterator[LiveApp]:
    with live_app(stack, container_overrides={"clock": clock}) as live:
        yield live


async def anna_signed_in(app: LiveApp) -> AsyncIterator[Rep]:
    async with browser() as client:
        response = await sign_in(client, app_url=app.url, username=USERS["anna"]["username"])
        yield Rep(app, client, response.json())


async def refresh_grants(sims: Sims) -> int:
    calls = await sims.entra_requests(endpoint="token")
    return len([c for c in calls if c.get("grant_type") == "refresh_token"])


async def test_a_cached_token_dataverse_refuses_costs_one_forced_refresh(
    app: LiveApp, sims: Sims
) -> None:
    """MSAL holds a token valid that Dataverse refuses (401): one refresh that bypasses MSAL's
    cache, the same request again, and the rep never notices."""
    async for anna in anna_signed_in(app):
        assert (await anna.open(OPEN_ANNA)).status_code == 200

        async def spoil_cached_access_tokens(c: Any) -> None:
            who = {"tenant_id": USERS["anna"]["tenant"], "object_id": USERS["anna"]["oid"]}
            cache, etag = await c.token_caches.get(**who)
            parsed = json.loads(cache)
            for entry in parsed.get("AccessToken", {}).values():
                entry["secret"] = "eyJ0eXAiOiJKV1QifQ.e30.refused"  # well-formed, not valid
            await c.token_caches.put(**who, cache=json.dumps(parsed), etag=etag)

        await app.call(spoil_cached_access_tokens)
        await sims.entra("DELETE", "requests")
        await sims.dataverse("DELETE", "requests")
        view = await anna.get(f"/api/projects/contoso/{OPEN_ANNA}")
        assert view.status_code == 200, view.text
        assert await refresh_grants(sims) == 1
        log = (await sims.dataverse("GET", "requests"))["requests"]
        assert [r["status"] for r in log] == [401, 200]


async def test_a_token_expired_at_dataverse_but_not_for_msal_heals(
    app: LiveApp, sims: Sims
) -> None:
    """Entra's clock was ten minutes behind when the token was issued: it expired at Dataverse
    while MSAL (which counts from ``expires_in``) still holds it valid."""
    await sims.entra("POST", "config", json={"clock_skew": -600, "access_token_lifetime": 590})
    async for anna in anna_signed_in(app):
        await sims.entra("POST", "config", json={"clock_skew": 0, "access_token_lifetime": 3600})
        await sims.entra("DELETE", "requests")
        page = await anna.open(OPEN_ANNA)
        assert page.status_code == 200 and "CRM rollout 2027" in page.text
        assert await refresh_grants(sims) == 1  # renewed silently, no sign-in


async def test_a_revoked_sign_in_ends_in_one_reauthentication_and_nothing_is_lost(
    app: LiveApp, sims: Sims, clock: MovableClock
) -> None:
    # Anna's token is issued by a clock 10 minutes behind: Dataverse accepts it for 20 s more,
    # MSAL holds it valid for minutes.
    await sims.entra("POST", "config", json={"clock_skew": -600, "access_token_lifetime": 620})
    signed_in_at = time.monotonic()
    async for anna in anna_signed_in(app):
        assert (await anna.open(OPEN_ANNA)).status_code == 200
        assert (await anna.choose(OPEN_ANNA)).status_code == 200  # write access: remembered
        await sims.entra("POST", "config", json={"clock_skew": 0, "access_token_lifetime": 3600})
        # Entra revokes Anna's refresh tokens; then Dataverse stops accepting her cached token.
        await sims.entra("POST", "revoke", json={"oid": USERS["anna"]["oid"]})
        await asyncio.sleep(max(0.0, 22 - (time.monotonic() - signed_in_at)))
        result = await anna.evaluate(OPEN_ANNA, answers(0))
        assert result.status_code == 201, result.text  # the evaluation is kept...
        writeback = result.json()["writeback"]
        assert (writeback["status"], writeback["code"]) == ("retrying", "reauth_required")
        # ...and the page asks for a sign-in, never loops (the session is not fresh any more).
        clock.offset += timedelta(minutes=3)
        page = await anna.get(f"/projects/contoso/{OPEN_ANNA}", headers=NAVIGATION)
        assert page.status_code == 303 and page.headers["location"].startswith("/auth/login")
        api = await anna.get(f"/api/projects/contoso/{OPEN_ANNA}")
        assert api.status_code == 401 and api.json()["reauth"] is True

        # The rep signs in again: the new tokens replace the old cache, the page works.
        start = await anna.client.get(f"{app.url}{page.headers['location']}")
        login_page = await follow(anna.client, start)
        back = await follow(
            anna.client,
            await deliver(
                anna.client, await authorize_as(anna.client, login_page, USERS["anna"]["username"])
            ),
        )
        assert back.status_code == 200 and "CRM rollout 2027" in back.text

        # Meanwhile the background writes what Anna asked for, as the app on her behalf.
        clock.offset += timedelta(minutes=10)
        await app.call(lambda c: c.writeback.process_queue())
        record = await crm_record(sims, OPEN_ANNA)
        newest = (await anna.get(f"/api/projects/contoso/{OPEN_ANNA}")).json()
        assert newest["writeback"]["status"] == "written"
        assert str(record["closeprobability"]) in newest["writeback"]["value"]
