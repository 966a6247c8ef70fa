"""Identity state in Azure Tables: sessions, in-flight login flows and per-user MSAL token caches.

- Sessions: ``PartitionKey = sha256(session id)``, ``RowKey = "session"`` — one point read per
  request. The cookie value itself is never stored.
- Login flows: ``PartitionKey = sha256(state)``, ``RowKey = "flow"``; the MSAL flow dict is sealed
  (AES-GCM) because it holds the PKCE verifier and nonce. Single use: redeeming marks the row used
  with an ETag-conditional update, so of two concurrent redeemers exactly one wins.
- Token caches: ``PartitionKey = tenant id``, ``RowKey = object id``; the sealed MSAL cache with
  ETag concurrency (a writer holding a stale ETag gets :class:`Conflict`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.crypto import DecryptionFailed, SecretBox
from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import etag_of, get_or_none
from shared.domain.errors import Conflict
from shared.domain.identity import Session, hash_secret
from shared.domain.keys import check_key_part


class TableSessionStore:
    ROW = "session"

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def get(self, id_hash: str) -> Session | None:
        check_key_part(id_hash, what="session")

        async def op(table: TableClient) -> Mapping[str, Any] | None:
            return await get_or_none(table, id_hash, self.ROW)

        entity = await self._tables.run("sessions", op)
        if entity is None:
            return None
        return Session(
            id_hash=id_hash,
            tenant_id=entity["TenantId"],
            object_id=entity["ObjectId"],
            roles=frozenset(json.loads(entity.get("Roles", "[]"))),
            home_account_id=entity["HomeAccountId"],
            csrf_token=entity["CsrfToken"],
            created_at=entity["CreatedAt"],
            last_seen_at=entity["LastSeenAt"],
            expires_at=entity["ExpiresAt"],
            etag=etag_of(entity),
        )

    def _entity(self, session: Session) -> dict[str, Any]:
        return {
            "PartitionKey": session.id_hash,
            "RowKey": self.ROW,
            "TenantId": session.tenant_id,
            "ObjectId": session.object_id,
            "Roles": json.dumps(sorted(session.roles)),
            "HomeAccountId": session.home_account_id,
            "CsrfToken": session.csrf_token,
            "CreatedAt": session.created_at,
            "LastSeenAt": session.last_seen_at,
            "ExpiresAt": session.expires_at,
        }

    async def create(self, session: Session) -> None:
        entity = self._entity(session)

        async def op(table: TableClient) -> None:
            await table.create_entity(entity)

        await self._tables.run("sessions", op)

    async def touch(self, session: Session) -> None:
        """Best-effort sliding expiry: a concurrent touch winning is just as good."""
        entity = self._entity(session)

        async def op(table: TableClient) -> None:
            await table.update_entity(
                entity,
                mode=UpdateMode.MERGE,
                etag=session.etag,
                match_condition=MatchConditions.IfNotModified,
            )

        try:
            await self._tables.run("sessions", op)
        except (ResourceModifiedError, ResourceNotFoundError):
            pass

    async def delete(self, id_hash: str) -> None:
        async def op(table: TableClient) -> None:
            await table.delete_entity(id_hash, self.ROW)

        await self._tables.run("sessions", op)

    async def purge_expired(self, *, now: datetime) -> int:
        return await _purge(self._tables, "sessions", now=now)


class TableLoginFlowStore:
    ROW = "flow"

    def __init__(self, tables: Tables, box: SecretBox) -> None:
        self._tables = tables
        self._box = box

    async def put(self, *, state: str, flow: Mapping[str, Any], expires_at: datetime) -> None:
        pk = hash_secret(state)
        sealed = self._box.seal(json.dumps(dict(flow)).encode(), associated=pk)
        entity = {
            "PartitionKey": pk,
            "RowKey": self.ROW,
            "Flow": sealed,
            "ExpiresAt": expires_at,
            "Used": False,
        }

        async def op(table: TableClient) -> None:
            await table.create_entity(entity)

        try:
            await self._tables.run("login_flows", op)
        except ResourceExistsError:
            raise Conflict("login state collision") from None

    async def purge_expired(self, *, now: datetime) -> int:
        return await _purge(self._tables, "login_flows", now=now)

    async def take(self, *, state: str, now: datetime) -> dict[str, Any] | None:
        """The flow for ``state`` if it exists, is unexpired and unused — and mark it used."""
        pk = hash_secret(state)

        async def read(table: TableClient) -> Mapping[str, Any] | None:
            return await get_or_none(table, pk, self.ROW)

        entity = await self._tables.run("login_flows", read)
        if entity is None or entity.get("Used") or entity["ExpiresAt"] <= now:
            return None

        async def mark_used(table: TableClient) -> None:
            await table.update_entity(
                {"PartitionKey": pk, "RowKey": self.ROW, "Used": True},
                mode=UpdateMode.MERGE,
                etag=etag_of(entity),
                match_condition=MatchConditions.IfNotModified,
            )

        try:
            await self._tables.run("login_flows", mark_used)
        except (ResourceModifiedError, ResourceNotFoundError):
            return None  # someone redeemed it first
        try:
            flow: dict[str, Any] = json.loads(self._box.open(bytes(entity["Flow"]), associated=pk))
        except (DecryptionFailed, ValueError):
            return None
        return flow


class TableTokenCacheStore:
    def __init__(self, tables: Tables, box: SecretBox) -> None:
        self._tables = tables
        self._box = box

    @staticmethod
    def _aad(tenant_id: str, object_id: str) -> str:
        return f"msal-cache:{tenant_id}:{object_id}"

    async def get(self, *, tenant_id: str, object_id: str) -> tuple[str, str] | None:
        """(serialised MSAL cache, etag), or None when the user has none (or it is unreadable)."""

        async def op(table: TableClient) -> Mapping[str, Any] | None:
            return await get_or_none(table, tenant_id, object_id)

        entity = await self._tables.run("token_caches", op)
        if entity is None:
            return None
        try:
            plain = self._box.open(
                bytes(entity["Cache"]), associated=self._aad(tenant_id, object_id)
            )
        except DecryptionFailed:
            # Sealed with a key retired from the ring (older than any live session, see
            # docs/operations.md) or tampered with: no cache, the user signs in again.
            return None
        etag = etag_of(entity)
        return plain.decode(), etag or ""

    async def put(self, *, tenant_id: str, object_id: str, cache: str, etag: str | None) -> str:
        """Store the cache; ``etag`` None means "create". Returns the new etag; raises
        :class:`Conflict` when another request wrote it first."""
        sealed = self._box.seal(cache.encode(), associated=self._aad(tenant_id, object_id))
        entity = {"PartitionKey": tenant_id, "RowKey": object_id, "Cache": sealed}

        new = await self._tables.save_guarded(
            "token_caches",
            entity,
            etag=etag or None,
            conflict=Conflict("token cache changed concurrently"),
        )
        return new or ""


async def _purge(tables: Tables, logical: str, *, now: datetime) -> int:
    """Delete every row of ``logical`` whose ``ExpiresAt`` has passed (the clean-up timer)."""

    async def op(table: TableClient) -> int:
        deleted = 0
        query = table.query_entities(
            "ExpiresAt lt @now", parameters={"now": now}, select=["PartitionKey", "RowKey"]
        )
        async for entity in query:
            await table.delete_entity(entity["PartitionKey"], entity["RowKey"])
            deleted += 1
        return deleted

    return await tables.run(logical, op)
