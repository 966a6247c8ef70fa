"""The app as the load test serves it under uvicorn (``--factory tests.bench.load_app:create``):
the real app and the real storage adapters against Azurite, with Entra and Dataverse replaced by
fakes, Dataverse answering after a fixed delay (its typical latency, BENCH_CRM_LATENCY_MS).

Every request therefore does what it does in Azure (session and project point reads, routing,
templates or JSON, middleware, headers) and waits for Dataverse the way it would, without the
network. Configuration comes from the environment the bench process sets (BENCH_*)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

from fastapi import FastAPI

from functions.app import create_app
from shared.bootstrap import build_container
from shared.domain.crm import CrmCaller, Opportunity
from shared.domain.orgs import CrmOrg
from tests.support.fakes import FakeCrm, FakeIdentity, opportunity
from tests.support.settings import explicit_settings


class SlowCrm(FakeCrm):
    """Dataverse with a fixed answer time; every opportunity exists."""

    def __init__(self, latency_seconds: float) -> None:
        super().__init__()
        self.latency = latency_seconds

    async def get_opportunity(
        self,
        *,
        org: CrmOrg,
        opportunity_id: str,
        caller: CrmCaller,
        extra_fields: Sequence[str] = (),
    ) -> Opportunity:
        await caller.token(org.url)
        await asyncio.sleep(self.latency)
        return opportunity(opportunity_id)


def create() -> FastAPI:
    settings = explicit_settings(
        storage_connection_string=os.environ["BENCH_STORAGE"],
        table_prefix=os.environ["BENCH_TABLE_PREFIX"],
        log_level="WARNING",
    )
    latency = float(os.environ.get("BENCH_CRM_LATENCY_MS", "150")) / 1000
    container = build_container(settings, crm=SlowCrm(latency), identity=FakeIdentity())
    return create_app(container=container)
