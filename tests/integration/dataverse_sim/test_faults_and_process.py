"""Scripted service-protection faults, the request log, and the process lifecycle (SIGTERM)."""

from __future__ import annotations

import asyncio
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

from devstack.process import free_port
from tests.integration.dataverse_sim.support import REPO_ROOT, USERS, SimClient, dataverse_argv


async def test_concurrency_limit_answers_429_0x80072326(sim: SimClient) -> None:
    await sim.faults(concurrency_limit=2, latency_ms=1000, retry_after=3)
    token = await sim.user_token("anna")
    responses = await asyncio.gather(*(sim.api("GET", "WhoAmI()", token) for _ in range(6)))
    throttled = [r for r in responses if r.status_code == 429]
    assert throttled, "six parallel requests against a limit of two"
    for response in throttled:
        assert response.headers["Retry-After"] == "3"
        assert response.json()["error"] == {
            "code": "0x80072326",
            "message": "Number of concurrent requests exceeded the limit of 2.",
        }
    log = await sim.request_log()
    assert all(e["in_flight_at_start"] <= 2 for e in log if e["status"] == 200)
    assert all(e["in_flight_at_start"] > 2 for e in log if e["status"] == 429)
    assert sum(e["status"] == 200 for e in log) == 6 - len(throttled)


async def test_request_budget_per_user_sliding_window(sim: SimClient) -> None:
    await sim.faults(user_request_budget={"requests": 3, "window_seconds": 60})
    anna = await sim.user_token("anna")
    statuses = [(await sim.api("GET", "WhoAmI()", anna)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    last = await sim.api("GET", "WhoAmI()", anna)
    assert last.json()["error"]["code"] == "0x80072322"
    assert (
        last.json()["error"]["message"]
        == "Number of requests exceeded the limit of 3 over time window of 60 seconds."
    )
    assert 1 <= int(last.headers["Retry-After"]) <= 60
    assert (await sim.api("GET", "WhoAmI()", await sim.user_token("ben"))).status_code == 200


async def test_throttle_and_outage_injection_apply_to_the_web_api_only(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    await sim.faults(throttle_rate=1.0, retry_after=7, throttle_code="0x80072321")
    throttled = await sim.api("GET", "WhoAmI()", token)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    assert throttled.json()["error"]["code"] == "0x80072321"
    assert (await sim.control("GET", "health"))["status"] == "ok"  # control API unaffected

    await sim.faults(unavailable_rate=1.0, unavailable_status=503)
    assert (await sim.api("GET", "WhoAmI()", token)).status_code == 503
    await sim.faults(unavailable_rate=1.0, unavailable_status=504)
    assert (await sim.api("GET", "WhoAmI()", token)).status_code == 504
    stats = await sim.stats()
    assert stats["throttled"] == {USERS["anna"]["oid"]: 1}


async def test_seeded_faults_repeat(sim: SimClient) -> None:
    token = await sim.user_token("anna")

    async def run() -> list[int]:
        await sim.faults(throttle_rate=0.4, unavailable_rate=0.2, seed=7)
        return [(await sim.api("GET", "WhoAmI()", token)).status_code for _ in range(15)]

    first = await run()
    assert first == await run()
    assert {200, 429} <= set(first)


async def test_fault_settings_are_validated(sim: SimClient) -> None:
    for bad in (
        {"throttle_rate": 2},
        {"unavailable_status": 418},
        {"latency": 5},
        {"concurrency_limit": 0},
    ):
        response = await sim.http.post(f"{sim.pair.org_url}/_sim/faults", json=bad)
        assert response.status_code == 422
    assert (await sim.control("GET", "faults"))["concurrency_limit"] == 52


async def test_request_log_and_stats(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    await sim.api("GET", "WhoAmI()", token, headers={"x-ms-client-request-id": "op-1"})
    await sim.api("GET", "Opportunities", token)
    await sim.api("GET", "WhoAmI()", None)
    log = await sim.request_log()
    assert [e["seq"] for e in log] == sorted(e["seq"] for e in log)
    first, second, anonymous = log
    assert first["user"] == USERS["anna"]["oid"] and first["method"] == "GET"
    assert first["path"] == "/api/data/v9.2/WhoAmI()" and first["status"] == 200
    assert first["client_request_id"] == "op-1" and first["start"] <= first["end"]
    assert first["in_flight_at_start"] == 1
    assert (second["status"], second["code"]) == (404, "0x8006088a")
    assert anonymous["user"] is None and anonymous["status"] == 401
    stats = await sim.stats()
    assert stats["max_in_flight"] == {USERS["anna"]["oid"]: 1}
    assert stats["requests"] == 3
    await sim.clear_log()
    assert await sim.request_log() == []


async def test_sigterm_stops_the_simulator_cleanly(sim: SimClient, tmp_path: Path) -> None:
    port = free_port()
    argv = dataverse_argv(
        port=port,
        org_url=f"https://localhost:{port}",
        entra_url=sim.pair.entra_url,
        tls=sim.pair.tls,
    )
    log = (tmp_path / "dv.log").open("wb")
    process = subprocess.Popen(
        argv, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        context = ssl.create_default_context(cafile=str(sim.pair.tls.ca_cert))
        deadline = time.monotonic() + 60
        ready = False
        with httpx.Client(verify=context, trust_env=False, timeout=1) as client:
            while not ready and time.monotonic() < deadline and process.poll() is None:
                try:
                    ready = client.get(f"https://localhost:{port}/_sim/health").status_code == 200
                except httpx.HTTPError:
                    time.sleep(0.05)
        assert ready, (tmp_path / "dv.log").read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


async def test_cli_refuses_a_missing_seed(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstack.dataverse",
            "--seed",
            str(tmp_path / "nope.json"),
            "--tls-cert",
            "x",
            "--tls-key",
            "y",
            "--entra-url",
            "https://localhost:1",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "seed file not found" in result.stderr
