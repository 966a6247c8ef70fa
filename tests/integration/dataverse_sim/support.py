"""An Entra ID simulator + Dataverse simulator pair as child processes on free ports, and a small
client for tests: real tokens (the Entra simulator's ``/_sim/mint`` and MSAL client credentials),
raw Web API calls and the Dataverse simulator's control API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msal
import requests

from devstack import children
from devstack.process import ManagedProcess, free_ports
from devstack.tls import TlsFiles, make_tls_files

REPO_ROOT = Path(__file__).resolve().parents[3]
SEED_PATH = REPO_ROOT / "devstack" / "seed" / "demo.json"
SEED: dict[str, Any] = json.loads(SEED_PATH.read_text(encoding="utf-8"))
TENANT = SEED["dataverse"]["orgs"][0]["tenant"]
COCKPIT = SEED["apps"][0]
OTHER_APP = SEED["apps"][2]
USERS = {u["username"].split("@")[0]: u for u in SEED["users"]}
SYSTEMUSERS = {u["fullname"].split()[0].lower(): u for u in SEED["dataverse"]["systemusers"]}
APP_USER = next(u for u in SEED["dataverse"]["systemusers"] if u.get("applicationid"))
SEED_OPPORTUNITIES: list[dict[str, Any]] = SEED["dataverse"]["opportunities"]
OPPS = {o["name"]: o["opportunityid"] for o in SEED["dataverse"]["opportunities"]}
API = "/api/data/v9.2/"

# Seeded opportunities the tests rely on (see devstack/seed/demo.json).
ANNAS_OPEN = "0aa00000-0000-4000-8000-000000000001"  # owner Anna, open
BENS_OPEN = "0aa00000-0000-4000-8000-000000000003"  # owner Ben, open
ANNAS_LOST = "0aa00000-0000-4000-8000-000000000004"  # owner Anna, statecode 2
ANNAS_WON = "0aa00000-0000-4000-8000-000000000005"  # owner Anna, statecode 1
MISSING = "0aa00000-0000-4000-8000-0000000000ff"
# The Entra simulator's managed-identity endpoint secret for these tests (App Service's
# IDENTITY_HEADER); the endpoint is http://localhost:{entra http port}/msi/token.
IDENTITY_HEADER = "sim-pair-identity-header"


@dataclass
class SimPair:
    entra_url: str
    org_url: str
    tls: TlsFiles
    entra_http_url: str
    entra: ManagedProcess
    dataverse: ManagedProcess

    def dataverse_argv(self, port: int) -> list[str]:
        return dataverse_argv(
            port=port, org_url=f"https://localhost:{port}", entra_url=self.entra_url, tls=self.tls
        )


def dataverse_argv(*, port: int, org_url: str, entra_url: str, tls: TlsFiles) -> list[str]:
    return children.dataverse_argv(
        seed=SEED_PATH, port=port, tls=tls, org_name="contoso", org_url=org_url, entra_url=entra_url
    )


@contextmanager
def running_pair(directory: Path) -> Iterator[SimPair]:
    """Start the Entra ID simulator, then the Dataverse simulator that trusts its keys."""
    tls = make_tls_files(directory / "tls")
    https_port, http_port, dv_port = free_ports(3)
    entra_url = f"https://localhost:{https_port}"
    org_url = f"https://localhost:{dv_port}"
    entra = children.entra_process(
        seed=SEED_PATH,
        https_port=https_port,
        http_port=http_port,
        tls=tls,
        dataverse_url=org_url,
        log_path=directory / "entra.log",
        identity_header=IDENTITY_HEADER,
    )
    dataverse = children.dataverse_process(
        seed=SEED_PATH,
        port=dv_port,
        tls=tls,
        org_name="contoso",
        entra_url=entra_url,
        log_path=directory / "dataverse.log",
    )
    entra.start(timeout=60)
    try:
        dataverse.start(timeout=60)
        try:
            yield SimPair(
                entra_url=entra_url,
                org_url=org_url,
                tls=tls,
                entra_http_url=f"http://localhost:{http_port}",
                entra=entra,
                dataverse=dataverse,
            )
        finally:
            dataverse.stop()
    finally:
        entra.stop()


@dataclass
class SimClient:
    """Talks to both simulators. ``http`` trusts the local CA and ignores REQUESTS_CA_BUNDLE."""

    pair: SimPair
    http: httpx.AsyncClient
    _app_tokens: dict[str, str] = field(default_factory=dict)

    # --- tokens ----------------------------------------------------------------------------------
    async def user_token(self, who: str, **overrides: Any) -> str:
        """A delegated Dataverse (v1) access token for a seeded user, signed by the Entra simulator."""
        user = USERS[who]
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": self.pair.org_url,
            "iss": f"https://sts.windows.net/{user['tenant']}/",
            "tid": user["tenant"],
            "ver": "1.0",
            "appid": COCKPIT["client_id"],
            "azp": None,
            "azpacr": None,
            "oid": user["oid"],
            "scp": "user_impersonation",
            "upn": user["username"],
            "unique_name": user["username"],
            "name": user["name"],
            "roles": None,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }
        claims.update(overrides)
        response = await self.http.post(
            f"{self.pair.entra_url}/_sim/mint", json={"claims": claims, "kind": "access"}
        )
        response.raise_for_status()
        return str(response.json()["token"])

    def app_token(self, client: dict[str, Any] | None = None) -> str:
        """An app-only token from the Entra simulator's token endpoint, through real MSAL
        (client credentials, scope ``{org}/.default``)."""
        client = client or COCKPIT
        if client["client_id"] in self._app_tokens:
            return self._app_tokens[client["client_id"]]
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify (psf/requests#3829)
        session.verify = str(self.pair.tls.ca_cert)
        app = msal.ConfidentialClientApplication(
            client["client_id"],
            client_credential=client["secret"],
            authority=f"{self.pair.entra_url}/{client['tenant']}",
            http_client=session,
            instance_discovery=False,
        )
        result = app.acquire_token_for_client(scopes=[f"{self.pair.org_url}/.default"])
        assert "access_token" in result, result.get("error_description")
        token = str(result["access_token"])
        self._app_tokens[client["client_id"]] = token
        return token

    # --- Web API -----------------------------------------------------------------------------------
    async def api(self, method: str, path: str, token: str | None, **kwargs: Any) -> httpx.Response:
        headers = {
            "Accept": "application/json",
            "OData-MaxVersion": "4.0",
            "OData-Version": "4.0",
            **kwargs.pop("headers", {}),
        }
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return await self.http.request(
            method, f"{self.pair.org_url}{API}{path}", headers=headers, **kwargs
        )

    # --- control API -----------------------------------------------------------------------------
    async def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, f"{self.pair.org_url}/_sim/{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    async def reset(self) -> None:
        await self.control("POST", "reset")

    async def faults(self, **settings: Any) -> None:
        await self.control("POST", "faults", json=settings)

    async def request_log(self) -> list[dict[str, Any]]:
        body = await self.control("GET", "requests")
        return list(body["requests"])

    async def clear_log(self) -> None:
        await self.control("DELETE", "requests")

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.control("GET", "stats")
        return result

    async def record(self, opportunity_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.control(
            "GET", f"records/opportunities/{opportunity_id}"
        )
        return result
