"""The admin console over real HTTP (the app under uvicorn, Azurite, the Entra ID and Dataverse
simulators): every page in English and German, the role rule, the designer's JSON API from draft to
published version and back out as a file, moving a project, and the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from devstack.stack import Stack
from tests.integration.admin_support import (
    B2B,
    OPEN_ANNA,
    Browser,
    answers,
    signed_in,
)
from tests.support.sims import Sims
from tests.support.stack import LiveApp, live_app

PAGES = (
    "/admin",
    "/admin/solutions",
    "/admin/health",
    "/admin/log",
    "/admin/bulk",
    "/admin/quality",
)


@pytest.fixture
def app(stack: Stack, fresh: Sims) -> Iterator[LiveApp]:
    with live_app(stack) as live:
        yield live


@pytest.fixture
async def ben(app: LiveApp) -> AsyncIterator[Browser]:
    async for b in signed_in(app, "ben"):
        yield b


@pytest.fixture
async def anna(app: LiveApp) -> AsyncIterator[Browser]:
    async for b in signed_in(app, "anna"):
        yield b


async def test_every_admin_page_renders_in_both_languages(ben: Browser) -> None:
    for path in PAGES:
        english = await ben.get(path, params={"lang": "en"})
        assert english.status_code == 200, (path, english.text[:500])
        assert '<html lang="en">' in english.text and "Write-back log" in english.text
        german = await ben.get(path, params={"lang": "de"})
        assert german.status_code == 200, path
        assert '<html lang="de">' in german.text and "Rückschreibprotokoll" in german.text
    health = await ben.get("/admin/health", params={"lang": "de"})
    assert "Schlüssel des Token-Caches" in health.text


async def test_the_admin_role_opens_the_console_and_nothing_else_does(anna: Browser) -> None:
    for path in PAGES:
        assert (await anna.get(path)).status_code == 403, path
    assert (await anna.get("/api/admin/solutions")).status_code == 403
    refused = await anna.post("/api/admin/solutions/drafts", {"solution_id": "x"})
    assert refused.status_code == 403 and refused.json()["code"] == "admin_only"


async def test_designer_api_from_draft_to_version_to_file(ben: Browser) -> None:
    started = await ben.post(
        "/api/admin/solutions/drafts", {"solution_id": B2B.id, "from_version": 1}
    )
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["publishable"] and body["draft"]["based_on"] == 1
    draft = body["draft"]
    draft["criteria"][0]["weight"] = "0"
    draft["criteria"][1]["options"][0]["score"] = 150
    saved = await ben.put(
        f"/api/admin/solutions/{B2B.id}/draft?lang=de", {"draft": draft, "etag": body["etag"]}
    )
    assert saved.status_code == 200, saved.text
    problems = {p["path"]: p for p in saved.json()["problems"] if p["severity"] == "error"}
    assert problems["criteria[0].weight"]["message"].startswith("Die Gewichtung muss")
    assert problems["criteria[1].options[0].score"]["code"] == "percent_range"
    stale = await ben.put(
        f"/api/admin/solutions/{B2B.id}/draft", {"draft": draft, "etag": body["etag"]}
    )
    assert stale.status_code == 409
    refused = await ben.post(f"/api/admin/solutions/{B2B.id}/draft/publish", {})
    assert refused.status_code == 409 and refused.json()["code"] == "draft_invalid"

    draft["criteria"][0]["weight"] = "3"
    draft["criteria"][1]["options"][0]["score"] = 95
    preview = await ben.post("/api/admin/designer/preview", {"draft": draft, "answers": answers(0)})
    assert preview.status_code == 200 and preview.json()["probability"] is not None
    saved = await ben.put(
        f"/api/admin/solutions/{B2B.id}/draft", {"draft": draft, "etag": saved.json()["etag"]}
    )
    published = await ben.post(
        f"/api/admin/solutions/{B2B.id}/draft/publish", {"etag": saved.json()["etag"]}
    )
    assert published.status_code == 201, published.text
    assert published.json() == {
        "id": B2B.id,
        "version": 2,
        "url": f"/admin/solutions/{B2B.id}/versions/2",
    }
    families = {f["solution_id"]: f for f in (await ben.get("/api/admin/solutions")).json()}
    v2 = families[B2B.id]["versions"][-1]
    assert (v2["version"], v2["published_by"], v2["builtin"]) == (2, ben.me["object_id"], False)
    assert families[B2B.id]["draft_etag"] is None

    exported = await ben.get(f"/api/admin/solutions/{B2B.id}/versions/2/export")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    assert exported.json()["criteria"][0]["weight"] == "3"
    imported = await ben.client.post(
        f"{ben.app.url}/api/admin/solutions/import",
        content=exported.content,
        headers={**ben.headers, "Content-Type": "application/json"},
    )
    assert imported.status_code == 201 and imported.json()["draft"]["based_on"] == 2
    bad = await ben.client.post(
        f"{ben.app.url}/api/admin/solutions/import?lang=de",
        content=b"{not json",
        headers={**ben.headers, "Content-Type": "application/json"},
    )
    assert bad.status_code == 400 and bad.json()["detail"].startswith("Die Datei ist keine")
    page = await ben.get(f"/admin/solutions/{B2B.id}/versions/2")
    assert page.status_code == 200 and "version 2" in page.text
    german = await ben.get(f"/admin/solutions/{B2B.id}/versions/2", params={"lang": "de"})
    assert "Projekte in contoso" in german.text
    designer = await ben.get(f"/admin/solutions/{B2B.id}/draft", params={"lang": "de"})
    assert designer.status_code == 200 and "Vorschau" in designer.text
    assert "Something went wrong" not in designer.text + german.text


async def test_moving_a_project_asks_dynamics_as_the_admin(
    ben: Browser, anna: Browser, sims: Sims
) -> None:
    opened = await anna.get(
        f"/projects/contoso/{OPEN_ANNA}",
        headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
    )
    assert opened.status_code == 200
    assert (
        await anna.put(f"/api/projects/contoso/{OPEN_ANNA}/solution", {"solution_id": B2B.id})
    ).status_code == 200
    assert (
        await anna.post(f"/api/projects/contoso/{OPEN_ANNA}/evaluations", {"answers": answers(1)})
    ).status_code == 201
    started = (
        await ben.post("/api/admin/solutions/drafts", {"solution_id": B2B.id, "from_version": 1})
    ).json()
    await ben.post(f"/api/admin/solutions/{B2B.id}/draft/publish", {"etag": started["etag"]})
    counts = await ben.get(f"/api/admin/orgs/contoso/solutions/{B2B.id}/projects")
    assert counts.json()["projects_per_version"] == {"1": 1}
    await sims.dataverse("DELETE", "requests")
    moved = await ben.post(f"/api/admin/orgs/contoso/solutions/{B2B.id}/move", {"to_version": 2})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["moved"], moved.json()["not_allowed"]) == (1, 0)
    log = await sims.dataverse("GET", "requests")
    paths = [r["path"] for r in log["requests"] if "/api/data/" in r["path"]]
    assert any("RetrievePrincipalAccess" in p for p in paths)  # Dynamics was asked, as Ben
    assert {r["user"] for r in log["requests"] if "/api/data/" in r["path"]} == {
        ben.me["object_id"]
    }
    page = (await anna.get(f"/api/projects/contoso/{OPEN_ANNA}")).json()
    assert page["solution"]["version"] == 2
    assert page["history"][0]["model"] == f"{B2B.name}, version 2"
    assert page["model_note"].startswith("Model updated: this project now uses version 2")


async def test_the_openapi_document_describes_the_admin_api(app: LiveApp, ben: Browser) -> None:
    document = (await ben.get("/api/openapi.json")).json()
    paths = document["paths"]
    for path in (
        "/api/admin/solutions",
        "/api/admin/solutions/{solution_id}/draft",
        "/api/admin/designer/preview",
        "/api/admin/health",
        "/api/admin/orgs/{org}/log",
        "/api/admin/orgs/{org}/log.csv",
        "/api/admin/orgs/{org}/bulk/run",
        "/api/admin/orgs/{org}/quality",
    ):
        assert path in paths, path
    health = paths["/api/admin/health"]["get"]["responses"]
    assert health["503"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "HealthOverviewOut"
    )
    schemas = document["components"]["schemas"]
    assert {"SolutionDraft-Input", "QualityOut", "LogPageOut", "BulkJobOut"} <= set(schemas)
    for ref in _refs(document):  # every reference resolves
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    for name, schema in schemas.items():
        # No free-form objects: every property has a declared shape.
        for prop in schema.get("properties", {}).values():
            assert prop.get("additionalProperties") not in ({}, True), name


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []
