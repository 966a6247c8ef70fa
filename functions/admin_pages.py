"""The admin console's pages (``/admin/…``, app role ``Cockpit.Admin``): solutions and the designer,
a version and moving projects to it, health, the write-back log, bulk re-write and model quality.
They render the same response models as the JSON API (``functions/presenters_admin.py``); changes
go through the API from ``static/admin.js`` (with the CSRF header)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from functions.api_admin_ops import LogParams, org_health
from functions.api_designer import SolutionIdPath, VersionPath
from functions.charts import bar_width, calibration_chart
from functions.deps import Admin, ContainerDep, RequestLang
from functions.i18n import t
from functions.presenters_admin import (
    bulk_job_out,
    family_out,
    log_entry_out,
    problem_out,
    solution_version_out,
)
from functions.presenters_quality import quality_out
from functions.rendering import render
from shared.bootstrap import Container
from shared.domain.designer import blocking, validate_draft
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg

router = APIRouter(prefix="/admin", include_in_schema=False)

OrgQuery = Annotated[str | None, Query(max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")]


def _org(container: Container, principal: Principal, org: str | None) -> CrmOrg:
    return container.orgs.resolve(principal, org)


def _orgs(container: Container, principal: Principal) -> list[str]:
    return [o.name for o in container.orgs.of_tenant(principal.tenant_id)]


@router.get("/solutions", response_class=HTMLResponse)
async def solutions_page(
    request: Request, container: ContainerDep, principal: Admin, lang: RequestLang
) -> Response:
    families = [family_out(f, lang) for f in await container.designer.families(principal=principal)]
    return render(request, "admin_solutions.html", {"families": families, "section": "solutions"})


@router.get("/solutions/{solution_id}/draft", response_class=HTMLResponse)
async def designer_page(
    request: Request,
    container: ContainerDep,
    principal: Admin,
    solution_id: SolutionIdPath,
    lang: RequestLang,
) -> Response:
    stored = await container.designer.draft(principal=principal, solution_id=solution_id)
    problems = validate_draft(stored.draft)
    by_path: dict[str, list[str]] = defaultdict(list)
    hints: dict[str, str] = {}
    for problem in problems:
        if problem.severity == "warning":  # a missing translation: marked on the field only
            hints[problem.path] = problem_out(problem, lang).message
        else:
            by_path[problem.path].append(problem_out(problem, lang).message)
    return render(
        request,
        "admin_designer.html",
        {
            "section": "solutions",
            "stored": stored,
            "draft": stored.draft,
            "problems": dict(by_path),
            "hints": hints,
            "problem_count": len(blocking(problems)),
            "warning_count": len(problems) - len(blocking(problems)),
            "colours": ("green", "amber", "red"),
        },
    )


@router.get("/solutions/{solution_id}/versions/{version}", response_class=HTMLResponse)
async def version_page(
    request: Request,
    container: ContainerDep,
    principal: Admin,
    solution_id: SolutionIdPath,
    version: VersionPath,
    lang: RequestLang,
) -> Response:
    found, extras = await container.designer.version(
        principal=principal, solution_id=solution_id, version=version
    )
    orgs = []
    for org in container.orgs.of_tenant(principal.tenant_id):
        counts = await container.moves.counts(principal=principal, org=org, solution_id=solution_id)
        older = {v: n for v, n in sorted(counts.items()) if v < version}
        orgs.append({"name": org.name, "counts": dict(sorted(counts.items())), "older": older})
    families = {f.solution_id: f for f in await container.designer.families(principal=principal)}
    family = families.get(solution_id)
    return render(
        request,
        "admin_version.html",
        {
            "section": "solutions",
            "view": solution_version_out(found, extras, lang),
            "orgs": orgs,
            "has_draft": family is not None and family.draft is not None,
            "newest": family.newest.solution.version if family and family.newest else version,
        },
    )


@router.get("/health", response_class=HTMLResponse)
async def health_page(
    request: Request, container: ContainerDep, principal: Admin, lang: RequestLang
) -> Response:
    reports = [
        await org_health(container, principal, org, lang)
        for org in container.orgs.of_tenant(principal.tenant_id)
    ]
    return render(request, "admin_health.html", {"section": "health", "reports": reports})


@router.get("/log", response_class=HTMLResponse)
async def log_page(
    request: Request,
    container: ContainerDep,
    principal: Admin,
    query: LogParams,
    lang: RequestLang,
    org: OrgQuery = None,
) -> Response:
    crm_org = _org(container, principal, org)
    view = await container.log_service.page(
        principal=principal,
        org=crm_org,
        filters=query.filters(),
        cursor=query.checked_cursor(),
        limit=query.limit,
    )
    retention = await container.log_service.retention(principal=principal, org=crm_org)
    params: list[tuple[str, str]] = [("org", crm_org.name), ("lang", lang)]
    params += [("level", level.value) for level in query.level]
    for name in ("since", "until", "user", "opportunity"):
        value = getattr(query, name)
        if value:
            params.append((name, str(value)))
    return render(
        request,
        "admin_log.html",
        {
            "section": "log",
            "org": crm_org.name,
            "orgs": _orgs(container, principal),
            "query": query,
            "entries": [log_entry_out(e, lang) for e in view.entries],
            "older_url": (
                f"/admin/log?{urlencode([*params, ('cursor', view.next_cursor)])}"
                if view.next_cursor
                else None
            ),
            "csv_url": f"/api/admin/orgs/{crm_org.name}/log.csv?{urlencode(params)}",
            "retention": retention,
        },
    )


@router.get("/bulk", response_class=HTMLResponse)
async def bulk_page(
    request: Request,
    container: ContainerDep,
    principal: Admin,
    lang: RequestLang,
    org: OrgQuery = None,
) -> Response:
    crm_org = _org(container, principal, org)
    job, target_field = await container.bulk.overview(principal=principal, org=crm_org)
    return render(
        request,
        "admin_bulk.html",
        {
            "section": "bulk",
            "org": crm_org.name,
            "orgs": _orgs(container, principal),
            "target_field": target_field,
            "job": bulk_job_out(job, lang) if job else None,
        },
    )


@router.get("/quality", response_class=HTMLResponse)
async def quality_page(
    request: Request,
    container: ContainerDep,
    principal: Admin,
    lang: RequestLang,
    org: OrgQuery = None,
) -> Response:
    crm_org = _org(container, principal, org)
    overview = await container.model_quality.overview(principal=principal, org=crm_org)
    view = quality_out(crm_org.name, overview, lang)
    point_title = t("quality_point", lang)
    charts = [
        calibration_chart(v.report.calibration, lang=lang, title=point_title)
        for v in overview.versions
    ]
    return render(
        request,
        "admin_quality.html",
        {
            "section": "quality",
            "org": crm_org.name,
            "orgs": _orgs(container, principal),
            "view": view,
            "charts": charts,
            "bar": lambda rate: bar_width(Decimal(rate) if rate is not None else None),
        },
    )
