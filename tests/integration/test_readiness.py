"""Readiness tells the truth: storage, Entra ID and each Dataverse org, each ok or down with a
reason — against the real stack, with storage cut through a TCP fault proxy and an org whose
address answers nothing."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from devstack.process import free_port
from devstack.stack import Stack
from tests.support.proxy import FaultProxy, fault_proxy
from tests.support.stack import CONTOSO, LiveApp, live_app


@pytest.fixture
def storage_proxy(stack: Stack) -> Iterator[FaultProxy]:
    parts = dict(p.split("=", 1) for p in stack.storage_connection_string.split(";") if "=" in p)
    endpoint = urlsplit(parts["TableEndpoint"])
    assert endpoint.hostname and endpoint.port
    with fault_proxy(target_host=endpoint.hostname, target_port=endpoint.port) as proxy:
        yield proxy


@pytest.fixture
def app(stack: Stack, storage_proxy: FaultProxy) -> Iterator[LiveApp]:
    endpoint = urlsplit(
        dict(p.split("=", 1) for p in stack.storage_connection_string.split(";") if "=" in p)[
            "TableEndpoint"
        ]
    )
    proxied = stack.storage_connection_string.replace(
        f":{endpoint.port}/", f":{storage_proxy.port}/"
    )
    orgs = [
        {"tenant_id": CONTOSO, "name": "contoso", "url": stack.dataverse_url},
        # An org whose address answers nothing (nobody listens there).
        {"tenant_id": CONTOSO, "name": "gone", "url": f"https://localhost:{free_port()}"},
    ]
    with live_app(stack, storage_connection_string=proxied, crm_orgs=orgs) as live:
        yield live


async def ready(app: LiveApp) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"{app.url}/healthz/ready")


async def test_readiness_names_each_dependency(app: LiveApp, storage_proxy: FaultProxy) -> None:
    answer = await ready(app)
    body = answer.json()
    checks = body["checks"]
    assert checks["storage"]["status"] == "ok" and checks["identity"]["status"] == "ok"
    assert checks["dataverse:contoso"] == {"status": "ok", "reason": "answers (HTTP 401)"}
    assert checks["dataverse:gone"]["status"] == "down"
    assert body["status"] == "down" and answer.status_code == 503
    assert "secret" not in answer.text.lower() and "key" not in answer.text.lower()

    storage_proxy.set_mode("hang")
    hanging = (await ready(app)).json()["checks"]
    assert hanging["storage"] == {"status": "down", "reason": "no answer within 2 s"}
    assert hanging["identity"]["status"] == "ok"  # one dependency down says nothing of the others
    storage_proxy.set_mode("pass")
    # Liveness stays cheap and only asks storage.
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{app.url}/healthz")).status_code == 200
