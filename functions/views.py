"""Turns service results into what templates and JSON show: localised, formatted, and never more
than the page needs. Shared by the HTML pages and the JSON API so both say the same thing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from functions.i18n import Lang, fmt_number, fmt_percent, t
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg
from shared.domain.scoring import Score, trend
from shared.domain.solutions import Solution
from shared.domain.writeback import FieldCheck, effective_range
from shared.services.cockpit import AdminOrgView, CockpitView

_STATUS_KEYS = {
    WritebackStatus.WRITTEN: "wb_written",
    WritebackStatus.UNCHANGED: "wb_unchanged",
    WritebackStatus.SKIPPED_CLOSED: "wb_skipped_closed",
    WritebackStatus.RETRYING: "wb_retrying",
    WritebackStatus.FAILED: "wb_failed",
    WritebackStatus.PENDING: "wb_pending",
}


def writeback_view(
    outcome: WritebackOutcome, *, lang: Lang, embedded: bool = False
) -> dict[str, Any]:
    """What happened in Dynamics, in words a rep understands, and whether retrying makes sense."""
    key = _STATUS_KEYS[outcome.status]
    if outcome.status is WritebackStatus.WRITTEN and embedded:
        key = "wb_written_embedded"
    value = fmt_number(Decimal(outcome.value), lang) if outcome.value is not None else ""
    reason = t(outcome.code, lang, {"detail": ""}) if outcome.code else ""
    return {
        "status": outcome.status.value,
        "code": outcome.code,
        "field": outcome.field,
        "value": outcome.value,
        "message": t(key, lang, {"value": value, "field": outcome.field or "", "reason": reason}),
        "can_retry": outcome.status
        in (WritebackStatus.FAILED, WritebackStatus.RETRYING, WritebackStatus.PENDING),
    }


def score_view(score: Score, solution: Solution, *, lang: Lang) -> dict[str, Any]:
    rows = []
    knockout_text = None
    for contribution in score.contributions:
        criterion = solution.criterion(contribution.criterion_id)
        assert criterion is not None
        option = criterion.option(contribution.option_id) if contribution.option_id else None
        rows.append(
            {
                "criterion_id": contribution.criterion_id,
                "question": criterion.question,
                "answer": option.label if option else t("not_answered", lang),
                "colour": contribution.colour or "none",
                "weight_share": fmt_percent(
                    (contribution.weight_share * 100).quantize(Decimal("0.1")), lang
                ),
                "points": fmt_number(contribution.points, lang),
                "active_knockout": contribution.is_active_knockout,
            }
        )
        if contribution.is_active_knockout and option is not None and score.capped:
            knockout_text = t(
                "knockout_active", lang, {"answer": option.label, "cap": contribution.knockout_cap}
            )
    return {
        "probability": str(score.probability),
        "probability_display": fmt_percent(score.probability, lang),
        "contributions": rows,
        "knockout_text": knockout_text,
        "answered_text": t("answered_of", lang, {"answered": score.answered, "total": score.total}),
    }


def solution_view(solution: Solution, answers: dict[str, str]) -> dict[str, Any]:
    total = solution.total_weight
    return {
        "id": solution.id,
        "name": solution.name,
        "version": solution.version,
        "language": solution.language,
        "description": solution.description,
        "criteria": [
            {
                "id": c.id,
                "question": c.question,
                "guidance": c.guidance,
                "weight_share": str((c.weight / total * 100).quantize(Decimal("0.1"))),
                "options": [
                    {
                        "id": o.id,
                        "label": o.label,
                        "score": o.score,
                        "colour": o.colour,
                        "knockout_cap": o.knockout_cap,
                        "selected": answers.get(c.id) == o.id,
                    }
                    for o in c.options
                ],
            }
            for c in solution.criteria
        ],
    }


def history_view(
    history: list[Evaluation], *, principal: Principal, lang: Lang
) -> list[dict[str, Any]]:
    rows = []
    for i, evaluation in enumerate(history):
        previous = history[i + 1].probability if i + 1 < len(history) else None
        direction = trend(previous, evaluation.probability)
        rows.append(
            {
                "when": evaluation.evaluated_at.strftime("%Y-%m-%d %H:%M UTC"),
                "probability": str(evaluation.probability),
                "probability_display": fmt_percent(evaluation.probability, lang),
                "trend": direction,
                "trend_label": t(f"trend_{direction}", lang),
                "by": t(
                    "history_you"
                    if evaluation.evaluator == principal.object_id
                    else "history_colleague",
                    lang,
                ),
                "model": f"{evaluation.solution.id} v{evaluation.solution.version}",
                "writeback_status": evaluation.writeback.status.value,
            }
        )
    return rows


def sparkline(history: list[Evaluation], *, width: int = 240, height: int = 48) -> str:
    """SVG polyline points for the probability over time (oldest left), 0–100 mapped to height."""
    values = [float(e.probability) for e in reversed(history)]
    if not values:
        return ""
    if len(values) == 1:
        values = values * 2
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - v / 100 * height:.1f}" for i, v in enumerate(values))


def project_view(
    view: CockpitView, *, principal: Principal, lang: Lang, is_admin: bool
) -> dict[str, Any]:
    opportunity = None
    if view.opportunity is not None:
        o = view.opportunity
        opportunity = {
            "name": o.name,
            "account": o.account_name or o.customer_name,
            "owner": o.owner_name,
            "estimated_value": o.estimated_value_display,
            "estimated_close_date": o.estimated_close_date_display,
            "sales_stage": o.sales_stage_display or o.pipeline_phase,
            "status": o.status_display,
            "closed": o.state.closed,
            "probability": o.probability,
        }
    latest = view.history[0] if view.history else None
    result = None
    if view.latest_score is not None and latest is not None and view.solution is not None:
        scored_with = view.solution if view.solution.ref == latest.solution else None
        if scored_with is not None:
            result = score_view(view.latest_score, scored_with, lang=lang)
            previous = view.history[1].probability if len(view.history) > 1 else None
            direction = trend(previous, latest.probability)
            result.update(trend=direction, trend_label=t(f"trend_{direction}", lang))
    return {
        "project": {
            "name": view.project.name,
            "org": view.org.name,
            "opportunity_id": view.project.key.opportunity_id,
            "project_id": view.project.project_id,
        },
        "opportunity": opportunity,
        "crm_error": t(view.crm_error.code, lang) if view.crm_error is not None else None,
        "solution": solution_view(view.solution, view.current_answers) if view.solution else None,
        "choices": [
            {
                "id": s.id,
                "name": s.name,
                "language": s.language,
                "description": s.description,
                "count": len(s.criteria),
                "version": s.version,
            }
            for s in view.choices
        ],
        "result": result,
        "writeback": writeback_view(latest.writeback, lang=lang) if latest else None,
        "history": history_view(view.history, principal=principal, lang=lang),
        "sparkline": sparkline(view.history),
        "target_field": view.settings.target_field,
        "target_value": fmt_number(view.target_value, lang)
        if view.target_value is not None
        else None,
        "show_target": view.settings.target_field != "closeprobability",
        "is_admin": is_admin,
    }


def field_check_view(check: FieldCheck, *, lang: Lang) -> dict[str, Any]:
    info = check.field
    bounds = effective_range(info)
    return {
        "logical_name": info.logical_name,
        "display_name": info.display_name,
        "type": info.attribute_type,
        "range": t(
            "field_type_range",
            lang,
            {
                "type": info.attribute_type,
                "min": fmt_number(bounds[0], lang),
                "max": fmt_number(bounds[1], lang),
            },
        )
        if bounds
        else info.attribute_type,
        "min": str(bounds[0]) if bounds else None,
        "max": str(bounds[1]) if bounds else None,
        "secured": info.is_secured,
        "ok": check.ok,
        "refusals": [r.code for r in check.refusals],
        "warnings": [w.code for w in check.warnings],
    }


def admin_org_view(view: AdminOrgView, *, org: CrmOrg, lang: Lang) -> dict[str, Any]:
    return {
        "org": org.name,
        "url": org.url,
        "target_field": view.settings.target_field,
        "closed_policy": view.settings.closed_policy.value,
        "etag": view.settings.etag,
        "candidates": [field_check_view(c, lang=lang) for c in view.candidates],
        "current": field_check_view(view.current, lang=lang) if view.current else None,
        "crm_error": t(view.crm_error.code, lang) if view.crm_error is not None else None,
    }
