"""`make bench`: timing ratios measured in one run on this machine. Never asserted — these machines
are noisy — only printed, each next to its goal for comparison.

1. Launch throughput: "Open Cockpit" on an existing project through the whole app (the session's
   point read + routing, cookies, headers, the redirect to the page that checks access) against
   Azurite, versus one point read alone. Goal ≥ 0.4; 1.0 is the ceiling (a launch reveals nothing,
   so it reads only the session).
2. Cold import of ``function_app`` versus importing exactly the third-party modules it pulls in.
   Goal ≤ 1.15× (no network or disk I/O at import, little work of our own; telemetry is imported
   only when switched on).
3. Load test (tests/bench/load.py): the app under uvicorn at 1, 8, 16, 32 and 64 requests at once,
   side by side; the figures that chose perInstanceConcurrency (docs/deploy.md, "Concurrency").
4. Dataverse clients (tests/bench/dataverse_clients.py): our gateway, Microsoft's async client and
   a plain per-request retry against the Dataverse simulator with its service protection limits,
   with and without sustained over-limit load (docs/dataverse-client-bench.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.app import create_app
from functions.cookies import SESSION_COOKIE
from shared.bootstrap import build_container
from shared.domain.identity import Session, hash_secret, new_csrf_token, new_session_id
from shared.domain.projects import Project, ProjectKey
from tests.bench.dataverse_clients import run_comparison
from tests.bench.load import report, run_load_test
from tests.support.azurite import running_azurite, unique_prefix
from tests.support.settings import explicit_environment, explicit_settings

REPO = Path(__file__).resolve().parents[2]
TENANT = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
# One request at a time shows the per-request cost; 16 at once shows throughput when Python and
# Azurite (Node) compete for the machine's 2 cores.
CONCURRENCY_LEVELS = (1, 16)
ROUNDS = 3
N = 800


async def _launch_ratio(connection_string: str, concurrency: int) -> tuple[float, float]:
    settings = explicit_settings(
        storage_connection_string=connection_string, table_prefix=unique_prefix()
    )
    container = build_container(settings)
    app = create_app(container=container)
    # The app logs one JSON line per request, as in production; into /dev/null here, so the cost
    # is measured but the terminal is not flooded.
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_cockpit", False) and isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # lives as long as the bench
    now = datetime.now(UTC)
    session_id = new_session_id()
    await container.sessions.create(
        Session(
            id_hash=hash_secret(session_id),
            tenant_id=TENANT,
            object_id="bench",
            roles=frozenset(),
            home_account_id="bench.t",
            csrf_token=new_csrf_token(),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=12),
        )
    )
    opportunity = str(uuid.uuid4())
    key = ProjectKey.parse(tenant_id=TENANT, org="contoso", opportunity_id=opportunity)
    await container.projects.create_or_open(
        Project(
            key=key, project_id=uuid.uuid4().hex, name="bench", created_at=now, created_by="bench"
        )
    )

    # The app is driven as the Functions worker / uvicorn drive it: one ASGI call per request, with
    # no HTTP client in between (a client's own cost is not the app's, and the point reads below
    # have none either).
    headers = [(b"host", b"localhost"), (b"cookie", f"{SESSION_COOKIE}={session_id}".encode())]
    query = f"id={opportunity}&orgname=contoso&typename=opportunity".encode()

    async def launch_once() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/launch",
            "raw_path": b"/launch",
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "server": ("localhost", 80),
            "client": ("127.0.0.1", 50000),
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)  # type: ignore[arg-type]
        assert sent[0]["status"] == 303, sent

    async def launches(n: int) -> None:
        await _run(n, launch_once, concurrency)

    async def point_reads(n: int) -> None:
        async def one() -> None:
            assert await container.projects.get(key) is not None

        await _run(n, one, concurrency)

    await launches(50)  # warm up both paths
    await point_reads(50)
    launch_rates, read_rates = [], []
    for _ in range(ROUNDS):
        launch_rates.append(N / await _timed(launches(N)))
        read_rates.append(N / await _timed(point_reads(N)))
    await container.aclose()
    return statistics.median(launch_rates), statistics.median(read_rates)


async def _run(n: int, one: Callable[[], Awaitable[None]], concurrency: int) -> None:
    semaphore = asyncio.Semaphore(concurrency)

    async def guarded() -> None:
        async with semaphore:
            await one()

    await asyncio.gather(*(guarded() for _ in range(n)))


async def _timed(coro: Awaitable[None]) -> float:
    start = time.perf_counter()
    await coro
    return time.perf_counter() - start


# The app settings a Function App would have (the app has no defaults for them).
_APP_ENV = {**os.environ, **explicit_environment()}


def _import_seconds(code: str, runs: int = 7) -> float:
    """Minimum wall time of a fresh interpreter running ``code`` (the minimum is the least noisy)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, env=_APP_ENV
        )
        best = min(best, time.perf_counter() - start)
    return best


def _third_party_modules() -> list[str]:
    """Every non-project module that importing ``function_app`` loads, in load order."""
    probe = (
        "import sys, json; before = list(sys.modules); import function_app; "
        "ours = ('function_app', 'functions', 'shared', 'devstack', 'tests'); "
        "print(json.dumps([m for m in sys.modules if m not in before and not m.startswith(ours)]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        env=_APP_ENV,
    )
    names: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return names


def _baseline_code(modules: list[str]) -> str:
    # Some modules only import as a side effect of their parent; skip what cannot be imported alone.
    return (
        "import importlib\n"
        f"for name in {modules!r}:\n"
        "    try:\n        importlib.import_module(name)\n    except Exception:\n        pass\n"
    )


def main() -> int:
    print("Opportunity Cockpit — make bench (ratios from one run; not assertions)\n")
    print("1. launch-open throughput vs the same storage point read alone (Azurite)")
    print("   (goal >= 0.40; 1.00 is the ceiling: a launch reads only the session, then redirects)")
    for concurrency in CONCURRENCY_LEVELS:
        with tempfile.TemporaryDirectory() as tmp, running_azurite(Path(tmp)) as azurite:
            launch_rate, read_rate = asyncio.run(
                _launch_ratio(azurite.connection_string, concurrency)
            )
        print(
            f"   {concurrency:>2} at a time: {launch_rate:6.0f} launches/s vs {read_rate:6.0f} point reads/s"
            f" -> ratio {launch_rate / read_rate:.2f}"
        )

    modules = _third_party_modules()
    deps = _import_seconds(_baseline_code(modules))
    ours = _import_seconds("import function_app")
    print(
        f"\n2. cold import: function_app {ours * 1000:.0f} ms vs its {len(modules)} dependency modules alone {deps * 1000:.0f} ms"
    )
    print(f"   ratio {ours / deps:.2f}x  (goal <= 1.15x)")

    print("\n3. load test: the app under uvicorn (one worker) at n requests at once vs 1 at a time")
    with tempfile.TemporaryDirectory() as tmp, running_azurite(Path(tmp)) as azurite:
        results = run_load_test(azurite.connection_string, Path(tmp))
    report(results, print)

    print("\n4. Dataverse clients side by side: 500 reads + 500 updates as one user (simulator)")
    with tempfile.TemporaryDirectory() as tmp:
        run_comparison(Path(tmp), lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
