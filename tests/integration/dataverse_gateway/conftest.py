"""The Dataverse gateway against a real Dataverse simulator (child process, HTTPS) with tokens from
a real Entra ID simulator: one pair per session, a reset simulator per test."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest

from shared.adapters.dataverse import DataverseGateway, RetryPolicy
from shared.adapters.wire import Wire
from shared.composition.adapters import outbound_http
from shared.domain.crm import CrmCaller
from shared.domain.orgs import CrmOrg
from tests.integration.dataverse_sim.support import TENANT, USERS, SimClient, SimPair, running_pair

MakeCaller = Callable[[str], Awaitable[CrmCaller]]


@pytest.fixture(scope="session")
def gateway_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimPair]:
    with running_pair(tmp_path_factory.mktemp("dataverse_gateway")) as pair:
        yield pair


@pytest.fixture
def tls_context(gateway_pair: SimPair) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(gateway_pair.tls.ca_cert))


@pytest.fixture
async def sim(gateway_pair: SimPair, tls_context: ssl.SSLContext) -> AsyncIterator[SimClient]:
    async with httpx.AsyncClient(verify=tls_context, trust_env=False, timeout=30) as http:
        client = SimClient(gateway_pair, http)
        await client.reset()
        yield client
        await client.reset()


@pytest.fixture
def org(gateway_pair: SimPair) -> CrmOrg:
    return CrmOrg(tenant_id=TENANT, name="contoso", url=gateway_pair.org_url)


@pytest.fixture
async def wire(tls_context: ssl.SSLContext) -> AsyncIterator[Wire]:
    """What the composition root builds for the gateway (straight on its aiohttp session):
    explicit timeouts, the CA to trust."""
    async with outbound_http(verify=tls_context, timeout_seconds=10.0, pool_size=50) as outbound:
        yield outbound.wire


@pytest.fixture
def gateway(wire: Wire) -> DataverseGateway:
    policy = RetryPolicy(max_attempts=3, backoff_base=0.05, backoff_max=0.2, deadline_seconds=20)
    return DataverseGateway(wire=wire, policy=policy, metadata_ttl=3600)


@pytest.fixture
def user(sim: SimClient) -> MakeCaller:
    """A CrmCaller for a seeded user whose token comes from the Entra simulator."""

    async def make(name: str) -> CrmCaller:
        token = await sim.user_token(name)
        oid = USERS[name]["oid"]

        async def get_token(resource: str) -> str:
            assert resource == sim.pair.org_url
            return token

        return CrmCaller(key=f"{TENANT}:{oid}", token=get_token)

    return make


@pytest.fixture
def app_caller(sim: SimClient) -> Callable[[str | None], CrmCaller]:
    """The background writer: client-credentials token through MSAL, optional CallerObjectId."""

    def make(impersonate: str | None = None) -> CrmCaller:
        async def get_token(resource: str) -> str:
            return sim.app_token()

        return CrmCaller(key=f"{TENANT}:app", token=get_token, impersonate_object_id=impersonate)

    return make
