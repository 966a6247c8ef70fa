"""Signing keys: two RSA keys published, one of them current, rotated on demand.

Entra publishes several keys in its JWKS and signs with one; it rotates them periodically, and a
validator picks the key by ``kid`` (refreshing its JWKS cache when it meets an unknown one).
https://learn.microsoft.com/entra/identity-platform/access-tokens (Validate the signature)
https://learn.microsoft.com/entra/identity-platform/signing-key-rollover

The simulator always publishes exactly two keys: the current one and the one before it, so a
token signed just before a rotation keeps verifying while its key is published; the key before
that is dropped at the next rotation.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = ["KeyRing", "SigningKey", "b64url"]


def b64url(data: bytes) -> str:
    """Unpadded base64url, the JOSE encoding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@dataclass(frozen=True)
class SigningKey:
    """An RSA key pair with a self-signed certificate (Entra publishes ``x5c`` and ``x5t``)."""

    kid: str
    private_key: rsa.RSAPrivateKey
    certificate_der: bytes

    @classmethod
    def generate(cls) -> SigningKey:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "entra-simulator signing key")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=730))
            .sign(private_key, hashes.SHA256())
        )
        der = certificate.public_bytes(serialization.Encoding.DER)
        # Entra's kid equals x5t: the base64url SHA-1 thumbprint of the signing certificate.
        thumbprint = b64url(hashlib.sha1(der).digest())  # noqa: S324 - a thumbprint, not security
        return cls(kid=thumbprint, private_key=private_key, certificate_der=der)

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def jwk(self, *, issuer: str | None) -> dict[str, object]:
        """The public JWK as Entra publishes it (``issuer`` only in the v2 keys document)."""
        numbers = self.public_key.public_numbers()
        jwk: dict[str, object] = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": b64url(_int_bytes(numbers.n)),
            "e": b64url(_int_bytes(numbers.e)),
            "x5c": [base64.b64encode(self.certificate_der).decode("ascii")],
        }
        if issuer is not None:
            jwk["issuer"] = issuer
        return jwk


class KeyRing:
    """The published keys, newest last; the newest signs."""

    def __init__(self, keys: list[SigningKey] | None = None) -> None:
        self._keys = keys if keys is not None else [SigningKey.generate(), SigningKey.generate()]
        if len(self._keys) != 2:
            raise ValueError("the key ring publishes exactly two keys")

    @property
    def current(self) -> SigningKey:
        return self._keys[-1]

    @property
    def published(self) -> tuple[SigningKey, ...]:
        return tuple(self._keys)

    def find(self, kid: str) -> SigningKey | None:
        for key in self._keys:
            if key.kid == kid:
                return key
        return None

    def rotate(self, new_key: SigningKey) -> SigningKey:
        """Make ``new_key`` current, keep the previous current key, return the dropped key."""
        dropped = self._keys[0]
        self._keys = [self._keys[1], new_key]
        return dropped
