""" "My cockpit": the projects a person created or evaluated, with live CRM values.

Per page: the person's index entries (one partition query, ``MyProjectsStore``), sorted and sliced;
then ONE Dataverse query for the page's opportunities (an ``In`` filter, as the person), which is
the access rule's read check for every row — an opportunity the person may no longer read is
simply not returned and its row not shown; only then the cockpit's own data of the rows that came
back (project and its two newest evaluations, read concurrently).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from shared.domain.crm import Opportunity
from shared.domain.errors import NotFound
from shared.domain.evaluations import Evaluation
from shared.domain.identity import Principal
from shared.domain.my_projects import PAGE_SIZE, MyProject, SortKey, sort_entries
from shared.domain.orgs import CrmOrg
from shared.domain.projects import Project
from shared.domain.solutions import Solution, SolutionRef
from shared.ports import (
    CrmCallers,
    CrmGateway,
    EvaluationStore,
    MyProjectsStore,
    ProjectStore,
    SolutionStore,
)


@dataclass(frozen=True)
class MyRow:
    entry: MyProject
    project: Project
    opportunity: Opportunity  # read live as the person
    latest: Evaluation | None
    previous: Evaluation | None
    solution: Solution | None  # the version the latest evaluation used (for its grade)
    org_url: str


@dataclass(frozen=True)
class MyPage:
    org: CrmOrg
    rows: list[MyRow]
    page: int  # 1-based
    pages: int
    total: int  # entries before the read check (the person's own list)
    sort: SortKey
    descending: bool


class MyCockpitService:
    def __init__(
        self,
        *,
        entries: MyProjectsStore,
        projects: ProjectStore,
        evaluations: EvaluationStore,
        solutions: SolutionStore,
        crm: CrmGateway,
        callers: CrmCallers,
        interactive_budget_seconds: float | None = None,
    ) -> None:
        self._entries = entries
        self._projects = projects
        self._evaluations = evaluations
        self._solutions = solutions
        self._crm = crm
        self._callers = callers
        self._budget = interactive_budget_seconds

    async def page(
        self, *, principal: Principal, org: CrmOrg, page: int, sort: SortKey, descending: bool
    ) -> MyPage:
        """One page of the person's projects in ``org``: exactly one Dataverse request."""
        mine = [
            e
            for e in await self._entries.of_user(
                tenant_id=principal.tenant_id, user=principal.object_id
            )
            if e.key.org == org.name
        ]
        pages = max(1, math.ceil(len(mine) / PAGE_SIZE))
        page = min(max(page, 1), pages)
        chosen = sort_entries(mine, by=sort, descending=descending)
        chosen = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        caller = self._callers.caller(principal, org, budget_seconds=self._budget)
        readable = {
            o.id.lower(): o
            for o in await self._crm.get_opportunities(
                org=org, opportunity_ids=[e.key.opportunity_id for e in chosen], caller=caller
            )
        }
        visible = [e for e in chosen if e.key.opportunity_id in readable]
        details = await asyncio.gather(*(self._details(e) for e in visible))
        known: dict[SolutionRef, Solution] = {}
        rows: list[MyRow] = []
        for entry, (project, history) in zip(visible, details, strict=True):
            if project is None:  # deleted from the cockpit meanwhile: drop the stale entry
                await self._entries.forget(user=entry.user, key=entry.key)
                continue
            latest = history[0] if history else None
            rows.append(
                MyRow(
                    entry=entry,
                    project=project,
                    opportunity=readable[entry.key.opportunity_id],
                    latest=latest,
                    previous=history[1] if len(history) > 1 else None,
                    solution=await self._solution(principal, latest, known),
                    org_url=org.url,
                )
            )
        return MyPage(
            org=org,
            rows=rows,
            page=page,
            pages=pages,
            total=len(mine),
            sort=sort,
            descending=descending,
        )

    async def _details(self, entry: MyProject) -> tuple[Project | None, list[Evaluation]]:
        project, history = await asyncio.gather(
            self._projects.get(entry.key), self._evaluations.latest(entry.key, limit=2)
        )
        return project, history

    async def _solution(
        self, principal: Principal, latest: Evaluation | None, known: dict[SolutionRef, Solution]
    ) -> Solution | None:
        if latest is None:
            return None
        ref = latest.solution
        if ref not in known:
            try:
                known[ref] = await self._solutions.get(
                    tenant_id=principal.tenant_id, solution_id=ref.id, version=ref.version
                )
            except NotFound:
                return None
        return known[ref]
