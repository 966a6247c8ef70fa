"""Model quality against the real parts: a seeded history in which one answer always wins and
another always loses; closed deals read live from the Dataverse simulator as the admin (one request
per page), evaluations from Azurite; Brier score and calibration checked against a hand
computation; the suggestion opened as a draft."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from devstack.stack import Stack
from tests.integration.admin_support import B2B, Browser, seed_project, signed_in
from tests.support.sims import Sims
from tests.support.stack import SEED, LiveApp, live_app

OPPS = [o["opportunityid"] for o in SEED["dataverse"]["opportunities"]]
CLOSED_ON = datetime(2026, 3, 31, tzinfo=UTC)
BEFORE = CLOSED_ON - timedelta(days=10)
# (won?, probability, budget answer) — deals A to F
DEALS = [
    (True, "80", "approved"),
    (True, "70", "approved"),
    (True, "60", "planned"),
    (False, "40", "none"),
    (False, "30", "none"),
    (False, "65", "planned"),
]


@pytest.fixture
def app(stack: Stack, fresh: Sims) -> Iterator[LiveApp]:
    with live_app(stack) as live:
        yield live


@pytest.fixture
async def ben(app: LiveApp) -> AsyncIterator[Browser]:
    async for b in signed_in(app, "ben"):
        yield b


async def close(sims: Sims, opportunity_id: str, *, won: bool) -> None:
    response = await sims.client.patch(
        f"{sims.stack.dataverse_url}/_sim/records/opportunities/{opportunity_id}",
        json={
            "statecode": 1 if won else 2,
            "statuscode": 3 if won else 4,
            "actualclosedate": CLOSED_ON.date().isoformat(),
        },
    )
    assert response.status_code == 200, response.text


async def seed_history(app: LiveApp, sims: Sims) -> None:
    # Every Dynamics 365 Sales org has the actual close date (a DateOnly column); the demo seed
    # does not list it yet, so it is added the way an org has it.
    await sims.dataverse(
        "POST",
        "metadata/opportunity/attributes/actualclosedate",
        json={
            "AttributeType": "DateTime",
            "DisplayName": {"en": "Actual Close Date", "de": "Tatsächliches Abschlussdatum"},
            "IsValidForUpdate": True,
            "IsValidForCreate": True,
        },
    )
    for opportunity_id, (won, probability, budget) in zip(OPPS, DEALS, strict=False):
        await seed_project(
            app, opportunity_id, probability=probability, answers={"budget": budget}, at=BEFORE
        )
        await close(sims, opportunity_id, won=won)
    # Deal A was evaluated again after it closed: that evaluation does not count.
    await seed_project(
        app, OPPS[0], probability="5", answers={"budget": "none"}, at=CLOSED_ON + timedelta(days=2)
    )
    # An open deal with a project, and a closed one evaluated only after closing.
    await seed_project(app, OPPS[6], probability="50", answers={"budget": "approved"}, at=BEFORE)
    await seed_project(
        app, OPPS[7], probability="90", answers={"budget": "approved"}, at=CLOSED_ON + timedelta(5)
    )
    await close(sims, OPPS[7], won=False)


async def test_quality_finds_the_winning_and_losing_answers_and_matches_hand_numbers(
    app: LiveApp, ben: Browser, sims: Sims
) -> None:
    await seed_history(app, sims)
    await sims.dataverse("DELETE", "requests")
    response = await ben.get("/api/admin/orgs/contoso/quality")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["closed_deals"], body["after_close_only"], body["close_dates_known"]) == (
        6,
        1,
        True,
    )
    [version] = body["versions"]
    assert (version["solution_id"], version["version"], version["won"], version["lost"]) == (
        B2B.id,
        1,
        3,
        3,
    )
    # (0.2² + 0.3² + 0.4² + 0.4² + 0.3² + 0.65²) / 6 = 0.9625 / 6
    assert Decimal(version["brier"]) == Decimal("0.9625") / 6
    bands = {b["low"]: b for b in version["calibration"] if b["deals"]}
    assert {low: (b["deals"], b["won"]) for low, b in bands.items()} == {
        30: (1, 0),
        40: (1, 0),
        60: (2, 1),
        70: (1, 1),
        80: (1, 1),
    }
    assert Decimal(bands[60]["mean_predicted"]) == Decimal("62.5")
    assert Decimal(bands[60]["win_rate"]) == Decimal("0.5")
    budget = next(c for c in version["criteria"] if c["criterion_id"] == "budget")
    answers = {a["option_id"]: a for a in budget["answers"]}
    assert (answers["approved"]["signal"], answers["approved"]["won"]) == ("always_won", 2)
    assert (answers["none"]["signal"], answers["none"]["deals"]) == ("always_lost", 2)
    assert answers["planned"]["signal"] is None
    assert version["separating"][0] == "budget"

    # Outcomes read live as the admin: the close-date column's metadata, then one request per
    # page of closed opportunities (one page here).
    log = [
        r
        for r in (await sims.dataverse("GET", "requests"))["requests"]
        if "/api/data/" in r["path"]
    ]
    pages = [r for r in log if r["path"].startswith("/api/data/v9.2/opportunities?")]
    assert len(pages) == 1 and "statecode%20ne%200" in pages[0]["path"].replace(" ", "%20")
    assert {r["user"] for r in log} == {ben.me["object_id"]}
    assert len(log) - len(pages) <= 1  # the metadata, cached for the next time
    await sims.dataverse("DELETE", "requests")
    await ben.get("/api/admin/orgs/contoso/quality")
    again = [
        r
        for r in (await sims.dataverse("GET", "requests"))["requests"]
        if "/api/data/" in r["path"]
    ]
    assert len(again) == 1

    page = await ben.get("/admin/quality", params={"lang": "de"})
    assert page.status_code == 200
    assert "immer gewonnen" in page.text and "immer verloren" in page.text
    assert "<svg" in page.text and "Vorhergesagte Wahrscheinlichkeit" in page.text

    opened = await ben.post(f"/api/admin/orgs/contoso/quality/{B2B.id}/versions/1/draft")
    assert opened.status_code == 201, opened.text
    weights = {c["id"]: Decimal(c["weight"]) for c in opened.json()["draft"]["criteria"]}
    suggested = {c["criterion_id"]: Decimal(c["suggested_weight"]) for c in version["criteria"]}
    assert weights == suggested
    assert weights["budget"] > B2B.criterion("budget").weight  # type: ignore[union-attr]
    again_opened = await ben.post(f"/api/admin/orgs/contoso/quality/{B2B.id}/versions/1/draft")
    assert again_opened.status_code == 409 and again_opened.json()["code"] == "draft_exists"
