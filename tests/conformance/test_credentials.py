"""azure-identity's credentials, unmodified, feeding Microsoft's Dataverse client.

- ``CertificateCredential``: certificate credentials (certificate-credentials.md) for the app
  registration, whose Dataverse identity is its application user;
- ``ClientAssertionCredential`` with a managed identity's token for ``api://AzureADTokenExchange``
  (workload-identity-federation-config-app-trust-managed-identity.md);
- ``OnBehalfOfCredential``: the middle tier acts as the signed-in user, so Dataverse applies that
  user's privileges (v2-oauth2-on-behalf-of-flow.md; the user may write only what they own).
"""

from __future__ import annotations

import pytest
from azure.identity import (
    CertificateCredential,
    ClientAssertionCredential,
    ManagedIdentityCredential,
    OnBehalfOfCredential,
)
from PowerPlatform.Dataverse.client import DataverseClient
from PowerPlatform.Dataverse.core.errors import HttpError

from devstack.tls import new_client_certificate
from tests.integration.dataverse_sim.support import (
    ANNAS_OPEN,
    BENS_OPEN,
    COCKPIT,
    IDENTITY_HEADER,
    SEED,
    SEED_OPPORTUNITIES,
    TENANT,
    USERS,
    SimClient,
)

EXCHANGE = "api://AzureADTokenExchange"


def _open_names() -> list[str]:
    return sorted(o["name"] for o in SEED_OPPORTUNITIES if o["statecode"] == 0)


def _list_open(client: DataverseClient) -> list[str]:
    rows = client.records.list("opportunity", select=["name"], filter="statecode eq 0")
    return sorted(r["name"] for r in rows)


async def test_certificate_credential(sim: SimClient) -> None:
    key_pem, cert_pem = new_client_certificate()
    uploaded = await sim.http.post(
        f"{sim.pair.entra_url}/_sim/apps/{COCKPIT['client_id']}/certificates",
        json={"pem": cert_pem},
    )
    assert uploaded.status_code == 200
    credential = CertificateCredential(
        TENANT,
        COCKPIT["client_id"],
        certificate_data=(key_pem + cert_pem).encode(),
        authority=sim.pair.entra_url,
        connection_verify=str(sim.pair.tls.ca_cert),
        disable_instance_discovery=True,
    )
    with DataverseClient(sim.pair.org_url, credential) as client:
        assert _list_open(client) == _open_names()


async def test_client_assertion_credential_with_a_managed_identity(
    sim: SimClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = SEED["managed_identities"][0]
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{sim.pair.entra_http_url}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    managed = ManagedIdentityCredential(client_id=identity["client_id"])
    credential = ClientAssertionCredential(
        TENANT,
        COCKPIT["client_id"],
        lambda: managed.get_token(f"{EXCHANGE}/.default").token,
        authority=sim.pair.entra_url,
        connection_verify=str(sim.pair.tls.ca_cert),
        disable_instance_discovery=True,
    )
    with DataverseClient(sim.pair.org_url, credential) as client:
        assert _list_open(client) == _open_names()


async def test_on_behalf_of_credential_acts_as_the_user(sim: SimClient) -> None:
    anna = USERS["anna"]
    # Anna's access token for the cockpit's API, as the CLI client would hold it.
    minted = await sim.http.post(
        f"{sim.pair.entra_url}/_sim/mint",
        json={"claims": {"oid": anna["oid"], "tid": anna["tenant"], "name": anna["name"]}},
    )
    credential = OnBehalfOfCredential(
        TENANT,
        COCKPIT["client_id"],
        client_secret=COCKPIT["secret"],
        user_assertion=minted.json()["token"],
        authority=sim.pair.entra_url,
        connection_verify=str(sim.pair.tls.ca_cert),
        disable_instance_discovery=True,
    )
    with DataverseClient(sim.pair.org_url, credential) as client:
        own = client.records.retrieve("opportunity", ANNAS_OPEN, select=["name"])
        assert own is not None
        client.records.update("opportunity", ANNAS_OPEN, {"closeprobability": 61})
        with pytest.raises(HttpError) as refused:
            client.records.update("opportunity", BENS_OPEN, {"closeprobability": 61})
    assert refused.value.status_code == 403
    assert (await sim.record(ANNAS_OPEN))["closeprobability"] == 61
