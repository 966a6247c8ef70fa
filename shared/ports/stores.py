"""The cockpit's own data: projects, evaluations, solutions, settings, the write-back outbox.

Every method raises only errors from ``shared.domain.errors``."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.domain.evaluations import Evaluation, OutboxItem
from shared.domain.my_projects import MyProject
from shared.domain.org_settings import OrgSettings
from shared.domain.projects import Project, ProjectKey
from shared.domain.solutions import Solution


class ProjectStore(Protocol):
    async def get(self, key: ProjectKey) -> Project | None:
        """Point read; None when the opportunity has no project yet."""
        ...

    async def create_or_open(self, project: Project) -> tuple[Project, bool]:
        """Atomically insert unless the key exists; returns (stored project, created?)."""
        ...

    async def update(self, project: Project) -> Project:
        """ETag-conditional replace; raises Conflict when someone changed it meanwhile."""
        ...

    async def delete(self, key: ProjectKey) -> None:
        """Remove the project row (absent is fine)."""
        ...


class EvaluationStore(Protocol):
    async def append(self, key: ProjectKey, evaluation: Evaluation) -> Evaluation:
        """Store ``evaluation`` as the project's newest, with the next sequence number (decided by
        a conditional insert, so concurrent appends get distinct numbers); returns it with ``seq``."""
        ...

    async def record_writeback(self, key: ProjectKey, evaluation: Evaluation) -> None:
        """Replace the stored outcome with ``evaluation.writeback`` (every field, none kept)."""
        ...

    async def latest(self, key: ProjectKey, *, limit: int = 20) -> list[Evaluation]:
        """Newest first."""
        ...

    async def delete_all(self, key: ProjectKey) -> int:
        """Remove every evaluation of the project; returns how many."""
        ...


class OrgSettingsStore(Protocol):
    async def get(self, *, tenant_id: str, org: str) -> OrgSettings:
        """Saved settings, or the defaults."""
        ...

    async def save(self, settings: OrgSettings) -> OrgSettings:
        """ETag-conditional; raises Conflict when another admin saved meanwhile."""
        ...


class SolutionStore(Protocol):
    async def get(self, *, tenant_id: str, solution_id: str, version: int) -> Solution: ...

    async def available(self, *, tenant_id: str) -> list[Solution]:
        """Newest version of each assignable solution."""
        ...

    async def publish(
        self, *, tenant_id: str, solution: Solution, by: str, at: datetime
    ) -> None: ...


class OutboxStore(Protocol):
    async def put(self, item: OutboxItem) -> OutboxItem:
        """Store (or replace) the item for its evaluation; returns it with its ETag."""
        ...

    async def due(self, *, now: datetime, limit: int = 50) -> list[OutboxItem]: ...

    async def reschedule(self, item: OutboxItem, *, next_attempt_at: datetime) -> None:
        """Count an attempt and move the item; a no-op when it changed or vanished meanwhile."""
        ...

    async def remove(self, item: OutboxItem) -> None:
        """Delete unless it changed meanwhile (ETag)."""
        ...


class MyProjectsStore(Protocol):
    """Which projects each person created or evaluated ("My cockpit")."""

    async def record(self, entry: MyProject) -> None:
        """Upsert the person's entry; ``created``/``evaluated`` only ever become true."""
        ...

    async def of_user(self, *, tenant_id: str, user: str) -> list[MyProject]:
        """The person's entries (one partition query), in no particular order."""
        ...

    async def forget(self, *, user: str, key: ProjectKey) -> None:
        """Remove the person's entry for a project (absent is fine)."""
        ...
