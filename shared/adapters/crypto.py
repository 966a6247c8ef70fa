"""Authenticated encryption for data at rest that must stay secret even from storage readers:
MSAL token caches (refresh tokens) and in-flight login flows (PKCE verifier, nonce).

AES-256-GCM with a random 96-bit nonce per message. The *associated data* binds a ciphertext to the
row it belongs to (e.g. ``tid:oid``), so a blob copied into another user's row fails to decrypt
instead of handing that user someone else's tokens.

Format: ``b"\\x01" + nonce(12) + ciphertext||tag``. The version byte leaves room for key rotation.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
_NONCE = 12


class DecryptionFailed(Exception):
    """Wrong key, wrong row (associated data) or tampered bytes."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("AES-256-GCM needs a 32-byte key")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, *, associated: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, associated.encode())

    def open(self, blob: bytes, *, associated: str) -> bytes:
        if len(blob) < 1 + _NONCE + 16 or blob[:1] != _VERSION:
            raise DecryptionFailed("not a sealed blob")
        nonce, body = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, associated.encode())
        except InvalidTag:
            raise DecryptionFailed("authentication failed") from None
