"""The token-cache key ring: new blobs sealed with the newest active key, any ring key opens, blobs
from before rings existed still open, and a signed-in user stays signed in across a rotation."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.adapters.crypto import (
    DecryptionFailed,
    KeyRing,
    RingKey,
    SecretBox,
    key_id_bytes,
    parse_key_ring,
)
from shared.adapters.tables.client import Tables
from shared.adapters.tables.identity import TableTokenCacheStore
from shared.domain.identity import Principal, TokenResult
from shared.domain.orgs import CrmOrg
from shared.services.auth import AuthConfig, AuthService
from tests.support.fakes import FakeClock, FakeFlows, FakeIdentity, FakeSessions
from tests.unit.identity.test_auth_service import login_as, start_and_complete

CONTOSO = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
ORG = CrmOrg(tenant_id=CONTOSO, name="contoso", url="https://contoso.crm4.dynamics.com")
T0 = datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
KEY_A, KEY_B = bytes(range(32)), bytes(range(1, 33))


def ring_text(*entries: tuple[str, bytes, datetime]) -> str:
    keys = [
        {"id": n, "key": base64.b64encode(k).decode(), "active_from": t.isoformat()}
        for n, k, t in entries
    ]
    return json.dumps({"keys": keys})


def v1_blob(key: bytes, plaintext: bytes, associated: str) -> bytes:
    """Exactly what the single-key SecretBox of earlier releases wrote."""
    nonce = os.urandom(12)
    return b"\x01" + nonce + AESGCM(key).encrypt(nonce, plaintext, associated.encode())


# --- the ring ----------------------------------------------------------------------------------


def test_seals_with_the_newest_active_key_and_names_it_in_the_blob() -> None:
    clock = FakeClock(T0)
    ring = parse_key_ring(ring_text(("a", KEY_A, T0), ("b", KEY_B, T0 + timedelta(hours=24))))
    box = SecretBox(ring, now=clock.now)

    before = box.seal(b"x", associated="t:o")
    clock.advance(hours=24)
    after = box.seal(b"x", associated="t:o")

    assert before[1:5] == key_id_bytes("a") and box.sealed_with(before) == "a"
    assert after[1:5] == key_id_bytes("b") and box.sealed_with(after) == "b"
    assert box.open(before, associated="t:o") == box.open(after, associated="t:o") == b"x"


def test_blobs_sealed_before_key_rings_still_open() -> None:
    old = v1_blob(KEY_A, b"refresh-token-cache", "msal-cache:t:o")
    ring = parse_key_ring(
        ring_text(("b", KEY_B, T0), ("legacy", KEY_A, datetime(1970, 1, 1, tzinfo=UTC)))
    )

    assert SecretBox(ring).open(old, associated="msal-cache:t:o") == b"refresh-token-cache"
    # A bare base64 key (the value of earlier releases) is a ring of one.
    bare = parse_key_ring(base64.b64encode(KEY_A).decode())
    assert SecretBox(bare).open(old, associated="msal-cache:t:o") == b"refresh-token-cache"


def test_a_retired_key_a_wrong_row_or_a_tampered_blob_does_not_open() -> None:
    sealed = SecretBox(KeyRing((RingKey("a", KEY_A),))).seal(b"x", associated="t:o")
    only_b = SecretBox(KeyRing((RingKey("b", KEY_B),)))
    with pytest.raises(DecryptionFailed, match="no longer in the ring"):
        only_b.open(sealed, associated="t:o")
    box = SecretBox(KeyRing((RingKey("a", KEY_A),)))
    with pytest.raises(DecryptionFailed):
        box.open(sealed, associated="t:other")
    with pytest.raises(DecryptionFailed):
        box.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), associated="t:o")
    with pytest.raises(DecryptionFailed):
        box.open(b"\x02abc", associated="t:o")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@Microsoft.KeyVault(SecretUri=https://kv/secrets/k/)", "unresolved Key Vault reference"),
        ('{"keys": []}', "holds no key"),
        ('{"kes": 1}', "neither a base64 key nor a JSON key ring"),
        (ring_text(("a", KEY_A, T0), ("a", KEY_B, T0)), "same key twice"),
        (json.dumps({"keys": [{"id": "a", "key": "c2hvcnQ="}]}), "key 'a' must decode to 32"),
        (
            json.dumps(
                {
                    "keys": [
                        {
                            "id": "a",
                            "key": base64.b64encode(KEY_A).decode(),
                            "active_from": "2027-01-01T00:00:00",
                        }
                    ]
                }
            ),
            "needs a time zone",
        ),
    ],
)
def test_bad_rings_are_refused_with_a_readable_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_key_ring(text)
    assert base64.b64encode(KEY_A).decode() not in str(caught.value)


def test_key_material_never_appears_in_a_repr() -> None:
    ring = parse_key_ring(ring_text(("a", KEY_A, T0)))
    assert base64.b64encode(KEY_A).decode() not in repr(ring)
    assert repr(KEY_A) not in repr(ring)


# --- a signed-in user across a rotation ------------------------------------------------------------


class MemoryTable:
    """The few TableClient calls the token-cache store makes, with ETags."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        self._n = 0

    def _etag(self) -> str:
        self._n += 1
        return f'W/"{self._n}"'

    async def get_entity(self, pk: str, rk: str) -> Mapping[str, Any]:
        if (pk, rk) not in self.rows:
            raise ResourceNotFoundError("missing")
        entity, etag = self.rows[(pk, rk)]
        row = _Entity(entity)
        row.metadata = {"etag": etag}
        return row

    async def create_entity(self, entity: dict[str, Any]) -> Mapping[str, Any]:
        key = (entity["PartitionKey"], entity["RowKey"])
        if key in self.rows:
            raise ResourceExistsError("exists")
        self.rows[key] = (dict(entity), self._etag())
        return {"etag": self.rows[key][1]}

    async def update_entity(self, entity: dict[str, Any], **kw: Any) -> Mapping[str, Any]:
        key = (entity["PartitionKey"], entity["RowKey"])
        if key not in self.rows:
            raise ResourceNotFoundError("missing")
        if kw.get("etag") != self.rows[key][1]:
            raise ResourceModifiedError("etag")
        self.rows[key] = (dict(entity), self._etag())
        return {"etag": self.rows[key][1]}


class _Entity(dict[str, Any]):
    metadata: dict[str, str]


class MemoryTables:
    def __init__(self) -> None:
        self.table = MemoryTable()

    async def run(self, logical: str, op: Callable[[Any], Awaitable[Any]]) -> Any:
        return await op(self.table)

    # The real conditional save, on top of ``run`` above.
    save_guarded = Tables.save_guarded


class RefreshingIdentity(FakeIdentity):
    """Silent acquisition that refreshes (and so rewrites) the user's cache, as MSAL does hourly."""

    async def acquire_silent(self, *, cache: str, **kwargs: Any) -> TokenResult:
        self.calls.append("silent")
        return TokenResult(access_token="at", expires_at=9e9, cache=cache + " ")


def auth_with(
    ring: str,
    *,
    clock: FakeClock,
    tables: MemoryTables,
    identity: FakeIdentity,
    sessions: FakeSessions,
    flows: FakeFlows,
) -> tuple[AuthService, SecretBox]:
    """An instance of the app as it runs with ``ring`` (the value its Key Vault reference holds)."""
    box = SecretBox(parse_key_ring(ring), now=clock.now)
    store = TableTokenCacheStore(cast(Any, tables), box)
    auth = AuthService(
        identity=identity, sessions=sessions, flows=flows, caches=store, clock=clock,
        config=AuthConfig(
            public_base_url="https://cockpit.example",
            login_scopes=(ORG.user_scope,), allowed_tenants=frozenset({CONTOSO}),
            session_idle=timedelta(hours=24), session_absolute=timedelta(hours=168),
        ),
    )  # fmt: skip
    return auth, box


async def test_a_session_stays_valid_across_a_rotation_and_the_retirement_of_its_key() -> None:
    clock, tables, sessions, flows = FakeClock(T0), MemoryTables(), FakeSessions(), FakeFlows()
    identity = RefreshingIdentity(login=login_as(CONTOSO))

    def app(ring: str) -> tuple[AuthService, SecretBox]:
        return auth_with(
            ring, clock=clock, tables=tables, identity=identity, sessions=sessions, flows=flows
        )

    epoch = datetime(1970, 1, 1, tzinfo=UTC)

    # Before: the app runs with one key (as deployed by earlier releases) and the rep signs in.
    before, _ = app(base64.b64encode(KEY_A).decode())
    signed_in = await start_and_complete(before, flows)
    principal: Principal = await before.resolve_session(signed_in.session_id)

    # Rotation: key B joins the ring, active 24 h later. Instances that already read the new
    # ring and instances that have not yet both serve the rep, in any order.
    rotated = ring_text(("b", KEY_B, T0 + timedelta(hours=24)), ("legacy", KEY_A, epoch))
    after, box = app(rotated)
    assert await after.crm_token(principal, ORG) == "at"
    assert await before.crm_token(principal, ORG) == "at"  # still sealed with A: old instance reads

    # B becomes active; the next refresh re-seals the rep's cache with B.
    clock.advance(hours=23)
    await after.resolve_session(signed_in.session_id)  # the rep keeps working (idle limit 24 h)
    clock.advance(hours=2)
    assert await after.crm_token(await after.resolve_session(signed_in.session_id), ORG) == "at"
    [(row, _)] = tables.table.rows.values()
    assert box.sealed_with(bytes(row["Cache"])) == "b"

    # A retired: the session still works, its cache now being sealed with B. (The rotate command
    # retires A only when no session from before B's activation can be alive any more, see
    # tests/infra/test_token_cache_key.py; here the point is that nothing still needs A.)
    retired, _ = app(ring_text(("b", KEY_B, T0 + timedelta(hours=24))))
    clock.advance(hours=1)
    assert await retired.crm_token(await retired.resolve_session(signed_in.session_id), ORG) == "at"
    assert identity.calls.count("finish_login") == 1, "nobody was asked to sign in again"
