"""Request and response models of the admin console's JSON API (``/api/admin/…``): what the
OpenAPI document shows is exactly what the routes accept and return. Texts for people are already
in the caller's language; codes stay stable for machines."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from pydantic.config import JsonDict

from functions.schemas import Guid
from shared.domain.designer import SolutionDraft
from shared.domain.solutions import MAX_VERSION, Solution

SolutionId = Annotated[
    StrictStr, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]
Version = Annotated[StrictInt, Field(ge=1, le=MAX_VERSION)]
Etag = Annotated[StrictStr, Field(max_length=200)]


# A small solution, as the examples of publishing and importing show it.
EXAMPLE_SOLUTION: JsonDict = {
    "id": "example",
    "name": "Example",
    "language": "en",
    "version": 1,
    "criteria": [
        {
            "id": "budget",
            "question": "Is there a budget?",
            "weight": 1,
            "order": 1,
            "options": [
                {"id": "yes", "label": "Yes", "score": 100, "colour": "green"},
                {"id": "no", "label": "No", "score": 0, "colour": "red"},
            ],
        }
    ],
}
_EXAMPLE_CRITERION: JsonDict = {
    "id": "budget",
    "question": {"en": "Is there a budget?", "de": "Gibt es ein Budget?"},
    "weight": 1,
    "options": [
        {"id": "yes", "label": {"en": "Yes", "de": "Ja"}, "score": 100, "colour": "green"},
        {"id": "no", "label": {"en": "No", "de": "Nein"}, "score": 0, "colour": "red"},
    ],
}
_EXAMPLE_DRAFT: JsonDict = {
    "id": "b2b-qualification",
    "name": {"en": "B2B qualification", "de": ""},
}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- designer ---------------------------------------------------------------------------------------
class DraftStartIn(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"solution_id": "b2b-qualification", "from_version": 1}]}
    )

    solution_id: SolutionId
    language: Literal["en", "de"] = "en"
    from_version: Version | None = None


class DraftSaveIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"draft": _EXAMPLE_DRAFT}]})

    draft: SolutionDraft
    etag: Etag | None = None


class PreviewIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "draft": {**_EXAMPLE_DRAFT, "criteria": [_EXAMPLE_CRITERION]},
                    "answers": {"budget": "yes"},
                }
            ]
        }
    )

    draft: SolutionDraft
    answers: Annotated[
        dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=100)]],
        Field(max_length=100),
    ] = {}


class PublishIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{}]})

    etag: Etag | None = None


class MoveIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"to_version": 1}]})

    to_version: Version


class ProblemOut(BaseModel):
    path: str = Field(description="The field, e.g. criteria[1].options[0].score")
    code: str
    severity: Literal["error", "warning"]
    message: str


class DraftOut(BaseModel):
    solution_id: str
    draft: SolutionDraft
    etag: str | None
    updated_at: str
    updated_by: str
    problems: list[ProblemOut]
    publishable: bool


class VersionOut(BaseModel):
    version: int
    name: str
    language: str
    criteria: int
    builtin: bool
    published_by: str | None
    published_at: str | None
    published_display: str | None


class SolutionFamilyOut(BaseModel):
    solution_id: str
    versions: list[VersionOut]
    draft_updated_at: str | None
    draft_etag: str | None


class GradeBandOut(BaseModel):
    min_probability: int
    label: str
    colour: str


class SolutionVersionOut(BaseModel):
    solution: Solution
    other_texts_language: str | None
    grade_bands: list[GradeBandOut]
    published_by: str | None
    published_at: str | None
    published_display: str | None
    builtin: bool


class PreviewContributionOut(BaseModel):
    criterion_id: str
    option_id: str | None
    points: str
    active_knockout: bool


class PreviewOut(BaseModel):
    probability: str | None = Field(description="None while a problem changes the score")
    probability_display: str | None
    grade: str | None
    contributions: list[PreviewContributionOut]
    knockout_text: str | None
    problems: list[ProblemOut]


class PublishedOut(BaseModel):
    id: str
    version: int
    url: str


class MoveCountsOut(BaseModel):
    solution_id: str
    projects_per_version: dict[str, int]


class MoveOut(BaseModel):
    moved: int
    not_allowed: int
    changed: int
    stopped: str | None
    left: int
    message: str


# --- health -----------------------------------------------------------------------------------------
class CheckOut(BaseModel):
    id: str
    status: Literal["ok", "warning", "failed", "skipped"]
    title: str
    finding: str
    fix: str | None
    code: str


class LevelCountsOut(BaseModel):
    info: int
    warning: int
    error: int


class HealthReportOut(BaseModel):
    org: str
    ok: bool
    checked_at: str
    checks: list[CheckOut]
    log_last_24h: LevelCountsOut | None


class HealthOverviewOut(BaseModel):
    ok: bool
    orgs: list[HealthReportOut]


# --- log --------------------------------------------------------------------------------------------
class LogEntryOut(BaseModel):
    id: str | None
    at: str
    at_display: str
    level: Literal["info", "warning", "error"]
    event: str
    outcome: str
    text: str
    code: str | None
    user: str | None
    opportunity_id: str | None
    project_name: str | None
    column: str | None
    value: str | None
    retryable: bool


class LogPageOut(BaseModel):
    entries: list[LogEntryOut]
    next_cursor: str | None


class RetryIn(_In):
    opportunity_id: Guid


class RetryOut(BaseModel):
    result: str
    message: str


class RetentionIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"days": 90}]})

    days: Annotated[StrictInt, Field(ge=1, le=3650)]


class RetentionOut(BaseModel):
    days: int


# --- bulk -------------------------------------------------------------------------------------------
class BulkRunIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"max_batches": 1}]})

    max_batches: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None


class BulkJobOut(BaseModel):
    job_id: str
    column: str
    status: Literal["running", "interrupted", "finished"]
    total: int
    done: int
    percent: int
    counts: dict[str, int]
    error: str | None
    message: str
    started_at: str
    started_by: str


class BulkStatusOut(BaseModel):
    target_field: str
    job: BulkJobOut | None


# --- model quality ----------------------------------------------------------------------------------
class CalibrationBandOut(BaseModel):
    low: int
    high: int
    deals: int
    won: int
    mean_predicted: str | None
    win_rate: str | None


class AnswerStatOut(BaseModel):
    option_id: str | None
    label: str
    deals: int
    won: int
    win_rate: str | None
    win_rate_display: str
    signal: Literal["always_won", "always_lost"] | None


class CriterionQualityOut(BaseModel):
    criterion_id: str
    question: str
    answers: list[AnswerStatOut]
    separation: str | None
    separation_display: str
    weight: str
    suggested_weight: str


class VersionQualityOut(BaseModel):
    solution_id: str
    version: int
    name: str
    deals: int
    won: int
    lost: int
    brier: str
    brier_display: str
    calibration: list[CalibrationBandOut]
    criteria: list[CriterionQualityOut]
    separating: list[str] = Field(description="Criterion ids, the strongest separation first")
    rests_on: str


class QualityOut(BaseModel):
    org: str
    closed_deals: int
    after_close_only: int
    close_dates_known: bool
    versions: list[VersionQualityOut]
    summary: str
