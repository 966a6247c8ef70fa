"""``msal_client_credential``: secret, certificate and managed-identity (federated assertion) modes.

The managed-identity path runs the real ``azure.identity.ManagedIdentityCredential`` (and MSAL's
managed-identity client underneath it) against a fake App Service identity endpoint served over
loopback HTTP by a child process; Entra's token endpoint is an in-memory fake ``http_client`` handed
to a real ``msal.ConfidentialClientApplication``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import msal
import pytest
from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from devstack.process import ManagedProcess, free_port
from shared.adapters.entra.credentials import (
    TOKEN_EXCHANGE_AUDIENCE,
    CredentialConfigurationError,
    ManagedIdentityAssertion,
    ManagedIdentityAssertionError,
    msal_client_credential,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
TENANT_ID = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
APP_CLIENT_ID = "5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"
AUTHORITY = f"https://login.microsoftonline.com/{TENANT_ID}"
TOKEN_ENDPOINT = f"{AUTHORITY}/oauth2/v2.0/token"
DATAVERSE_SCOPE = "https://contoso.crm4.dynamics.com/.default"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


# --- the fake managed-identity endpoint (a child process on a free port) ---------------------------


@dataclass
class FakeIdentityEndpoint:
    base_url: str

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/msi/token"

    def configure(self, **control: object) -> None:
        request = urllib.request.Request(
            f"{self.base_url}/_control",
            data=json.dumps(control).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    def requests(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.base_url}/_requests", timeout=5) as response:
            seen: list[dict[str, Any]] = json.loads(response.read())
        return seen


@pytest.fixture(scope="module")
def identity_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeIdentityEndpoint]:
    port = free_port()
    process = ManagedProcess(
        name="fake-managed-identity",
        argv=[
            sys.executable,
            "-m",
            "tests.unit.entra_credentials.fake_mi_server",
            "--port",
            str(port),
        ],
        log_path=tmp_path_factory.mktemp("fake-mi") / "fake-mi.log",
        cwd=REPO_ROOT,
        ready_url=f"http://127.0.0.1:{port}/_health",
    )
    process.start(timeout=30)
    try:
        yield FakeIdentityEndpoint(base_url=f"http://127.0.0.1:{port}")
    finally:
        process.stop()


@dataclass
class ManagedIdentityEnv:
    endpoint: FakeIdentityEndpoint
    client_id: str
    identity_header: str


@pytest.fixture
def mi_env(
    identity_endpoint: FakeIdentityEndpoint, monkeypatch: pytest.MonkeyPatch
) -> ManagedIdentityEnv:
    """The two variables the Functions host sets, pointing at the fake; a fresh identity per test."""
    env = ManagedIdentityEnv(
        endpoint=identity_endpoint,
        client_id=str(uuid.uuid4()),
        identity_header=uuid.uuid4().hex,
    )
    identity_endpoint.configure(
        mode="ok", lifetime=3600, identity_header=env.identity_header, client_id=env.client_id
    )
    monkeypatch.setenv("IDENTITY_ENDPOINT", identity_endpoint.token_url)
    monkeypatch.setenv("IDENTITY_HEADER", env.identity_header)
    # Other managed-identity flavours azure-identity would prefer must not leak in from the machine.
    for name in ("IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return env


def _mi_credential(client_id: str) -> Any:
    credential = msal_client_credential(
        mode="managed_identity",
        client_secret=None,
        certificate_path=None,
        certificate_password=None,
        managed_identity_client_id=client_id,
    )
    assert isinstance(credential, dict)
    assert set(credential) == {"client_assertion"}
    return credential


# --- an in-memory Entra for MSAL (unit-test seam: MSAL's http_client) ----------------------------


@dataclass
class _Response:
    status_code: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


@dataclass
class FakeEntra:
    """Answers tenant discovery and the v2 token endpoint; records token requests."""

    token_requests: list[dict[str, str]] = field(default_factory=list)

    def get(
        self, url: str, params: object = None, headers: object = None, **_: object
    ) -> _Response:
        if url == f"{AUTHORITY}/v2.0/.well-known/openid-configuration":
            return _Response(
                200,
                json.dumps(
                    {
                        "issuer": f"{AUTHORITY}/v2.0",
                        "authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/authorize",
                        "token_endpoint": TOKEN_ENDPOINT,
                        "device_authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/devicecode",
                    }
                ),
            )
        return _Response(404, json.dumps({"error": "not_found", "url": url}))

    def post(
        self,
        url: str,
        params: object = None,
        data: object = None,
        headers: object = None,
        **_: object,
    ) -> _Response:
        assert url == TOKEN_ENDPOINT, url
        if isinstance(data, dict):
            form = {str(k): v.decode() if isinstance(v, bytes) else str(v) for k, v in data.items()}
        else:
            raw = data.decode() if isinstance(data, bytes) else str(data)
            form = {k: v[-1] for k, v in parse_qs(raw).items()}
        self.token_requests.append(form)
        body = {
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": f"app-token-{len(self.token_requests)}",
        }
        return _Response(200, json.dumps(body), {"Content-Type": "application/json"})

    def close(self) -> None:
        return None


def _msal_app(credential: Any, entra: FakeEntra) -> Any:
    return msal.ConfidentialClientApplication(
        APP_CLIENT_ID, client_credential=credential, authority=AUTHORITY, http_client=entra
    )


# --- managed identity ------------------------------------------------------------------------------


def test_assertion_request_speaks_the_app_service_protocol(mi_env: ManagedIdentityEnv) -> None:
    assertion = _mi_credential(mi_env.client_id)["client_assertion"]

    token = assertion()

    assert token.startswith("fake-mi-assertion-")
    [seen] = mi_env.endpoint.requests()
    assert seen["identity_header"] == mi_env.identity_header
    assert seen["query"] == {
        "api-version": "2019-08-01",
        "resource": TOKEN_EXCHANGE_AUDIENCE,
        "client_id": mi_env.client_id,
    }


def test_assertion_is_cached_while_far_from_expiry(mi_env: ManagedIdentityEnv) -> None:
    assertion = _mi_credential(mi_env.client_id)["client_assertion"]

    values = {assertion() for _ in range(5)}

    assert len(values) == 1
    assert len(mi_env.endpoint.requests()) == 1


def test_assertion_is_refreshed_when_near_expiry(mi_env: ManagedIdentityEnv) -> None:
    # A token with 2 minutes left is inside the 5-minute margin: every call must fetch a new one
    # rather than hand MSAL an assertion that may expire mid-request.
    mi_env.endpoint.configure(
        mode="ok", lifetime=120, identity_header=mi_env.identity_header, client_id=mi_env.client_id
    )
    assertion = _mi_credential(mi_env.client_id)["client_assertion"]

    first, second = assertion(), assertion()

    assert first != second
    assert len(mi_env.endpoint.requests()) == 2


def test_failing_identity_endpoint_gives_a_clear_error(mi_env: ManagedIdentityEnv) -> None:
    mi_env.endpoint.configure(
        mode="fail", identity_header=mi_env.identity_header, client_id=mi_env.client_id
    )
    assertion = _mi_credential(mi_env.client_id)["client_assertion"]

    with pytest.raises(ManagedIdentityAssertionError) as caught:
        assertion()

    message = str(caught.value)
    assert TOKEN_EXCHANGE_AUDIENCE in message
    assert mi_env.client_id in message
    assert "COCKPIT_MANAGED_IDENTITY_CLIENT_ID" in message
    assert "Unable to load the proper Managed Identity" in message
    assert len(mi_env.endpoint.requests()) == 1


def test_wrong_identity_header_is_refused_by_the_endpoint(mi_env: ManagedIdentityEnv) -> None:
    mi_env.endpoint.configure(
        mode="ok", identity_header="rotated-by-the-platform", client_id=mi_env.client_id
    )
    assertion = _mi_credential(mi_env.client_id)["client_assertion"]

    with pytest.raises(ManagedIdentityAssertionError):
        assertion()


def test_msal_calls_the_assertion_only_when_a_request_goes_on_the_wire(
    mi_env: ManagedIdentityEnv,
) -> None:
    entra = FakeEntra()
    app = _msal_app(_mi_credential(mi_env.client_id), entra)

    first = app.acquire_token_for_client(scopes=[DATAVERSE_SCOPE])
    second = app.acquire_token_for_client(scopes=[DATAVERSE_SCOPE])

    assert first["access_token"] == second["access_token"] == "app-token-1"
    assert second["token_source"] == "cache"
    [form] = entra.token_requests
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == APP_CLIENT_ID
    assert form["client_assertion_type"] == JWT_BEARER
    assert form["client_assertion"].startswith("fake-mi-assertion-")
    assert "client_secret" not in form
    assert len(mi_env.endpoint.requests()) == 1


def test_managed_identity_mode_requires_the_identity_client_id() -> None:
    with pytest.raises(CredentialConfigurationError, match="COCKPIT_MANAGED_IDENTITY_CLIENT_ID"):
        msal_client_credential(
            mode="managed_identity",
            client_secret=None,
            certificate_path=None,
            certificate_password=None,
            managed_identity_client_id=None,
        )


# --- the assertion cache itself (in-memory credential, injected clock) -----------------------------


@dataclass
class CountingCredential:
    """An in-memory TokenCredential: token ``n`` expires ``lifetime`` seconds after ``now``."""

    clock: list[float]
    lifetime: float = 3600.0
    scopes: list[str] = field(default_factory=list)

    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        self.scopes.extend(scopes)
        return AccessToken(f"token-{len(self.scopes)}", int(self.clock[0] + self.lifetime))


def test_cache_boundary_is_the_refresh_margin() -> None:
    now = [1_000_000.0]
    credential = CountingCredential(clock=now)
    assertion = ManagedIdentityAssertion(credential, refresh_margin=300, clock=lambda: now[0])

    assert assertion() == "token-1"
    now[0] += 3600 - 301  # 301 s left: still good
    assert assertion() == "token-1"
    now[0] += 1  # 300 s left: inside the margin
    assert assertion() == "token-2"
    assert credential.scopes == [f"{TOKEN_EXCHANGE_AUDIENCE}/.default"] * 2


def test_custom_audience_becomes_its_default_scope() -> None:
    now = [0.0]
    credential = CountingCredential(clock=now)
    assertion = ManagedIdentityAssertion(
        credential, audience="api://AzureADTokenExchangeUSGov/", clock=lambda: now[0]
    )

    assertion()

    assert credential.scopes == ["api://AzureADTokenExchangeUSGov/.default"]


def test_concurrent_callers_share_one_fetch() -> None:
    now = [0.0]
    credential = CountingCredential(clock=now)
    assertion = ManagedIdentityAssertion(credential, clock=lambda: now[0])
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(assertion())) for _ in range(8)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == ["token-1"] * 8
    assert len(credential.scopes) == 1


def test_empty_audience_is_refused() -> None:
    with pytest.raises(CredentialConfigurationError):
        ManagedIdentityAssertion(CountingCredential(clock=[0.0]), audience=" ")


# --- secret ----------------------------------------------------------------------------------------


def test_secret_mode_returns_the_secret() -> None:
    credential = msal_client_credential(
        mode="secret",
        client_secret="dev-only-cockpit-secret-not-for-azure",
        certificate_path=None,
        certificate_password=None,
        managed_identity_client_id=None,
    )

    assert credential == "dev-only-cockpit-secret-not-for-azure"


def test_secret_mode_without_a_secret_is_a_configuration_error() -> None:
    with pytest.raises(CredentialConfigurationError, match="COCKPIT_CLIENT_SECRET"):
        msal_client_credential(
            mode="secret",
            client_secret="",
            certificate_path=None,
            certificate_password=None,
            managed_identity_client_id=None,
        )


def test_unknown_mode_is_a_configuration_error() -> None:
    with pytest.raises(CredentialConfigurationError, match="unknown client credential mode"):
        msal_client_credential(
            mode="password",  # type: ignore[arg-type]
            client_secret=None,
            certificate_path=None,
            certificate_password=None,
            managed_identity_client_id=None,
        )


# --- certificate -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelfSigned:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def sha256_thumbprint_b64url(self) -> str:
        digest = self.cert.fingerprint(hashes.SHA256())
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@pytest.fixture(scope="module")
def self_signed() -> SelfSigned:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cockpit-test-client")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return SelfSigned(key=key, cert=cert)


def _write_pfx(path: Path, material: SelfSigned, password: str) -> Path:
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"cockpit",
            material.key,
            material.cert,
            None,
            serialization.BestAvailableEncryption(password.encode()),
        )
    )
    return path


def _write_pem(path: Path, material: SelfSigned, *, with_cert: bool = True) -> Path:
    key_pem = material.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = material.cert.public_bytes(serialization.Encoding.PEM) if with_cert else b""
    path.write_bytes(key_pem + cert_pem)
    return path


def _assert_signed_with_sha256_thumbprint(form: dict[str, str], material: SelfSigned) -> None:
    assert form["client_assertion_type"] == JWT_BEARER
    assertion = form["client_assertion"]
    header = jwt.get_unverified_header(assertion)
    # SHA-256 thumbprint (x5t#S256) with PS256, not the deprecated SHA-1 x5t.
    assert header["alg"] == "PS256"
    assert header["x5t#S256"].rstrip("=") == material.sha256_thumbprint_b64url
    assert "x5t" not in header
    claims = jwt.decode(
        assertion,
        material.cert.public_key(),  # type: ignore[arg-type]
        algorithms=["PS256"],
        audience=TOKEN_ENDPOINT,
    )
    assert claims["iss"] == claims["sub"] == APP_CLIENT_ID


def test_pfx_certificate_signs_the_client_assertion(
    tmp_path: Path, self_signed: SelfSigned
) -> None:
    pfx = _write_pfx(tmp_path / "client.pfx", self_signed, "pfx-pass")
    credential = msal_client_credential(
        mode="certificate",
        client_secret=None,
        certificate_path=pfx,
        certificate_password="pfx-pass",
        managed_identity_client_id=None,
    )
    assert credential == {"private_key_pfx_path": str(pfx), "passphrase": "pfx-pass"}
    entra = FakeEntra()

    result = _msal_app(credential, entra).acquire_token_for_client(scopes=[DATAVERSE_SCOPE])

    assert result["access_token"] == "app-token-1"
    [form] = entra.token_requests
    _assert_signed_with_sha256_thumbprint(form, self_signed)


def test_pem_certificate_signs_the_client_assertion(
    tmp_path: Path, self_signed: SelfSigned
) -> None:
    pem = _write_pem(tmp_path / "client.pem", self_signed)
    credential = msal_client_credential(
        mode="certificate",
        client_secret=None,
        certificate_path=pem,
        certificate_password=None,
        managed_identity_client_id=None,
    )
    assert isinstance(credential, dict)
    assert set(credential) == {"private_key", "public_certificate"}
    entra = FakeEntra()

    result = _msal_app(credential, entra).acquire_token_for_client(scopes=[DATAVERSE_SCOPE])

    assert result["access_token"] == "app-token-1"
    [form] = entra.token_requests
    _assert_signed_with_sha256_thumbprint(form, self_signed)


def test_wrong_pfx_password_is_a_clear_error_without_the_password(
    tmp_path: Path, self_signed: SelfSigned
) -> None:
    pfx = _write_pfx(tmp_path / "client.pfx", self_signed, "right-password")

    with pytest.raises(CredentialConfigurationError, match="wrong password") as caught:
        msal_client_credential(
            mode="certificate",
            client_secret=None,
            certificate_path=pfx,
            certificate_password="wrong-password-123",
            managed_identity_client_id=None,
        )

    assert "wrong-password-123" not in str(caught.value)


def test_pem_without_its_certificate_is_refused(tmp_path: Path, self_signed: SelfSigned) -> None:
    pem = _write_pem(tmp_path / "key-only.pem", self_signed, with_cert=False)

    with pytest.raises(CredentialConfigurationError, match="private key and the certificate"):
        msal_client_credential(
            mode="certificate",
            client_secret=None,
            certificate_path=pem,
            certificate_password=None,
            managed_identity_client_id=None,
        )


@pytest.mark.parametrize("path", [None, Path("/nonexistent/cockpit-client.pfx")])
def test_certificate_mode_needs_an_existing_file(path: Path | None) -> None:
    with pytest.raises(CredentialConfigurationError, match="COCKPIT_CLIENT_CERTIFICATE_PATH|exist"):
        msal_client_credential(
            mode="certificate",
            client_secret=None,
            certificate_path=path,
            certificate_password=None,
            managed_identity_client_id=None,
        )


def test_an_injected_credential_replaces_the_default_managed_identity() -> None:
    now = [0.0]
    credential = CountingCredential(clock=now)

    built = msal_client_credential(
        mode="managed_identity",
        client_secret=None,
        certificate_path=None,
        certificate_password=None,
        managed_identity_client_id=None,
        token_exchange_audience="api://AzureADTokenExchangeChina",
        mi_credential=credential,
    )

    assert isinstance(built, dict)
    assert built["client_assertion"]() == "token-1"
    assert credential.scopes == ["api://AzureADTokenExchangeChina/.default"]
