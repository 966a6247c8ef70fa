"""Health: the liveness probe (``/healthz``: storage answers) and the admin console's per-org
check of everything the cockpit depends on (Dynamics solution, target column, background
identity, credential, storage and tables, token cache key)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from shared.domain.admin_log import LogEvent, LogOutcome, entry
from shared.domain.crm import CrmCaller
from shared.domain.crm_admin import COCKPIT_SOLUTION
from shared.domain.errors import (
    CockpitError,
    ConfigurationInvalid,
    CrmAccessDenied,
    CrmRecordNotFound,
    StorageUnavailable,
)
from shared.domain.health import (
    TARGET_CHECKS,
    Check,
    CheckStatus,
    HealthReport,
    failed,
    judge_app_user,
    judge_installation,
    judge_target,
    judge_write_access,
    not_asked,
    ok,
    skipped,
)
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg
from shared.ports import (
    AdminStateStore,
    Clock,
    CrmAdminGateway,
    CrmCallers,
    CrmGateway,
    HealthProbe,
    IdentityProvider,
    OrgSettingsStore,
    ProjectDirectory,
    WritebackLogStore,
)
from shared.services.admin_common import append_quietly, require_admin
from shared.services.writeback import background_principal

# The health endpoint must answer within 2 s even when storage hangs.
STORAGE_PROBE_TIMEOUT_S = 1.5


@dataclass(frozen=True)
class Health:
    ok: bool
    storage: str  # "ok" or a readable reason


async def check_health(*, storage: HealthProbe, timeout: float = STORAGE_PROBE_TIMEOUT_S) -> Health:
    """Probe storage once, bounded by ``timeout``."""
    try:
        await asyncio.wait_for(storage.ping(), timeout=timeout)
    except TimeoutError:
        return Health(ok=False, storage=f"storage did not answer within {timeout:g} s")
    except StorageUnavailable as err:
        return Health(ok=False, storage=err.detail or "storage unavailable")
    return Health(ok=True, storage="ok")


# --- the admin console's per-org health (docs/architecture.md, "Admin console") -------------------

# Every storage question of the admin health check is bounded, so a hung account answers "✘"
# instead of hanging the page.
ADMIN_STORAGE_TIMEOUT_S = 3.0
_PROBE_TEXT = b"cockpit health probe"


class StorageProbe(Protocol):
    async def ping(self) -> None: ...

    async def probe(self, logical: str) -> None: ...


class Sealer(Protocol):
    def seal(self, plaintext: bytes, *, associated: str) -> bytes: ...

    def open(self, blob: bytes, *, associated: str) -> bytes: ...


@dataclass(frozen=True)
class HealthDependencies:
    """What the check looks at besides the CRM: the app registration, storage, the cache key."""

    client_id: str
    public_base_url: str  # what the Cockpit URL variable must name
    solution_version: str  # the package version this deployment ships (four parts)
    storage: StorageProbe
    table_names: tuple[str, ...]
    token_key: Callable[[], Sealer]


class OrgHealthService:
    """Checks one org (on the admin page, at ``/api/admin/health`` and on a timer) and logs what
    newly fails or recovers. An administrator's run asks Dynamics as that administrator (the
    access rule: Dynamics decides what the admin may read); the timer asks as the app."""

    def __init__(
        self,
        *,
        crm: CrmGateway,
        crm_admin: CrmAdminGateway,
        callers: CrmCallers,
        identity: IdentityProvider,
        org_settings: OrgSettingsStore,
        directory: ProjectDirectory,
        state: AdminStateStore,
        log: WritebackLogStore | None,
        deps: HealthDependencies,
        clock: Clock,
        admin_role: str,
    ) -> None:
        self._crm = crm
        self._admin = crm_admin
        self._callers = callers
        self._identity = identity
        self._settings = org_settings
        self._directory = directory
        self._state = state
        self._log = log
        self._deps = deps
        self._clock = clock
        self._role = admin_role

    async def check(self, *, principal: Principal | None, org: CrmOrg) -> HealthReport:
        """Every check of ``org``; ``principal`` None is the timer (as the app)."""
        if principal is not None:
            require_admin(principal, self._role)
        asker = principal or background_principal(org.tenant_id)
        caller = self._callers.caller(asker, org)
        solution, target, app, storage = await asyncio.gather(
            self._solution(org, caller),
            self._target(org, caller),
            self._app(org, caller, principal),
            self._storage(),
        )
        checks = (solution, *target, *app, *storage, self._token_key())
        report = HealthReport(
            tenant_id=org.tenant_id, org=org.name, at=self._clock.now(), checks=checks
        )
        await self._log_changes(report, principal)
        return report

    async def _solution(self, org: CrmOrg, caller: CrmCaller) -> Check:
        """The start-up check (docs/architecture.md, "Admin console"): the cockpit's Dynamics
        solution is installed, in the version this deployment ships, managed, and its Cockpit URL
        variable points at this deployment."""
        try:
            found = await self._admin.installed_solution(
                org=org, unique_name=COCKPIT_SOLUTION, caller=caller
            )
            variables = (
                await self._admin.cockpit_url_variable(org=org, caller=caller)
                if found is not None
                else {"value": []}
            )
        except CrmRecordNotFound:
            # Dataverse always has the solution table; an org without it has no solution either.
            found, variables = None, {"value": []}
        except CockpitError as err:
            return not_asked("dynamics_solution", err.code)
        return judge_installation(
            found,
            variables,
            expected_version=self._deps.solution_version,
            cockpit_url=self._deps.public_base_url,
        )

    async def _target(self, org: CrmOrg, caller: CrmCaller) -> list[Check]:
        try:
            settings = await asyncio.wait_for(
                self._settings.get(tenant_id=org.tenant_id, org=org.name),
                ADMIN_STORAGE_TIMEOUT_S,
            )
        except (CockpitError, TimeoutError) as err:
            code = err.code if isinstance(err, CockpitError) else "storage_unavailable"
            return [not_asked(c, code) for c in TARGET_CHECKS]
        try:
            info = await self._crm.field_info(org=org, field=settings.target_field, caller=caller)
        except (CrmRecordNotFound, ConfigurationInvalid):
            info = None
        except CockpitError as err:
            return [not_asked(c, err.code) for c in TARGET_CHECKS]
        return judge_target(settings.target_field, info)

    async def _app(self, org: CrmOrg, caller: CrmCaller, admin: Principal | None) -> list[Check]:
        """The background identity: a token, the application user, acting for users, writing."""
        try:
            await self._identity.acquire_for_app(tenant_id=org.tenant_id, scopes=[org.app_scope])
            token = ok("app_token", "health_app_token_ok")
        except CockpitError as err:
            token = failed(
                "app_token", "health_app_token_failed", "fix_app_credential", error=err.code
            )
        try:
            user = await self._admin.application_user(
                org=org, app_id=self._deps.client_id, caller=caller
            )
            app_user = judge_app_user(self._deps.client_id, user)
        except CockpitError as err:
            app_user = not_asked("app_user", err.code)
        if token.status is not CheckStatus.OK or app_user.status is not CheckStatus.OK:
            because = "app_token" if token.status is not CheckStatus.OK else "app_user"
            return [
                token,
                app_user,
                skipped("app_impersonate", because),
                skipped("app_write", because),
            ]
        return [token, app_user, await self._impersonation(org, admin), await self._write(org)]

    async def _impersonation(self, org: CrmOrg, admin: Principal | None) -> Check:
        if admin is None:
            return skipped("app_impersonate", "timer")
        caller = self._callers.caller(
            background_principal(org.tenant_id), org, impersonate=admin.object_id
        )
        try:
            await self._crm.who_am_i(org=org, caller=caller)
        except CrmAccessDenied:
            return failed(
                "app_impersonate", "health_app_impersonate_missing", "fix_app_impersonate"
            )
        except CockpitError as err:
            return not_asked("app_impersonate", err.code)
        return ok("app_impersonate", "health_app_impersonate_ok")

    async def _write(self, org: CrmOrg) -> Check:
        """``RetrievePrincipalAccess`` of the application user on one of the org's opportunities
        (one with a project, so it is one the cockpit really writes)."""
        try:
            projects = await asyncio.wait_for(
                self._directory.projects(tenant_id=org.tenant_id, org=org.name),
                ADMIN_STORAGE_TIMEOUT_S,
            )
        except (CockpitError, TimeoutError):
            return skipped("app_write", "storage")
        if not projects:
            return skipped("app_write", "no_project")
        sample = min(p.key.opportunity_id for p in projects)
        caller = self._callers.caller(background_principal(org.tenant_id), org)
        try:
            rights = await self._crm.my_access(org=org, opportunity_id=sample, caller=caller)
        except CrmAccessDenied:
            rights = frozenset()
        except CrmRecordNotFound:
            return skipped("app_write", "no_project")
        except CockpitError as err:
            return not_asked("app_write", err.code)
        return judge_write_access(rights)

    async def _storage(self) -> list[Check]:
        try:
            await asyncio.wait_for(self._deps.storage.ping(), ADMIN_STORAGE_TIMEOUT_S)
        except (CockpitError, TimeoutError):
            return [
                failed("storage", "health_storage_down", "fix_storage"),
                skipped("tables", "storage"),
            ]
        broken: list[str] = []
        for name in self._deps.table_names:
            try:
                await asyncio.wait_for(self._deps.storage.probe(name), ADMIN_STORAGE_TIMEOUT_S)
            except Exception:  # any answer but a good one means the table cannot be used
                broken.append(name)
        tables = (
            failed("tables", "health_tables_broken", "fix_tables", tables=", ".join(broken))
            if broken
            else ok("tables", "health_tables_ok", count=len(self._deps.table_names))
        )
        return [ok("storage", "health_storage_ok"), tables]

    def _token_key(self) -> Check:
        try:
            box = self._deps.token_key()
            sealed = box.seal(_PROBE_TEXT, associated="health")
            if box.open(sealed, associated="health") != _PROBE_TEXT:
                raise ValueError("round trip changed the text")
        except Exception:
            return failed("token_cache_key", "health_key_broken", "fix_key")
        return ok("token_cache_key", "health_key_ok")

    async def _log_changes(self, report: HealthReport, principal: Principal | None) -> None:
        """A failure is logged when it appears and when it clears, not at every run."""
        failing = {c.id: c for c in report.failures()}
        try:
            before = await asyncio.wait_for(
                self._state.health_failures(tenant_id=report.tenant_id, org=report.org),
                ADMIN_STORAGE_TIMEOUT_S,
            )
        except (CockpitError, TimeoutError):
            before = None
        previous = before or frozenset()
        for check_id in sorted(set(failing) - previous):
            await self._append(report, LogOutcome.HEALTH_FAILED, failing[check_id], principal)
        for check_id in sorted(previous - set(failing)):
            recovered = report.by_id().get(check_id)
            if recovered is not None:
                await self._append(report, LogOutcome.HEALTH_RECOVERED, recovered, principal)
        if before is None or previous != set(failing):
            try:
                await asyncio.wait_for(
                    self._state.save_health_failures(
                        tenant_id=report.tenant_id,
                        org=report.org,
                        failing=frozenset(failing),
                        at=report.at,
                    ),
                    ADMIN_STORAGE_TIMEOUT_S,
                )
            except (CockpitError, TimeoutError):
                pass  # storage is down: the storage check says so already

    async def _append(
        self, report: HealthReport, outcome: LogOutcome, check: Check, principal: Principal | None
    ) -> None:
        item = entry(
            tenant_id=report.tenant_id,
            org=report.org,
            at=report.at,
            event=LogEvent.HEALTH,
            outcome=outcome,
            user=principal.object_id if principal is not None else None,
            code=check.code,
            params={"check": check.id},
        )
        try:
            await asyncio.wait_for(append_quietly(self._log, item), ADMIN_STORAGE_TIMEOUT_S)
        except TimeoutError:
            pass
