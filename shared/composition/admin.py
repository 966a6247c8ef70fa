"""The admin console's services in the composition root."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from shared.adapters.tables.client import TABLES
from shared.domain.orgs import CrmOrg
from shared.services.bulk import BulkService
from shared.services.designer import DesignerService
from shared.services.first_use import FirstUseCheck
from shared.services.health import HealthDependencies, OrgHealthService
from shared.services.migration import MoveService
from shared.services.model_quality import ModelQualityService
from shared.services.writeback_log import WritebackLogService

if TYPE_CHECKING:
    pass

# MSAL (with requests/urllib3), PyJWT, cryptography and the Dataverse gateway are imported when a
# worker first needs them, not when function_app is imported: opening an existing project (the
# commonest request, and often the one that wakes a cold instance) needs none of them.
from shared.composition.services import ServiceParts


class AdminParts(ServiceParts):
    """Designer, moves, health, the write-back log, bulk re-write, model quality."""

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

    def _on_org_use(self) -> Callable[[CrmOrg], None] | None:
        return self.first_use_check.note_use if self.settings.startup_check else None

    @cached_property
    def first_use_check(self) -> FirstUseCheck:
        """The start-up check on first use of an org (as the app, in the background)."""
        checker = FirstUseCheck(check=lambda org: self.org_health.check(principal=None, org=org))
        self._closers.append(checker.aclose)
        return checker

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


def shipped_solution_version() -> str:
    """The Dynamics package version this deployment ships: the VERSION file deployed with the app
    (four parts, as Dataverse writes versions)."""
    from shared.domain.dynamics_solution import solution_version

    version_file = Path(__file__).resolve().parents[2] / "VERSION"
    return solution_version(version_file.read_text(encoding="utf-8"))
