"""The confidential client's credential for Entra ID, chosen by settings.

``msal_client_credential`` returns exactly what MSAL's
``ConfidentialClientApplication(client_credential=...)`` accepts:

- ``secret``: the client secret string (local dev stack only; settings refuse it in Azure);
- ``certificate``: a PFX path dict or a PEM dict; both make MSAL sign its client assertion with a
  SHA-256 thumbprint (``x5t#S256``, PS256) instead of the deprecated SHA-1 one;
- ``managed_identity``: ``{"client_assertion": <callable>}``. The callable returns a token of the
  user-assigned managed identity for ``api://AzureADTokenExchange``; the app registration trusts
  that identity through a federated identity credential, so no secret exists anywhere.

MSAL invokes the callable only when a token request actually goes on the wire (its own token cache
answers the rest), and :class:`ManagedIdentityAssertion` keeps the managed-identity token until
shortly before it expires, so a burst of token requests costs one call to the identity endpoint.
(``msal.AutoRefresher``, which exists in msal 1.39.0, caches for a fixed ``expires_in`` chosen up
front and takes no lock; the token's own expiry and a lock are what we need here.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from azure.core.exceptions import AzureError

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, TokenCredential

__all__ = [
    "DEFAULT_REFRESH_MARGIN_SECONDS",
    "TOKEN_EXCHANGE_AUDIENCE",
    "CredentialConfigurationError",
    "CredentialMode",
    "ManagedIdentityAssertion",
    "ManagedIdentityAssertionError",
    "msal_client_credential",
]

CredentialMode = Literal["secret", "certificate", "managed_identity"]

# The audience Entra expects in an assertion exchanged under a federated identity credential
# (public cloud). Learn: "Configure an application to trust a managed identity",
# https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"

# MSAL treats an access token with less than five minutes left as expired
# (msal/application.py, ``expires_in < 5*60``); refreshing the assertion with the same margin means
# MSAL is never handed an assertion that expires while its token request is in flight.
DEFAULT_REFRESH_MARGIN_SECONDS = 300.0

_PFX_SUFFIXES = (".pfx", ".p12")


class CredentialConfigurationError(ValueError):
    """The credential settings cannot work (missing value, unreadable certificate, ...).

    Raised at start-up by the composition root, so a deployment fails fast with this message."""


class ManagedIdentityAssertionError(RuntimeError):
    """The managed-identity endpoint did not give us a token for the federated assertion."""


class ManagedIdentityAssertion:
    """A callable for MSAL's ``client_assertion``: a managed-identity token for the token-exchange
    audience, cached until ``refresh_margin`` seconds before it expires.

    Thread-safe: MSAL may be driven from several worker threads, and two threads that find the
    cache stale at the same time must not both call the identity endpoint.
    """

    def __init__(
        self,
        credential: TokenCredential,
        *,
        audience: str = TOKEN_EXCHANGE_AUDIENCE,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN_SECONDS,
        clock: Callable[[], float] = time.time,
        identity_hint: str = "",
    ) -> None:
        if not audience.strip():
            raise CredentialConfigurationError("the token-exchange audience must not be empty")
        self._credential = credential
        # A v1-style resource ("api://AzureADTokenExchange") becomes the scope "<resource>/.default".
        self._scope = f"{audience.rstrip('/')}/.default"
        self._audience = audience
        self._refresh_margin = refresh_margin
        self._clock = clock
        self._identity_hint = identity_hint
        self._lock = threading.Lock()
        self._token: AccessToken | None = None

    @property
    def scope(self) -> str:
        """The scope asked of the managed identity (``api://AzureADTokenExchange/.default``)."""
        return self._scope

    def __call__(self) -> str:
        with self._lock:
            token = self._token
            if token is None or token.expires_on - self._clock() <= self._refresh_margin:
                token = self._fetch()
                self._token = token
            return token.token

    def _fetch(self) -> AccessToken:
        try:
            return self._credential.get_token(self._scope)
        except AzureError as exc:
            # azure-identity raises CredentialUnavailableError / ClientAuthenticationError (both
            # AzureError); their text names the endpoint's answer but never a token.
            who = (
                f" (managed identity client id {self._identity_hint})"
                if self._identity_hint
                else ""
            )
            raise ManagedIdentityAssertionError(
                f"Could not get a managed-identity token for {self._audience}{who}: {exc.message}. "
                "Check that the user-assigned identity is attached to the Function App and that "
                "COCKPIT_MANAGED_IDENTITY_CLIENT_ID is its client id."
            ) from exc


def msal_client_credential(
    *,
    mode: CredentialMode,
    client_secret: str | None,
    certificate_path: Path | None,
    certificate_password: str | None,
    managed_identity_client_id: str | None,
    token_exchange_audience: str = TOKEN_EXCHANGE_AUDIENCE,
    mi_credential: TokenCredential | None = None,
) -> str | dict[str, Any]:
    """Build MSAL's ``client_credential`` for ``mode``.

    Raises :class:`CredentialConfigurationError` when the settings for that mode are incomplete or
    the certificate cannot be read. ``mi_credential`` replaces the default
    ``ManagedIdentityCredential(client_id=managed_identity_client_id)`` (tests, other hosts).
    """
    if mode == "secret":
        if not client_secret:
            raise CredentialConfigurationError(
                "COCKPIT_CLIENT_SECRET is required when COCKPIT_CLIENT_CREDENTIAL_MODE=secret"
            )
        return client_secret
    if mode == "certificate":
        if certificate_path is None:
            raise CredentialConfigurationError(
                "COCKPIT_CLIENT_CERTIFICATE_PATH is required when "
                "COCKPIT_CLIENT_CREDENTIAL_MODE=certificate"
            )
        return _certificate_credential(certificate_path, certificate_password)
    if mode == "managed_identity":
        return {
            "client_assertion": _managed_identity_assertion(
                client_id=managed_identity_client_id,
                audience=token_exchange_audience,
                credential=mi_credential,
            )
        }
    raise CredentialConfigurationError(
        f"unknown client credential mode {mode!r}: use secret, certificate or managed_identity"
    )


def _managed_identity_assertion(
    *, client_id: str | None, audience: str, credential: TokenCredential | None
) -> ManagedIdentityAssertion:
    if credential is None:
        if not client_id:
            # Without a client id azure-identity would silently ask for the *system-assigned*
            # identity, which this deployment does not have; say what is missing instead.
            raise CredentialConfigurationError(
                "COCKPIT_MANAGED_IDENTITY_CLIENT_ID is required when "
                "COCKPIT_CLIENT_CREDENTIAL_MODE=managed_identity"
            )
        # Imported here: azure.identity is heavy and only this mode needs it at start-up.
        from azure.identity import ManagedIdentityCredential

        # On App Service/Functions this reads IDENTITY_ENDPOINT + IDENTITY_HEADER (the platform's
        # local token service) and asks for ?resource=...&client_id=...&api-version=2019-08-01.
        credential = ManagedIdentityCredential(client_id=client_id)
    return ManagedIdentityAssertion(credential, audience=audience, identity_hint=client_id or "")


def _certificate_credential(path: Path, password: str | None) -> dict[str, Any]:
    if not path.is_file():
        raise CredentialConfigurationError(f"client certificate {path} does not exist")
    data = path.read_bytes()
    passphrase = password.encode() if password else None
    if path.suffix.lower() in _PFX_SUFFIXES or not data.lstrip().startswith(b"-----"):
        _check_pfx(path, data, passphrase)
        # MSAL 1.29+: reads the PFX itself and signs with the SHA-256 thumbprint.
        credential: dict[str, Any] = {"private_key_pfx_path": str(path)}
    else:
        key_pem, cert_pem = _split_pem(path, data, passphrase)
        # Without "thumbprint", MSAL 1.35+ derives the SHA-256 thumbprint from public_certificate
        # (and also sends it as x5c); passing "thumbprint" would select deprecated SHA-1.
        credential = {"private_key": key_pem, "public_certificate": cert_pem}
    if password:
        credential["passphrase"] = password
    return credential


def _check_pfx(path: Path, data: bytes, passphrase: bytes | None) -> None:
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, passphrase)
    except ValueError:
        # The password never goes into the message.
        raise CredentialConfigurationError(
            f"client certificate {path} could not be opened: not a PKCS#12 file, or wrong password"
        ) from None
    if key is None or cert is None:
        raise CredentialConfigurationError(
            f"client certificate {path} must contain both the private key and the certificate"
        )


def _split_pem(path: Path, data: bytes, passphrase: bytes | None) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    text = data.decode("ascii", errors="replace")
    key_blocks = _pem_blocks(text, "PRIVATE KEY")
    cert_blocks = _pem_blocks(text, "CERTIFICATE")
    if not key_blocks or not cert_blocks:
        raise CredentialConfigurationError(
            f"client certificate {path} must hold the private key and the certificate (PEM)"
        )
    try:
        load_pem_private_key(key_blocks[0].encode(), passphrase)
        x509.load_pem_x509_certificate(cert_blocks[0].encode())
    except (ValueError, TypeError):
        raise CredentialConfigurationError(
            f"client certificate {path} could not be read: bad PEM, or wrong/missing password"
        ) from None
    return key_blocks[0], cert_blocks[0]


def _pem_blocks(text: str, label_suffix: str) -> list[str]:
    """PEM blocks whose label ends with ``label_suffix`` ("PRIVATE KEY" also matches
    "RSA PRIVATE KEY" and "ENCRYPTED PRIVATE KEY")."""
    blocks: list[str] = []
    lines = text.splitlines()
    start: int | None = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("-----BEGIN ") and stripped.endswith(f"{label_suffix}-----"):
            start = index
        elif start is not None and stripped.startswith("-----END "):
            blocks.append("\n".join(lines[start : index + 1]) + "\n")
            start = None
    return blocks
