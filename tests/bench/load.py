"""Load test: the app under uvicorn (one worker process, as the Functions Python worker) served at
several concurrency levels, side by side with one request at a time.

Why: Flex Consumption sends each instance at most ``perInstanceConcurrency`` HTTP requests at once,
and Python apps default to 1 (Learn, "Azure Functions concurrency" / "Flex Consumption plan").
This app is async end to end and mostly waits on Dataverse, Entra ID and storage, so one request per
instance would leave it idle while every further request goes to another (cold) instance.
docs/deploy.md records the figures that chose the value in infra/app/function.bicep.

Two request kinds, each against Azurite through the real storage adapters:
- view: GET /api/projects/{org}/{id} (session + project reads, Dataverse answering after
  BENCH_CRM_LATENCY_MS, the JSON view);
- launch: GET /launch?id=... for an existing project (two point reads, a redirect).

Printed per level: requests/s, median and p95 latency, and their ratios to level 1.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from devstack.process import free_port, port_is_open
from functions.cookies import SESSION_COOKIE
from shared.bootstrap import build_container
from shared.domain.identity import Session, hash_secret, new_csrf_token, new_session_id
from shared.domain.projects import Project, ProjectKey
from tests.support.azurite import unique_prefix
from tests.support.settings import explicit_settings

REPO = Path(__file__).resolve().parents[2]
TENANT = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
LEVELS = (1, 8, 16, 32, 64)
CRM_LATENCY_MS = 150


@dataclass(frozen=True)
class Level:
    concurrency: int
    rate: float
    p50_ms: float
    p95_ms: float


async def _seed(storage: str, prefix: str) -> tuple[str, str]:
    """A session with a token cache and an existing project; returns (session id, opportunity)."""
    container = build_container(
        explicit_settings(storage_connection_string=storage, table_prefix=prefix)
    )
    now = datetime.now(UTC)
    session_id, object_id = new_session_id(), "bench-user"
    await container.sessions.create(
        Session(
            id_hash=hash_secret(session_id),
            tenant_id=TENANT,
            object_id=object_id,
            roles=frozenset(),
            home_account_id=f"{object_id}.{TENANT}",
            csrf_token=new_csrf_token(),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=12),
        )
    )
    await container.token_caches.put(tenant_id=TENANT, object_id=object_id, cache="{}", etag=None)
    opportunity = str(uuid.uuid4())
    key = ProjectKey.parse(tenant_id=TENANT, org="contoso", opportunity_id=opportunity)
    await container.projects.create_or_open(
        Project(key=key, project_id=uuid.uuid4().hex, name="bench", created_at=now, created_by="b")
    )
    await container.aclose()
    return session_id, opportunity


async def _measure(
    client: httpx.AsyncClient, path: str, *, concurrency: int, expect: int, n: int
) -> Level:
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with semaphore:
            began = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - began)
            assert response.status_code == expect, (response.status_code, response.text[:200])

    await asyncio.gather(*(one() for _ in range(min(concurrency * 2, n))))  # warm up
    latencies.clear()
    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return Level(
        concurrency=concurrency,
        rate=n / elapsed,
        p50_ms=statistics.median(ordered) * 1000,
        p95_ms=ordered[int(len(ordered) * 0.95) - 1] * 1000,
    )


async def _run_levels(
    base_url: str, session_id: str, paths: dict[str, tuple[str, int]]
) -> dict[str, list[Level]]:
    results: dict[str, list[Level]] = {name: [] for name in paths}
    cookies = {SESSION_COOKIE: session_id}
    # Idle connections are dropped after 2 s, before uvicorn's own 5 s keep-alive timeout closes
    # them: otherwise a request may go out on a connection the server is closing at that moment
    # (httpx.ReadError), as happened at the start of a level after a slow one.
    limits = httpx.Limits(
        max_connections=max(LEVELS), max_keepalive_connections=max(LEVELS), keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(
        base_url=base_url, cookies=cookies, limits=limits, timeout=60, trust_env=False
    ) as client:
        for name, (path, expect) in paths.items():
            for concurrency in LEVELS:
                n = max(60, concurrency * 12)
                level = await _measure(client, path, concurrency=concurrency, expect=expect, n=n)
                results[name].append(level)
    return results


def _serve(storage: str, prefix: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BENCH_STORAGE": storage,
        "BENCH_TABLE_PREFIX": prefix,
        "BENCH_CRM_LATENCY_MS": str(CRM_LATENCY_MS),
    }
    argv = [
        sys.executable, "-m", "uvicorn", "--factory", "tests.bench.load_app:create",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not port_is_open("127.0.0.1", port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"uvicorn did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return process


def run_load_test(storage: str, tmp: Path) -> dict[str, list[Level]]:
    """Serve the app under uvicorn against ``storage`` and measure every level."""
    prefix = unique_prefix()
    session_id, opportunity = asyncio.run(_seed(storage, prefix))
    port = free_port()
    server = _serve(storage, prefix, port, tmp / "uvicorn.log")
    try:
        paths = {
            f"view (Dataverse {CRM_LATENCY_MS} ms)": (f"/api/projects/contoso/{opportunity}", 200),
            "launch (storage only)": (
                f"/launch?id={opportunity}&orgname=contoso&typename=opportunity",
                303,
            ),
        }
        return asyncio.run(_run_levels(f"http://127.0.0.1:{port}", session_id, paths))
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def report(results: dict[str, list[Level]], say: Callable[[str], None]) -> None:
    for name, levels in results.items():
        base = levels[0]
        say(f"   {name}")
        say("     at once   req/s  vs 1   p50 ms  p95 ms  p95 vs 1")
        for level in levels:
            say(
                f"     {level.concurrency:>7} {level.rate:7.0f} {level.rate / base.rate:5.1f}x"
                f" {level.p50_ms:8.0f} {level.p95_ms:7.0f} {level.p95_ms / base.p95_ms:8.1f}x"
            )
