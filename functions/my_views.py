""" "My cockpit" as people read it: one row per project with live CRM values and the cockpit's
grade and trend (response models of ``functions/schemas.py``, rendered by ``my.html``)."""

from __future__ import annotations

from functions.i18n import fmt_datetime, fmt_percent, t
from functions.messages import Lang
from functions.presenters import record_url
from functions.schemas import MyPageOut, MyRowOut
from shared.domain.scoring import trend
from shared.services.my_cockpit import MyPage, MyRow


def my_row_view(row: MyRow, *, lang: Lang) -> MyRowOut:
    o, key = row.opportunity, row.entry.key
    grade = grade_label = direction = direction_label = probability = None
    if row.latest is not None:
        probability = fmt_percent(row.latest.probability, lang)
        direction = trend(
            row.previous.probability if row.previous else None, row.latest.probability
        )
        direction_label = t(f"trend_{direction}", lang)
        if row.solution is not None:
            grade = row.solution.grades.grade(row.latest.probability)
            grade_label = t("grade_value", lang, {"grade": grade})
    return MyRowOut(
        org=key.org,
        opportunity_id=key.opportunity_id,
        name=o.name or row.project.name,
        account=o.account_name or o.customer_name,
        sales_stage=o.sales_stage_display or o.pipeline_phase,
        estimated_close_date=o.estimated_close_date_display,
        crm_probability=fmt_percent(o.probability, lang) if o.probability is not None else None,
        probability_display=probability,
        grade=grade,
        grade_label=grade_label,
        trend=direction,
        trend_label=direction_label,
        last_activity=row.entry.last_activity.isoformat(),
        last_activity_display=fmt_datetime(row.entry.last_activity, lang),
        project_url=f"/projects/{key.org}/{key.opportunity_id}?lang={lang}",
        crm_url=record_url(row.org_url, key.opportunity_id),
    )


def my_page_view(page: MyPage, *, lang: Lang) -> MyPageOut:
    return MyPageOut(
        org=page.org.name,
        rows=[my_row_view(r, lang=lang) for r in page.rows],
        page=page.page,
        pages=page.pages,
        total=page.total,
        sort=page.sort,
        order="desc" if page.descending else "asc",
    )
