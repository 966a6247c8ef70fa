"""Service protection limits as api-limits.md documents them, with small figures so the tests take
seconds: per user, a sliding window of request count and execution time, concurrent requests,
Retry-After, and a penalty that grows while the client keeps sending."""

from __future__ import annotations

import asyncio
import time

from tests.integration.dataverse_sim.support import USERS, SimClient


async def test_defaults_are_the_documented_figures(sim: SimClient) -> None:
    limits = await sim.control("GET", "limits")
    assert limits == {
        "enabled": True,
        "window_seconds": 300.0,
        "max_requests": 6000,
        "max_execution_ms": 1_200_000,
        "max_concurrent": 52,
        "penalty_extension_seconds": 1.0,
        "max_penalty_seconds": 300.0,
    }
    response = await sim.api("GET", "WhoAmI()", await sim.user_token("anna"))
    assert response.headers["x-ms-ratelimit-burst-remaining-xrm-requests"] == "5999"
    assert float(response.headers["x-ms-ratelimit-time-remaining-xrm-requests"]) > 1_199_000


async def test_request_count_per_user_with_a_penalty_that_grows(sim: SimClient) -> None:
    await sim.control(
        "POST",
        "limits",
        json={"max_requests": 3, "window_seconds": 2, "penalty_extension_seconds": 1},
    )
    anna, ben = await sim.user_token("anna"), await sim.user_token("ben")
    remaining = []
    for _ in range(3):
        ok = await sim.api("GET", "WhoAmI()", anna)
        assert ok.status_code == 200
        remaining.append(ok.headers["x-ms-ratelimit-burst-remaining-xrm-requests"])
    assert remaining == ["2", "1", "0"]
    first = await sim.api("GET", "WhoAmI()", anna)
    assert first.status_code == 429
    assert first.json()["error"] == {
        "code": "0x80072322",
        "message": "Number of requests exceeded the limit of 3 over time window of 2 seconds.",
    }
    # Another user is not affected (limits are per user).
    assert (await sim.api("GET", "WhoAmI()", ben)).status_code == 200
    # Requests during the penalty extend it.
    second = await sim.api("GET", "WhoAmI()", anna)
    third = await sim.api("GET", "WhoAmI()", anna)
    waits = [int(r.headers["Retry-After"]) for r in (first, second, third)]
    assert waits[0] >= 1 and waits[2] > waits[0]
    stats = (await sim.stats())["protection"][USERS["anna"]["oid"]]
    assert stats["throttled"] == 3 and stats["blocked_for_seconds"] > 0
    started = time.monotonic()
    await asyncio.sleep(waits[2])
    again = await sim.api("GET", "WhoAmI()", anna)
    assert again.status_code == 200, (again.status_code, time.monotonic() - started)


async def test_execution_time_limit(sim: SimClient) -> None:
    await sim.control("POST", "limits", json={"max_execution_ms": 50, "window_seconds": 2})
    await sim.faults(latency_ms=60)
    anna = await sim.user_token("anna")
    assert (await sim.api("GET", "WhoAmI()", anna)).status_code == 200
    throttled = await sim.api("GET", "WhoAmI()", anna)
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "0x80072321"
    assert "exceeded limit of 50 milliseconds" in throttled.json()["error"]["message"]


async def test_concurrent_requests_beyond_the_limit_fail_at_once(sim: SimClient) -> None:
    await sim.control("POST", "limits", json={"max_concurrent": 2})
    await sim.faults(latency_ms=300)
    anna = await sim.user_token("anna")
    responses = await asyncio.gather(*(sim.api("GET", "WhoAmI()", anna) for _ in range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 429, 429]
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json()["error"] == {
        "code": "0x80072326",
        "message": "Number of concurrent requests exceeded the limit of 2.",
    }
    assert int(refused.headers["Retry-After"]) >= 1


async def test_a_batch_counts_as_one_request(sim: SimClient) -> None:
    await sim.control("POST", "limits", json={"max_requests": 2, "window_seconds": 60})
    anna = await sim.user_token("anna")
    boundary = "batch_limits"
    parts = "".join(
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        "GET /api/data/v9.2/WhoAmI() HTTP/1.1\r\nAccept: application/json\r\n\r\n"
        for _ in range(3)
    )
    batch = await sim.api(
        "POST",
        "$batch",
        anna,
        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
        content=(parts + f"--{boundary}--\r\n").encode(),
    )
    assert batch.status_code == 200 and batch.text.count("HTTP/1.1 200 OK") == 3
    assert (await sim.api("GET", "WhoAmI()", anna)).status_code == 200
    assert (await sim.api("GET", "WhoAmI()", anna)).status_code == 429
