"""A real app process killed (SIGKILL) in the middle of an evaluation: before its PATCH, and after
the PATCH landed but before the outcome was recorded. After a restart, the background timer alone
— the app runs it in-process, as under ``make run`` — brings Dynamics to the newest value and the
evaluation to its true outcome, without anyone clicking."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from devstack.process import ManagedProcess, free_port
from devstack.stack import Stack
from shared.adapters.tables.client import TableConnection, Tables
from shared.adapters.tables.evaluations import TableEvaluationStore
from shared.domain.evaluations import Evaluation, WritebackStatus
from shared.domain.projects import ProjectKey
from tests.integration.test_journey import OPEN_ANNA, Rep, answers, crm_record
from tests.support.azurite import unique_prefix
from tests.support.browser import browser, sign_in
from tests.support.proxy import FaultProxy, fault_proxy
from tests.support.sims import Sims
from tests.support.stack import CONTOSO, USERS

KEY = ProjectKey(tenant_id=CONTOSO, org="contoso", opportunity_id=OPEN_ANNA)


@pytest.fixture
def storage_proxy(stack: Stack) -> Iterator[FaultProxy]:
    endpoint = urlsplit(_table_endpoint(stack.storage_connection_string))
    assert endpoint.hostname and endpoint.port
    with fault_proxy(target_host=endpoint.hostname, target_port=endpoint.port) as proxy:
        yield proxy


class AppProcess:
    """``python -m functions`` as the stack runs it, on its own storage prefix, restartable."""

    def __init__(self, stack: Stack, proxy: FaultProxy, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        env = dict(stack.app_environment())
        env.update(
            COCKPIT_PUBLIC_BASE_URL=self.url,
            COCKPIT_STORAGE_CONNECTION_STRING=_through(stack.storage_connection_string, proxy),
            COCKPIT_TABLE_PREFIX=unique_prefix(),
            COCKPIT_WRITEBACK_GRACE_SECONDS="1",
            COCKPIT_LOCAL_TIMERS="true",
        )
        self.env = env
        self.process = ManagedProcess(
            name="cockpit",
            argv=[sys.executable, "-m", "functions", "--port", str(self.port)],
            log_path=log,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            ready_url=f"{self.url}/healthz",
        )

    def start(self) -> None:
        self.process.start(timeout=30)

    def kill(self) -> None:
        pid = self.process.pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)  # no clean-up, no finally blocks: a crash
        self.process.stop()

    def evaluations(self) -> TableEvaluationStore:
        tables = Tables(
            connection=TableConnection(
                connection_string=self.env["COCKPIT_STORAGE_CONNECTION_STRING"]
            ),
            prefix=self.env["COCKPIT_TABLE_PREFIX"],
        )
        return TableEvaluationStore(tables)


@pytest.fixture
def app_process(
    stack: Stack, fresh: Sims, storage_proxy: FaultProxy, tmp_path: Path
) -> Iterator[AppProcess]:
    process = AppProcess(stack, storage_proxy, tmp_path / "app.log")
    process.start()
    try:
        yield process
    finally:
        process.process.stop()


async def until(check: Callable[[], Awaitable[bool]], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def dataverse_log(sims: Sims) -> list[dict[str, Any]]:
    log = await sims.dataverse("GET", "requests")
    return [r for r in log["requests"] if "/api/data/" in r["path"]]


def expected(evaluation: Evaluation) -> int:
    return int(evaluation.probability.quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def test_killed_before_and_after_the_patch_the_timer_alone_converges(
    app_process: AppProcess, storage_proxy: FaultProxy, sims: Sims
) -> None:
    store = app_process.evaluations()
    async with browser() as client:
        response = await sign_in(
            client, app_url=app_process.url, username=USERS["anna"]["username"]
        )
        anna = Rep(app_process, client, response.json())  # type: ignore[arg-type]
        assert (await anna.open(OPEN_ANNA)).status_code == 200
        assert (await anna.choose(OPEN_ANNA)).status_code == 200

        # 1. Killed before the PATCH: Dynamics answers slowly; the evaluation is stored, the
        #    process dies while it is still reading.
        await sims.dataverse("POST", "faults", json={"latency_ms": 3000})
        pending = asyncio.create_task(anna.evaluate(OPEN_ANNA, answers(0)))
        await until(lambda: _stored(store, 1), seconds=20, what="the evaluation to be stored")
        app_process.kill()
        pending.cancel()
        await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/faults")
        assert not [r for r in await dataverse_log(sims) if r["method"] == "PATCH"]
        first = (await store.latest(KEY, limit=1))[0]
        assert first.writeback.status is WritebackStatus.PENDING

        app_process.start()  # nobody clicks: the timer finds the intent and writes it
        await until(lambda: _crm_holds(sims, expected(first)), seconds=30, what="the timer's write")
        await until(lambda: _settled(store, first.seq), seconds=10, what="the recorded outcome")

        # 2. Killed after the PATCH landed, before its outcome was recorded: storage freezes
        #    while the PATCH is on its way, the process dies once Dynamics has the value.
        # The same browser: the session outlived the process (it is stored, not in memory).
        await sims.dataverse("DELETE", "requests")
        await sims.dataverse("POST", "faults", json={"latency_ms": 1500})
        pending = asyncio.create_task(anna.evaluate(OPEN_ANNA, answers(2)))
        await until(lambda: _patch(sims, done=False), seconds=30, what="the PATCH to be sent")
        storage_proxy.set_mode("hang")
        await until(lambda: _patch(sims, done=True), seconds=10, what="the PATCH to land")
        await asyncio.sleep(0.3)
        app_process.kill()
        pending.cancel()
        # The proxy still holds the bytes of the outcome write the dead process had sent; a reset
        # drops them (they died with the process), so "pass" forwards nothing of the old process.
        storage_proxy.set_mode("reset")
        storage_proxy.set_mode("pass")
        await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/faults")
        second = (await store.latest(KEY, limit=1))[0]
        assert second.seq == 2 and second.writeback.status is WritebackStatus.PENDING
        assert (await crm_record(sims, OPEN_ANNA))["closeprobability"] == expected(second)

        app_process.start()
        await until(lambda: _settled(store, second.seq), seconds=30, what="the timer's check")
        final = (await store.latest(KEY, limit=1))[0]
        assert final.writeback.status in (WritebackStatus.UNCHANGED, WritebackStatus.WRITTEN)
        assert (await crm_record(sims, OPEN_ANNA))["closeprobability"] == expected(second)
    await store._tables.close()  # noqa: SLF001 - the test's own client


async def _stored(store: TableEvaluationStore, count: int) -> bool:
    return len(await store.latest(KEY, limit=10)) >= count


async def _settled(store: TableEvaluationStore, seq: int) -> bool:
    newest = await store.latest(KEY, limit=1)
    return bool(newest) and newest[0].seq == seq and newest[0].writeback.status.settled


async def _crm_holds(sims: Sims, value: int) -> bool:
    return bool((await crm_record(sims, OPEN_ANNA))["closeprobability"] == value)


async def _patch(sims: Sims, *, done: bool) -> bool:
    patches = [r for r in await dataverse_log(sims) if r["method"] == "PATCH"]
    return any((r["status"] is not None) == done for r in patches)


def _table_endpoint(connection_string: str) -> str:
    parts = dict(p.split("=", 1) for p in connection_string.split(";") if "=" in p)
    return parts["TableEndpoint"]


def _through(connection_string: str, proxy: FaultProxy) -> str:
    endpoint = _table_endpoint(connection_string)
    port = urlsplit(endpoint).port
    return connection_string.replace(f":{port}/", f":{proxy.port}/")
