"""Azure Table Storage plumbing shared by every store: one service client per worker, table names,
error mapping into the domain tree, lazy table creation and an operation counter.

Connection: an Azurite/Azure connection string (dev), or the table endpoint with a managed identity
(Azure). The client is created lazily inside the running event loop (aiohttp sessions are bound to
the loop that creates them), never at import.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from azure.core import MatchConditions
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineRequest
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

from shared.domain.errors import Conflict, StorageUnavailable

T = TypeVar("T")

# Logical table -> suffix appended to the configured prefix ("cockpit" -> "cockpitProjects").
TABLES: dict[str, str] = {
    "projects": "Projects",
    "evaluations": "Evaluations",
    "solutions": "Solutions",
    "settings": "Settings",
    "sessions": "Sessions",
    "login_flows": "LoginFlows",
    "token_caches": "TokenCaches",
    "outbox": "Outbox",
    "my_projects": "MyProjects",
    # The admin console: the write-back log, per-org admin records, the solution designer.
    "writeback_log": "WritebackLog",
    "admin_state": "AdminState",
    "designs": "SolutionDesigns",
}

# A point operation normally takes ~1 ms on Azurite and tens of ms on Azure. Short timeouts and few
# retries keep a dead storage account from hanging requests (health must answer within 2 s).
CONNECTION_TIMEOUT_S = 2
READ_TIMEOUT_S = 4
RETRY_TOTAL = 1
# One operation (retries included) never takes longer than this: a frozen storage account makes a
# request answer 503 within seconds instead of hanging (queries over many rows pass their own).
OPERATION_TIMEOUT_S = 8.0


class StorageOpCounter:
    """Counts storage operations (HTTP requests actually sent, retries included) per table and
    method. Tests assert call budgets with it; it is cheap enough to leave on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def record(self, table: str, method: str) -> None:
        with self._lock:
            self._counts[(table, method)] += 1

    def total(self, table: str | None = None) -> int:
        with self._lock:
            return sum(n for (t, _), n in self._counts.items() if table is None or t == table)

    def snapshot(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


def _counting_hook(counter: StorageOpCounter) -> Callable[[PipelineRequest[Any]], None]:
    """A ``raw_request_hook``: azure-data-tables builds its own pipeline (ignoring
    ``per_retry_policies``) but runs CustomHookPolicy after the retry policy, so this sees every
    request that goes on the wire, retries included."""

    def hook(request: PipelineRequest[Any]) -> None:
        path = request.http_request.url.split("?", 1)[0]
        segment = path.rstrip("/").rsplit("/", 1)[-1]
        table = segment.split("(", 1)[0] or "?"
        counter.record(table, request.http_request.method)

    return hook


@dataclass
class TableConnection:
    """How to reach the storage account. Exactly one of ``connection_string`` / ``endpoint``."""

    connection_string: str | None = None
    endpoint: str | None = None
    credential: AsyncTokenCredential | None = None


@dataclass
class Tables:
    """The worker's table clients, created on first use in the running loop."""

    connection: TableConnection
    prefix: str
    counter: StorageOpCounter = field(default_factory=StorageOpCounter)
    _service: TableServiceClient | None = field(default=None, init=False, repr=False)
    _clients: dict[str, TableClient] = field(default_factory=dict, init=False, repr=False)

    def name(self, logical: str) -> str:
        return f"{self.prefix}{TABLES[logical]}"

    def service(self) -> TableServiceClient:
        if self._service is None:
            options: dict[str, Any] = {
                "retry_total": RETRY_TOTAL,
                "retry_backoff_factor": 0.2,
                "connection_timeout": CONNECTION_TIMEOUT_S,
                "read_timeout": READ_TIMEOUT_S,
                "raw_request_hook": _counting_hook(self.counter),
            }
            if self.connection.connection_string:
                self._service = TableServiceClient.from_connection_string(
                    self.connection.connection_string, **options
                )
            elif self.connection.endpoint and self.connection.credential:
                self._service = TableServiceClient(
                    endpoint=self.connection.endpoint,
                    credential=self.connection.credential,
                    **options,
                )
            else:  # Settings validation makes this unreachable; keep the message readable anyway.
                raise StorageUnavailable("no storage connection configured")
        return self._service

    def client(self, logical: str) -> TableClient:
        name = self.name(logical)
        client = self._clients.get(name)
        if client is None:
            client = self.service().get_table_client(name)
            self._clients[name] = client
        return client

    async def save_guarded(
        self, logical: str, entity: Mapping[str, Any], *, etag: str | None, conflict: Conflict
    ) -> str | None:
        """Optimistic concurrency in one request: create ``entity`` when ``etag`` is None (it must
        not exist yet), else replace it only while it is still at ``etag``. Returns the new ETag;
        raises ``conflict`` when another writer created or changed it first."""

        async def create(table: TableClient) -> Mapping[str, Any]:
            return await table.create_entity(entity)

        async def replace(table: TableClient) -> Mapping[str, Any]:
            return await table.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=etag,
                match_condition=MatchConditions.IfNotModified,
            )

        try:
            meta = await self.run(logical, replace if etag else create)
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            raise conflict from None
        new = meta.get("etag")
        return str(new) if new else None

    async def run(
        self,
        logical: str,
        op: Callable[[TableClient], Awaitable[T]],
        *,
        timeout: float = OPERATION_TIMEOUT_S,
    ) -> T:
        """Run ``op`` against a table, creating the table once if it does not exist yet, and map
        transport failures and a ``timeout`` to :class:`StorageUnavailable`. Other azure errors
        propagate for the store to interpret (exists / not found / modified)."""
        try:
            async with asyncio.timeout(timeout):
                return await self._run(logical, op)
        except TimeoutError as err:
            raise StorageUnavailable(f"storage did not answer within {timeout:g} s") from err

    async def _run(self, logical: str, op: Callable[[TableClient], Awaitable[T]]) -> T:
        client = self.client(logical)
        try:
            try:
                return await op(client)
            except (ResourceNotFoundError, HttpResponseError) as err:
                if not _is_table_missing(err):
                    raise
            # Tables are provisioned by Bicep in Azure; locally (and after an in-memory Azurite
            # restart) the first operation creates them.
            await self._create(client)
            return await op(client)
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            raise
        except ClientAuthenticationError as err:
            raise StorageUnavailable(f"storage refused our credentials: {_short(err)}") from err
        except (TimeoutError, ServiceRequestError, ServiceResponseError, OSError) as err:
            raise StorageUnavailable(f"storage did not answer: {_short(err)}") from err
        except HttpResponseError as err:
            if err.status_code is not None and err.status_code >= 500:
                raise StorageUnavailable(f"storage failed: {_short(err)}") from err
            raise
        except AzureError as err:
            raise StorageUnavailable(f"storage error: {_short(err)}") from err

    async def _create(self, client: TableClient) -> None:
        try:
            await client.create_table()
        except ResourceExistsError:
            pass  # another worker created it first

    async def ping(self) -> None:
        """One cheap request proving the account answers (used by /healthz)."""

        async def _probe(service: TableServiceClient) -> None:
            async for _ in service.list_tables(results_per_page=1):
                break

        try:
            await _probe(self.service())
        except ClientAuthenticationError as err:
            raise StorageUnavailable(f"storage refused our credentials: {_short(err)}") from err
        except (TimeoutError, AzureError, OSError) as err:
            raise StorageUnavailable(f"storage did not answer: {_short(err)}") from err

    async def probe(self, logical: str) -> None:
        """One cheap query against a table (the admin health check): raises StorageUnavailable
        or the azure error when the table does not answer."""

        async def op(table: TableClient) -> None:
            pages = table.query_entities(
                "PartitionKey eq @p", parameters={"p": "~probe"}, results_per_page=1
            ).by_page()
            async for page in pages:
                async for _ in page:
                    break
                break

        await self.run(logical, op)

    async def close(self) -> None:
        if self._service is not None:
            await self._service.close()
        self._service = None
        self._clients.clear()


def _is_table_missing(err: Exception) -> bool:
    if getattr(err, "error_code", None) == "TableNotFound":  # a str enum compares by value
        return True
    # Some SDK paths re-raise without ``error_code`` (create_entity); the body still says it.
    return "TableNotFound" in str(err)


def _short(err: Exception) -> str:
    """First line of an azure error, without request ids or response bodies."""
    text = str(err).strip().splitlines()
    return text[0][:200] if text else err.__class__.__name__
