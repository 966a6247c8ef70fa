"""The access rule over real HTTP: for users whose Dynamics rights are narrower than "read
everything", every route that reveals or changes project data is decided by Dataverse, live, as
that user — whether or not the project exists, and the admin role is no bypass.

Users (the simulator's users, narrowed through its control API where the seed has no such user):
Dana is no Dataverse user; "disabled" and "own records only" are Chris with his Dataverse user
disabled or his read/write privileges at User depth (he owns no opportunity); Chris as seeded may
read every opportunity and write none.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from devstack.stack import Stack
from shared.domain.projects import ProjectKey
from tests.integration.test_journey import (
    B2B,
    GERMAN,
    NAVIGATION,
    OPEN_ANNA,
    OPPS,
    Rep,
    answers,
    crm_record,
    dataverse_requests,
    signed_in_rep,
)
from tests.support.clock import MovableClock
from tests.support.sims import Sims
from tests.support.stack import SEED, LiveApp, live_app

# Anna's too, but nobody opened it: no project.
NO_PROJECT = OPPS["Field service expansion"]["opportunityid"]
CHRIS_SYSTEMUSER = next(
    u["systemuserid"] for u in SEED["dataverse"]["systemusers"] if u["fullname"] == "Chris Cole"
)
NARROW = {
    "not a Dataverse user": ("dana", None),
    "disabled": ("chris", {"isdisabled": True}),
    "own records only": (
        "chris",
        {"privileges": {"prvReadOpportunity": "User", "prvWriteOpportunity": "User"}},
    ),
}
# What a refusal must never contain: the project's name, its answers, its probability.
PROJECT_DATA = ["CRM rollout 2027", "Field service expansion", *B2B.criteria[0].id.split()]

Route = Callable[[Rep, str], Awaitable[httpx.Response]]


async def page(rep: Rep, opp: str) -> httpx.Response:
    return await rep.get(f"/projects/contoso/{opp}", headers=NAVIGATION)


async def embed(rep: Rep, opp: str) -> httpx.Response:
    return await rep.get(
        f"/embed/projects/contoso/{opp}", headers={**NAVIGATION, "Sec-Fetch-Dest": "iframe"}
    )


async def view_api(rep: Rep, opp: str) -> httpx.Response:
    return await rep.get(f"/api/projects/contoso/{opp}")


async def history(rep: Rep, opp: str) -> httpx.Response:
    return await rep.get(f"/api/projects/contoso/{opp}/evaluations")


async def evaluate(rep: Rep, opp: str) -> httpx.Response:
    return await rep.evaluate(opp, answers(2))


async def change_solution(rep: Rep, opp: str) -> httpx.Response:
    return await rep.choose(opp, GERMAN.id)


async def write_again(rep: Rep, opp: str) -> httpx.Response:
    return await rep.post(f"/api/projects/contoso/{opp}/writeback")


async def delete(rep: Rep, opp: str) -> httpx.Response:
    return await rep.client.delete(f"{rep.app.url}/api/projects/contoso/{opp}", headers=rep.headers)


async def launch_existing(rep: Rep, opp: str) -> httpx.Response:
    launched = await rep.launch(opp)
    assert launched.status_code == 303  # the redirect itself reveals nothing and reads nothing
    return await rep.get(launched.headers["location"], headers=NAVIGATION)


READS: dict[str, Route] = {
    "page": page,
    "embed": embed,
    "view API": view_api,
    "history": history,
    "launch of an existing project": launch_existing,
}
CHANGES: dict[str, Route] = {
    "evaluate": evaluate,
    "solution change": change_solution,
    "write again": write_again,
    "delete": delete,
}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app(stack: Stack, fresh: Sims, clock: MovableClock) -> Iterator[LiveApp]:
    with live_app(stack, container_overrides={"clock": clock}) as live:
        yield live


@pytest.fixture
async def anna(app: LiveApp) -> AsyncIterator[Rep]:
    async for rep in signed_in_rep(app, "anna"):
        yield rep


@pytest.fixture
async def project(anna: Rep) -> str:
    """Anna's opportunity with a project, a solution and one evaluation written to Dynamics."""
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    assert (await anna.evaluate(OPEN_ANNA, answers(0))).status_code == 201
    return OPEN_ANNA


async def narrowed(app: LiveApp, sims: Sims, who: str) -> AsyncIterator[Rep]:
    user, change = NARROW[who]
    if change is not None:
        await sims.dataverse("POST", f"users/{CHRIS_SYSTEMUSER}", json=change)
    async for rep in signed_in_rep(app, user):
        yield rep


def without_reference(response: httpx.Response) -> tuple[int, str]:
    """Status and body with the per-request correlation id blanked out."""
    text = response.text
    cid = response.headers.get("x-correlation-id")
    return response.status_code, text.replace(cid, "<cid>") if cid else text


@pytest.mark.parametrize("who", list(NARROW))
async def test_refused_users_can_neither_read_nor_change_anything(
    app: LiveApp, sims: Sims, project: str, who: str
) -> None:
    record_before = await crm_record(sims, project)
    evaluations_before = await app.call(lambda c: c.evaluations.latest(_key(project), limit=50))
    async for rep in narrowed(app, sims, who):
        await sims.dataverse("DELETE", "requests")
        for name, route in {**READS, **CHANGES}.items():
            with_project = await route(rep, project)
            without_project = await route(rep, NO_PROJECT)
            assert with_project.status_code == 403, (name, with_project.text)
            # The same answer whether or not a project exists: nobody can probe for projects.
            assert without_reference(with_project) == without_reference(without_project), name
            for secret in PROJECT_DATA:
                assert secret not in with_project.text, (name, secret)
            if with_project.headers["content-type"].startswith("application/"):
                assert with_project.json()["code"] == "no_access", name
        # Nothing was written to Dynamics, nothing stored.
        assert not [r for r in await dataverse_requests(sims) if r["method"] != "GET"]
    assert await crm_record(sims, project) == record_before
    after = await app.call(lambda c: c.evaluations.latest(_key(project), limit=50))
    assert after == evaluations_before
    assert NO_PROJECT not in json.dumps(await _project_ids(app))


async def test_a_reader_may_see_but_not_change(app: LiveApp, sims: Sims, project: str) -> None:
    record_before = await crm_record(sims, project)
    async for chris in signed_in_rep(app, "chris"):
        for name, route in READS.items():
            response = await route(chris, project)
            assert response.status_code == 200, (name, response.text)
            shown = '"probability":"100.0"' if name == "history" else "CRM rollout 2027"
            assert shown in response.text, name
        for name, route in CHANGES.items():
            response = await route(chris, project)
            assert response.status_code == 403, (name, response.text)
            assert response.json()["code"] == "read_only_access", name
        # A reader opening an opportunity nobody opened yet: the page may create the project
        # (read access) — a first look is not a change of anything in Dynamics.
        assert (await page(chris, NO_PROJECT)).status_code == 200
    assert await crm_record(sims, project) == record_before


async def test_the_admin_role_is_no_bypass(app: LiveApp, sims: Sims, project: str) -> None:
    """Ben is Cockpit.Admin; without read privilege in Dynamics he sees nothing of a project."""
    ben_systemuser = next(
        u["systemuserid"] for u in SEED["dataverse"]["systemusers"] if u["fullname"] == "Ben Becker"
    )
    await sims.dataverse(
        "POST", f"users/{ben_systemuser}", json={"privileges": {"prvReadOpportunity": "None"}}
    )
    async for ben in signed_in_rep(app, "ben"):
        assert (await view_api(ben, project)).status_code == 403
        assert (await change_solution(ben, project)).status_code == 403
        assert (await ben.get("/admin")).status_code == 200  # the role opens the admin pages


async def test_a_revoked_right_takes_effect_within_a_minute(
    sims: Sims, project: str, anna: Rep, clock: MovableClock
) -> None:
    """Answers are reused for at most 60 s: a right removed in Dynamics is enforced afterwards."""
    assert (await history(anna, project)).status_code == 200
    anna_systemuser = next(
        u["systemuserid"] for u in SEED["dataverse"]["systemusers"] if u["fullname"] == "Anna Adams"
    )
    await sims.dataverse(
        "POST", f"users/{anna_systemuser}", json={"privileges": {"prvReadOpportunity": "None"}}
    )
    clock.offset += timedelta(seconds=61)
    refused = await history(anna, project)
    assert refused.status_code == 403 and refused.json()["code"] == "no_access"


def _key(opportunity_id: str) -> ProjectKey:
    return ProjectKey(
        tenant_id=SEED["tenants"][0]["id"], org="contoso", opportunity_id=opportunity_id
    )


async def _project_ids(app: LiveApp) -> list[str]:
    async def ids(c: Any) -> list[str]:
        return [e["OpportunityId"] async for e in c.tables.client("projects").list_entities()]

    return await app.call(ids)
