""" "My cockpit": the projects the signed-in person created or evaluated.

- ``GET /my`` — the page (``?org=&page=&sort=activity|name&order=desc|asc``).
- ``GET /api/my/projects`` — the same as JSON.

Each page makes exactly one Dataverse request, as the person (``shared/services/my_cockpit.py``):
it is the access rule's read check for every row, so a project whose opportunity the person may no
longer read in Dynamics is not shown.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from functions.deps import ContainerDep, CurrentUser, RequestLang
from functions.errors import problem_responses
from functions.my_views import my_page_view
from functions.rendering import render
from functions.schemas import MyPageOut, OrgName
from shared.bootstrap import Container
from shared.domain.identity import Principal

router = APIRouter()


class MyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org: OrgName | None = None
    page: Annotated[int, Field(ge=1, le=10_000)] = 1
    sort: Literal["activity", "name"] = "activity"
    order: Literal["asc", "desc"] = "desc"
    lang: Literal["en", "de"] | None = None  # the page's language (read by request_lang)


async def _page(
    container: Container, principal: Principal, query: MyQuery, lang: Literal["en", "de"]
) -> MyPageOut:
    org = container.orgs.resolve(principal, query.org)
    page = await container.my_cockpit.page(
        principal=principal,
        org=org,
        page=query.page,
        sort=query.sort,
        descending=query.order == "desc",
    )
    return my_page_view(page, lang=lang)


@router.get(
    "/api/my/projects", tags=["projects"], responses=problem_responses(400, 401, 403, 422, 502, 503)
)
async def my_projects(
    container: ContainerDep,
    principal: CurrentUser,
    query: Annotated[MyQuery, Query()],
    lang: RequestLang,
) -> MyPageOut:
    """The caller's projects in one org, a page at a time, with live values from Dynamics."""
    return await _page(container, principal, query, lang)


@router.get("/my", response_class=HTMLResponse, include_in_schema=False)
async def my_page(
    request: Request,
    container: ContainerDep,
    principal: CurrentUser,
    query: Annotated[MyQuery, Query()],
    lang: RequestLang,
) -> Response:
    view = await _page(container, principal, query, lang)
    return render(
        request,
        "my.html",
        {"my": view, "query": query, "is_admin": container.admin.is_admin(principal)},
    )
