"""The use cases of the composition root, built around its adapters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from shared.domain.orgs import CrmOrg
from shared.services.access import AccessPolicy
from shared.services.admin import AdminService
from shared.services.auth import AuthConfig, AuthService
from shared.services.followups import FollowUpService
from shared.services.my_cockpit import MyCockpitService
from shared.services.orgs import OrgDirectory
from shared.services.predictive import PredictiveScoreService
from shared.services.projects import ProjectService
from shared.services.qualification import QualificationService
from shared.services.readiness import PROBE_TIMEOUT_S, ReadinessService
from shared.services.writeback import WritebackService

if TYPE_CHECKING:
    pass

# MSAL (with requests/urllib3), PyJWT, cryptography and the Dataverse gateway are imported when a
# worker first needs them, not when function_app is imported: opening an existing project (the
# commonest request, and often the one that wakes a cold instance) needs none of them.
from shared.composition.adapters import AdapterParts


class ServiceParts(AdapterParts):
    """The rep's journey, sign-in, the access rule, write-back, readiness."""

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

    @cached_property
    def orgs(self) -> OrgDirectory:
        return OrgDirectory(self.settings.orgs, on_use=self._on_org_use())

    def _on_org_use(self) -> Callable[[CrmOrg], None] | None:
        """What to tell when a request uses an org; the admin parts add the start-up check."""
        return None

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
    def readiness(self) -> ReadinessService:
        from shared.adapters.probes import DependencyProbes

        s = self.settings
        probes = DependencyProbes(
            tables=self.tables,
            client=self.http,
            authority_host=s.entra_authority_host,
            tenant_id=sorted(s.allowed_tenants)[0],
            timeout_seconds=PROBE_TIMEOUT_S,
        )
        return ReadinessService(probes=probes, orgs=s.orgs)
