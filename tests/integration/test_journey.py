"""The cockpit journey over real HTTP: the app (uvicorn) + Azurite + the Entra ID and Dataverse
simulators; reps sign in through the simulator's page like a browser does."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from devstack.stack import Stack
from shared.domain.solutions import builtin_solutions
from tests.integration.admin_support import Browser
from tests.support.browser import browser, sign_in
from tests.support.sims import Sims
from tests.support.stack import CONTOSO, SEED, USERS, LiveApp, live_app

OPPS = {o["name"]: o for o in SEED["dataverse"]["opportunities"]}
OPEN_ANNA = OPPS["CRM rollout 2027"]["opportunityid"]  # owned by Anna
OPEN_BEN = OPPS["Renewal 2027"]["opportunityid"]  # owned by Ben: Anna may read, not write
LOST = OPPS["Toy line analytics"]["opportunityid"]
B2B = next(s for s in builtin_solutions() if s.language == "en")
# What a browser sends with a top-level navigation (Fetch Metadata).
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none"}
GERMAN = next(s for s in builtin_solutions() if s.language == "de")


@pytest.fixture
def app(stack: Stack, fresh: Sims) -> Iterator[LiveApp]:
    # Fewer CRM retries than production so the throttling test stays quick.
    with live_app(stack, dataverse_max_attempts=2, dataverse_retry_after_cap_seconds=1) as live:
        yield live


class Rep(Browser):
    """A signed-in browser for one seeded user, with the rep's steps."""

    async def launch(self, opportunity_id: str, **params: str) -> httpx.Response:
        query = {
            "id": "{" + opportunity_id.upper() + "}",
            "typename": "opportunity",
            "orgname": "contoso",
            "userlcid": "1033",
            "orglcid": "1033",
            "type": "3",
        }
        query.update(params)
        return await self.get("/launch", params=query)

    async def open(self, opportunity_id: str, **params: str) -> httpx.Response:
        """Click "Open Cockpit": ``/launch``, then the page it redirects to, as a browser
        navigation (the page checks access and creates the project on the first visit)."""
        launched = await self.launch(opportunity_id, **params)
        if launched.status_code != 303:
            return launched
        return await self.get(launched.headers["location"], headers=NAVIGATION)

    async def choose(self, opportunity_id: str, solution_id: str = B2B.id) -> httpx.Response:
        return await self.put(
            f"/api/projects/contoso/{opportunity_id}/solution", {"solution_id": solution_id}
        )

    async def evaluate(self, opportunity_id: str, answers: dict[str, str]) -> httpx.Response:
        return await self.post(
            f"/api/projects/contoso/{opportunity_id}/evaluations", {"answers": answers}
        )


async def signed_in_rep(app: LiveApp, name: str) -> AsyncIterator[Rep]:
    async with browser() as client:
        response = await sign_in(client, app_url=app.url, username=USERS[name]["username"])
        assert response.status_code == 200, response.text
        yield Rep(app, client, response.json())


@pytest.fixture
async def anna(app: LiveApp) -> AsyncIterator[Rep]:
    async for rep in signed_in_rep(app, "anna"):
        yield rep


@pytest.fixture
async def ben(app: LiveApp) -> AsyncIterator[Rep]:
    async for rep in signed_in_rep(app, "ben"):
        yield rep


@pytest.fixture
async def chris(app: LiveApp) -> AsyncIterator[Rep]:
    async for rep in signed_in_rep(app, "chris"):
        yield rep


def answers(level: int) -> dict[str, str]:
    """Every criterion answered with its option number ``level`` (0 = first), no knock-outs."""
    chosen = {}
    for c in B2B.criteria:
        options = [o for o in c.options if o.knockout_cap is None]
        chosen[c.id] = options[min(level, len(options) - 1)].id
    return chosen


async def crm_record(sims: Sims, opportunity_id: str) -> dict[str, Any]:
    record: dict[str, Any] = await sims.dataverse("GET", f"records/opportunities/{opportunity_id}")
    return record


async def dataverse_requests(sims: Sims) -> list[dict[str, Any]]:
    log = await sims.dataverse("GET", "requests")
    return [r for r in log["requests"] if "/api/data/" in r["path"]]


# --- the whole journey -----------------------------------------------------------------------------


async def test_rep_launches_chooses_evaluates_and_the_probability_lands_in_dynamics(
    anna: Rep, sims: Sims
) -> None:
    launched = await anna.launch(OPEN_ANNA, userlcid="1031")
    assert launched.status_code == 303
    assert launched.headers["location"] == f"/projects/contoso/{OPEN_ANNA}?lang=de"

    page = await anna.get(launched.headers["location"])
    assert page.status_code == 200
    assert "Qualifizierungsmodell wählen" in page.text  # German, from userlcid=1031
    assert "CRM rollout 2027" in page.text and "Contoso Pharmaceuticals" in page.text
    assert page.headers["x-frame-options"] == "DENY"

    chosen = await anna.choose(OPEN_ANNA)
    assert chosen.status_code == 200 and chosen.json()["solution_id"] == B2B.id

    result = await anna.evaluate(OPEN_ANNA, answers(0))
    assert result.status_code == 201, result.text
    body = result.json()
    probability = Decimal(body["score"]["probability"])
    assert body["writeback"]["status"] == "written"
    assert "“Probability”" in body["writeback"]["message"]  # the display name
    assert "closeprobability" not in body["writeback"]["message"]
    assert body["writeback"]["can_retry"] is False
    record = await crm_record(sims, OPEN_ANNA)
    assert record["closeprobability"] == int(
        probability.quantize(Decimal(1), rounding="ROUND_HALF_UP")
    )

    page = await anna.get(f"/projects/contoso/{OPEN_ANNA}", params={"lang": "en"})
    assert body["score"]["probability_display"] in page.text
    assert 'id="history"' in page.text and 'data-status="written"' in page.text


async def test_an_admin_changes_the_target_field_and_the_next_write_lands_there(
    anna: Rep, ben: Rep, sims: Sims
) -> None:
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    settings = await ben.get("/api/admin/orgs/contoso/settings")
    assert settings.status_code == 200
    candidates = {c["logical_name"]: c for c in settings.json()["candidates"]}
    # Live metadata: only numeric updatable columns, with type, range and the secured warning.
    assert (
        candidates["cockpit_winprobability"]["type"] == "Decimal"
        and candidates["cockpit_winprobability"]["ok"]
    )
    assert candidates["cockpit_securedscore"]["secured"] is True
    assert candidates["cockpit_smallscore"]["ok"] is False
    assert "msdyn_opportunityscore" not in candidates and "cockpit_nextstep" not in candidates

    saved = await ben.put(
        "/api/admin/orgs/contoso/settings",
        {
            "target_field": "cockpit_winprobability",
            "closed_policy": "skip",
            "etag": settings.json()["etag"],
        },
    )
    assert saved.status_code == 200, saved.text

    result = (await anna.evaluate(OPEN_ANNA, answers(1))).json()
    assert (
        result["writeback"]["status"] == "written"
        and result["writeback"]["field"] == "cockpit_winprobability"
    )
    record = await crm_record(sims, OPEN_ANNA)
    assert Decimal(str(record["cockpit_winprobability"])) == Decimal(
        result["score"]["probability"]
    ).quantize(Decimal("0.01"))
    assert record["closeprobability"] == OPPS["CRM rollout 2027"]["closeprobability"]  # untouched


async def test_admin_save_refuses_a_bad_field_with_the_reason(ben: Rep) -> None:
    for field, code, says in (
        ("cockpit_smallscore", "target_field_refused", "its range cannot hold 0–100"),
        ("nonexistent_field", "target_field_missing", "has no column"),
    ):
        response = await ben.put(
            "/api/admin/orgs/contoso/settings", {"target_field": field, "closed_policy": "skip"}
        )
        assert response.status_code == 409
        assert response.json()["code"] == code and says in response.json()["detail"]
    bad = await ben.put(
        "/api/admin/orgs/contoso/settings", {"target_field": "x/../y", "closed_policy": "skip"}
    )
    assert bad.status_code == 400


async def test_non_admins_get_403_on_the_admin_page_and_api(anna: Rep) -> None:
    assert (await anna.get("/admin")).status_code == 403
    assert (await anna.get("/api/admin/orgs/contoso/settings")).status_code == 403
    response = await anna.put(
        "/api/admin/orgs/contoso/settings",
        {"target_field": "closeprobability", "closed_policy": "skip"},
    )
    assert response.status_code == 403


async def test_the_admin_page_lists_fields_from_live_metadata(ben: Rep) -> None:
    page = await ben.get("/admin")
    assert page.status_code == 200
    assert "cockpit_winprobability" in page.text and "Cockpit Win Probability" in page.text


# --- error paths of the write-back ------------------------------------------------------------------


async def test_a_reader_sees_the_project_but_changes_nothing(
    anna: Rep, chris: Rep, sims: Sims
) -> None:
    """Chris may read every opportunity and write none: the cockpit follows Dynamics."""
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    await anna.evaluate(OPEN_ANNA, answers(0))
    before = await crm_record(sims, OPEN_ANNA)
    page = await chris.open(OPEN_ANNA)
    assert page.status_code == 200 and "CRM rollout 2027" in page.text
    refused = await chris.evaluate(OPEN_ANNA, answers(2))
    assert refused.status_code == 403 and refused.json()["code"] == "read_only_access"
    assert "not change it" in refused.json()["detail"]
    again = await chris.post(f"/api/projects/contoso/{OPEN_ANNA}/writeback")
    assert again.status_code == 403
    history = await chris.get(f"/api/projects/contoso/{OPEN_ANNA}/evaluations")
    assert history.status_code == 200 and len(history.json()) == 1  # only Anna's
    assert await crm_record(sims, OPEN_ANNA) == before
    # Having been told, the page offers Chris no "Write again".
    view = (await chris.get(f"/api/projects/contoso/{OPEN_ANNA}")).json()
    assert view["may_change"] is False and view["writeback"]["can_retry"] is False


async def test_record_level_rights_anna_may_not_change_bens_opportunity(anna: Rep) -> None:
    await anna.open(OPEN_BEN)  # Anna may read all opportunities, write only her own
    refused = await anna.choose(OPEN_BEN)
    assert refused.status_code == 403 and refused.json()["code"] == "read_only_access"
    refused = await anna.evaluate(OPEN_BEN, answers(0))
    assert refused.status_code == 403


async def test_secured_field_is_refused_for_reps_and_works_for_profile_holders(
    anna: Rep, ben: Rep, sims: Sims
) -> None:
    await ben.put(
        "/api/admin/orgs/contoso/settings",
        {"target_field": "cockpit_securedscore", "closed_policy": "skip"},
    )
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    writeback = (await anna.evaluate(OPEN_ANNA, answers(0))).json()["writeback"]
    assert writeback["status"] == "failed" and writeback["code"] == "crm_field_secured"
    assert "field security" in writeback["message"]
    # Ben holds the field security profile: the same write succeeds for him.
    await ben.open(OPEN_BEN)
    await ben.choose(OPEN_BEN)
    writeback = (await ben.evaluate(OPEN_BEN, answers(0))).json()["writeback"]
    assert writeback["status"] == "written"
    assert (await crm_record(sims, OPEN_BEN))["cockpit_securedscore"] is not None


async def test_closed_opportunity_is_not_written_and_the_page_says_why(
    anna: Rep, sims: Sims
) -> None:
    await anna.open(LOST)
    await anna.choose(LOST)
    before = (await crm_record(sims, LOST))["closeprobability"]
    writeback = (await anna.evaluate(LOST, answers(0))).json()["writeback"]
    assert writeback["status"] == "skipped_closed" and "closed" in writeback["message"]
    assert (await crm_record(sims, LOST))["closeprobability"] == before


async def test_deleted_opportunity(anna: Rep, sims: Sims) -> None:
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    await anna.evaluate(OPEN_ANNA, answers(0))
    await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/records/opportunities/{OPEN_ANNA}")
    page = await anna.get(f"/projects/contoso/{OPEN_ANNA}")
    assert page.status_code == 404 and "no longer exists" in page.text
    # Write access was answered within the minute, so the evaluation is kept; the write says why.
    kept = (await anna.evaluate(OPEN_ANNA, answers(1))).json()["writeback"]
    assert kept["status"] == "failed" and kept["code"] == "crm_not_found"
    assert kept["can_retry"] is False
    # A first launch of a deleted opportunity creates nothing and says so.
    gone = await anna.open("0aa00000-0000-4000-8000-0000000000ee")
    assert gone.status_code == 404 and "no longer exists" in gone.text


async def test_throttling_keeps_the_evaluation_and_write_again_succeeds(
    anna: Rep, sims: Sims
) -> None:
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    await sims.dataverse("POST", "faults", json={"throttle_rate": 1.0, "retry_after": 1})
    writeback = (await anna.evaluate(OPEN_ANNA, answers(0))).json()["writeback"]
    assert writeback["status"] == "retrying" and writeback["code"] == "crm_busy"
    await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/faults")
    again = await anna.post(f"/api/projects/contoso/{OPEN_ANNA}/writeback")
    assert again.status_code == 200 and again.json()["writeback"]["status"] == "written"


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "status", "text"),
    [
        ({"id": "not-a-guid"}, 400, "not a valid record id"),
        ({"id": ""}, 400, "Save the opportunity first"),
        ({"typename": "account"}, 400, "opportunities only"),
        ({"orgname": "fabrikam"}, 403, "not set up"),
        ({"userlcid": "abc"}, 400, "1033"),
    ],
)
async def test_bad_launch_parameters_get_a_clear_page(
    anna: Rep, params: dict[str, str], status: int, text: str
) -> None:
    response = await anna.launch(OPEN_ANNA, **params)
    assert response.status_code == status
    assert text in response.text and "Traceback" not in response.text
    assert response.headers["content-type"].startswith("text/html")


async def test_not_signed_in_launch_goes_to_sign_in_and_back(app: LiveApp) -> None:
    async with browser() as client:
        response = await client.get(
            f"{app.url}/launch", params={"id": OPEN_ANNA, "orgname": "contoso"}
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/auth/login?next=%2Flaunch%3Fid%3D")
        final = await sign_in(
            client,
            app_url=app.url,
            username=USERS["anna"]["username"],
            next_path=f"/launch?id={OPEN_ANNA}&orgname=contoso",
        )
        assert final.status_code == 200 and "CRM rollout 2027" in final.text


async def test_bad_api_input_gets_problem_details(anna: Rep) -> None:
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    cases = [
        await anna.evaluate(OPEN_ANNA, {"no_such_criterion": "x"}),
        await anna.post(f"/api/projects/contoso/{OPEN_ANNA}/evaluations", {"answers": "nope"}),
        await anna.post(
            f"/api/projects/contoso/{OPEN_ANNA}/evaluations", {"answers": {}, "extra": 1}
        ),
        await anna.post(
            "/api/projects/contoso/not-a-guid-at-all-0000000000000/evaluations", {"answers": {}}
        ),
        await anna.choose(OPEN_ANNA, "../../etc"),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]
    history = await anna.get(f"/api/projects/contoso/{OPEN_ANNA}/evaluations")
    assert history.json() == []  # nothing half-written


async def test_api_without_csrf_changes_nothing(anna: Rep) -> None:
    await anna.open(OPEN_ANNA)
    response = await anna.client.put(
        f"{anna.app.url}/api/projects/contoso/{OPEN_ANNA}/solution", json={"solution_id": B2B.id}
    )
    assert response.status_code == 403
    project = await anna.get(f"/api/projects/contoso/{OPEN_ANNA}")
    assert project.json()["project"]["solution_id"] is None


async def test_tenant_isolation_frank_cannot_reach_contoso_projects(
    app: LiveApp, anna: Rep
) -> None:
    await anna.open(OPEN_ANNA)
    async with browser() as client:
        await sign_in(client, app_url=app.url, username=USERS["frank"]["username"])
        # Fabrikam has no org here, and contoso is not Fabrikam's: 403 either way, never data.
        response = await client.get(f"{app.url}/api/projects/contoso/{OPEN_ANNA}")
        assert response.status_code == 403
        launch = await client.get(
            f"{app.url}/launch", params={"id": OPEN_ANNA, "orgname": "contoso"}
        )
        assert launch.status_code == 403


# --- budgets (counted, never timed) -------------------------------------------------------------------


async def test_call_budgets(anna: Rep, sims: Sims, app: LiveApp) -> None:
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    await anna.evaluate(OPEN_ANNA, answers(0))  # warms the target field's metadata

    # Launch of an existing project reveals nothing (a redirect to the page, which checks):
    # <= 2 storage ops (here: the session only), 0 Dataverse, 0 token-endpoint calls.
    app.container.storage_counter.reset()
    await sims.dataverse("DELETE", "requests")
    await sims.entra("DELETE", "requests")
    launched = await anna.launch(OPEN_ANNA)
    assert launched.status_code == 303
    assert app.container.storage_counter.total() <= 2, app.container.storage_counter.snapshot()
    assert await dataverse_requests(sims) == []
    assert await sims.token_endpoint_calls() == 0

    # Cockpit view: exactly one Dataverse GET; the session and the token cache read once each,
    # and the cached Dataverse token means no token-endpoint call.
    await sims.dataverse("DELETE", "requests")
    app.container.storage_counter.reset()
    assert (await anna.get(f"/projects/contoso/{OPEN_ANNA}")).status_code == 200
    counts = app.container.storage_counter.snapshot()
    assert counts.get((app.container.tables.name("sessions"), "GET"), 0) == 1
    assert counts.get((app.container.tables.name("token_caches"), "GET"), 0) == 1
    assert await sims.token_endpoint_calls() == 0
    requests = await dataverse_requests(sims)
    assert [r["method"] for r in requests] == ["GET"]
    assert "/opportunities" in requests[0]["path"] and OPEN_ANNA in requests[0]["path"]

    # Evaluate with warm metadata, write access answered within the minute (the choice above):
    # one read for state/etag, exactly one PATCH, no metadata GET.
    await sims.dataverse("DELETE", "requests")
    result = await anna.evaluate(OPEN_ANNA, answers(2))
    assert result.json()["writeback"]["status"] == "written"
    requests = await dataverse_requests(sims)
    assert [r["method"] for r in requests] == ["GET", "PATCH"]
    assert not any("EntityDefinitions" in r["path"] for r in requests)
    assert await sims.token_endpoint_calls() == 0


async def test_100_concurrent_launches_of_10_opportunities_by_3_users_make_10_projects(
    app: LiveApp, anna: Rep, ben: Rep, chris: Rep
) -> None:
    opportunity_ids = [o["opportunityid"] for o in SEED["dataverse"]["opportunities"]][:10]
    reps = [anna, ben, chris]

    async def one(i: int) -> tuple[str, str]:
        rep = reps[i % 3]
        opp = opportunity_ids[i % 10]
        response = await rep.post("/api/launch", {"org": "contoso", "opportunity_id": opp})
        assert response.status_code == 200, response.text
        return opp, response.json()["project_id"]

    results = await asyncio.gather(*(one(i) for i in range(100)))
    per_opportunity: dict[str, set[str]] = {}
    for opp, project_id in results:
        per_opportunity.setdefault(opp, set()).add(project_id)
    assert len(per_opportunity) == 10 and all(len(ids) == 1 for ids in per_opportunity.values())

    async def count(c):
        return len([e async for e in c.tables.client("projects").list_entities()])

    assert await app.call(count) == 10


# --- what the cockpit stores --------------------------------------------------------------------------

ALLOWED_PROPERTIES = {
    # keys and Azure's own
    "PartitionKey",
    "RowKey",
    "Timestamp",
    # projects: ids, the project name, the assigned solution, who created it and when
    "ProjectId",
    "TenantId",
    "Org",
    "OpportunityId",
    "Name",
    "CreatedAt",
    "CreatedBy",
    "SolutionId",
    "SolutionVersion",
    # evaluations: their order, answers, scores, timestamps, evaluator oid, write-back outcome
    "Seq",
    "EvaluationId",
    "Answers",
    "Probability",
    "EvaluatedAt",
    "Evaluator",
    "WritebackStatus",
    "WritebackField",
    "WritebackValue",
    "WritebackCode",
    "WritebackAt",
    # settings
    "TargetField",
    "ClosedPolicy",
    "PredictiveScore",
    # My cockpit: who created or evaluated which project, and when they last did
    "User",
    "Created",
    "Evaluated",
    "LastActivity",
    "UpdatedAt",
    "UpdatedBy",
    # sessions: ids, roles, expiry, the CSRF token; login flows and token caches: sealed blobs
    "ObjectId",
    "Roles",
    "HomeAccountId",
    "CsrfToken",
    "LastSeenAt",
    "ExpiresAt",
    "Flow",
    "Used",
    "Cache",
}


async def test_storage_holds_only_allow_listed_properties_and_no_crm_values(
    anna: Rep, ben: Rep, app: LiveApp
) -> None:
    await ben.put(
        "/api/admin/orgs/contoso/settings",
        {"target_field": "cockpit_winprobability", "closed_policy": "skip"},
    )
    for opp in (OPEN_ANNA, LOST):
        await anna.open(opp)
        await anna.choose(opp)
        await anna.evaluate(opp, answers(1))

    async def dump(c):
        rows = []
        for logical in (
            "projects",
            "evaluations",
            "solutions",
            "settings",
            "sessions",
            "login_flows",
            "token_caches",
            "outbox",
            "my_projects",
        ):
            try:
                rows += [dict(e) async for e in c.tables.client(logical).list_entities()]
            except Exception:  # a table never created is fine
                continue
        return rows

    rows = await app.call(dump)
    assert rows
    for row in rows:
        unexpected = set(row) - ALLOWED_PROPERTIES
        assert not unexpected, unexpected
    text = json.dumps(rows, default=str)
    forbidden = [
        "Contoso Pharmaceuticals",
        "Anna Adams",
        "anna@contoso.example",
        "ben@contoso.example",
        "Maria Meyer",
        "120000",
        "2027-03-31",
        "Schedule discovery call",
    ]
    for value in forbidden:
        assert value not in text, value
    # Names allowed: only project names (the opportunity name at creation).
    assert {r["Name"] for r in rows if "Name" in r} == {"CRM rollout 2027", "Toy line analytics"}
    assert re.search(r"eyJ[A-Za-z0-9_-]{10,}", text) is None  # no JWT anywhere


async def test_the_json_api_is_in_the_openapi_document(app: LiveApp) -> None:
    async with httpx.AsyncClient() as client:
        document = (await client.get(f"{app.url}/api/openapi.json")).json()
    paths = document["paths"]
    for path in (
        "/api/me",
        "/api/launch",
        "/api/projects/{org}/{opportunity_id}",
        "/api/projects/{org}/{opportunity_id}/solution",
        "/api/projects/{org}/{opportunity_id}/evaluations",
        "/api/projects/{org}/{opportunity_id}/writeback",
        "/api/solutions",
        "/api/admin/orgs/{org}/settings",
        "/api/admin/solutions",
    ):
        assert path in paths, path
    assert not any(p.startswith(("/auth", "/embed", "/launch")) for p in paths)  # pages are not API


async def test_when_silent_token_acquisition_fails_api_says_reauth_and_pages_never_loop(
    anna: Rep, sims: Sims, app: LiveApp
) -> None:
    await anna.open(OPEN_ANNA)  # the project exists; Anna's Dataverse token is cached
    # Entra revokes Anna's refresh tokens and her cached access token is gone (expired).
    await sims.entra("POST", "revoke", json={"oid": USERS["anna"]["oid"]})

    async def drop_access_tokens(c):
        stored = await c.token_caches.get(tenant_id=CONTOSO, object_id=USERS["anna"]["oid"])
        cache = json.loads(stored[0])
        cache["AccessToken"] = {}
        await c.token_caches.put(
            tenant_id=CONTOSO,
            object_id=USERS["anna"]["oid"],
            cache=json.dumps(cache),
            etag=stored[1],
        )

    await app.call(drop_access_tokens)
    api = await anna.get(f"/api/projects/contoso/{OPEN_ANNA}")
    assert api.status_code == 401 and api.json()["reauth"] is True
    # Opening an existing project needs no CRM call, so it still works.
    assert (await anna.launch(OPEN_ANNA)).status_code == 303
    # The page: a session this fresh must not be sent round the sign-in again (that would loop).
    page = await anna.get(f"/projects/contoso/{OPEN_ANNA}")
    assert page.status_code == 401 and "still cannot get access" in page.text
    # Inside the Dynamics iframe: the embedded sign-in, never a redirect to Entra.
    embedded = await anna.get(f"/embed/projects/contoso/{OPEN_ANNA}")
    assert embedded.status_code == 200 and 'id="embed-sign-in"' in embedded.text
    assert "location" not in embedded.headers
