"""The JSON API's request and response models: what ``/api/openapi.json`` documents is exactly what
the routes accept and return. Request models are strict (a bool is not a number, unknown fields
are refused); presenters (``functions/presenters.py``) build the response models, and the pages
render the same models, so the page and the API always say the same thing."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from shared.domain.solutions import MAX_VERSION
from shared.domain.writeback import ClosedPolicy

Guid = Annotated[
    str, Field(min_length=32, max_length=38, examples=["0aa00000-0000-4000-8000-000000000001"])
]
OrgName = Annotated[
    StrictStr, Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")
]


class _In(BaseModel):
    # Unknown fields are refused; each field is strict (a bool is not a number, a number is not
    # text), enums accept their JSON values.
    model_config = ConfigDict(extra="forbid")


# --- requests ---------------------------------------------------------------------------------
class LaunchIn(_In):
    org: OrgName
    opportunity_id: Guid


class SolutionChoiceIn(_In):
    solution_id: Annotated[StrictStr, Field(min_length=1, max_length=64)]


class EvaluationIn(_In):
    answers: Annotated[
        dict[
            Annotated[str, Field(min_length=1, max_length=64)], Annotated[str, Field(max_length=64)]
        ],
        Field(max_length=100),
    ]
    solution_version: Annotated[StrictInt, Field(ge=1, le=MAX_VERSION)] | None = None


class SettingsIn(_In):
    target_field: Annotated[StrictStr, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$")]
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


class ScoreOut(BaseModel):
    probability: str
    probability_display: str
    contributions: list[ContributionOut]
    knockout_text: str | None
    answered_text: str
    trend: str | None = None
    trend_label: str | None = None


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
    probability: str
    probability_display: str
    trend: str
    trend_label: str
    by: str
    model: str
    writeback_status: str


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
    target_value: str | None
    show_target: bool
    is_admin: bool
    model_note: str | None = Field(
        default=None,
        description="Set when an administrator moved the project to a newer version of its model.",
    )


class EvaluationOut(BaseModel):
    evaluation_id: str
    opportunity_id: str
    solution: dict[str, str | int]
    answers: dict[str, str]
    previous: str | None
    score: ScoreOut
    writeback: WritebackOut


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
