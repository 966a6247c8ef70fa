"""Smaller holes the access-rule review found, each closed and tested over real HTTP: who chooses
the login binding, one browser one user, projects created only by navigations, body limits,
versions storage can keep, unframeable error pages under /embed, and outages answered with 503."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from devstack.stack import Stack
from functions.cookies import LOGIN_COOKIE_PREFIX, SESSION_COOKIE
from tests.integration.test_journey import B2B, NAVIGATION, OPEN_ANNA, Rep, signed_in_rep
from tests.support.browser import (
    authorize_as,
    browser,
    cookie_or_none,
    deliver,
    follow,
    set_cookie,
    sign_in,
)
from tests.support.proxy import FaultProxy, fault_proxy
from tests.support.sims import Sims
from tests.support.stack import USERS, LiveApp, live_app


@pytest.fixture
def app(stack: Stack, fresh: Sims) -> Iterator[LiveApp]:
    with live_app(stack, dataverse_interactive_budget_seconds=2) as live:
        yield live


@pytest.fixture
async def anna(app: LiveApp) -> AsyncIterator[Rep]:
    async for rep in signed_in_rep(app, "anna"):
        yield rep


# --- sign-in --------------------------------------------------------------------------------------


async def test_the_login_binding_is_chosen_by_the_server(app: LiveApp) -> None:
    async with browser() as client:
        planted = LOGIN_COOKIE_PREFIX + "0123456789abcdef"
        set_cookie(client, planted, "attacker-chosen")
        first = await client.get(f"{app.url}/auth/login", params={"next": "/"})
        second = await client.get(f"{app.url}/auth/login", params={"next": "/"})
        cookies = [
            v.split(";", 1)[0]
            for r in (first, second)
            for k, v in r.headers.multi_items()
            if k == "set-cookie" and v.startswith(LOGIN_COOKIE_PREFIX)
        ]
        assert len(cookies) == 2 and len(set(cookies)) == 2  # one per sign-in, never reused
        assert not any("attacker-chosen" in c for c in cookies)


async def test_signing_in_as_another_user_revokes_the_earlier_session(app: LiveApp) -> None:
    async with browser() as client:
        await sign_in(client, app_url=app.url, username=USERS["anna"]["username"])
        annas = cookie_or_none(client, SESSION_COOKIE)
        # The same browser, another account (Entra's account picker).
        start = await client.get(
            f"{app.url}/auth/login", params={"next": "/api/me", "prompt": "select_account"}
        )
        page = await follow(client, start)
        me = await follow(
            client,
            await deliver(client, await authorize_as(client, page, USERS["ben"]["username"])),
        )
        assert me.json()["object_id"] == USERS["ben"]["oid"]
        assert cookie_or_none(client, SESSION_COOKIE) not in (None, annas)
    async with browser() as replay:
        assert annas is not None
        set_cookie(replay, SESSION_COOKIE, annas)
        assert (await replay.get(f"{app.url}/api/me")).status_code == 401


# --- projects are made by navigations only --------------------------------------------------------


@pytest.mark.parametrize(
    "fetch_metadata",
    [
        {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script", "Sec-Fetch-Site": "cross-site"},
    ],
)
async def test_a_cross_site_img_or_fetch_creates_no_project(
    anna: Rep, fetch_metadata: dict[str, str]
) -> None:
    page = await anna.get(f"/projects/contoso/{OPEN_ANNA}", headers=fetch_metadata)
    assert page.status_code == 404
    assert (await anna.get(f"/api/projects/contoso/{OPEN_ANNA}")).status_code == 404
    # The rep's own click still creates it.
    assert (await anna.get(f"/projects/contoso/{OPEN_ANNA}", headers=NAVIGATION)).status_code == 200
    framed = {**NAVIGATION, "Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"}
    assert (
        await anna.get(f"/embed/projects/contoso/{OPEN_ANNA}", headers=framed)
    ).status_code == 200


# --- limits ---------------------------------------------------------------------------------------


async def test_bodies_over_the_limit_get_413(anna: Rep, app: LiveApp) -> None:
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    limit = app.container.settings.max_body_bytes
    big = {"answers": {f"c{i}": "x" * 60 for i in range(limit // 60)}}
    response = await anna.post(f"/api/projects/contoso/{OPEN_ANNA}/evaluations", big)
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while reading
        yield b'{"answers": {"a": "'
        for _ in range(limit // 1000 + 1):
            yield b"x" * 1000
        yield b'"}}'

    streamed = await anna.client.post(
        f"{app.url}/api/projects/contoso/{OPEN_ANNA}/evaluations",
        content=chunks(),
        headers={**anna.headers, "content-type": "application/json"},
    )
    assert streamed.status_code == 413
    history = await anna.get(f"/api/projects/contoso/{OPEN_ANNA}/evaluations")
    assert history.json() == []


async def test_a_version_storage_cannot_keep_is_refused_with_400(app: LiveApp) -> None:
    async for ben in signed_in_rep(app, "ben"):
        solution = B2B.model_dump(mode="json")
        for version, status in ((2**31, 400), (2**31 - 1, 201)):
            solution["version"] = version
            response = await ben.client.post(
                f"{app.url}/api/admin/solutions",
                content=json.dumps(solution),
                headers={**ben.headers, "content-type": "application/json"},
            )
            assert response.status_code == status, response.text
        evaluation = await ben.post(
            f"/api/projects/contoso/{OPEN_ANNA}/evaluations",
            {"answers": {}, "solution_version": 2**31},
        )
        assert evaluation.status_code == 400
        as_bool = await ben.post(
            f"/api/projects/contoso/{OPEN_ANNA}/evaluations",
            {"answers": {}, "solution_version": True},
        )
        assert as_bool.status_code == 400  # a bool is not a version


async def test_error_pages_under_embed_are_not_frameable(anna: Rep) -> None:
    for path in ("/embed/nope", "/embed/projects/contoso", "/embedded"):
        response = await anna.get(path)
        assert response.status_code == 404, path
        assert response.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
    page = await anna.get(f"/embed/projects/contoso/{OPEN_ANNA}", headers=NAVIGATION)
    assert page.status_code == 200 and "x-frame-options" not in page.headers


# --- outages: 503 with a reason, never 500 --------------------------------------------------------


async def test_dataverse_failing_or_hanging_answers_503_with_a_retry_hint(
    anna: Rep, sims: Sims
) -> None:
    # Nobody asked Dynamics about this opportunity within the last minute: without an answer
    # the cockpit shows nothing, and says why.
    await sims.dataverse("POST", "faults", json={"unavailable_rate": 1.0})
    down = await anna.get(f"/projects/contoso/{OPEN_ANNA}", headers=NAVIGATION)
    assert down.status_code == 503 and "not reachable" in down.text
    assert down.headers["retry-after"]
    await sims.dataverse("POST", "faults", json={"latency_ms": 10_000})
    slow = await anna.get(f"/projects/contoso/{OPEN_ANNA}", headers=NAVIGATION)
    assert slow.status_code == 503 and "no answer in time" in slow.text  # the 2 s budget
    await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/faults")
    assert (await anna.open(OPEN_ANNA)).status_code == 200
    # Within the minute after Dynamics answered, an outage still shows the page (and says so).
    await sims.dataverse("POST", "faults", json={"unavailable_rate": 1.0})
    page = await anna.get(f"/api/projects/contoso/{OPEN_ANNA}")
    assert page.status_code == 200 and page.json()["crm_error"]


@pytest.fixture
def storage_proxy(stack: Stack) -> Iterator[FaultProxy]:
    parts = dict(p.split("=", 1) for p in stack.storage_connection_string.split(";") if "=" in p)
    endpoint = urlsplit(parts["TableEndpoint"])
    assert endpoint.hostname and endpoint.port
    with fault_proxy(target_host=endpoint.hostname, target_port=endpoint.port) as proxy:
        yield proxy


@pytest.fixture
def app_via_proxy(stack: Stack, fresh: Sims, storage_proxy: FaultProxy) -> Iterator[LiveApp]:
    endpoint = urlsplit(
        dict(p.split("=", 1) for p in stack.storage_connection_string.split(";") if "=" in p)[
            "TableEndpoint"
        ]
    )
    proxied = stack.storage_connection_string.replace(
        f":{endpoint.port}/", f":{storage_proxy.port}/"
    )
    with live_app(stack, storage_connection_string=proxied) as live:
        yield live


@pytest.mark.parametrize("mode", ["reset", "refuse", "hang"])
async def test_storage_unreachable_answers_503_and_recovers(
    app_via_proxy: LiveApp, storage_proxy: FaultProxy, mode: Any
) -> None:
    app = app_via_proxy
    async for anna in signed_in_rep(app, "anna"):
        assert (await anna.open(OPEN_ANNA)).status_code == 200
        storage_proxy.set_mode(mode)
        requests = [anna.get(f"/projects/contoso/{OPEN_ANNA}", headers=NAVIGATION)]
        if (
            mode != "hang"
        ):  # a frozen account costs each request its storage timeout: once is enough
            requests += [
                anna.get(f"/api/projects/contoso/{OPEN_ANNA}"),
                anna.evaluate(OPEN_ANNA, {}),
            ]
        for request in requests:
            response = await request
            assert response.status_code == 503, response.text
            assert "storage" in response.text and response.headers["retry-after"]
        storage_proxy.set_mode("pass")
        assert (await anna.get(f"/api/projects/contoso/{OPEN_ANNA}")).status_code == 200
