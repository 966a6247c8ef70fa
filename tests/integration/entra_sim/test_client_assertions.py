"""Client assertions against the simulator with unmodified MSAL and azure-identity: certificate
credentials (x5t#S256/PS256 and x5t/RS256), and a managed identity's token exchanged under a
federated identity credential — the cockpit's two production credential modes — plus the
documented refusals, the discovery fields and userinfo."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import msal
import pytest
from azure.identity import CertificateCredential, ClientAssertionCredential
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from devstack.tls import new_client_certificate
from shared.adapters.entra.credentials import msal_client_credential
from tests.integration.entra_sim.conftest import IDENTITY_HEADER
from tests.integration.entra_sim.helpers import (
    COCKPIT_ID,
    CONTOSO,
    SEED,
    USERS,
    EntraSim,
    http_session,
)

MI = SEED["managed_identities"][0]
EXCHANGE = "api://AzureADTokenExchange"


@pytest.fixture(scope="module")
def certificate() -> tuple[str, str]:
    return new_client_certificate()


def _upload(sim: EntraSim, cert_pem: str) -> dict[str, str]:
    response = sim.post(f"/_sim/apps/{COCKPIT_ID}/certificates", json={"pem": cert_pem})
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def _cca(sim: EntraSim, credential: object) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        COCKPIT_ID,
        client_credential=credential,
        authority=sim.authority(),
        http_client=http_session(sim.ca),
        instance_discovery=False,
    )


def test_msal_certificate_with_sha256_thumbprint(
    sim: EntraSim, certificate: tuple[str, str]
) -> None:
    key_pem, cert_pem = certificate
    uploaded = _upload(sim, cert_pem)
    app = _cca(sim, {"private_key": key_pem, "public_certificate": cert_pem})
    result = app.acquire_token_for_client(scopes=[f"{sim.org_url}/.default"])
    assert "access_token" in result, result.get("error_description")
    claims = sim.verify(result["access_token"], audience=sim.org_url)
    assert claims["appid"] == COCKPIT_ID and claims["idtyp"] == "app"
    der = x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(serialization.Encoding.DER)
    assert uploaded["x5t#S256"] == _b64(hashlib.sha256(der).digest())


def test_msal_certificate_with_sha1_thumbprint(sim: EntraSim, certificate: tuple[str, str]) -> None:
    key_pem, cert_pem = certificate
    _upload(sim, cert_pem)
    der = x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(serialization.Encoding.DER)
    sha1 = hashlib.sha1(der).hexdigest()  # noqa: S324 - the thumbprint MSAL asks for
    with warnings.catch_warnings():
        # MSAL warns that SHA-1 thumbprints are deprecated; that is the path under test.
        warnings.simplefilter("ignore", DeprecationWarning)
        app = _cca(sim, {"private_key": key_pem, "thumbprint": sha1})
        result = app.acquire_token_for_client(scopes=[f"{sim.org_url}/.default"])
    assert "access_token" in result, result.get("error_description")


def test_azure_identity_certificate_credential(sim: EntraSim, certificate: tuple[str, str]) -> None:
    key_pem, cert_pem = certificate
    _upload(sim, cert_pem)
    credential = CertificateCredential(
        CONTOSO,
        COCKPIT_ID,
        certificate_data=(key_pem + cert_pem).encode(),
        authority=sim.https,
        connection_verify=str(sim.ca),
        disable_instance_discovery=True,
    )
    with credential:
        token = credential.get_token(f"{sim.org_url}/.default")
    assert sim.verify(token.token, audience=sim.org_url)["appid"] == COCKPIT_ID


def test_an_unregistered_certificate_is_refused(sim: EntraSim) -> None:
    key_pem, cert_pem = new_client_certificate()  # never uploaded
    app = _cca(sim, {"private_key": key_pem, "public_certificate": cert_pem})
    result = app.acquire_token_for_client(scopes=[f"{sim.org_url}/.default"])
    assert result["error"] == "invalid_client" and result["error_codes"] == [700027]
    assert "The key was not found" in result["error_description"]


@pytest.fixture
def identity_env(sim: EntraSim, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # What App Service / Azure Functions set for a process with a managed identity.
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"{sim.http}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    yield


def test_managed_identity_federated_credential_through_the_apps_own_helper(
    sim: EntraSim, identity_env: None
) -> None:
    # Exactly what the cockpit builds for COCKPIT_CLIENT_CREDENTIAL_MODE=managed_identity.
    credential = msal_client_credential(
        mode="managed_identity",
        client_secret=None,
        certificate_path=None,
        certificate_password=None,
        managed_identity_client_id=MI["client_id"],
    )
    app = _cca(sim, credential)
    result = app.acquire_token_for_client(scopes=[f"{sim.org_url}/.default"])
    assert "access_token" in result, result.get("error_description")
    assert sim.verify(result["access_token"], audience=sim.org_url)["appid"] == COCKPIT_ID


def test_client_assertion_credential_with_a_managed_identity_token(
    sim: EntraSim, identity_env: None
) -> None:
    from azure.identity import ManagedIdentityCredential

    managed = ManagedIdentityCredential(client_id=MI["client_id"])
    mi_token = managed.get_token(f"{EXCHANGE}/.default").token
    mi_claims = sim.verify(mi_token, audience=EXCHANGE)
    assert mi_claims["sub"] == MI["principal_id"] and mi_claims["tid"] == CONTOSO
    credential = ClientAssertionCredential(
        CONTOSO,
        COCKPIT_ID,
        lambda: mi_token,
        authority=sim.https,
        connection_verify=str(sim.ca),
        disable_instance_discovery=True,
    )
    with credential:
        token = credential.get_token(f"{sim.org_url}/.default")
    assert sim.verify(token.token, audience=sim.org_url)["appid"] == COCKPIT_ID


def _mi_like(sim: EntraSim, **overrides: object) -> str:
    claims = {
        "aud": EXCHANGE,
        "iss": f"{sim.https}/{CONTOSO}/v2.0",
        "sub": MI["principal_id"],
        "oid": MI["principal_id"],
        "tid": CONTOSO,
        "scp": None,
        "idtyp": "app",
        **overrides,
    }
    return str(sim.post("/_sim/mint", json={"claims": claims}).json()["token"])


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"sub": "3b000000-0000-4000-8000-0000000000ff"}, 700213),
        ({"aud": "api://SomethingElse"}, 700212),
        ({"iss": "https://token.actions.githubusercontent.com"}, 700211),
        ({"exp": 1_000_000_000}, 700024),
    ],
)
def test_federated_assertions_that_match_no_record_are_refused(
    sim: EntraSim, overrides: dict[str, object], code: int
) -> None:
    response = sim.post(
        f"/{CONTOSO}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": COCKPIT_ID,
            "scope": f"{sim.org_url}/.default",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": _mi_like(sim, **overrides),
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.json()["error_codes"] == [code]


def test_managed_identity_endpoint_checks_its_header_and_identity(sim: EntraSim) -> None:
    params = {"api-version": "2019-08-01", "resource": EXCHANGE, "client_id": MI["client_id"]}
    with httpx.Client(trust_env=False) as client:
        ok = client.get(
            f"{sim.http}/msi/token", params=params, headers={"X-IDENTITY-HEADER": IDENTITY_HEADER}
        )
        assert ok.status_code == 200 and ok.json()["client_id"] == MI["client_id"]
        assert int(ok.json()["expires_on"]) > datetime.now(UTC).timestamp()
        wrong = client.get(
            f"{sim.http}/msi/token", params=params, headers={"X-IDENTITY-HEADER": "nope"}
        )
        assert wrong.status_code == 401
        stranger = client.get(
            f"{sim.http}/msi/token",
            params={**params, "client_id": "3a000000-0000-4000-8000-0000000000ff"},
            headers={"X-IDENTITY-HEADER": IDENTITY_HEADER},
        )
        assert stranger.status_code == 400


def test_discovery_lists_the_documented_fields_and_userinfo_answers(sim: EntraSim) -> None:
    doc = sim.get(f"/{CONTOSO}/v2.0/.well-known/openid-configuration").json()
    for field in (
        "userinfo_endpoint",
        "device_authorization_endpoint",
        "kerberos_endpoint",
        "cloud_instance_name",
        "msgraph_host",
        "rbac_url",
    ):
        assert doc.get(field), field
    anna = USERS["anna"]
    token = str(
        sim.post(
            "/_sim/mint",
            json={
                "claims": {
                    "aud": "00000003-0000-0000-c000-000000000000",
                    "oid": anna["oid"],
                    "tid": anna["tenant"],
                }
            },
        ).json()["token"]
    )
    with httpx.Client(verify=sim.ssl_context, trust_env=False) as client:
        info = client.get(doc["userinfo_endpoint"], headers={"Authorization": f"Bearer {token}"})
        refused = client.get(doc["userinfo_endpoint"])
    assert info.status_code == 200
    assert info.json()["name"] == anna["name"] and info.json()["email"] == anna["username"]
    assert refused.status_code == 401


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
