"""The real services, built by the real composition root around in-memory stores and a fake CRM
(unit tests; integration tests use Azurite and the simulators)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.adapters.crypto import SecretBox, parse_key_ring
from shared.adapters.tables.client import TABLES
from shared.bootstrap import Container, build_container
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg
from shared.domain.projects import ProjectKey
from shared.services.health import HealthDependencies
from tests.support.fakes import (
    FakeAdminState,
    FakeCaches,
    FakeClock,
    FakeCrm,
    FakeCrmAdmin,
    FakeDirectory,
    FakeDrafts,
    FakeEvaluations,
    FakeFlows,
    FakeIdentity,
    FakeMyProjects,
    FakeOrgSettings,
    FakeOutbox,
    FakeProjects,
    FakeSessions,
    FakeSolutions,
    FakeStorageProbe,
    FakeWritebackLog,
    opportunity,
)
from tests.support.settings import explicit_settings

CONTOSO = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
ORG = CrmOrg(tenant_id=CONTOSO, name="contoso", url="https://contoso.crm4.dynamics.com")
OPP = "0aa00000-0000-4000-8000-000000000001"
OTHER_OPP = "0aa00000-0000-4000-8000-000000000002"
KEY = ProjectKey(tenant_id=CONTOSO, org="contoso", opportunity_id=OPP)


def rep(object_id: str = "rep", *roles: str) -> Principal:
    return Principal(
        kind="session",
        tenant_id=CONTOSO,
        object_id=object_id,
        home_account_id=f"{object_id}.t",
        roles=frozenset(roles),
    )


def unit_settings(**overrides: Any) -> Any:
    return explicit_settings(writeback_grace_seconds=120, **overrides)


class World:
    """Fakes behind the ports, the real services in front. ``users`` get token caches."""

    def __init__(self, *users: str, **settings: Any) -> None:
        self.clock = FakeClock()
        self.crm = FakeCrm()
        self.crm.opportunities[OPP] = opportunity(OPP)
        self.crm.opportunities[OTHER_OPP] = opportunity(OTHER_OPP, name="Renewal 2027")
        self.projects = FakeProjects()
        self.evaluations = FakeEvaluations()
        self.outbox = FakeOutbox()
        self.settings = FakeOrgSettings()
        self.solutions = FakeSolutions()
        self.identity = FakeIdentity()
        self.my_projects = FakeMyProjects()
        self.caches = FakeCaches()
        for user in {"rep", "admin", *users}:
            self.caches.rows[(CONTOSO, user)] = ("{}", f"etag-{user}")
        # The admin console's parts (the write-back log is written by every write-back).
        self.log = FakeWritebackLog()
        self.admin_state = FakeAdminState()
        self.drafts = FakeDrafts()
        self.directory = FakeDirectory(self.projects, self.evaluations, self.solutions)
        self.crm_admin = FakeCrmAdmin(self.crm)
        self.storage = FakeStorageProbe()
        settings_values = unit_settings(**settings)
        self.container: Container = build_container(
            settings_values,
            clock=self.clock,
            crm=self.crm,
            identity=self.identity,
            projects=self.projects,
            evaluations=self.evaluations,
            outbox=self.outbox,
            org_settings=self.settings,
            solutions=self.solutions,
            sessions=FakeSessions(),
            login_flows=FakeFlows(),
            token_caches=self.caches,
            my_projects=self.my_projects,
            writeback_log=self.log,
            admin_state=self.admin_state,
            drafts=self.drafts,
            directory=self.directory,
            solution_catalog=self.directory,
            crm_admin=self.crm_admin,
            health_dependencies=HealthDependencies(
                client_id=settings_values.client_id,
                public_base_url=settings_values.public_base_url,
                solution_version="1.0.0.0",
                storage=self.storage,
                table_names=tuple(TABLES),
                token_key=lambda: SecretBox(
                    parse_key_ring(settings_values.token_cache_key.get_secret_value())
                ),
            ),
        )

    def pass_time(self, **kwargs: float) -> None:
        self.clock.advance(**kwargs)

    def after_grace(self) -> None:
        self.clock.advance(seconds=self.container.settings.writeback_grace_seconds + 1)

    async def drain(self, *, rounds: int = 30) -> None:
        """Run the background timer until nothing is due, moving the clock past every backoff."""
        for _ in range(rounds):
            if not self.outbox.rows:
                return
            self.clock.advance(hours=2)
            await self.container.writeback.process_queue(limit=1000)
        raise AssertionError(f"the queue did not drain: {list(self.outbox.rows.values())}")


GRACE = timedelta(minutes=2)
