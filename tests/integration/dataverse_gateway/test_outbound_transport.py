"""The gateway on the worker's client (aiohttp underneath, the dev CA trusted through an
``ssl.SSLContext``) with a TCP fault proxy between it and the Dataverse simulator: a frozen,
resetting or refusing network is ``crm_unreachable`` (httpx's exceptions reach the transport), and
the same client recovers once the network does."""

from __future__ import annotations

import dataclasses
import gc
import ssl
import warnings
from urllib.parse import urlsplit

import pytest

from shared.adapters.aiohttp_transport import AiohttpOutboundTransport, AiohttpWire
from shared.adapters.dataverse import DataverseGateway, RetryPolicy
from shared.composition.adapters import outbound_http
from shared.domain.crm import CrmCaller
from shared.domain.errors import CrmUnavailable
from shared.domain.orgs import CrmOrg
from tests.integration.dataverse_sim.support import ANNAS_OPEN, TENANT, USERS, SimClient, SimPair
from tests.support.proxy import fault_proxy

pytestmark = pytest.mark.filterwarnings("error")


async def test_a_faulty_network_is_unreachable_and_the_client_recovers(
    gateway_pair: SimPair, tls_context: ssl.SSLContext, sim: SimClient, org: CrmOrg
) -> None:
    token = await sim.user_token("anna")

    async def anna_token(resource: str) -> str:
        return token

    anna = CrmCaller(key=f"{TENANT}:{USERS['anna']['oid']}", token=anna_token)
    port = urlsplit(gateway_pair.org_url).port
    assert port is not None
    with fault_proxy(target_host="localhost", target_port=port) as proxy:
        proxied = dataclasses.replace(org, url=f"https://localhost:{proxy.port}")
        async with outbound_http(verify=tls_context, timeout_seconds=0.5, pool_size=4) as http:
            transport = http.client._transport
            assert isinstance(transport, AiohttpOutboundTransport)
            assert isinstance(http.wire, AiohttpWire)
            policy = RetryPolicy(max_attempts=3, backoff_base=0.01, deadline_seconds=20)
            gateway = DataverseGateway(wire=http.wire, policy=policy)
            once = DataverseGateway(
                wire=http.wire, policy=dataclasses.replace(policy, max_attempts=1)
            )

            async def read(through: DataverseGateway) -> str:
                found = await through.get_opportunity(
                    org=proxied, opportunity_id=ANNAS_OPEN, caller=anna
                )
                return found.id

            assert await read(gateway) == ANNAS_OPEN
            # Frozen: the pooled connection's read timeout (0.5 s), raised by httpx.
            proxy.set_mode("hang")
            with pytest.raises(CrmUnavailable) as frozen:
                await read(once)
            assert frozen.value.code == "crm_unreachable" and "ReadTimeout" in frozen.value.detail
            for mode in ("reset", "refuse"):
                proxy.set_mode(mode)
                with pytest.raises(CrmUnavailable) as down:
                    await read(once)
                assert down.value.code == "crm_unreachable", mode
            assert "ConnectError" in down.value.detail  # refused
            proxy.set_mode("pass")
            assert await read(gateway) == ANNAS_OPEN
            session = transport.session
        assert session is not None and session.closed

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del session
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], caught
