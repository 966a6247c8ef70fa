"""The write-back log over real HTTP: one entry per outcome as reps evaluate and the background
retries (throttling, field security, a refused impersonation, a vanished column), filters,
"retry now", CSV, and retention enforced by the clean-up timer. (Superseded entries need two
concurrent evaluations: tests/unit/services/test_writeback_log.py.)"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from devstack.stack import Stack
from functions.timers import timers
from tests.integration.admin_support import (
    APP_USER,
    B2B,
    LOST_ANNA,
    OPEN_ANNA,
    Browser,
    answers,
    signed_in,
)
from tests.support.clock import MovableClock
from tests.support.sims import Sims
from tests.support.stack import USERS, LiveApp, live_app

ANNA = USERS["anna"]["oid"]
NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


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
async def ben(app: LiveApp) -> AsyncIterator[Browser]:
    async for b in signed_in(app, "ben"):
        yield b


@pytest.fixture
async def anna(app: LiveApp) -> AsyncIterator[Browser]:
    async for b in signed_in(app, "anna"):
        yield b


def timer(app: LiveApp, name: str):
    functions = func.FunctionApp()
    functions.register_functions(timers(app.container))
    return next(f for f in functions.get_functions() if f.get_function_name() == name)


async def run_timer(app: LiveApp, name: str) -> None:
    fn = timer(app, name).get_user_function()
    await app.call(lambda c: fn(TimerRequest()))


async def ready(anna: Browser, opportunity_id: str) -> None:
    assert (
        await anna.get(f"/projects/contoso/{opportunity_id}", headers=NAVIGATE)
    ).status_code == 200
    chosen = await anna.put(
        f"/api/projects/contoso/{opportunity_id}/solution", {"solution_id": B2B.id}
    )
    assert chosen.status_code == 200, chosen.text


async def evaluate(anna: Browser, opportunity_id: str, level: int) -> str:
    response = await anna.post(
        f"/api/projects/contoso/{opportunity_id}/evaluations", {"answers": answers(level)}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["writeback"]["status"])


async def entries(ben: Browser, **params: str | list[str]) -> list[dict]:
    response = await ben.get("/api/admin/orgs/contoso/log", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["entries"])


async def test_every_outcome_is_logged_filtered_exported_and_expired(
    app: LiveApp, anna: Browser, ben: Browser, sims: Sims, clock: MovableClock
) -> None:
    await ready(anna, OPEN_ANNA)
    await ready(anna, LOST_ANNA)
    assert await evaluate(anna, OPEN_ANNA, 0) == "written"
    assert await evaluate(anna, OPEN_ANNA, 0) == "unchanged"
    assert await evaluate(anna, LOST_ANNA, 0) == "skipped_closed"
    await sims.dataverse("POST", "faults", json={"throttle_rate": 1.0, "retry_after": 1})
    assert await evaluate(anna, OPEN_ANNA, 1) == "retrying"
    await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/faults")
    clock.offset = timedelta(minutes=3)
    await run_timer(app, "writeback_retry")  # the background writes it, as the app for Anna
    clock.offset = timedelta()

    # The application user loses "act on behalf": the next queued write is refused for good.
    await sims.dataverse("POST", "faults", json={"throttle_rate": 1.0, "retry_after": 1})
    assert await evaluate(anna, OPEN_ANNA, 2) == "retrying"
    await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/faults")
    await sims.dataverse(
        "POST", f"users/{APP_USER}", json={"privileges": {"prvActOnBehalfOfAnotherUser": "None"}}
    )
    clock.offset = timedelta(minutes=10)
    await run_timer(app, "writeback_retry")
    clock.offset = timedelta()

    # A secured target column, then one that vanished.
    settings = (await ben.get("/api/admin/orgs/contoso/settings")).json()
    saved = await ben.put(
        "/api/admin/orgs/contoso/settings",
        {"target_field": "cockpit_securedscore", "closed_policy": "skip", "etag": settings["etag"]},
    )
    assert saved.status_code == 200, saved.text
    assert await evaluate(anna, OPEN_ANNA, 0) == "failed"
    await sims.dataverse("DELETE", "metadata/opportunity/attributes/cockpit_securedscore")
    assert await evaluate(anna, OPEN_ANNA, 2) == "failed"

    found = await entries(ben)
    # The background's entries carry the (moved) clock's time, so compare without order.
    writebacks = sorted(e["outcome"] for e in found if e["event"] == "writeback")
    assert writebacks == sorted(
        [
            "written",
            "unchanged",
            "skipped_closed",
            "queued",
            "retried",
            "queued",
            "no_privilege",
            "secured",
            "failed",
        ]
    )
    queued = next(e for e in found if e["outcome"] == "queued")
    assert (queued["level"], queued["code"], queued["user"]) == ("warning", "crm_busy", ANNA)
    assert queued["project_name"] == "CRM rollout 2027" and queued["opportunity_id"] == OPEN_ANNA
    assert any(e["outcome"] == "settings_saved" for e in found)

    # Filters: level, user, opportunity, period.
    errors = await entries(ben, level="error")
    assert sorted(e["outcome"] for e in errors) == ["failed", "no_privilege", "secured"]
    assert {e["outcome"] for e in await entries(ben, user=ANNA)} <= set(writebacks)
    assert [e["outcome"] for e in await entries(ben, opportunity=LOST_ANNA)] == ["skipped_closed"]
    tomorrow = (clock.now() + timedelta(days=1)).date().isoformat()
    assert await entries(ben, since=tomorrow) == []
    paged = await ben.get("/api/admin/orgs/contoso/log", params={"limit": 3})
    older = await ben.get(
        "/api/admin/orgs/contoso/log", params={"limit": 3, "cursor": paged.json()["next_cursor"]}
    )
    assert [e["id"] for e in older.json()["entries"]] == [e["id"] for e in found[3:6]]
    bad = await ben.get("/api/admin/orgs/contoso/log", params={"cursor": "../../x"})
    assert bad.status_code == 400

    # CSV in the reader's language, the same entries.
    exported = await ben.get(
        "/api/admin/orgs/contoso/log.csv", params={"lang": "de", "level": "error"}
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:2] == ["Zeit (UTC)", "Stufe"]
    assert [r[3] for r in rows[1:]] == [e["code"] for e in errors]
    assert all(r[1] == "Fehler" for r in rows[1:])

    # Retry now: the privilege is back, the write goes through on Anna's behalf.
    await sims.dataverse(
        "POST",
        f"users/{APP_USER}",
        json={"privileges": {"prvActOnBehalfOfAnotherUser": "Organization"}},
    )
    settings = (await ben.get("/api/admin/orgs/contoso/settings")).json()
    await ben.put(
        "/api/admin/orgs/contoso/settings",
        {"target_field": "closeprobability", "closed_policy": "skip", "etag": settings["etag"]},
    )
    retried = await ben.post("/api/admin/orgs/contoso/log/retry", {"opportunity_id": OPEN_ANNA})
    assert retried.status_code == 200, retried.text
    assert retried.json()["result"] == "written"
    # A second "retried" entry (the first was the timer's).
    assert [e["outcome"] for e in await entries(ben)].count("retried") == 2

    # Retention: one day, enforced by the clean-up timer two days later.
    kept = await ben.put("/api/admin/orgs/contoso/log/retention", {"days": 1})
    assert kept.json() == {"days": 1}
    assert (await ben.put("/api/admin/orgs/contoso/log/retention", {"days": 0})).status_code == 400
    clock.offset = timedelta(days=2)
    await run_timer(app, "expiry_cleanup")  # also ends every session older than 12 hours
    clock.offset = timedelta()
    async for again in signed_in(app, "ben"):
        left = await entries(again)
        # Only what the clean-up's own health check logged just now (nothing fails here but the
        # simulator's missing solutions table).
        assert {e["event"] for e in left} <= {"health"}, left
