"""Composition root: builds every adapter once per worker process from :class:`Settings`.

The Functions host (through ``function_app.py``), uvicorn (``make run``) and the tests all use
:class:`Container`; tests pass other parts (in-memory stores, fakes, counters, transports, clocks) as
keyword arguments named after the part they replace, instead of monkeypatching: the real services
are then built around them. Building does no I/O: network clients, TLS contexts and CA
files are created on first use (``functools.cached_property``), so importing ``function_app`` stays
cheap and a worker that never calls Dataverse never opens a connection to it.
"""

from __future__ import annotations

import ssl
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from shared.adapters.clock import SystemClock
from shared.adapters.tables.admin_state import TableAdminStateStore
from shared.adapters.tables.client import TABLES, StorageOpCounter, TableConnection, Tables
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
from shared.services.access import AccessPolicy
from shared.services.admin import AdminService
from shared.services.auth import AuthConfig, AuthService
from shared.services.bulk import BulkService
from shared.services.designer import DesignerService
from shared.services.followups import FollowUpService
from shared.services.health import HealthDependencies, OrgHealthService
from shared.services.migration import MoveService
from shared.services.model_quality import ModelQualityService
from shared.services.my_cockpit import MyCockpitService
from shared.services.orgs import OrgDirectory
from shared.services.predictive import PredictiveScoreService
from shared.services.projects import ProjectService
from shared.services.qualification import QualificationService
from shared.services.readiness import ReadinessService
from shared.services.writeback import WritebackService
from shared.services.writeback_log import WritebackLogService
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.adapters.crypto import SecretBox

# MSAL (with requests/urllib3), PyJWT, cryptography and the Dataverse gateway are imported when a
# worker first needs them, not when function_app is imported: opening an existing project (the
# commonest request, and often the one that wakes a cold instance) needs none of them.


class Container:
    """Everything a worker needs, built lazily. ``overrides`` replace parts by name (any cached
    part below: ``projects``, ``crm``, ``identity``, ``clock`` …) for tests."""

    def __init__(
        self,
        settings: Settings,
        *,
        storage_counter: StorageOpCounter | None = None,
        outbound_transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = settings
        self.storage_counter = storage_counter or StorageOpCounter()
        self._transport = outbound_transport
        self._closers: list[Any] = []
        for name, part in overrides.items():
            if not isinstance(getattr(type(self), name, None), cached_property):
                raise TypeError(f"Container has no part named {name!r} to override")
            # cached_property reads the instance dict first: the override *is* the built part.
            self.__dict__[name] = part

    @cached_property
    def clock(self) -> Clock:
        return SystemClock()

    # --- storage ----------------------------------------------------------------------------------
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

    # --- outbound HTTP ----------------------------------------------------------------------------
    @cached_property
    def http(self) -> httpx.AsyncClient:
        """One pooled client per worker for Entra key fetches and Dataverse, with explicit timeouts.
        Tests inject a transport; in dev the simulators' CA is trusted explicitly."""
        verify: ssl.SSLContext | bool = True
        if self.settings.entra_ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(self.settings.entra_ca_bundle))
        client = httpx.AsyncClient(
            transport=self._transport,
            verify=verify,
            timeout=httpx.Timeout(self.settings.dataverse_timeout_seconds, connect=5.0),
            # Sized to the requests one instance serves at once (COCKPIT_HTTP_POOL_SIZE): each
            # holds at most one Dataverse call at a time; twice that leaves room for the timers
            # and key fetches without letting a burst open hundreds of sockets.
            limits=httpx.Limits(
                max_connections=2 * self.settings.http_pool_size,
                max_keepalive_connections=self.settings.http_pool_size,
            ),
            # Never pick up proxies or CA bundles from the environment: configuration is explicit.
            trust_env=False,
            follow_redirects=False,
        )
        self._closers.append(client.aclose)
        return client

    # --- identity ---------------------------------------------------------------------------------
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
    def auth(self) -> AuthService:
        s = self.settings
        return AuthService(
            identity=self.identity,
            sessions=self.sessions,
            flows=self.login_flows,
            caches=self.token_caches,
            clock=self.clock,
            config=AuthConfig(
                public_base_url=s.public_base_url,
                login_scopes=(s.orgs[0].user_scope,),
                allowed_tenants=s.allowed_tenants,
                session_idle=timedelta(minutes=s.session_idle_minutes),
                session_absolute=timedelta(hours=s.session_absolute_hours),
            ),
        )

    # --- CRM and the journey ----------------------------------------------------------------------
    @cached_property
    def crm(self) -> CrmGateway:
        # The gateway with the admin console's reads: one transport for both (docs/architecture.md).
        from shared.adapters.dataverse.admin_queries import DataverseAdminGateway
        from shared.adapters.dataverse.transport import RetryPolicy

        s = self.settings
        return DataverseAdminGateway(
            client=self.http,
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
    def orgs(self) -> OrgDirectory:
        return OrgDirectory(self.settings.orgs)

    @cached_property
    def access(self) -> AccessPolicy:
        return AccessPolicy(
            crm=self.crm,
            callers=self.auth,
            clock=self.clock,
            interactive_budget_seconds=self.settings.dataverse_interactive_budget_seconds,
        )

    @cached_property
    def projects_service(self) -> ProjectService:
        return ProjectService(
            access=self.access,
            projects=self.projects,
            evaluations=self.evaluations,
            solutions=self.solutions,
            org_settings=self.org_settings,
            clock=self.clock,
            crm=self.crm,
            callers=self.auth,
            my_projects=self.my_projects,
            interactive_budget_seconds=self.settings.dataverse_interactive_budget_seconds,
        )

    @cached_property
    def my_projects(self) -> MyProjectsStore:
        return TableMyProjectsStore(self.tables)

    @cached_property
    def predictive(self) -> PredictiveScoreService:
        return PredictiveScoreService(
            crm=self.crm,
            callers=self.auth,
            clock=self.clock,
            org_settings=self.org_settings,
            interactive_budget_seconds=self.settings.dataverse_interactive_budget_seconds,
        )

    @cached_property
    def followups(self) -> FollowUpService:
        return FollowUpService(
            access=self.access,
            projects=self.projects,
            solutions=self.solutions,
            crm=self.crm,
            callers=self.auth,
            interactive_budget_seconds=self.settings.dataverse_interactive_budget_seconds,
        )

    @cached_property
    def my_cockpit(self) -> MyCockpitService:
        return MyCockpitService(
            entries=self.my_projects,
            projects=self.projects,
            evaluations=self.evaluations,
            solutions=self.solutions,
            crm=self.crm,
            callers=self.auth,
            interactive_budget_seconds=self.settings.dataverse_interactive_budget_seconds,
        )

    @cached_property
    def writeback(self) -> WritebackService:
        return WritebackService(
            evaluations=self.evaluations,
            outbox=self.outbox,
            org_settings=self.org_settings,
            crm=self.crm,
            callers=self.auth,
            orgs=self.orgs,
            clock=self.clock,
            grace=timedelta(seconds=self.settings.writeback_grace_seconds),
            interactive_budget_seconds=self.settings.dataverse_interactive_budget_seconds,
            log=self.writeback_log,
        )

    @cached_property
    def qualification(self) -> QualificationService:
        return QualificationService(
            access=self.access,
            projects=self.projects,
            evaluations=self.evaluations,
            solutions=self.solutions,
            writeback=self.writeback,
            clock=self.clock,
            admin_role=self.settings.admin_role,
            org_settings=self.org_settings,
            my_projects=self.my_projects,
            predictive=self.predictive,
            crm=self.crm,
            callers=self.auth,
        )

    @cached_property
    def admin(self) -> AdminService:
        return AdminService(
            org_settings=self.org_settings,
            crm=self.crm,
            callers=self.auth,
            clock=self.clock,
            admin_role=self.settings.admin_role,
            log=self.writeback_log,
        )

    @cached_property
    def outbox(self) -> OutboxStore:
        return TableOutboxStore(self.tables)

    # --- the admin console --------------------------------------------------------------------------
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
    def log_service(self) -> WritebackLogService:
        return WritebackLogService(
            store=self.writeback_log,
            state=self.admin_state,
            projects=self.projects,
            directory=self.directory,
            writeback=self.writeback,
            orgs=self.orgs,
            clock=self.clock,
            admin_role=self.settings.admin_role,
        )

    @cached_property
    def designer(self) -> DesignerService:
        return DesignerService(
            drafts=self.drafts,
            catalog=self.solution_catalog,
            qualification=self.qualification,
            orgs=self.orgs,
            log=self.writeback_log,
            clock=self.clock,
            admin_role=self.settings.admin_role,
        )

    @cached_property
    def moves(self) -> MoveService:
        return MoveService(
            access=self.access,
            projects=self.projects,
            directory=self.directory,
            evaluations=self.evaluations,
            solutions=self.solutions,
            writeback=self.writeback,
            log=self.writeback_log,
            clock=self.clock,
            admin_role=self.settings.admin_role,
        )

    @cached_property
    def org_health(self) -> OrgHealthService:
        return OrgHealthService(
            crm=self.crm,
            crm_admin=self.crm_admin,
            callers=self.auth,
            identity=self.identity,
            org_settings=self.org_settings,
            directory=self.directory,
            state=self.admin_state,
            log=self.writeback_log,
            deps=self.health_dependencies,
            clock=self.clock,
            admin_role=self.settings.admin_role,
        )

    @cached_property
    def health_dependencies(self) -> HealthDependencies:
        return HealthDependencies(
            client_id=self.settings.client_id,
            public_base_url=self.settings.public_base_url,
            solution_version=shipped_solution_version(),
            storage=self.tables,
            table_names=tuple(TABLES),
            token_key=lambda: self.secret_box,
        )

    @cached_property
    def bulk(self) -> BulkService:
        return BulkService(
            crm=self.crm,
            crm_admin=self.crm_admin,
            callers=self.auth,
            directory=self.directory,
            org_settings=self.org_settings,
            state=self.admin_state,
            log=self.writeback_log,
            clock=self.clock,
            admin_role=self.settings.admin_role,
        )

    @cached_property
    def model_quality(self) -> ModelQualityService:
        return ModelQualityService(
            crm=self.crm,
            crm_admin=self.crm_admin,
            callers=self.auth,
            directory=self.directory,
            solutions=self.solutions,
            admin_role=self.settings.admin_role,
        )

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

    @cached_property
    def readiness(self) -> ReadinessService:
        from shared.adapters.probes import DependencyProbes

        s = self.settings
        probes = DependencyProbes(
            tables=self.tables,
            client=self.http,
            authority_host=s.entra_authority_host,
            tenant_id=sorted(s.allowed_tenants)[0],
        )
        return ReadinessService(probes=probes, orgs=s.orgs)

    async def aclose(self) -> None:
        if "tables" in self.__dict__:
            await self.tables.close()
        for closer in reversed(self._closers):
            await closer()
        self._closers.clear()


def shipped_solution_version() -> str:
    """The Dynamics package version this deployment ships: the VERSION file deployed with the app
    (four parts, as Dataverse writes versions)."""
    from shared.domain.dynamics_solution import solution_version

    version_file = Path(__file__).resolve().parents[1] / "VERSION"
    return solution_version(version_file.read_text(encoding="utf-8"))


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


def build_container(settings: Settings, **overrides: Any) -> Container:
    return Container(settings, **overrides)
