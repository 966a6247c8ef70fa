"""In Chromium: an admin designs a new version of a solution (a draft from version 1, a weight
changed, a German name added, the live preview clicked, a bad score shown next to its field and
fixed), publishes it; a rep then evaluates a new project on the new version; the admin moves the
rep's older project to it, and the rep sees the new version with the answers kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect

from shared.domain.scoring import evaluate
from shared.domain.solutions import Solution
from tests.e2e.conftest import ARTIFACTS, WAIT_MS, App, Control, Session
from tests.e2e.flows import (
    ANNA,
    B2B,
    CRM_ROLLOUT,
    OPPS,
    answer_and_evaluate,
    answers_at,
    choose_solution,
    expected_crm_value,
    pick_account,
    project_path,
)
from tests.support.stack import USERS

pytestmark = pytest.mark.e2e

FIELD_SERVICE = OPPS["Field service expansion"]["opportunityid"]  # Anna's, open
BEN = USERS["ben"]


@pytest.fixture
def admin(browser: Browser, session: Session) -> Iterator[Page]:
    """Ben's own browser (another context: another person, other cookies)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    watched = Session(context=context, stack=session.stack)
    context.on("page", watched.watch)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()
    assert not watched.page_errors, watched.page_errors


def open_as(page: Page, app: App, path: str, username: str) -> None:
    """Go to a cockpit page; sign in on the way when the browser has no session yet."""
    page.goto(f"{app.url}{path}")
    if not page.url.startswith(app.url):  # at Entra's sign-in page
        pick_account(page, username)
    expect(page).to_have_url(re.compile(re.escape(app.url) + re.escape(path.split("?")[0])))


def published(app: App, version: int) -> Solution:
    found, _ = app.call(
        lambda c: c.designer.version(principal=_ben(c), solution_id=B2B.id, version=version)
    )
    return found.solution


def _ben(container):  # the principal the services check; only its role and tenant matter here
    from shared.domain.identity import Principal

    return Principal(
        kind="session",
        tenant_id=BEN["tenant"],
        object_id=BEN["oid"],
        roles=frozenset({container.settings.admin_role}),
    )


def test_design_publish_evaluate_and_move(
    session: Session, page: Page, admin: Page, app: App, control: Control
) -> None:
    # A rep's project on version 1, with answers.
    open_as(page, app, project_path(CRM_ROLLOUT), ANNA["username"])
    choose_solution(page)
    old_answers = answers_at(B2B, 1)
    answer_and_evaluate(page, old_answers)

    # The admin starts a draft from version 1.
    open_as(admin, app, "/admin/solutions", BEN["username"])
    admin.locator(f'tr[data-solution="{B2B.id}"] button[data-action="draft-from"]').click()
    expect(admin).to_have_url(re.compile(rf"/admin/solutions/{B2B.id}/draft"))
    expect(admin.locator("#problem-summary")).to_have_text(re.compile("Ready to publish"))

    # Edit: the first criterion weighs 5 now; the name gets its German text.
    admin.locator('[data-field="criteria[0].weight"]').fill("5")
    admin.locator('[data-field="name.de"]').fill("B2B-Qualifizierung")

    # The live preview scores the clicked answers with production's function.
    draft_answers = {B2B.criteria[0].id: B2B.criteria[0].options[0].id}
    admin.locator('label.option:has(input[data-criterion="0"][data-option="0"])').click()
    weights = {c.id: (Decimal(5) if i == 0 else c.weight) for i, c in enumerate(B2B.criteria)}
    expected_preview = _score_with_weights(weights, draft_answers)
    expect(admin.locator("#preview-probability")).to_have_text(
        re.compile(re.escape(f"{expected_preview}%"))
    )

    # A bad score is shown next to its field; fixed, the problem goes away.
    score = admin.locator('[data-field="criteria[1].options[0].score"]')
    score.fill("150")
    problem = admin.locator('.problem[data-for="criteria[1].options[0].score"]')
    expect(problem).to_have_text("Between 0 and 100.")
    expect(admin.locator("#preview-blocked")).to_be_visible()
    score.fill(str(B2B.criteria[1].options[0].score))
    expect(problem).to_have_count(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / "admin-designer.png"))

    # Publish: the next immutable version.
    admin.locator("#designer-publish").click()
    expect(admin).to_have_url(re.compile(rf"/admin/solutions/{B2B.id}/versions/2"))
    v2 = published(app, 2)
    assert v2.criteria[0].weight == Decimal(5)
    move = admin.locator('section.move[data-org="contoso"] button[data-action="move"]')
    expect(move).to_have_text("Move 1 project(s) to version 2")
    admin.screenshot(path=str(ARTIFACTS / "admin-version.png"), full_page=True)

    # A rep's new project gets version 2 and is evaluated on it.
    page.goto(f"{app.url}{project_path(FIELD_SERVICE)}")
    choose_solution(page)
    expect(page.locator("#solution-name")).to_contain_text("version 2")
    new_answers = answers_at(v2, 0)
    answer_and_evaluate(page, new_answers)
    assert control.opportunity(FIELD_SERVICE)["closeprobability"] == expected_crm_value(
        v2, new_answers
    )

    # The admin moves the older project; Dynamics decides, as the admin, that he may.
    move.click()
    section = admin.locator('section.move[data-org="contoso"]')
    expect(section.locator(".status")).to_have_text(re.compile(r"^1 project\(s\) moved"))

    # The rep sees the new version, with the answers kept and the new probability written.
    page.goto(f"{app.url}{project_path(CRM_ROLLOUT)}")
    expect(page.locator("#solution-name")).to_contain_text("version 2")
    for criterion, option in old_answers.items():
        expect(page.locator(f'input[name="{criterion}"][value="{option}"]')).to_be_checked()
    expect(page.locator("#history tbody tr").first).to_contain_text(f"{B2B.name}, version 2")
    assert control.opportunity(CRM_ROLLOUT)["closeprobability"] == expected_crm_value(
        v2, old_answers
    )


def _score_with_weights(weights: dict[str, Decimal], answers: dict[str, str]) -> str:
    """The preview's expected text (English): production's score of v1 with new weights."""
    data = B2B.model_dump()
    for criterion in data["criteria"]:
        criterion["weight"] = weights[criterion["id"]]
    probability = evaluate(Solution.model_validate(data), answers).probability
    return f"{probability.normalize():f}"
