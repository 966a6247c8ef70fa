"""One client's workload against the Dataverse simulator, run in a fresh interpreter by
``tests/bench/dataverse_clients.py`` (``python -m tests.bench.dataverse_workload JOB_JSON``).

Each client does the same job — the cockpit's read (the opportunity's columns, its account's name,
formatted values) and its write-back (one numeric column, never an upsert) — in its own way:

- ``gateway``: ``DataverseGateway`` as the composition root builds it (its wire from
  ``outbound_http``, straight on aiohttp; production retry policy and pool sizes),
  ``get_opportunity`` and ``write_number``;
- ``gateway-httpx``: the same through an httpx client on httpx's default transport (httpcore),
  the production path until aiohttp, so the difference shows side by side;
- ``gateway-paced``: ``gateway`` with the learned request budget (``RetryPolicy``);
- ``microsoft``: ``PowerPlatform-Dataverse-Client``'s ``AsyncDataverseClient`` (aiohttp),
  unmodified: ``records.retrieve`` with the same ``$select``/``$expand``/annotations and
  ``records.update``. It retries network errors only; a 429 raises ``HttpError``;
- ``plain``: httpx with the gateway's request shapes and a per-request loop that retries a 429
  after its ``Retry-After`` — nothing shared between requests.

A fresh process per run: Microsoft's client builds its TLS context from ``SSL_CERT_FILE`` when
aiohttp is imported, and no run inherits another's connections or caches. The run starts after
a warm-up (connections, the client's own metadata look-ups), with the simulator's log cleared and
its service protection windows reset, so the log holds exactly the run's requests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import ssl
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from shared.adapters.dataverse import DataverseGateway, RetryPolicy, parse_retry_after
from shared.adapters.dataverse.gateway import BASE_SELECT, READ_PREFER, WRITE_PREFER
from shared.composition.adapters import outbound_http
from shared.domain.crm import CrmCaller
from shared.domain.orgs import CrmOrg

CLIENTS = ("gateway", "gateway-httpx", "gateway-paced", "microsoft", "plain")
FIELD = "closeprobability"
EXPAND = "parentaccountid($select=name)"
ANNOTATIONS = READ_PREFER.split("=", 1)[1].strip('"')
# The production defaults of shared/settings.py (dataverse_* and http_pool_size).
POLICY = RetryPolicy(
    max_attempts=5, retry_after_cap=30.0, deadline_seconds=60.0, per_user_concurrency=8
)
TIMEOUT_SECONDS = 15.0  # dataverse_timeout_seconds
POOL_SIZE = 16  # http_pool_size
TIMEOUT = httpx.Timeout(TIMEOUT_SECONDS, connect=5.0)
LIMITS = httpx.Limits(max_connections=2 * POOL_SIZE, max_keepalive_connections=POOL_SIZE)
WARM_UP = 8

Op = Callable[[str, int], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    client: str
    org_url: str
    ca_file: str
    token: str
    user_key: str
    ids: list[str]
    concurrency: int
    operations: int
    limits: dict[str, Any]
    budget_seconds: float


@dataclass(frozen=True)
class Ops:
    read: Op
    update: Op


def _tls(job: Job) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=job.ca_file)


@asynccontextmanager
async def _gateway(job: Job) -> AsyncIterator[Ops]:
    org = CrmOrg(tenant_id="bench", name="contoso", url=job.org_url)

    async def token(_: str) -> str:
        return job.token

    caller = CrmCaller(key=job.user_key, token=token)
    transport = None  # the composition root's own: the wire straight on aiohttp
    if job.client == "gateway-httpx":
        transport = httpx.AsyncHTTPTransport(verify=_tls(job), limits=LIMITS, trust_env=False)
    async with outbound_http(
        verify=_tls(job), timeout_seconds=TIMEOUT_SECONDS, pool_size=POOL_SIZE, transport=transport
    ) as http:
        # The limits' window as the simulator runs it (documented 300 s, scaled in the bench).
        window = float(job.limits.get("window_seconds", 300.0))
        paced = job.client == "gateway-paced"
        policy = dataclasses.replace(
            POLICY, limit_window_seconds=window, learn_request_budget=paced
        )
        gateway = DataverseGateway(wire=http.wire, policy=policy)

        async def read(oid: str, _: int) -> None:
            await gateway.get_opportunity(org=org, opportunity_id=oid, caller=caller)

        async def update(oid: str, value: int) -> None:
            await gateway.write_number(
                org=org, opportunity_id=oid, field=FIELD, value=value, caller=caller
            )

        yield Ops(read, update)


class _StaticCredential:
    """An ``AsyncTokenCredential`` handing out the run's token (the Entra simulator minted it)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + 3600)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> _StaticCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


@asynccontextmanager
async def _microsoft(job: Job) -> AsyncIterator[Ops]:
    from PowerPlatform.Dataverse.aio import AsyncDataverseClient
    from PowerPlatform.Dataverse.core.config import DataverseConfig

    credential: Any = _StaticCredential(job.token)
    async with AsyncDataverseClient(job.org_url, credential, DataverseConfig()) as client:

        async def read(oid: str, _: int) -> None:
            await client.records.retrieve(
                "opportunity",
                oid,
                select=list(BASE_SELECT),
                expand=[EXPAND],
                include_annotations=ANNOTATIONS,
            )

        async def update(oid: str, value: int) -> None:
            await client.records.update("opportunity", oid, {FIELD: value})

        yield Ops(read, update)


@asynccontextmanager
async def _plain(job: Job) -> AsyncIterator[Ops]:
    api = f"{job.org_url}/api/data/v9.2/"
    base = {
        "Accept": "application/json",
        "OData-MaxVersion": "4.0",
        "OData-Version": "4.0",
        "If-None-Match": "null",
        "Authorization": f"Bearer {job.token}",
    }
    async with httpx.AsyncClient(
        verify=_tls(job), timeout=TIMEOUT, limits=LIMITS, trust_env=False
    ) as http:

        async def send(method: str, url: str, headers: dict[str, str], body: bytes | None) -> None:
            deadline = time.monotonic() + POLICY.deadline_seconds
            for attempt in range(1, POLICY.max_attempts + 1):
                response = await http.request(
                    method, url, headers={**base, **headers}, content=body
                )
                if response.status_code != 429:
                    response.raise_for_status()
                    json.loads(response.content or b"{}")
                    return
                wait = POLICY.throttle_wait(
                    parse_retry_after(response.headers.get("retry-after")), attempt
                )
                if attempt == POLICY.max_attempts or time.monotonic() + wait > deadline:
                    response.raise_for_status()
                await asyncio.sleep(wait)

        select = ",".join(BASE_SELECT)

        async def read(oid: str, _: int) -> None:
            url = f"{api}opportunities?$select={select}&$expand={EXPAND}&$filter=opportunityid eq {oid}"
            await send("GET", url, {"Prefer": READ_PREFER}, None)

        async def update(oid: str, value: int) -> None:
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "If-Match": "*",
                "Prefer": WRITE_PREFER,
            }
            body = json.dumps({FIELD: value}).encode()
            await send("PATCH", f"{api}opportunities({oid})", headers, body)

        yield Ops(read, update)


FACTORIES = {
    "gateway": _gateway,
    "gateway-httpx": _gateway,
    "gateway-paced": _gateway,
    "microsoft": _microsoft,
    "plain": _plain,
}


async def _control(job: Job, method: str, path: str, body: Any = None) -> None:
    async with httpx.AsyncClient(verify=_tls(job), trust_env=False, timeout=30) as http:
        response = await http.request(method, f"{job.org_url}/_sim/{path}", json=body)
        response.raise_for_status()


async def _drive(ops: Ops, job: Job, count: int, budget: float | None = None) -> dict[str, int]:
    """``count`` operations (reads and updates alternating) by ``job.concurrency`` workers. After
    ``budget`` seconds whatever has not finished is cancelled and counted as unfinished: a client
    that locks its user out for good must not hold the bench for half an hour."""
    queue = iter(range(count))
    outcome = {"ok": 0, "failed": 0}

    async def worker() -> None:
        for i in queue:
            oid = job.ids[(i // 2) % len(job.ids)]
            try:
                if i % 2 == 0:
                    await ops.read(oid, i)
                else:
                    await ops.update(oid, i % 100)
                outcome["ok"] += 1
            except Exception:  # every failure counts, whatever its kind
                outcome["failed"] += 1

    tasks = [asyncio.create_task(worker()) for _ in range(job.concurrency)]
    _, pending = await asyncio.wait(tasks, timeout=budget)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    outcome["unfinished"] = count - outcome["ok"] - outcome["failed"]
    return outcome


async def run(job: Job) -> dict[str, Any]:
    async with FACTORIES[job.client](job) as ops:
        # Fresh windows (documented figures) for the warm-up, then fresh ones for the run: a
        # penalty left by the previous run must not fail this one's warm-up.
        await _control(job, "POST", "limits", {})
        warm = await _drive(ops, job, WARM_UP)
        if warm["ok"] != WARM_UP:
            raise RuntimeError(f"{job.client}: warm-up failed: {warm}")
        await _control(job, "POST", "limits", job.limits)
        await _control(job, "DELETE", "requests")
        start, cpu = time.monotonic(), time.process_time()
        outcome = await _drive(ops, job, job.operations, job.budget_seconds)
        end, cpu = time.monotonic(), time.process_time() - cpu
    return {"start": start, "end": end, "cpu": cpu, **outcome}


def main(argv: list[str]) -> int:
    job = Job(**json.loads(argv[1]))
    print(json.dumps(asyncio.run(run(job))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
