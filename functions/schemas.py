"""The JSON API's request and response models: what ``/api/openapi.json`` documents is exactly what
the routes accept and return. Request models are strict (a bool is not a number, unknown fields
are refused); presenters (``functions/presenters.py``) build the response models, and the pages
render the same models, so the page and the API always say the same thing."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from shared.domain.solutions import MAX_VERSION
from shared.domain.writeback import ClosedPolicy

# A record id as Dynamics passes it: 8-4-4-4-12 hex digits in any case, with or without braces
# (``shared.domain.keys.parse_guid`` normalises it).
_HEX = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
GUID_PATTERN = rf"^(?:{_HEX}|\{{{_HEX}\}})$"
ORG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]*$"
# The examples name the demo org and an opportunity of the local seed (devstack/seed/demo.json).
EXAMPLE_ORG = "contoso"
EXAMPLE_OPPORTUNITY = "0aa00000-0000-4000-8000-000000000003"
_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _full_date(value: object) -> object:
    # Only the form the document states (RFC 3339 full-date); pydantic alone would also read a
    # number as a Unix time.
    if isinstance(value, str) and not _FULL_DATE.fullmatch(value):
        raise ValueError("must be a date written as YYYY-MM-DD")
    return value


Guid = Annotated[StrictStr, Field(pattern=GUID_PATTERN, examples=[EXAMPLE_OPPORTUNITY])]
OrgName = Annotated[
    StrictStr, Field(min_length=1, max_length=63, pattern=ORG_PATTERN, examples=[EXAMPLE_ORG])
]
FullDate = Annotated[date, BeforeValidator(_full_date)]


class _In(BaseModel):
    # Unknown fields are refused; each field is strict (a bool is not a number, a number is not
    # text), enums accept their JSON values.
    model_config = ConfigDict(extra="forbid")


# --- requests ---------------------------------------------------------------------------------
class LaunchIn(_In):
    org: OrgName
    opportunity_id: Guid


class SolutionChoiceIn(_In):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"solution_id": "b2b-qualification"}]}
    )

    solution_id: Annotated[StrictStr, Field(min_length=1, max_length=64)]


class EvaluationIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"answers": {"budget": "approved"}}]})

    answers: Annotated[
        dict[
            Annotated[str, Field(min_length=1, max_length=64)], Annotated[str, Field(max_length=64)]
        ],
        Field(max_length=100),
    ]
    solution_version: Annotated[StrictInt, Field(ge=1, le=MAX_VERSION)] | None = None


class FollowUpIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"criterion_id": "budget"}]})

    criterion_id: Annotated[StrictStr, Field(min_length=1, max_length=64)]


class PredictiveSettingIn(_In):
    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": False}]})

    enabled: StrictBool
    etag: Annotated[StrictStr, Field(max_length=200)] | None = None


class SettingsIn(_In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"target_field": "closeprobability", "closed_policy": "skip"}]
        }
    )

    # A plain column logical name (what ``shared/adapters/dataverse/mapping.py: column`` accepts).
    target_field: Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]{0,99}$")]
    closed_policy: ClosedPolicy
    etag: Annotated[StrictStr, Field(max_length=200)] | None = None


# --- responses --------------------------------------------------------------------------------
class Problem(BaseModel):
    """RFC 9457 problem details, as every error answer is."""

    type: str = "about:blank"
    title: str
    status: int
    code: str = Field(description="A stable machine-readable reason (see the error tree).")
    detail: str = Field(description="A sentence for people, in the caller's language.")
    correlation_id: str | None = None
    reauth: bool | None = None


class ProjectOut(BaseModel):
    project_id: str
    name: str
    org: str
    opportunity_id: str
    solution_id: str | None
    solution_version: int | None
    url: str


class WritebackOut(BaseModel):
    status: Literal[
        "pending", "written", "unchanged", "skipped_closed", "superseded", "failed", "retrying"
    ]
    code: str | None
    field: str | None
    value: str | None
    crm_value: str | None = Field(description="What Dynamics holds now, when the page read it.")
    drifted: bool = Field(description="Dynamics no longer holds the value the cockpit wrote.")
    message: str
    can_retry: bool = Field(description="Whether writing again can help.")


class ContributionOut(BaseModel):
    criterion_id: str
    question: str
    answer: str
    colour: str
    weight_share: str
    points: str
    active_knockout: bool


class NextStepOut(BaseModel):
    criterion_id: str
    question: str
    answer: str
    guidance: str


class ScoreOut(BaseModel):
    probability: str
    probability_display: str
    contributions: list[ContributionOut]
    knockout_text: str | None
    answered_text: str
    trend: str | None = None
    trend_label: str | None = None
    grade: Literal["A", "B", "C", "D"] | None = None
    grade_label: str | None = None
    grade_bands_text: str | None = None
    factors_positive: list[str] = Field(default_factory=list, description="Sentences, best first.")
    factors_negative: list[str] = Field(default_factory=list, description="Sentences, worst first.")
    next_steps: list[NextStepOut] = Field(default_factory=list)


class SummaryOut(BaseModel):
    """The compact result that stays in view: probability, grade, trend, write-back state."""

    evaluated: bool
    probability_display: str | None
    grade: Literal["A", "B", "C", "D"] | None
    grade_label: str | None
    trend: str | None
    trend_label: str | None
    writeback_status: str | None
    writeback_state: str | None = Field(description="The write-back in a few words.")
    last_by: str | None = Field(description="Who evaluated last, as Dynamics names them.")
    last_at: str | None = Field(description="When, ISO 8601 UTC.")
    last_at_display: str | None
    answered: int
    total: int
    progress_text: str


class ChartTickOut(BaseModel):
    pos: float
    label: str
    at: str | None = None


class ChartPointOut(BaseModel):
    x: float
    y: float
    at: str
    label: str


class ChartOut(BaseModel):
    width: int
    height: int
    polyline: str
    points: list[ChartPointOut]
    x_ticks: list[ChartTickOut]
    y_ticks: list[ChartTickOut]
    summary: str


class OptionOut(BaseModel):
    id: str
    label: str
    score: int
    colour: str
    knockout_cap: int | None
    selected: bool


class CriterionOut(BaseModel):
    id: str
    question: str
    guidance: str | None
    weight_share: str
    options: list[OptionOut]


class SolutionOut(BaseModel):
    id: str
    name: str
    version: int
    language: str
    description: str | None
    criteria: list[CriterionOut]


class ChoiceOut(BaseModel):
    id: str
    name: str
    language: str
    description: str | None
    count: int
    version: int


class HistoryRowOut(BaseModel):
    evaluation_id: str
    when: str
    at: str = Field(description="ISO 8601 UTC.")
    probability: str
    probability_display: str
    trend: str
    trend_label: str
    by: str
    model: str
    writeback_status: str
    repeats: int = Field(0, description="Later saves with the same answers, folded into this row.")
    repeats_text: str | None = None


class OpportunityOut(BaseModel):
    name: str
    account: str | None
    owner: str | None
    estimated_value: str | None
    estimated_close_date: str | None
    sales_stage: str | None
    status: str | None
    closed: bool
    probability: int | None


class ProjectPageOut(BaseModel):
    project: ProjectOut
    opportunity: OpportunityOut | None
    crm_error: str | None
    may_change: bool | None
    solution: SolutionOut | None
    choices: list[ChoiceOut]
    result: ScoreOut | None
    writeback: WritebackOut | None
    history: list[HistoryRowOut]
    sparkline: str
    target_field: str
    target_label: str = Field(description="The target column's display name in the page language.")
    target_value: str | None
    show_target: bool
    is_admin: bool
    summary: SummaryOut | None = None
    chart: ChartOut | None = None
    closed_notice: str | None = Field(None, description="What happens to a closed opportunity.")
    crm_url: str | None = Field(None, description="The opportunity in Dynamics 365.")
    model_note: str | None = Field(
        default=None,
        description="Set when an administrator moved the project to a newer version of its model.",
    )


class SolutionRefOut(BaseModel):
    """Which solution version an evaluation was scored against."""

    id: str
    version: int


class EvaluationOut(BaseModel):
    evaluation_id: str
    opportunity_id: str
    solution: SolutionRefOut
    answers: dict[str, str]
    previous: str | None
    score: ScoreOut
    writeback: WritebackOut
    summary: SummaryOut | None = None
    predictive: str | None = Field(None, description="Dynamics' score widget, in words.")


class TaskOut(BaseModel):
    task_id: str
    subject: str
    url: str
    message: str


class MyRowOut(BaseModel):
    org: str
    opportunity_id: str
    name: str
    account: str | None
    sales_stage: str | None
    estimated_close_date: str | None
    crm_probability: str | None
    probability_display: str | None
    grade: Literal["A", "B", "C", "D"] | None
    grade_label: str | None
    trend: str | None
    trend_label: str | None
    last_activity: str = Field(description="ISO 8601 UTC.")
    last_activity_display: str
    project_url: str
    crm_url: str


class MyPageOut(BaseModel):
    org: str
    rows: list[MyRowOut]
    page: int
    pages: int
    total: int
    sort: Literal["activity", "name"]
    order: Literal["asc", "desc"]


class WriteAgainOut(BaseModel):
    writeback: WritebackOut


class SolutionPublishedOut(BaseModel):
    id: str
    version: int


class FieldCheckOut(BaseModel):
    logical_name: str
    display_name: str
    type: str
    range: str
    min: str | None
    max: str | None
    secured: bool
    ok: bool
    refusals: list[str]
    refusal_texts: list[str] = Field(description="The refusals as sentences.")
    warnings: list[str]


class AdminOrgOut(BaseModel):
    org: str
    url: str
    target_field: str
    closed_policy: str
    etag: str | None
    candidates: list[FieldCheckOut]
    current: FieldCheckOut | None
    crm_error: str | None


class SettingsOut(BaseModel):
    org: str
    target_field: str
    closed_policy: str
    etag: str | None
    predictive_score: bool = False
