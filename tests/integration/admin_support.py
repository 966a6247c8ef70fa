"""Shared steps of the admin console's integration tests: a signed-in browser per seeded user, an
admin bearer token, and seeding the cockpit's own tables through the real stores."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.projects import Project, ProjectKey
from shared.domain.solutions import builtin_solutions
from tests.support.browser import browser, sign_in
from tests.support.sims import Sims
from tests.support.stack import CONTOSO, SEED, USERS, LiveApp

B2B = next(s for s in builtin_solutions() if s.language == "en")
OPPS = {o["name"]: o for o in SEED["dataverse"]["opportunities"]}
OPEN_ANNA = OPPS["CRM rollout 2027"]["opportunityid"]
LOST_ANNA = OPPS["Toy line analytics"]["opportunityid"]
APP_USER = "5e000000-0000-4000-8000-000000000009"  # the seed's application user
BEN = USERS["ben"]


class Browser:
    """A signed-in browser for one seeded user (cookies, CSRF header, our Origin)."""

    def __init__(self, app: LiveApp, client: httpx.AsyncClient, me: dict[str, Any]) -> None:
        self.app, self.client, self.me = app, client, me

    @property
    def headers(self) -> dict[str, str]:
        return {"Origin": self.app.url, "X-Cockpit-CSRF": self.me["csrf_token"]}

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(f"{self.app.url}{path}", **kwargs)

    async def send(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.client.request(
            method, f"{self.app.url}{path}", json=body, headers=self.headers, **kwargs
        )

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.send("POST", path, body)

    async def put(self, path: str, body: Any) -> httpx.Response:
        return await self.send("PUT", path, body)


async def signed_in(app: LiveApp, name: str) -> AsyncIterator[Browser]:
    async with browser() as client:
        response = await sign_in(client, app_url=app.url, username=USERS[name]["username"])
        assert response.status_code == 200, response.text
        yield Browser(app, client, response.json())


async def admin_token(sims: Sims) -> str:
    """An access token for our API as Ben with the admin app role (what a monitoring probe or
    a script would hold)."""
    return await sims.mint({"oid": BEN["oid"], "roles": ["Cockpit.Admin"], "name": None})


def answers(level: int) -> dict[str, str]:
    return {c.id: [o for o in c.options if o.knockout_cap is None][level].id for c in B2B.criteria}


async def seed_project(
    app: LiveApp,
    opportunity_id: str,
    *,
    probability: str,
    answers: dict[str, str] | None = None,
    at: datetime | None = None,
    evaluator: str = "a11ce000-0000-4000-8000-000000000001",
) -> None:
    """A project with one evaluation, written by the real table stores (as the app would)."""
    key = ProjectKey.parse(tenant_id=CONTOSO, org="contoso", opportunity_id=opportunity_id)

    async def write(container: Any) -> None:
        now = at or container.clock.now()
        await container.projects.create_or_open(
            Project(
                key=key,
                project_id=uuid.uuid4().hex,
                name=f"Deal {opportunity_id[-4:]}",
                created_at=now,
                created_by=evaluator,
                solution=B2B.ref,
            )
        )
        await container.evaluations.append(
            key,
            Evaluation(
                evaluation_id=uuid.uuid4().hex,
                solution=B2B.ref,
                answers=answers or {},
                probability=Decimal(probability),
                evaluated_at=now,
                evaluator=evaluator,
                writeback=WritebackOutcome(status=WritebackStatus.WRITTEN, at=now),
            ),
        )

    await app.call(write)
