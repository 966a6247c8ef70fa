"""Cockpit projects: one per (tenant, CRM org, opportunity), created on the first launch.

A project stores only identifiers, its name (the opportunity's name at creation, editable), the
solution assigned to it and who created it — never CRM field values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from shared.domain.keys import check_key_part, parse_guid, parse_org_name
from shared.domain.solutions import SolutionRef

MAX_PROJECT_NAME = 300  # Dataverse's opportunity `name` is String(300)


@dataclass(frozen=True)
class ProjectKey:
    """The natural key. Every part is validated so it can never produce an invalid table key."""

    tenant_id: str
    org: str
    opportunity_id: str

    @classmethod
    def parse(cls, *, tenant_id: str, org: str, opportunity_id: str) -> ProjectKey:
        return cls(
            tenant_id=parse_guid(tenant_id, what="tenant id"),
            org=check_key_part(parse_org_name(org), what="orgname"),
            opportunity_id=parse_guid(opportunity_id, what="opportunity id"),
        )


@dataclass(frozen=True)
class Project:
    key: ProjectKey
    project_id: str
    name: str
    created_at: datetime
    created_by: str  # Entra object id of the rep whose launch created it
    solution: SolutionRef | None = None
    etag: str | None = None

    def with_solution(self, solution: SolutionRef) -> Project:
        return replace(self, solution=solution)


def project_name(opportunity_name: str) -> str:
    """The project's initial name: the opportunity's name, trimmed to a sane length."""
    name = " ".join(opportunity_name.split())
    return name[:MAX_PROJECT_NAME] or "(unnamed opportunity)"
