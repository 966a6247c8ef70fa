"""JSON API for running an org (app role ``Cockpit.Admin``): health, the write-back log (pages,
CSV, retry, retention), bulk re-write and model quality.

``GET /api/admin/health`` is for monitoring: 200 when every check of every org of the caller's
tenant passes, 503 with the same report when one fails (a bearer token with the admin role works,
so a probe needs no browser session).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from functions.api_designer import SolutionIdPath, VersionPath
from functions.deps import Admin, ContainerDep, Org, RequestLang
from functions.errors import problem_responses
from functions.i18n import t
from functions.messages import Lang
from functions.presenters_admin import (
    CSV_COLUMNS,
    bulk_job_out,
    csv_row,
    draft_out,
    health_out,
    log_entry_out,
)
from functions.presenters_quality import quality_out
from functions.schemas import GUID_PATTERN, FullDate
from functions.schemas_admin import (
    BulkJobOut,
    BulkRunIn,
    BulkStatusOut,
    DraftOut,
    HealthOverviewOut,
    HealthReportOut,
    LogPageOut,
    QualityOut,
    RetentionIn,
    RetentionOut,
    RetryIn,
    RetryOut,
)
from shared.adapters.tables.writeback_log import valid_cursor
from shared.bootstrap import Container
from shared.domain.admin_log import LogFilter, LogLevel, csv_safe
from shared.domain.designer import validate_draft
from shared.domain.errors import CockpitError, InvalidInput
from shared.domain.identity import Principal
from shared.domain.keys import parse_guid
from shared.domain.orgs import CrmOrg

router = APIRouter(prefix="/api/admin", tags=["admin: operations"])

_READ = problem_responses(400, 401, 403, 404, 503)
_CHANGE = problem_responses(400, 401, 403, 404, 409, 413, 422, 502, 503)


# --- health -----------------------------------------------------------------------------------------
async def org_health(
    container: Container, principal: Principal, org: CrmOrg, lang: Lang
) -> HealthReportOut:
    report = await container.org_health.check(principal=principal, org=org)
    try:
        counts = await container.log_service.counts(principal=principal, org=org)
    except CockpitError:
        counts = None  # storage is down: the report says so
    return health_out(report, counts, lang)


@router.get(
    "/health",
    responses={
        **problem_responses(401, 403),
        503: {"model": HealthOverviewOut, "description": "A check failed."},
    },
)
async def health(
    response: Response, container: ContainerDep, principal: Admin, lang: RequestLang
) -> HealthOverviewOut:
    """Every check of every org of the caller's tenant; 503 when one fails (for monitoring)."""
    reports = [
        await org_health(container, principal, org, lang)
        for org in container.orgs.of_tenant(principal.tenant_id)
    ]
    ok = all(r.ok for r in reports)
    response.status_code = 200 if ok else 503
    return HealthOverviewOut(ok=ok, orgs=reports)


@router.get(
    "/orgs/{org}/health",
    responses={
        **problem_responses(401, 403),
        503: {"model": HealthReportOut, "description": "A check failed."},
    },
)
async def health_of_org(
    response: Response, container: ContainerDep, principal: Admin, org: Org, lang: RequestLang
) -> HealthReportOut:
    report = await org_health(container, principal, org, lang)
    response.status_code = 200 if report.ok else 503
    return report


# --- the write-back log -----------------------------------------------------------------------------
class LogQuery(BaseModel):
    """The log page's filters; every one optional. Other query parameters (``lang``, ``org`` on
    the page) are not filters and are left to their own handling."""

    model_config = ConfigDict(extra="ignore")

    level: list[LogLevel] = []
    since: FullDate | None = None
    until: FullDate | None = None
    user: Annotated[str | None, Field(max_length=64, pattern=r"^[A-Za-z0-9-]+$")] = None
    opportunity: Annotated[str | None, Field(pattern=GUID_PATTERN)] = None
    cursor: Annotated[str | None, Field(pattern=r"^[0-9]{19}[0-9a-f]{8}$")] = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50

    def filters(self) -> LogFilter:
        if self.since and self.until and self.since > self.until:
            raise InvalidInput("the period ends before it starts", code="log_period_invalid")
        return LogFilter(
            levels=frozenset(self.level),
            since=datetime.combine(self.since, time.min, UTC) if self.since else None,
            until=datetime.combine(self.until, time.max, UTC) if self.until else None,
            user=self.user,
            opportunity_id=(
                parse_guid(self.opportunity, what="opportunity id") if self.opportunity else None
            ),
        )

    def checked_cursor(self) -> str | None:
        if self.cursor is not None and not valid_cursor(self.cursor):
            raise InvalidInput("the page cursor is not valid", code="log_cursor_invalid")
        return self.cursor


LogParams = Annotated[LogQuery, Query()]


@router.get("/orgs/{org}/log", responses=_READ)
async def log_page(
    container: ContainerDep, principal: Admin, org: Org, query: LogParams, lang: RequestLang
) -> LogPageOut:
    """Matching entries, newest first; ``next_cursor`` fetches the next (older) page."""
    view = await container.log_service.page(
        principal=principal,
        org=org,
        filters=query.filters(),
        cursor=query.checked_cursor(),
        limit=query.limit,
    )
    return LogPageOut(
        entries=[log_entry_out(e, lang) for e in view.entries], next_cursor=view.next_cursor
    )


@router.get(
    "/orgs/{org}/log.csv",
    responses={
        **_READ,
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "The matching entries (UTF-8 with a byte-order mark).",
            "headers": {
                "Content-Disposition": {
                    "description": "attachment, with the file name to save it as",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        },
    },
    response_class=StreamingResponse,
)
async def log_csv(
    container: ContainerDep, principal: Admin, org: Org, query: LogParams, lang: RequestLang
) -> StreamingResponse:
    """Every matching entry as CSV (UTF-8 with a byte-order mark, so spreadsheets read umlauts)."""
    filters = query.filters()
    entries = container.log_service.export(principal=principal, org=org, filters=filters)
    first = await anext(entries, None)  # the admin check and storage errors surface as a 4xx/503

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([t(c, lang) for c in CSV_COLUMNS])
        yield "\ufeff" + _take(buffer)
        if first is None:
            return
        writer.writerow([csv_safe(v) for v in csv_row(first, lang)])
        async for item in entries:
            writer.writerow([csv_safe(v) for v in csv_row(item, lang)])
            if buffer.tell() > 64_000:
                yield _take(buffer)
        yield _take(buffer)

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="writeback-log-{org.name}.csv"'},
    )


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


@router.post("/orgs/{org}/log/retry", responses=_CHANGE)
async def retry_now(
    container: ContainerDep, principal: Admin, org: Org, body: RetryIn, lang: RequestLang
) -> RetryOut:
    """Write the opportunity's newest evaluation again now, as the app on behalf of the rep."""
    result = await container.log_service.retry_now(
        principal=principal,
        org=org,
        opportunity_id=parse_guid(body.opportunity_id, what="opportunity id"),
    )
    return RetryOut(result=result, message=t(f"retry_{result}", lang))


@router.get("/orgs/{org}/log/retention", responses=_READ)
async def get_retention(container: ContainerDep, principal: Admin, org: Org) -> RetentionOut:
    return RetentionOut(days=await container.log_service.retention(principal=principal, org=org))


@router.put("/orgs/{org}/log/retention", responses=_CHANGE)
async def put_retention(
    container: ContainerDep, principal: Admin, org: Org, body: RetentionIn
) -> RetentionOut:
    """How many days entries are kept; the clean-up timer removes older ones."""
    days = await container.log_service.set_retention(principal=principal, org=org, days=body.days)
    return RetentionOut(days=days)


# --- bulk re-write ----------------------------------------------------------------------------------
@router.get("/orgs/{org}/bulk", responses=_READ)
async def bulk_status(
    container: ContainerDep, principal: Admin, org: Org, lang: RequestLang
) -> BulkStatusOut:
    job, target_field = await container.bulk.overview(principal=principal, org=org)
    return BulkStatusOut(target_field=target_field, job=bulk_job_out(job, lang) if job else None)


@router.post("/orgs/{org}/bulk", status_code=201, responses=_CHANGE)
async def bulk_start(
    container: ContainerDep, principal: Admin, org: Org, lang: RequestLang
) -> BulkJobOut:
    """Copy every project's current probability into the org's target column (a new job)."""
    return bulk_job_out(await container.bulk.start(principal=principal, org=org), lang)


@router.post("/orgs/{org}/bulk/run", responses=_CHANGE)
async def bulk_run(
    container: ContainerDep, principal: Admin, org: Org, body: BulkRunIn, lang: RequestLang
) -> BulkJobOut:
    """Continue the job from where it stopped, for up to ~20 s or ``max_batches`` batches."""
    job = await container.bulk.run(principal=principal, org=org, max_batches=body.max_batches)
    return bulk_job_out(job, lang)


# --- model quality ----------------------------------------------------------------------------------
@router.get("/orgs/{org}/quality", responses=_READ | problem_responses(422, 502))
async def quality(
    container: ContainerDep, principal: Admin, org: Org, lang: RequestLang
) -> QualityOut:
    """Per solution version, from the org's closed deals read live as the administrator."""
    overview = await container.model_quality.overview(principal=principal, org=org)
    return quality_out(org.name, overview, lang)


@router.post(
    "/orgs/{org}/quality/{solution_id}/versions/{version}/draft",
    status_code=201,
    responses=_CHANGE,
)
async def suggested_draft(
    container: ContainerDep,
    principal: Admin,
    org: Org,
    solution_id: SolutionIdPath,
    version: VersionPath,
    lang: RequestLang,
) -> DraftOut:
    """A new draft of the version with the suggested weights, to review and publish."""
    found = await container.model_quality.version(
        principal=principal, org=org, solution_id=solution_id, version=version
    )
    stored = await container.designer.draft_with_weights(
        principal=principal,
        solution_id=solution_id,
        version=version,
        weights=found.report.suggested_weights,
    )
    return draft_out(stored, validate_draft(stored.draft), lang)
