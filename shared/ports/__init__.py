"""What the services need from the outside world, as Protocols. Adapters in ``shared/adapters``
implement them against Azure Tables, Dataverse and Entra ID; unit tests use in-memory fakes.

Every method raises only errors from ``shared.domain.errors``.

The Protocols live in one module per concern; import them from here."""

from __future__ import annotations

from shared.ports.admin import (
    AdminStateStore,
    DraftStore,
    ProjectDirectory,
    SolutionCatalog,
    WritebackLogStore,
)
from shared.ports.crm import CrmAdminGateway, CrmCallers, CrmGateway
from shared.ports.identity import (
    BearerTokenVerifier,
    Clock,
    HealthProbe,
    IdentityProvider,
    LoginFlowStore,
    SessionStore,
    TokenCacheStore,
)
from shared.ports.stores import (
    EvaluationStore,
    MyProjectsStore,
    OrgSettingsStore,
    OutboxStore,
    ProjectStore,
    SolutionStore,
)

__all__ = [
    "AdminStateStore",
    "BearerTokenVerifier",
    "Clock",
    "CrmAdminGateway",
    "CrmCallers",
    "CrmGateway",
    "DraftStore",
    "EvaluationStore",
    "HealthProbe",
    "IdentityProvider",
    "LoginFlowStore",
    "MyProjectsStore",
    "OrgSettingsStore",
    "OutboxStore",
    "ProjectDirectory",
    "ProjectStore",
    "SessionStore",
    "SolutionCatalog",
    "SolutionStore",
    "TokenCacheStore",
    "WritebackLogStore",
]
