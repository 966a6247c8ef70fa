# ruff: noqa: F811  (the journey fixtures are imported by name, as pytest finds them)
"""Issue 15 over real HTTP (the app under uvicorn, Azurite, the Entra ID and Dataverse simulators):
plain words in one language, the closed notice, colleagues' names read live, follow-up tasks,
Dynamics' score widget, My cockpit's one request per page, Storage Access Headers.

Where the Dataverse simulator does not play a Dataverse feature yet (the ``task`` table, the ``In``
query function, ``msdyn_grade`` as the documented choice column), the test still asserts the request
the cockpit sent, then skips the rest with the reason."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.integration.test_journey import (  # noqa: F401  (fixtures)
    B2B,
    GERMAN,
    LOST,
    NAVIGATION,
    OPEN_ANNA,
    OPEN_BEN,
    Rep,
    anna,
    answers,
    app,
    ben,
    chris,
    dataverse_requests,
)
from tests.support.browser import browser
from tests.support.sims import Sims
from tests.support.stack import SEED, USERS, LiveApp

OPPS = {o["name"]: o["opportunityid"] for o in SEED["dataverse"]["opportunities"]}
SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")  # logical names and codes look like this


def visible_text(html: str) -> str:
    """The page's text (no tags, attributes, scripts or styles)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


async def sim_has(sims: Sims, entity_set: str) -> bool:
    response = await sims.client.get(f"{sims.stack.dataverse_url}/_sim/records/{entity_set}")
    return response.status_code == 200


async def german_project_with_history(anna: Rep, ben: Rep) -> None:
    await anna.open(OPEN_ANNA, userlcid="1031")
    await anna.choose(OPEN_ANNA, GERMAN.id)
    chosen = {c.id: c.options[1].id for c in GERMAN.criteria}
    assert (
        await anna.post(f"/api/projects/contoso/{OPEN_ANNA}/evaluations", {"answers": chosen})
    ).status_code == 201
    # Ben (who may write every opportunity) saves the same answers twice more.
    for _ in range(2):
        result = await ben.post(
            f"/api/projects/contoso/{OPEN_ANNA}/evaluations?lang=de", {"answers": chosen}
        )
        assert result.status_code == 201, result.text


async def test_a_german_page_names_colleagues_live_and_shows_no_logical_names(
    anna: Rep, ben: Rep, sims: Sims
) -> None:
    await german_project_with_history(anna, ben)
    await sims.dataverse("DELETE", "requests")
    page = await anna.get(f"/projects/contoso/{OPEN_ANNA}", params={"lang": "de"})
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Ben Becker" in text  # read live as Anna, never stored
    assert "Zuletzt bewertet von Ben Becker am" in text
    assert "3-mal ohne Änderung gespeichert" in text  # three identical saves, folded
    assert "Einstufung" in text and "Gewinnwahrscheinlichkeit im Zeitverlauf" in text
    assert "„Wahrscheinlichkeit“" in text  # the column's German display name
    assert SNAKE.findall(text) == [], SNAKE.findall(text)
    assert "vertriebsqualifizierung-b2b" not in text and " UTC" in text  # model by its name
    # The view: the opportunity read (the read check) and one query for the colleagues' names.
    requests = await dataverse_requests(sims)
    assert [r["method"] for r in requests] == ["GET", "GET"]
    assert "/opportunities" in requests[0]["path"] and "/systemusers" in requests[1]["path"]


async def test_api_answers_follow_the_page_language(anna: Rep) -> None:
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    result = await anna.post(
        f"/api/projects/contoso/{OPEN_ANNA}/evaluations?lang=de", {"answers": answers(1)}
    )
    body = result.json()
    assert "in Dynamics 365 geschrieben" in body["writeback"]["message"]
    assert body["summary"]["grade_label"].startswith("Einstufung ")
    assert body["summary"]["progress_text"].endswith("beantwortet")
    assert body["score"]["factors_negative"] and body["score"]["next_steps"]


async def test_a_closed_opportunity_says_so_before_anyone_answers(anna: Rep) -> None:
    page = await anna.open(LOST, userlcid="1031")
    await anna.choose(LOST, GERMAN.id)
    page = await anna.get(f"/projects/contoso/{LOST}", params={"lang": "de"})
    text = visible_text(page.text)
    assert "Diese Verkaufschance ist geschlossen" in text
    assert text.index("Diese Verkaufschance ist geschlossen") < text.index(
        GERMAN.criteria[0].question
    )


async def test_a_follow_up_task_is_created_as_the_rep_for_the_owner(
    anna: Rep, chris: Rep, sims: Sims
) -> None:
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    await anna.evaluate(OPEN_ANNA, answers(2))
    # Chris may read, not write: refused before anything reaches Dynamics' task table.
    await sims.dataverse("DELETE", "requests")
    refused = await chris.post(
        f"/api/projects/contoso/{OPEN_ANNA}/tasks", {"criterion_id": B2B.criteria[0].id}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "read_only_access"
    assert not any("/tasks" in r["path"] for r in await dataverse_requests(sims))

    bad = await anna.post(f"/api/projects/contoso/{OPEN_ANNA}/tasks", {"criterion_id": 7})
    assert bad.status_code == 400
    await sims.dataverse("DELETE", "requests")
    created = await anna.post(
        f"/api/projects/contoso/{OPEN_ANNA}/tasks", {"criterion_id": B2B.criteria[0].id}
    )
    posts = [r for r in await dataverse_requests(sims) if r["method"] == "POST"]
    assert [r["path"].split("?")[0].rsplit("/", 1)[-1] for r in posts] == ["tasks"]
    assert posts[0]["user"] == USERS["anna"]["oid"]  # as the rep, with her token
    assert created.status_code == 201, created.text
    task = await sims.dataverse("GET", f"records/tasks/{created.json()['task_id']}")
    assert task["subject"].startswith("Follow-up: ")
    # Regarding the opportunity: in its timeline.
    assert task["_regardingobjectid_value"] == OPEN_ANNA
    assert task["regardingobjectid_type"] == "opportunity"
    assert task["_ownerid_value"] == SEED["dataverse"]["opportunities"][0]["_ownerid_value"]


async def test_the_score_widget_gets_the_cockpits_score_when_the_org_wants_it(
    anna: Rep, ben: Rep, sims: Sims
) -> None:
    turned_on = await ben.put("/api/admin/orgs/contoso/predictive-score", {"enabled": True})
    assert turned_on.status_code == 200 and turned_on.json()["predictive_score"] is True
    assert (
        await anna.put("/api/admin/orgs/contoso/predictive-score", {"enabled": False})
    ).status_code == 403
    await anna.open(OPEN_ANNA)
    await anna.choose(OPEN_ANNA)
    await sims.dataverse("DELETE", "requests")
    result = await anna.evaluate(OPEN_ANNA, answers(0))
    assert result.status_code == 201 and result.json()["writeback"]["status"] == "written"
    patches = [r for r in await dataverse_requests(sims) if "msdyn_predictivescores" in r["path"]]
    assert len(patches) == 1 and patches[0]["method"] == "PATCH"
    assert f"msdyn_entityid='{OPEN_ANNA}'" in patches[0]["path"].replace("%27", "'")
    assert patches[0]["user"] != USERS["anna"]["oid"]  # the app writes Dynamics' score table
    rows = await sims.dataverse("GET", "records/msdyn_predictivescores")
    rows = rows.get("value", rows) if isinstance(rows, dict) else rows
    mine = [r for r in rows if str(r.get("msdyn_entityid", "")).lower() == OPEN_ANNA]
    assert mine, result.json().get("predictive")
    assert mine[0]["msdyn_score"] == 100 and mine[0]["msdyn_grade"] == 0
    assert mine[0]["msdyn_scoretrend"] == 3


async def test_my_cockpit_is_one_dataverse_request_per_page(
    anna: Rep, sims: Sims, app: LiveApp
) -> None:
    for name in ("CRM rollout 2027", "Field service expansion", "Renewal 2027"):
        await anna.open(OPPS[name])
    await sims.dataverse("DELETE", "requests")
    page = await anna.get("/my", params={"lang": "en"})
    requests = await dataverse_requests(sims)
    assert requests, page.text[:2000]
    assert len(requests) == 1 and requests[0]["method"] == "GET"
    path = requests[0]["path"].replace("%27", "'").replace("%20", " ")
    assert "Microsoft.Dynamics.CRM.In(PropertyName='opportunityid'" in path
    assert all(OPPS[n] in path for n in ("CRM rollout 2027", "Renewal 2027"))
    assert requests[0]["status"] == 200
    assert page.status_code == 200
    api = (await anna.get("/api/my/projects", params={"sort": "name", "order": "asc"})).json()
    assert [r["name"] for r in api["rows"]] == sorted(r["name"] for r in api["rows"])
    assert len(api["rows"]) == 3 and api["total"] == 3


async def test_my_cockpit_refuses_bad_input_in_the_users_language(anna: Rep) -> None:
    bad = await anna.get("/api/my/projects", params={"sort": "probability", "lang": "de"})
    assert bad.status_code == 400 and "Anfrage ist ungültig" in bad.json()["detail"]
    page = await anna.get("/my", params={"page": "0"}, headers={"Accept": "text/html"})
    assert page.status_code == 400


async def test_storage_access_headers(anna: Rep, app: LiveApp, stack: Any) -> None:
    crm_origin = app.container.settings.frame_ancestors[0]
    query = f"id={OPEN_ANNA}&typename=opportunity&orgname=contoso"
    async with browser() as stranger:
        # A grant exists but is not active: ask the browser to retry with it (no click).
        inactive = await stranger.get(
            f"{app.url}/embed?{query}",
            headers={**NAVIGATION, "Sec-Fetch-Storage-Access": "inactive"},
        )
        assert inactive.status_code == 200 and 'id="embed-sign-in"' in inactive.text
        assert (
            inactive.headers["activate-storage-access"] == f'retry; allowed-origin="{crm_origin}"'
        )
        # No grant: nothing to activate, the embedded sign-in as before.
        none = await stranger.get(
            f"{app.url}/embed?{query}", headers={"Sec-Fetch-Storage-Access": "none"}
        )
        assert "activate-storage-access" not in none.headers
    # The retried request carries the first-party session: the page keeps access for itself
    # and copies the session into the partitioned cookie for the next visits.
    await anna.open(OPEN_ANNA)
    active = await anna.get(
        f"/embed/projects/contoso/{OPEN_ANNA}",
        headers={**NAVIGATION, "Sec-Fetch-Storage-Access": "active", "Sec-Fetch-Dest": "iframe"},
    )
    assert active.status_code == 200 and active.headers["activate-storage-access"] == "load"
    cookie = next(c for c in active.headers.get_list("set-cookie") if "cockpit_psid" in c)
    assert "Partitioned" in cookie and "SameSite=None" in cookie
    plain = await anna.get(f"/embed/projects/contoso/{OPEN_ANNA}")
    assert "activate-storage-access" not in plain.headers


async def test_the_openapi_document_lists_the_new_routes(app: LiveApp) -> None:
    async with httpx.AsyncClient() as client:
        paths = (await client.get(f"{app.url}/api/openapi.json")).json()["paths"]
    for path in (
        "/api/projects/{org}/{opportunity_id}/tasks",
        "/api/my/projects",
        "/api/admin/orgs/{org}/predictive-score",
    ):
        assert path in paths, path
