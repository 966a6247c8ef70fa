"""Authenticated encryption for data at rest that must stay secret even from storage readers:
MSAL token caches (refresh tokens) and in-flight login flows (PKCE verifier, nonce).

AES-256-GCM with a random 96-bit nonce per message. The *associated data* binds a ciphertext to the
row it belongs to (e.g. ``tid:oid``), so a blob copied into another user's row fails to decrypt
instead of handing that user someone else's tokens.

Keys come as a **key ring** so the key can rotate without signing anyone out (docs/operations.md,
"Rotate the token-cache key"): new blobs are sealed with the newest *active* key, and a blob sealed
with any key still in the ring opens, because the blob names its key. A key added by a rotation
becomes active only at its ``active_from`` time, so every instance has learnt it (App Service
re-reads Key Vault references at least daily) before any instance seals with it; an old key leaves
the ring only once nothing sealed with it can still be needed (the rotate command decides that).

Formats:
- ``b"\\x02" + key id(4) + nonce(12) + ciphertext||tag`` — current; the key id is the first four
  bytes of SHA-256 over the key's name, never a function of the key material;
- ``b"\\x01" + nonce(12) + ciphertext||tag`` — written before key rings existed; opened by trying
  each key of the ring (the GCM tag tells the right one), so existing sessions survive the upgrade.

The ring's text form (the value of COCKPIT_TOKEN_CACHE_KEY, a Key Vault secret in Azure) is either a
bare base64 key (the single key of earlier releases, named ``legacy``) or JSON::

    {"keys": [{"id": "k20270105t0930", "key": "<base64 of 32 bytes>",
               "active_from": "2027-01-06T09:30:00+00:00"}, ...]}

``cryptography`` is imported on first use only: settings validation parses rings, and importing
``function_app`` must stay cheap (docs/architecture.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "LEGACY_KEY_ID",
    "DecryptionFailed",
    "KeyRing",
    "RingKey",
    "SecretBox",
    "key_id_bytes",
    "parse_key_ring",
]

_V1 = b"\x01"
_V2 = b"\x02"
_NONCE = 12
_KID = 4
_TAG = 16
LEGACY_KEY_ID = "legacy"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DecryptionFailed(Exception):
    """Wrong key, wrong row (associated data), a key no longer in the ring, or tampered bytes."""


def key_id_bytes(name: str) -> bytes:
    """The four bytes that name a key inside a sealed blob."""
    return hashlib.sha256(f"cockpit-key-id:{name}".encode()).digest()[:_KID]


@dataclass(frozen=True)
class RingKey:
    """One key of the ring: a name, 32 bytes, and when it may start sealing."""

    name: str
    key: bytes
    active_from: datetime = _EPOCH

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise ValueError(f"key {self.name!r} must be 32 bytes (AES-256), got {len(self.key)}")
        if self.active_from.tzinfo is None:
            raise ValueError(f"key {self.name!r}: active_from needs a time zone")

    def __repr__(self) -> str:  # never show key material
        return f"RingKey(name={self.name!r}, active_from={self.active_from.isoformat()})"


@dataclass(frozen=True)
class KeyRing:
    """Keys, newest ``active_from`` first; validated on construction."""

    keys: tuple[RingKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("the key ring holds no key")
        ids = [key_id_bytes(k.name) for k in self.keys]
        if len(set(ids)) != len(ids):
            raise ValueError("the key ring names the same key twice")
        ordered = sorted(self.keys, key=lambda k: k.active_from, reverse=True)
        object.__setattr__(self, "keys", tuple(ordered))

    @classmethod
    def single(cls, key: bytes) -> KeyRing:
        return cls((RingKey(name=LEGACY_KEY_ID, key=key),))

    def sealing_key(self, now: datetime) -> RingKey:
        """The newest key already active at ``now`` (the oldest key if none is yet)."""
        for key in self.keys:
            if key.active_from <= now:
                return key
        return self.keys[-1]

    def by_id(self, kid: bytes) -> RingKey | None:
        return next((k for k in self.keys if key_id_bytes(k.name) == kid), None)

    def key_material(self) -> Sequence[bytes]:
        return [k.key for k in self.keys]


def _b64_key(text: str, *, name: str) -> bytes:
    # A bare key is "the" key: its messages read as they did before rings existed.
    which = "" if name == LEGACY_KEY_ID else f"key {name!r} "
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{which}is not valid base64") from None
    if len(raw) != 32:
        raise ValueError(f"{which}must decode to 32 bytes (got {len(raw)})")
    return raw


def parse_key_ring(text: str) -> KeyRing:
    """A ring from its text form (see the module docstring); ``ValueError`` with a readable
    message (never the key) when it is not one."""
    stripped = text.strip()
    if stripped.startswith("@Microsoft.KeyVault("):
        raise ValueError(
            "is an unresolved Key Vault reference: App Service could not read the secret "
            "(see docs/operations.md, 'Key Vault reference failures')"
        )
    if not stripped.startswith("{"):
        return KeyRing.single(_b64_key(stripped, name=LEGACY_KEY_ID))
    try:
        document: Any = json.loads(stripped)
        entries = document["keys"]
        keys = tuple(_ring_key(entry) for entry in entries)
    except (json.JSONDecodeError, KeyError, TypeError):
        raise ValueError('is neither a base64 key nor a JSON key ring {"keys": [...]}') from None
    return KeyRing(keys)


def _ring_key(entry: Any) -> RingKey:
    name = str(entry["id"])
    active = entry.get("active_from")
    try:
        active_from = datetime.fromisoformat(active) if active else _EPOCH
    except ValueError:
        raise ValueError(f"key {name!r}: active_from is not an ISO 8601 time") from None
    if active_from.tzinfo is None:
        raise ValueError(f"key {name!r}: active_from needs a time zone")
    return RingKey(name=name, key=_b64_key(str(entry["key"]), name=name), active_from=active_from)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SecretBox:
    """Seals with the ring's current key, opens with any key of the ring."""

    def __init__(self, keys: bytes | KeyRing, *, now: Callable[[], datetime] = _utc_now) -> None:
        self._ring = keys if isinstance(keys, KeyRing) else KeyRing.single(keys)
        self._now = now
        self._aeads: dict[bytes, AESGCM] = {}

    @property
    def ring(self) -> KeyRing:
        return self._ring

    def _aead(self, key: RingKey) -> AESGCM:
        kid = key_id_bytes(key.name)
        aead = self._aeads.get(kid)
        if aead is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            aead = self._aeads[kid] = AESGCM(key.key)
        return aead

    def seal(self, plaintext: bytes, *, associated: str) -> bytes:
        key = self._ring.sealing_key(self._now())
        nonce = os.urandom(_NONCE)
        body = self._aead(key).encrypt(nonce, plaintext, associated.encode())
        return _V2 + key_id_bytes(key.name) + nonce + body

    def sealed_with(self, blob: bytes) -> str | None:
        """The name of the ring key ``blob`` names (None for old-format or unknown keys)."""
        if blob[:1] != _V2:
            return None
        key = self._ring.by_id(blob[1 : 1 + _KID])
        return key.name if key else None

    def open(self, blob: bytes, *, associated: str) -> bytes:
        from cryptography.exceptions import InvalidTag

        version = blob[:1]
        if version == _V2 and len(blob) >= 1 + _KID + _NONCE + _TAG:
            key = self._ring.by_id(blob[1 : 1 + _KID])
            if key is None:
                raise DecryptionFailed("sealed with a key that is no longer in the ring")
            candidates = [key]
            nonce, body = blob[1 + _KID : 1 + _KID + _NONCE], blob[1 + _KID + _NONCE :]
        elif version == _V1 and len(blob) >= 1 + _NONCE + _TAG:
            candidates = list(self._ring.keys)
            nonce, body = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        else:
            raise DecryptionFailed("not a sealed blob")
        for key in candidates:
            try:
                return self._aead(key).decrypt(nonce, body, associated.encode())
            except InvalidTag:
                continue
        raise DecryptionFailed("authentication failed")
