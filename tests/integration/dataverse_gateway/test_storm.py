"""200 cockpit reads by one user against a Dataverse simulator limited to 20 concurrent requests
that throttles 30 % of them (Retry-After 1 s): no failures, never more than 20 in flight, and every
retry of a throttled request waits at least the Retry-After the simulator sent. All checks come from
the simulator's request log and counters — counts and the simulator's own timestamps, no wall-clock
assertions in the test."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from shared.adapters.dataverse import DataverseGateway, RetryPolicy
from shared.adapters.wire import Wire
from shared.domain.orgs import CrmOrg
from tests.integration.dataverse_gateway.conftest import MakeCaller
from tests.integration.dataverse_sim.support import OPPS, USERS, SimClient

READS = 200
LIMIT = 20


async def test_storm_of_throttled_reads(
    sim: SimClient, wire: Wire, org: CrmOrg, user: MakeCaller
) -> None:
    await sim.faults(
        throttle_rate=0.3, retry_after=1, concurrency_limit=LIMIT, latency_ms=20, seed=42
    )
    # The cap equals the simulator's limit: the gateway itself must keep within it. Attempts are
    # generous (0.3^12 per read) and the deadline covers the queue behind 200 reads.
    policy = RetryPolicy(max_attempts=12, deadline_seconds=240, per_user_concurrency=LIMIT)
    gateway = DataverseGateway(wire=wire, policy=policy)
    anna = await user("anna")
    ids = list(OPPS.values())
    await sim.clear_log()

    results = await asyncio.gather(
        *(
            gateway.get_opportunity(org=org, opportunity_id=ids[i % len(ids)], caller=anna)
            for i in range(READS)
        ),
        return_exceptions=True,
    )

    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    assert sorted({r.id for r in results if not isinstance(r, BaseException)}) == sorted(ids)

    oid = USERS["anna"]["oid"]
    stats = await sim.stats()
    assert 1 < stats["max_in_flight"][oid] <= LIMIT

    log = await sim.request_log()
    assert all(e["code"] != "0x80072326" for e in log)  # the concurrency limit was never hit
    attempts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in log:
        attempts[entry["client_request_id"]].append(entry)
    assert len(attempts) == READS  # one correlation id per read, kept across its retries
    throttled = 0
    for tries in attempts.values():
        tries.sort(key=lambda e: e["seq"])
        assert tries[-1]["status"] == 200
        for previous, retry in zip(tries, tries[1:], strict=False):
            assert previous["status"] == 429 and previous["code"] == "0x80072322"
            assert retry["start"] >= previous["end"] + previous["retry_after"]
            throttled += 1
    assert throttled == sum(e["status"] == 429 for e in log) > 0
    assert len(log) == READS + throttled
