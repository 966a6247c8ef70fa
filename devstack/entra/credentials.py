"""App credentials beyond secrets: certificates, federated identity credentials, managed identities.

- Certificate credentials: an app registration holds public certificates; a client proves itself
  with a JWT signed by the private key, whose header names the certificate by ``x5t`` (SHA-1) or
  ``x5t#S256`` (SHA-256) thumbprint (https://learn.microsoft.com/entra/identity-platform/certificate-credentials).
- Federated identity credentials (FIC): ``issuer``, ``subject`` and ``audiences`` (by default
  ``api://AzureADTokenExchange``) of tokens the app trusts as its client assertion. A managed
  identity's FIC names the Entra issuer ``https://login.microsoftonline.com/{tenant}/v2.0`` and
  the identity's principal (object) id as subject
  (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
- Managed identities: ``client_id``, ``principal_id`` (object id, the ``sub``/``oid`` of its
  tokens) and tenant; the simulator's App-Service-style endpoint issues their tokens (msi.py).

Seed shape (devstack/seed/README.md): ``apps[].certificates`` (PEM strings),
``apps[].federated_identity_credentials[]`` (``name``, ``subject``, ``audiences``, optional
``issuer`` — omitted means this simulator's own v2 issuer of the app's tenant) and a top-level
``managed_identities[]``. Certificates can also be added at run time (CLI ``--app-certificate``,
``POST /_sim/apps/{client_id}/certificates``), as an admin uploads one in the portal.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from devstack.entra.directory import SeedError, is_guid

TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Certificate:
    der: bytes

    @classmethod
    def from_pem(cls, pem: str | bytes) -> Certificate:
        data = pem.encode() if isinstance(pem, str) else pem
        try:
            cert = x509.load_pem_x509_certificate(data)
        except ValueError as exc:
            raise SeedError(f"not a PEM certificate: {exc}") from exc
        if not isinstance(cert.public_key(), RSAPublicKey):
            raise SeedError("only RSA certificates are accepted (as Entra)")
        return cls(cert.public_bytes(serialization.Encoding.DER))

    @property
    def x5t(self) -> str:
        return _b64url(hashlib.sha1(self.der).digest())  # noqa: S324 - a thumbprint

    @property
    def x5t_s256(self) -> str:
        return _b64url(hashlib.sha256(self.der).digest())

    @property
    def public_key(self) -> RSAPublicKey:
        key = x509.load_der_x509_certificate(self.der).public_key()
        assert isinstance(key, RSAPublicKey)
        return key


@dataclass(frozen=True)
class FederatedCredential:
    name: str
    subject: str
    audiences: tuple[str, ...]
    issuer: str | None  # None: this simulator's own v2 issuer of the app's tenant


@dataclass(frozen=True)
class ManagedIdentity:
    client_id: str
    principal_id: str
    tenant: str
    name: str


@dataclass
class CredentialStore:
    """Certificates and FICs per app (client id), and the managed identities."""

    certificates: dict[str, list[Certificate]] = field(default_factory=dict)
    federated: dict[str, list[FederatedCredential]] = field(default_factory=dict)
    managed_identities: dict[str, ManagedIdentity] = field(default_factory=dict)

    def add_certificate(self, client_id: str, certificate: Certificate) -> None:
        existing = self.certificates.setdefault(client_id.lower(), [])
        if certificate not in existing:
            existing.append(certificate)

    def certificate(
        self, client_id: str, *, x5t: str | None, x5t_s256: str | None
    ) -> Certificate | None:
        # RFC 7515 says unpadded base64url; MSAL pads x5t#S256 with "=", and Entra accepts it.
        s256 = (x5t_s256 or "").rstrip("=")
        s1 = (x5t or "").rstrip("=")
        for cert in self.certificates.get(client_id.lower(), []):
            if (s256 and cert.x5t_s256 == s256) or (s1 and cert.x5t == s1):
                return cert
        return None

    def identity(self, client_id: str | None) -> ManagedIdentity | None:
        if client_id is None:
            return next(iter(self.managed_identities.values()), None)
        return self.managed_identities.get(client_id.lower())


def load_credentials(raw: dict[str, Any], tenants: set[str]) -> CredentialStore:
    """Read the credential parts of a parsed seed; raises SeedError with the place at fault."""
    store = CredentialStore()
    for index, app in enumerate(raw.get("apps", [])):
        client_id = str(app.get("client_id", "")).lower()
        for pem in app.get("certificates", []):
            store.add_certificate(client_id, Certificate.from_pem(pem))
        for fic_index, fic in enumerate(app.get("federated_identity_credentials", [])):
            where = f"apps[{index}].federated_identity_credentials[{fic_index}]"
            if not isinstance(fic, dict) or not isinstance(fic.get("subject"), str):
                raise SeedError(f"{where}: needs a 'subject'")
            audiences = fic.get("audiences", [TOKEN_EXCHANGE_AUDIENCE])
            store.federated.setdefault(client_id, []).append(
                FederatedCredential(
                    name=str(fic.get("name", f"fic{fic_index}")),
                    subject=fic["subject"],
                    audiences=tuple(str(a) for a in audiences),
                    issuer=fic.get("issuer"),
                )
            )
    for index, identity in enumerate(raw.get("managed_identities", [])):
        where = f"managed_identities[{index}]"
        values = {
            k: str(identity.get(k, "")).lower() for k in ("client_id", "principal_id", "tenant")
        }
        if not all(is_guid(v) for v in values.values()):
            raise SeedError(f"{where}: client_id, principal_id and tenant must be GUIDs")
        if values["tenant"] not in tenants:
            raise SeedError(f"{where}: tenant {values['tenant']} is not in 'tenants'")
        store.managed_identities[values["client_id"]] = ManagedIdentity(
            name=str(identity.get("name", values["client_id"])), **values
        )
    return store
