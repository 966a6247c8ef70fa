"""The admin's per-org settings: which opportunity column receives the probability (checked against
live metadata, read as the admin) and what happens with closed opportunities."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.admin_log import LogEvent, LogOutcome, entry
from shared.domain.errors import (
    CockpitError,
    ConfigurationInvalid,
    Conflict,
    CrmError,
    CrmRecordNotFound,
    Forbidden,
)
from shared.domain.identity import Principal
from shared.domain.org_settings import OrgSettings
from shared.domain.orgs import CrmOrg
from shared.domain.writeback import ClosedPolicy, FieldCheck, check_target_field
from shared.ports import Clock, CrmCallers, CrmGateway, OrgSettingsStore, WritebackLogStore
from shared.services.admin_common import append_quietly


@dataclass(frozen=True)
class AdminOrgView:
    settings: OrgSettings
    candidates: list[FieldCheck]  # numeric, updatable columns and whether each may be chosen
    current: FieldCheck | None  # the configured field, checked against live metadata
    crm_error: CockpitError | None


class AdminService:
    def __init__(
        self,
        *,
        org_settings: OrgSettingsStore,
        crm: CrmGateway,
        callers: CrmCallers,
        clock: Clock,
        admin_role: str,
        log: WritebackLogStore | None = None,
    ) -> None:
        self._settings = org_settings
        self._log = log
        self._crm = crm
        self._callers = callers
        self._clock = clock
        self._admin_role = admin_role

    def is_admin(self, principal: Principal) -> bool:
        return principal.has_role(self._admin_role)

    def require_admin(self, principal: Principal) -> None:
        """The admin pages and API: the app role, nothing else (it grants no project access)."""
        if not self.is_admin(principal):
            raise Forbidden("administrators only", code="admin_only")

    async def org_view(self, *, principal: Principal, org: CrmOrg) -> AdminOrgView:
        """The current choice and every candidate column from live metadata."""
        self.require_admin(principal)
        settings = await self._settings.get(tenant_id=principal.tenant_id, org=org.name)
        caller = self._callers.caller(principal, org)
        try:
            fields = await self._crm.numeric_fields(org=org, caller=caller)
        except CrmError as err:
            return AdminOrgView(settings=settings, candidates=[], current=None, crm_error=err)
        checks = [
            check_target_field(f) for f in sorted(fields, key=lambda f: f.display_name.lower())
        ]
        current = next((c for c in checks if c.field.logical_name == settings.target_field), None)
        if current is None:
            current = await self._check_field(
                principal=principal, org=org, field=settings.target_field
            )
        return AdminOrgView(settings=settings, candidates=checks, current=current, crm_error=None)

    async def save_settings(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        target_field: str,
        closed_policy: ClosedPolicy,
        etag: str | None,
    ) -> OrgSettings:
        """Re-validate the chosen field against live metadata, then save (ETag-conditional)."""
        self.require_admin(principal)
        check = await self._check_field(principal=principal, org=org, field=target_field)
        if check is None:
            raise ConfigurationInvalid(
                f"no opportunity column {target_field!r}",
                code="target_field_missing",
                params={"field": target_field},
            )
        if not check.ok:
            raise ConfigurationInvalid(
                f"{target_field}: {', '.join(r.code for r in check.refusals)}",
                code="target_field_refused",
                params={"field": target_field, "reasons": [r.code for r in check.refusals]},
            )
        current = await self._settings.get(tenant_id=principal.tenant_id, org=org.name)
        if etag is not None and current.etag is not None and etag != current.etag:
            raise Conflict("another administrator changed these settings meanwhile")
        changed = current.changed(
            target_field=target_field,
            closed_policy=closed_policy,
            by=principal.object_id,
            at=self._clock.now(),
        )
        saved = await self._settings.save(changed)
        await append_quietly(
            self._log,
            entry(
                tenant_id=principal.tenant_id,
                org=org.name,
                at=self._clock.now(),
                event=LogEvent.SETTINGS,
                outcome=LogOutcome.SETTINGS_SAVED,
                user=principal.object_id,
                column=target_field,
                params={
                    "field_before": current.target_field,
                    "field_after": target_field,
                    "policy_before": current.closed_policy.value,
                    "policy_after": closed_policy.value,
                },
            ),
        )
        return saved

    async def _check_field(
        self, *, principal: Principal, org: CrmOrg, field: str
    ) -> FieldCheck | None:
        try:
            info = await self._crm.field_info(
                org=org, field=field, caller=self._callers.caller(principal, org)
            )
        except (CrmRecordNotFound, ConfigurationInvalid):  # no such column
            return None
        return check_target_field(info)
