"""The adapters of the composition root (docs/architecture.md, "The layers"): storage, outbound
HTTP, Entra ID, the Dataverse gateways and every store — each built on first use, never at import."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import cached_property
from http.cookiejar import CookieJar
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from shared.adapters.clock import SystemClock
from shared.adapters.tables.admin_state import TableAdminStateStore
from shared.adapters.tables.client import StorageOpCounter, TableConnection, Tables
from shared.adapters.tables.designs import TableDraftStore
from shared.adapters.tables.directory import TableProjectDirectory
from shared.adapters.tables.evaluations import TableEvaluationStore
from shared.adapters.tables.identity import (
    TableLoginFlowStore,
    TableSessionStore,
    TableTokenCacheStore,
)
from shared.adapters.tables.my_projects import TableMyProjectsStore
from shared.adapters.tables.org_settings import TableOrgSettingsStore
from shared.adapters.tables.outbox import TableOutboxStore
from shared.adapters.tables.projects import TableProjectStore
from shared.adapters.tables.solutions import TableSolutionStore
from shared.adapters.tables.writeback_log import TableWritebackLogStore
from shared.adapters.wire import HttpxWire, Wire
from shared.ports import (
    AdminStateStore,
    BearerTokenVerifier,
    Clock,
    CrmAdminGateway,
    CrmGateway,
    DraftStore,
    EvaluationStore,
    IdentityProvider,
    LoginFlowStore,
    MyProjectsStore,
    OrgSettingsStore,
    OutboxStore,
    ProjectDirectory,
    ProjectStore,
    SessionStore,
    SolutionCatalog,
    SolutionStore,
    TokenCacheStore,
    WritebackLogStore,
)
from shared.settings import Settings

if TYPE_CHECKING:
    from http.client import HTTPResponse
    from http.cookiejar import Cookie
    from urllib.request import Request

    from shared.adapters.crypto import SecretBox

# MSAL (with requests/urllib3), PyJWT, cryptography and the Dataverse gateway are imported when a
# worker first needs them, not when function_app is imported: opening an existing project (the
# commonest request, and often the one that wakes a cold instance) needs none of them.


class AdapterParts:
    """The only I/O of a worker, built lazily from its settings."""

    settings: Settings
    storage_counter: StorageOpCounter
    _transport: httpx.AsyncBaseTransport | None
    _closers: list[Any]

    @cached_property
    def clock(self) -> Clock:
        return SystemClock()

    @cached_property
    def tables(self) -> Tables:
        return Tables(
            connection=_table_connection(self.settings),
            prefix=self.settings.table_prefix,
            counter=self.storage_counter,
        )

    @cached_property
    def secret_box(self) -> SecretBox:
        from shared.adapters.crypto import SecretBox, parse_key_ring

        # The key ring: seals with its newest active key, opens with any of its keys, so a
        # rotation signs nobody out (docs/operations.md, "Rotate the token-cache key").
        ring = parse_key_ring(self.settings.token_cache_key.get_secret_value())
        return SecretBox(ring, now=self.clock.now)

    @cached_property
    def projects(self) -> ProjectStore:
        return TableProjectStore(self.tables)

    @cached_property
    def sessions(self) -> SessionStore:
        return TableSessionStore(self.tables)

    @cached_property
    def login_flows(self) -> LoginFlowStore:
        return TableLoginFlowStore(self.tables, self.secret_box)

    @cached_property
    def token_caches(self) -> TokenCacheStore:
        return TableTokenCacheStore(self.tables, self.secret_box)

    @cached_property
    def outbound(self) -> OutboundHttp:
        """One pool per worker for Dataverse, Entra key fetches and readiness probes. Tests
        inject a transport; in dev the simulators' CA is trusted explicitly."""
        verify: ssl.SSLContext | bool = True
        if self.settings.entra_ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(self.settings.entra_ca_bundle))
        outbound = outbound_http(
            verify=verify,
            timeout_seconds=self.settings.dataverse_timeout_seconds,
            pool_size=self.settings.http_pool_size,
            transport=self._transport,
        )
        self._closers.append(outbound.aclose)
        return outbound

    @cached_property
    def http(self) -> httpx.AsyncClient:
        """httpx's API on the worker's pool (key fetches, probes)."""
        return self.outbound.client

    @cached_property
    def identity(self) -> IdentityProvider:
        from shared.adapters.entra.msal_adapter import MsalIdentityProvider

        s = self.settings
        tenants = sorted(s.allowed_tenants)
        provider = MsalIdentityProvider(
            client_id=s.client_id,
            client_credential=_client_credential(s),
            authority_host=s.entra_authority_host,
            # One tenant: its own authority. Several: "organizations", and the ID token's tid
            # is checked against the allow-list after sign-in.
            login_tenant=tenants[0] if len(tenants) == 1 else "organizations",
            ca_bundle=s.entra_ca_bundle,
            timeout_seconds=s.entra_timeout_seconds,
            pool_size=s.http_pool_size,
        )
        self._closers.append(_sync_closer(provider.close))
        return provider

    @cached_property
    def crm(self) -> CrmGateway:
        # The gateway with the admin console's reads: one transport for both (docs/architecture.md).
        from shared.adapters.dataverse.admin_queries import DataverseAdminGateway
        from shared.adapters.dataverse.transport import RetryPolicy

        s = self.settings
        return DataverseAdminGateway(
            wire=self.outbound.wire,
            policy=RetryPolicy(
                max_attempts=s.dataverse_max_attempts,
                retry_after_cap=s.dataverse_retry_after_cap_seconds,
                deadline_seconds=s.dataverse_deadline_seconds,
                per_user_concurrency=s.dataverse_per_user_concurrency,
            ),
        )

    @cached_property
    def evaluations(self) -> EvaluationStore:
        return TableEvaluationStore(self.tables)

    @cached_property
    def solutions(self) -> SolutionStore:
        return TableSolutionStore(self.tables)

    @cached_property
    def org_settings(self) -> OrgSettingsStore:
        return TableOrgSettingsStore(self.tables)

    @cached_property
    def my_projects(self) -> MyProjectsStore:
        return TableMyProjectsStore(self.tables)

    @cached_property
    def outbox(self) -> OutboxStore:
        return TableOutboxStore(self.tables)

    @cached_property
    def crm_admin(self) -> CrmAdminGateway:
        from shared.adapters.dataverse.admin_queries import DataverseAdminGateway

        crm = self.crm
        if isinstance(crm, DataverseAdminGateway):
            return crm
        raise TypeError("crm was replaced: replace crm_admin as well")

    @cached_property
    def writeback_log(self) -> WritebackLogStore:
        return TableWritebackLogStore(self.tables)

    @cached_property
    def admin_state(self) -> AdminStateStore:
        return TableAdminStateStore(self.tables)

    @cached_property
    def drafts(self) -> DraftStore:
        return TableDraftStore(self.tables)

    @cached_property
    def directory(self) -> ProjectDirectory:
        return TableProjectDirectory(self.tables)

    @cached_property
    def solution_catalog(self) -> SolutionCatalog:
        return TableProjectDirectory(self.tables)

    @cached_property
    def bearer(self) -> BearerTokenVerifier:
        from shared.adapters.entra.bearer import BearerVerifier, JwksCache

        s = self.settings
        return BearerVerifier(
            jwks=JwksCache(
                client=self.http, jwks_url=f"{s.entra_authority_host}/common/discovery/v2.0/keys"
            ),
            authority_host=s.entra_authority_host,
            audiences=s.audiences,
            allowed_tenants=s.allowed_tenants,
            required_scope=s.api_required_scope,
            allowed_clients=frozenset(str(c) for c in s.api_client_ids),
        )


@dataclass(frozen=True)
class OutboundHttp:
    """The worker's outbound HTTP: one pool, two ways in. ``client`` is httpx's API (Entra key
    fetches, readiness probes); ``wire`` is what the Dataverse gateway sends over
    (``shared/adapters/wire.py``)."""

    client: httpx.AsyncClient
    wire: Wire

    async def aclose(self) -> None:
        await self.client.aclose()  # closes the transport, and with it the wire's session

    async def __aenter__(self) -> OutboundHttp:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def outbound_http(
    *,
    verify: ssl.SSLContext | bool,
    timeout_seconds: float,
    pool_size: int,
    transport: httpx.AsyncBaseTransport | None = None,
) -> OutboundHttp:
    """The worker's outbound HTTP (``http`` and the gateway's wire above; the bench builds the
    gateway's the same way).

    Without an injected transport the pool is aiohttp's: httpx's API rides on it through
    ``httpx-aiohttp`` (https://github.com/karpetrosyan/httpx-aiohttp), and the Dataverse gateway
    sends straight on its session (``AiohttpWire``, ``shared/adapters/aiohttp_transport.py``).
    Measured against the Dataverse simulator, 500 reads + 500 write-backs (``make bench``
    section 4, docs/dataverse-client-bench.md), the gateway's time as a multiple of Microsoft's
    aiohttp-based client's, 1 / 16 operations at once: 1.77x / 2.32x on httpx's default transport
    without sniffio; 1.58x / 1.28x with it; 1.34x / 1.05x through httpx's API on aiohttp; about
    1.1x / 1.0x on the wire. With an injected transport (tests) everything, the gateway included,
    goes through the httpx client on it."""
    limits = httpx.Limits(
        # Sized to the requests one instance serves at once (COCKPIT_HTTP_POOL_SIZE): each holds
        # at most one Dataverse call at a time; twice that leaves room for the timers and key
        # fetches without letting a burst open hundreds of sockets.
        max_connections=2 * pool_size,
        max_keepalive_connections=pool_size,
    )
    timeout = httpx.Timeout(timeout_seconds, connect=5.0)
    wire: Wire | None = None
    if transport is None:
        from shared.adapters.aiohttp_transport import AiohttpOutboundTransport, AiohttpWire
        from shared.telemetry import outbound_trace_configs

        aiohttp_transport = AiohttpOutboundTransport(
            verify=verify, limits=limits, trace_configs=outbound_trace_configs()
        )
        wire = AiohttpWire(aiohttp_transport, timeout=timeout)
        transport = aiohttp_transport
    client = httpx.AsyncClient(
        transport=transport,
        verify=verify,
        timeout=timeout,
        limits=limits,
        # Never pick up proxies or CA bundles from the environment: configuration is explicit.
        trust_env=False,
        follow_redirects=False,
        cookies=_NoCookies(),
    )
    return OutboundHttp(client=client, wire=wire or HttpxWire(client))


class _NoCookies(CookieJar):
    """The outbound client keeps no cookie: Dataverse's affinity cookie would pin every user of
    the worker to one web server, against api-limits ("Remove the affinity cookie"). Ignoring
    ``Set-Cookie`` here also spares httpx turning every answer's headers into an e-mail message
    to look for it."""

    def extract_cookies(self, response: HTTPResponse, request: Request) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None


def _sync_closer(fn: Any) -> Any:
    async def close() -> None:
        fn()

    return close


def _client_credential(settings: Settings) -> str | dict[str, Any]:
    from shared.adapters.entra.credentials import msal_client_credential

    return msal_client_credential(
        mode=settings.client_credential_mode,
        client_secret=settings.client_secret.get_secret_value() if settings.client_secret else None,
        certificate_path=settings.client_certificate_path,
        certificate_password=(
            settings.client_certificate_password.get_secret_value()
            if settings.client_certificate_password
            else None
        ),
        managed_identity_client_id=settings.managed_identity_client_id,
        token_exchange_audience=token_exchange_audience(settings.entra_authority_host),
    )


def token_exchange_audience(authority_host: str) -> str:
    """The audience of the managed-identity token the federated credential accepts: one per Entra
    cloud (Learn, "Configure an application to trust a managed identity"); scripts/entra_cloud.py
    gives the credential the same one. Other hosts (the dev simulator) get the public value."""
    host = (urlsplit(authority_host).hostname or "").lower()
    if host.endswith(".us") or host.startswith("login.usgov"):
        return "api://AzureADTokenExchangeUSGov"
    if host.endswith(".cn"):
        return "api://AzureADTokenExchangeChina"
    return "api://AzureADTokenExchange"


def _table_connection(settings: Settings) -> TableConnection:
    if settings.storage_table_endpoint:
        # Azure: identity-based access (no shared keys). A managed identity with an explicit client
        # id is deterministic; DefaultAzureCredential is for a developer's own login only.
        if settings.managed_identity_client_id:
            from azure.identity.aio import ManagedIdentityCredential

            return TableConnection(
                endpoint=settings.storage_table_endpoint,
                credential=ManagedIdentityCredential(client_id=settings.managed_identity_client_id),
            )
        from azure.identity.aio import DefaultAzureCredential

        return TableConnection(
            endpoint=settings.storage_table_endpoint, credential=DefaultAzureCredential()
        )
    assert settings.storage_connection_string is not None  # guaranteed by Settings validation
    return TableConnection(connection_string=settings.storage_connection_string.get_secret_value())
