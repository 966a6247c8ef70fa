"""Bulk re-write of 10,000 projects against the Dataverse simulator and Azurite: the request count
(at most 1 % of one PATCH per record), closed opportunities skipped, an interruption by service
protection limits, and the resumed run finishing without writing any record twice."""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from devstack.stack import Stack
from shared.adapters.tables.evaluations import _entity as evaluation_entity
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.projects import ProjectKey
from tests.integration.admin_support import B2B, BEN, Browser, signed_in
from tests.support.sims import Sims
from tests.support.stack import CONTOSO, LiveApp, live_app

COUNT = 10_000
CLOSED = 10
FIELD = "cockpit_scorebig"  # a BigInt column: the probability is rounded half up
BEN_USER = "5e000000-0000-4000-8000-000000000002"
API = "/api/data/v9.2/"


def opp(n: int) -> str:
    return f"0dd00000-0000-4000-8000-{n:012d}"


def probability(n: int) -> Decimal:
    return Decimal(n % 100) + Decimal("0.5")


@pytest.fixture
def app(stack: Stack, fresh: Sims) -> Iterator[LiveApp]:
    with live_app(stack, dataverse_max_attempts=2, dataverse_retry_after_cap_seconds=1) as live:
        yield live


@pytest.fixture
async def ben(app: LiveApp) -> AsyncIterator[Browser]:
    async for b in signed_in(app, "ben"):
        yield b


async def create_opportunities(sims: Sims) -> None:
    """10,000 opportunities through the Web API in ten $batch requests of 1,000 creates
    (execute-batch-operations-using-web-api: at most 1,000 requests per batch), as Ben."""
    await sims.dataverse(
        "POST", f"users/{BEN_USER}", json={"privileges": {"prvCreateOpportunity": "Organization"}}
    )
    token = await sims.mint(
        {
            "aud": sims.stack.dataverse_url,
            "scp": "user_impersonation",
            "oid": BEN["oid"],
            "tid": CONTOSO,
            # Dataverse gets v1 tokens (resource "Dynamics CRM"): the sts.windows.net issuer.
            "iss": f"https://sts.windows.net/{CONTOSO}/",
        }
    )
    for start in range(0, COUNT, 1000):
        boundary = f"batch_{uuid.uuid4().hex}"
        parts = []
        for n in range(start, start + 1000):
            body = json.dumps({"opportunityid": opp(n), "name": f"Bulk deal {n}"})
            parts.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                "Content-Transfer-Encoding: binary\r\n\r\n"
                f"POST {API}opportunities HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
                f"{body}\r\n"
            )
        response = await sims.client.post(
            f"{sims.stack.dataverse_url}{API}$batch",
            content=("".join(parts) + f"--{boundary}--\r\n").encode(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": f"multipart/mixed; boundary={boundary}",
                "OData-Version": "4.0",
            },
        )
        assert response.status_code == 200, response.text[:500]
        assert "HTTP/1.1 204" in response.text and "HTTP/1.1 4" not in response.text
    for n in range(CLOSED):  # closed in Dynamics meanwhile: the org's policy says skip
        await sims.client.patch(
            f"{sims.stack.dataverse_url}/_sim/records/opportunities/{opp(n)}",
            json={"statecode": 2, "statuscode": 4},
        )


async def seed_evaluations(app: LiveApp) -> None:
    """One evaluation per project, straight into the evaluations table (128 at a time: each
    project is its own partition, so no entity-group transaction can carry several)."""

    async def write(container: Any) -> None:
        table = container.tables.client("evaluations")
        gate = asyncio.Semaphore(128)
        now = container.clock.now()

        async def one(n: int) -> None:
            key = ProjectKey(tenant_id=CONTOSO, org="contoso", opportunity_id=opp(n))
            evaluation = Evaluation(
                evaluation_id=uuid.uuid4().hex,
                solution=B2B.ref,
                answers={},
                probability=probability(n),
                evaluated_at=now,
                evaluator=BEN["oid"],
                writeback=WritebackOutcome(status=WritebackStatus.WRITTEN),
                seq=1,
            )
            async with gate:
                await table.upsert_entity(evaluation_entity(key, evaluation))

        await container.tables.probe("evaluations")  # creates the table once
        await asyncio.gather(*(one(n) for n in range(COUNT)))

    await app.call(write)


async def rows(sims: Sims) -> dict[str, dict[str, Any]]:
    found = await sims.dataverse("GET", "records/opportunities")
    return {r["opportunityid"]: r for r in found["value"] if r["opportunityid"].startswith("0dd")}


def version(row: dict[str, Any]) -> int:
    return int(str(row["@odata.etag"]).removeprefix('W/"').rstrip('"'))


async def web_api_requests(sims: Sims) -> list[dict[str, Any]]:
    log = await sims.dataverse("GET", "requests")
    return [r for r in log["requests"] if API in r["path"]]


async def test_10000_projects_take_a_few_requests_and_survive_an_interruption(
    app: LiveApp, ben: Browser, sims: Sims
) -> None:
    await create_opportunities(sims)
    await seed_evaluations(app)
    settings = (await ben.get("/api/admin/orgs/contoso/settings")).json()
    saved = await ben.put(
        "/api/admin/orgs/contoso/settings",
        {"target_field": FIELD, "closed_policy": "skip", "etag": settings["etag"]},
    )
    assert saved.status_code == 200, saved.text
    before = await rows(sims)
    assert len(before) == COUNT
    await sims.dataverse("DELETE", "requests")

    started = await ben.post("/api/admin/orgs/contoso/bulk")
    assert started.status_code == 201, started.text
    assert (started.json()["total"], started.json()["status"]) == (COUNT, "running")
    first = (await ben.post("/api/admin/orgs/contoso/bulk/run", {"max_batches": 3})).json()
    assert (first["status"], first["done"]) == ("running", 3000)

    # Service protection: Ben may send five more requests in this window, then 429s — the run
    # reads the org's opportunities again (3 pages of at most 5,000) and writes two batches.
    await sims.dataverse(
        "POST", "faults", json={"user_request_budget": {"requests": 5, "window_seconds": 300}}
    )
    stopped = (await ben.post("/api/admin/orgs/contoso/bulk/run", {})).json()
    assert (stopped["status"], stopped["error"]) == ("interrupted", "crm_busy")
    assert 3000 < stopped["done"] < COUNT
    await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/faults")

    done = (await ben.post("/api/admin/orgs/contoso/bulk/run", {})).json()
    assert done["status"] == "finished", done
    assert done["counts"] == {
        "written": COUNT - CLOSED,
        "unchanged": 0,
        "skipped_closed": CLOSED,
        "not_visible": 0,
        "failed": 0,
    }

    requests = await web_api_requests(sims)
    writes = [r for r in requests if r["method"] == "POST" and "UpdateMultiple" in r["path"]]
    accepted = [r for r in writes if r["status"] == 204]
    reads = [r for r in requests if r["method"] == "GET"]
    assert len(accepted) == math.ceil(COUNT / 1000)  # one per batch of 1,000
    assert not [r for r in requests if r["method"] == "PATCH"]
    assert len(requests) <= COUNT // 100, [
        (r["method"], r["path"][:80], r["status"]) for r in requests
    ]
    # Reads: the column's metadata once, then one paged read of the opportunities per run.
    assert len([r for r in reads if "opportunities" in r["path"]]) <= 3 * math.ceil(
        (COUNT + 12) / 5000
    )

    after = await rows(sims)
    for n in (0, CLOSED, 4242, COUNT - 1):
        row = after[opp(n)]
        if n < CLOSED:
            assert row[FIELD] is None
        else:
            expected = int(probability(n).quantize(Decimal(1), ROUND_HALF_UP))
            assert row[FIELD] == expected
    # Nothing was written twice: ten accepted UpdateMultiple requests (one per batch; a re-sent
    # batch would be an eleventh) changed exactly the open opportunities.
    changed = [oid for oid in after if version(after[oid]) != version(before[oid])]
    assert len(changed) == COUNT - CLOSED and opp(0) not in changed

    log = (await ben.get("/api/admin/orgs/contoso/log", params={"limit": 200})).json()["entries"]
    outcomes = [e["outcome"] for e in log if e["event"] == "bulk"]
    assert outcomes[0] == "bulk_finished" and outcomes[-1] == "bulk_started"
    assert outcomes.count("bulk_batch") == 10 and outcomes.count("bulk_interrupted") == 1
