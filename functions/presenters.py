"""Turns service results into what people read: localised, formatted, and never more than the page
needs. They build the API's response models (``functions/schemas.py``), and the pages render the
very same models, so a page and the JSON API always say the same thing."""

from __future__ import annotations

from decimal import Decimal

from functions.i18n import LCIDS, fmt_number, fmt_percent, t
from functions.messages import Lang
from functions.results import (
    chart_view,
    evaluator_name,
    factors,
    history_rows,
    next_steps,
    summary_view,
)
from functions.schemas import (
    ChoiceOut,
    ContributionOut,
    CriterionOut,
    HistoryRowOut,
    OpportunityOut,
    OptionOut,
    ProjectOut,
    ProjectPageOut,
    ScoreOut,
    SolutionOut,
    SummaryOut,
    WritebackOut,
)
from shared.domain.crm import FieldInfo
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.identity import Principal
from shared.domain.org_settings import DEFAULT_TARGET_FIELD
from shared.domain.projects import Project
from shared.domain.scoring import Score, trend
from shared.domain.solutions import Solution, SolutionRef
from shared.domain.writeback import ClosedPolicy
from shared.services.projects import ProjectPage

_STATUS_KEYS = {
    WritebackStatus.WRITTEN: "wb_written",
    WritebackStatus.UNCHANGED: "wb_unchanged",
    WritebackStatus.SKIPPED_CLOSED: "wb_skipped_closed",
    WritebackStatus.SUPERSEDED: "wb_superseded",
    WritebackStatus.RETRYING: "wb_retrying",
    WritebackStatus.FAILED: "wb_failed",
    WritebackStatus.PENDING: "wb_pending",
}
# Failures a retry can fix once someone acted in Dynamics (a privilege or profile granted).
_FIXABLE_BY_RETRY = {"crm_access_denied", "crm_field_secured"}


def project_out(project: Project) -> ProjectOut:
    key = project.key
    return ProjectOut(
        project_id=project.project_id,
        name=project.name,
        org=key.org,
        opportunity_id=key.opportunity_id,
        solution_id=project.solution.id if project.solution else None,
        solution_version=project.solution.version if project.solution else None,
        url=f"/projects/{key.org}/{key.opportunity_id}",
    )


def writeback_view(
    outcome: WritebackOutcome,
    *,
    lang: Lang,
    embedded: bool = False,
    crm_value: Decimal | None = None,
    may_change: bool | None = None,
    target: FieldInfo | None = None,
) -> WritebackOut:
    """What happened in Dynamics, in words a rep understands, whether Dynamics still holds it, and
    whether writing again can help (never offered to someone Dynamics lets only read)."""
    status = outcome.status
    written = outcome.value is not None and status in (
        WritebackStatus.WRITTEN,
        WritebackStatus.UNCHANGED,
    )
    drifted = written and crm_value is not None and crm_value != Decimal(str(outcome.value))
    key = _STATUS_KEYS[status]
    if drifted:
        key = "wb_drifted"
    elif status is WritebackStatus.WRITTEN and embedded:
        key = "wb_written_embedded"
    params = {
        "value": fmt_number(Decimal(outcome.value), lang) if outcome.value is not None else "",
        "crm_value": fmt_number(crm_value, lang) if crm_value is not None else "",
        "field": field_label(outcome.field, target, lang),
        "reason": t(outcome.code, lang) if outcome.code else "",
    }
    helps = (
        drifted
        or status in (WritebackStatus.RETRYING, WritebackStatus.PENDING)
        or (status is WritebackStatus.FAILED and outcome.code in _FIXABLE_BY_RETRY)
    )
    return WritebackOut(
        status=status.value,
        code=outcome.code,
        field=outcome.field,
        value=outcome.value,
        crm_value=str(crm_value) if crm_value is not None else None,
        drifted=drifted,
        message=t(key, lang, params),
        can_retry=helps and may_change is not False,
    )


def field_label(field: str | None, target: FieldInfo | None, lang: Lang) -> str:
    """A column as people know it: its display name in the page's language, never its logical
    name (the metadata tells; without it, a description)."""
    if field is not None and target is not None and target.logical_name == field:
        return target.label(LCIDS[lang])
    return t("field_fallback", lang)


def score_view(
    score: Score, solution: Solution, *, lang: Lang, previous: Decimal | None = None
) -> ScoreOut:
    rows = []
    knockout_text = None
    for contribution in score.contributions:
        criterion = solution.criterion(contribution.criterion_id)
        assert criterion is not None
        option = criterion.option(contribution.option_id) if contribution.option_id else None
        rows.append(
            ContributionOut(
                criterion_id=contribution.criterion_id,
                question=criterion.question,
                answer=option.label if option else t("not_answered", lang),
                colour=contribution.colour or "none",
                weight_share=fmt_percent(
                    (contribution.weight_share * 100).quantize(Decimal("0.1")), lang
                ),
                points=fmt_number(contribution.points, lang),
                active_knockout=contribution.is_active_knockout,
            )
        )
        if contribution.is_active_knockout and option is not None and score.capped:
            knockout_text = t(
                "knockout_active", lang, {"answer": option.label, "cap": contribution.knockout_cap}
            )
    positive, negative = factors(score, solution, lang=lang)
    grade = solution.grades.grade(score.probability)
    direction = trend(previous, score.probability)
    bands = solution.grades
    return ScoreOut(
        probability=str(score.probability),
        probability_display=fmt_percent(score.probability, lang),
        contributions=rows,
        knockout_text=knockout_text,
        answered_text=t("answered_of", lang, {"answered": score.answered, "total": score.total}),
        trend=direction,
        trend_label=t(f"trend_{direction}", lang),
        grade=grade,
        grade_label=t("grade_value", lang, {"grade": grade}),
        grade_bands_text=t("grade_bands", lang, {"a": bands.a, "b": bands.b, "c": bands.c}),
        factors_positive=positive,
        factors_negative=negative,
        next_steps=next_steps(score, solution, lang=lang),
    )


def solution_view(solution: Solution, answers: dict[str, str], *, lang: Lang) -> SolutionOut:
    total = solution.total_weight
    return SolutionOut(
        id=solution.id,
        name=solution.name,
        version=solution.version,
        language=solution.language,
        description=solution.description,
        criteria=[
            CriterionOut(
                id=c.id,
                question=c.question,
                guidance=c.guidance,
                weight_share=fmt_percent((c.weight / total * 100).quantize(Decimal("0.1")), lang),
                options=[
                    OptionOut(
                        id=o.id,
                        label=o.label,
                        score=o.score,
                        colour=o.colour,
                        knockout_cap=o.knockout_cap,
                        selected=answers.get(c.id) == o.id,
                    )
                    for o in c.options
                ],
            )
            for c in solution.criteria
        ],
    )


def history_view(
    history: list[Evaluation],
    *,
    principal: Principal,
    lang: Lang,
    names: dict[str, str] | None = None,
    solutions: dict[SolutionRef, Solution] | None = None,
) -> list[HistoryRowOut]:
    return history_rows(
        history,
        viewer=principal.object_id,
        names=names or {},
        solutions=solutions or {},
        lang=lang,
    )


def sparkline(history: list[Evaluation], *, width: int = 240, height: int = 48) -> str:
    """SVG polyline points for the probability over time (oldest left), 0–100 mapped to height."""
    values = [float(e.probability) for e in reversed(history)]
    if not values:
        return ""
    if len(values) == 1:
        values = values * 2
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - v / 100 * height:.1f}" for i, v in enumerate(values))


def project_page_view(
    page: ProjectPage, *, principal: Principal, lang: Lang, is_admin: bool, embedded: bool = False
) -> ProjectPageOut:
    opportunity = _opportunity_out(page)
    latest = page.history[0] if page.history else None
    previous = page.history[1].probability if len(page.history) > 1 else None
    result = None
    if page.latest_score is not None and latest is not None and page.latest_solution is not None:
        result = score_view(page.latest_score, page.latest_solution, lang=lang, previous=previous)
    writeback = None
    if latest is not None:
        writeback = writeback_view(
            latest.writeback,
            lang=lang,
            embedded=embedded,
            crm_value=page.target_value if page.opportunity is not None else None,
            may_change=page.may_change,
            target=page.target_info,
        )
    names = page.evaluator_names
    return ProjectPageOut(
        project=project_out(page.project),
        opportunity=opportunity,
        crm_error=t(page.crm_error.code, lang) if page.crm_error is not None else None,
        may_change=page.may_change,
        solution=solution_view(page.solution, page.current_answers, lang=lang)
        if page.solution
        else None,
        choices=[_choice(s) for s in page.choices],
        result=result,
        writeback=writeback,
        history=history_view(
            page.history,
            principal=principal,
            lang=lang,
            names=names,
            solutions=page.solutions_seen,
        ),
        sparkline=sparkline(page.history),
        target_field=page.settings.target_field,
        target_label=field_label(page.settings.target_field, page.target_info, lang),
        target_value=fmt_number(page.target_value, lang) if page.target_value is not None else None,
        show_target=page.settings.target_field != DEFAULT_TARGET_FIELD,
        is_admin=is_admin,
        summary=_summary(page, principal=principal, lang=lang, writeback=writeback)
        if page.solution is not None or latest is not None
        else None,
        chart=chart_view(page.history, lang=lang),
        closed_notice=_closed_notice(page, lang),
        crm_url=record_url(page.org.url, page.project.key.opportunity_id),
        model_note=model_update_note(page.history, lang),
    )


def _opportunity_out(page: ProjectPage) -> OpportunityOut | None:
    o = page.opportunity
    if o is None:
        return None
    return OpportunityOut(
        name=o.name,
        account=o.account_name or o.customer_name,
        owner=o.owner_name,
        estimated_value=o.estimated_value_display,
        estimated_close_date=o.estimated_close_date_display,
        sales_stage=o.sales_stage_display or o.pipeline_phase,
        status=o.status_display,
        closed=o.state.closed,
        probability=o.probability,
    )


def record_url(org_url: str, opportunity_id: str) -> str:
    """The opportunity's form in Dynamics (open-forms-views-dialogs-reports-url)."""
    return f"{org_url}/main.aspx?etn=opportunity&id={opportunity_id}&pagetype=entityrecord"


def _summary(
    page: ProjectPage, *, principal: Principal, lang: Lang, writeback: WritebackOut | None
) -> SummaryOut:
    latest = page.history[0] if page.history else None
    total = len(page.solution.criteria) if page.solution is not None else 0
    answered = len(page.current_answers)
    if page.latest_score is not None and page.solution is None:
        total, answered = page.latest_score.total, page.latest_score.answered
    status = None
    if writeback is not None:
        status = "drifted" if writeback.drifted else writeback.status
    return summary_view(
        score=page.latest_score,
        solution=page.latest_solution,
        latest=latest,
        previous=page.history[1].probability if len(page.history) > 1 else None,
        last_by=evaluator_name(
            latest.evaluator, viewer=principal.object_id, names=page.evaluator_names, lang=lang
        )
        if latest is not None
        else None,
        writeback_status=status,
        answered=answered,
        total=total,
        lang=lang,
    )


def _closed_notice(page: ProjectPage, lang: Lang) -> str | None:
    """Said before anyone answers: what the org's policy does with a closed opportunity."""
    o = page.opportunity
    if o is None or not o.state.closed:
        return None
    key = (
        "closed_notice_write"
        if page.settings.closed_policy is ClosedPolicy.WRITE
        else "closed_notice_skip"
    )
    return t(key, lang, {"status": o.status_display or t("closed_badge", lang)})


def model_update_note(history: list[Evaluation], lang: Lang) -> str | None:
    """ "Model updated" when the newest evaluation uses a newer version of the same solution than
    the one before it (an administrator moved the project; answers were carried over)."""
    if len(history) < 2:
        return None
    newest, previous = history[0].solution, history[1].solution
    if newest.id != previous.id or newest.version <= previous.version:
        return None
    return t("model_updated", lang, {"version": newest.version, "previous": previous.version})


def _choice(solution: Solution) -> ChoiceOut:
    return ChoiceOut(
        id=solution.id,
        name=solution.name,
        language=solution.language,
        description=solution.description,
        count=len(solution.criteria),
        version=solution.version,
    )
