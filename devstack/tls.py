"""A throw-away local certificate authority for the https simulators.

MSAL and azure-identity refuse http authorities, and Microsoft's clients insist on https org URLs,
so the Entra ID and Dataverse simulators serve TLS with a certificate from this CA. Clients trust it
explicitly (``verify=<ca.pem>``); nothing is installed into the system trust store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme

# Every local host name the stack serves on (the cockpit uses "localhost", the demo CRM page
# "127.0.0.1" so that the two are different sites).
SERVER_NAMES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class TlsFiles:
    """Paths of a CA certificate and a server certificate/key issued by it."""

    ca_cert: Path
    server_cert: Path
    server_key: Path


def make_tls_files(directory: Path) -> TlsFiles:
    """Create a fresh CA and a server certificate for localhost/127.0.0.1 in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="Opportunity Cockpit devstack CA")
    server = ca.issue_cert(*SERVER_NAMES)
    files = TlsFiles(
        ca_cert=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
    )
    ca.cert_pem.write_to_path(str(files.ca_cert))
    server.private_key_pem.write_to_path(str(files.server_key))
    # The chain file holds the leaf first, then the CA, as TLS servers expect.
    with files.server_cert.open("wb") as chain:
        for blob in server.cert_chain_pems:
            chain.write(blob.bytes())
    return files


@dataclass(frozen=True)
class ClientCertificate:
    """An app registration's certificate credential: the PEM with key and certificate (what the
    app is configured with) and the certificate alone (what is uploaded to Entra ID)."""

    key_and_certificate: Path
    certificate: Path


def new_client_certificate(*, name: str = "cockpit") -> tuple[str, str]:
    """(private key PEM, certificate PEM) of a fresh RSA certificate for certificate credentials
    (certificate-credentials: Entra only needs the public certificate; any issuer is accepted)."""
    # RSA: Entra's certificate credentials are RSA keys (RS256/PS256 assertions).
    ca = trustme.CA(organization_name=f"{name} client credential", key_type=trustme.KeyType.RSA)
    leaf = ca.issue_cert(f"{name}.client.invalid", key_type=trustme.KeyType.RSA)
    return leaf.private_key_pem.bytes().decode(), leaf.cert_chain_pems[0].bytes().decode()


def make_client_certificate(directory: Path, *, name: str = "cockpit") -> ClientCertificate:
    """:func:`new_client_certificate` as the files the app and the simulator are given."""
    directory.mkdir(parents=True, exist_ok=True)
    key_pem, cert_pem = new_client_certificate(name=name)
    files = ClientCertificate(
        key_and_certificate=directory / f"{name}-client.pem",
        certificate=directory / f"{name}-client-cert.pem",
    )
    files.key_and_certificate.write_text(key_pem + cert_pem)
    files.certificate.write_text(cert_pem)
    return files
