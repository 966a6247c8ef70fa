"""Issue 15 in Chromium: the result is in view after saving (1280×900 and the 800×600 Dynamics tab),
one language per page and no logical names (a dictionary check), a keyboard-only journey, axe-core
on every page, the tab's sign-in in counted actions, follow-up tasks from the page. Screenshots go
to test-artifacts/e2e/."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Frame, FrameLocator, Page, expect

from functions.messages import MESSAGES
from shared.domain.solutions import builtin_solutions
from tests.e2e.conftest import ARTIFACTS, REPO_ROOT, App, Control, Session
from tests.e2e.flows import (
    ANNA,
    B2B,
    CRM_ROLLOUT,
    EMBED_PSID,
    answers_at,
    choose_solution,
    click_done,
    cockpit_frame,
    open_cockpit_tab,
    open_form,
    pick_account,
)
from tests.support.stack import USERS

pytestmark = pytest.mark.e2e

AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
GERMAN = next(s for s in builtin_solutions() if s.language == "de")
SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")  # logical names and error codes look like this
IDS = ("b2b-qualification", "vertriebsqualifizierung-b2b", "closeprobability", "msdyn")


def _fragments(lang: str) -> set[str]:
    """Every piece of a message in ``lang`` long enough to be a sentence of that language."""
    found = set()
    for entry in MESSAGES.values():
        for part in re.split(r"\{[^}]*\}|\n", entry[lang]):  # type: ignore[index]
            part = part.strip(" .,:;()“”„\"'–—")
            if len(part) >= 12 and " " in part:
                found.add(part)
    return found


ENGLISH, GERMAN_TEXT = _fragments("en"), _fragments("de")
FOREIGN = {"en": GERMAN_TEXT - ENGLISH, "de": ENGLISH - GERMAN_TEXT}

# The page's text in its own language: elements marked as another language (a solution in the
# other language, offered for choice) are content, not the page speaking.
_TEXT_JS = """() => {
  const lang = document.documentElement.lang;
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('script, style, [hidden]').forEach(e => e.remove());
  clone.querySelectorAll('[lang]').forEach(e => { if (e.getAttribute('lang') !== lang) e.remove(); });
  return [lang, document.title + ' ' + clone.textContent.replace(/\\s+/g, ' ')];
}"""


def check_page(surface: Page | Frame, *, lang: str | None = None) -> dict[str, Any]:
    """One language, no logical names, and axe-core finds nothing serious or critical."""
    page_lang, text = surface.evaluate(_TEXT_JS)
    if lang is not None:
        assert page_lang == lang
    foreign = sorted(f for f in FOREIGN[page_lang] if f in text)
    assert not foreign, f"{surface.url} ({page_lang}) speaks the other language: {foreign[:5]}"
    assert SNAKE.findall(text) == [], f"{surface.url}: {SNAKE.findall(text)[:5]}"
    assert not [i for i in IDS if i in text], surface.url
    return axe(surface)


def axe(surface: Page | Frame) -> dict[str, Any]:
    """axe-core's serious and critical violations (loaded into every document by the context's
    init script, which the pages' Content-Security-Policy does not apply to)."""
    result: list[dict[str, Any]] = surface.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))"
    )
    assert result == [], f"axe on {surface.url}: {result}"
    return {"url": surface.url}


@pytest.fixture
def checked(session: Session) -> Session:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (package.json pins axe-core)")
    session.context.add_init_script(path=str(AXE))
    return session


def sign_in_top(session: Session, app: App, *, userlcid: str = "1033", user: str = "anna") -> Page:
    top = session.context.new_page()
    top.goto(
        f"{app.url}/launch?id={CRM_ROLLOUT}&typename=opportunity&orgname=contoso"
        f"&userlcid={userlcid}"
    )
    pick_account(top, USERS[user]["username"])
    expect(top.locator("#opp-title")).to_be_visible()
    return top


def answer(surface: Page | Frame | FrameLocator, answers: dict[str, str]) -> None:
    for criterion, option in answers.items():
        radio = f'input[type=radio][name="{criterion}"][value="{option}"]'
        surface.locator(f"label.option:has({radio})").click()


def save_and_wait(surface: Page | Frame) -> None:
    surface.evaluate("window.__noReload = true")
    surface.locator("#evaluate").click()
    expect(surface.locator("#summary")).to_have_attribute("data-evaluated", "true")
    expect(surface.locator("#summary-grade")).not_to_have_attribute("data-grade", "")
    expect(surface.locator("#writeback")).to_have_attribute("data-status", "written")
    assert surface.evaluate("window.__noReload === true"), "the page reloaded"


def assert_in_view(surface: Page | Frame | FrameLocator, width: int, height: int) -> None:
    for selector in ("#summary-probability", "#summary-grade"):
        box = surface.locator(selector).bounding_box()
        assert box is not None, selector
        assert 0 <= box["x"] and box["x"] + box["width"] <= width, (selector, box)
        assert 0 <= box["y"] and box["y"] + box["height"] <= height, (selector, box)


def test_the_result_is_in_view_after_saving_at_1280(checked: Session, app: App) -> None:
    top = sign_in_top(checked, app)
    top.set_viewport_size({"width": 1280, "height": 900})
    choose_solution(top)
    expect(top.locator("#progress-text")).to_have_text(f"0 of {len(B2B.criteria)} answered")
    answers = answers_at(B2B, 1)
    answer(top, dict(list(answers.items())[:6]))
    expect(top.locator("#progress-text")).to_have_text(f"6 of {len(B2B.criteria)} answered")
    answer(top, answers)
    save_and_wait(top)
    assert top.evaluate("window.scrollY") > 0  # the rep was at the bottom of the form
    assert_in_view(top, 1280, 900)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    top.screenshot(path=str(ARTIFACTS / "result-in-view-1280x900.png"))
    check_page(top, lang="en")


def test_the_result_is_in_view_in_the_800x600_tab(
    checked: Session, page: Page, app: App, control: Control
) -> None:
    checked.allow_storage_access(page)
    sign_in_top(checked, app).close()  # signed in already: the tab needs no click
    page.set_viewport_size({"width": 800, "height": 600})
    open_form(page, checked.stack, CRM_ROLLOUT)
    frame = open_cockpit_tab(page)
    choose_solution(frame)
    # Compact: how to judge each criterion folds away at this width.
    expect(frame.locator("details.guidance[open]")).to_have_count(0)
    answer(frame, answers_at(B2B, 2))
    surface = cockpit_frame(page)
    save_and_wait(surface)
    assert_in_view(frame, 800, 600)
    iframe = page.locator('iframe[name="IFRAME_cockpit"]').bounding_box()
    box = frame.locator("#summary-probability").bounding_box()
    assert iframe is not None and box is not None and box["y"] >= iframe["y"]
    page.screenshot(path=str(ARTIFACTS / "result-in-view-tab-800x600.png"))
    check_page(surface, lang="en")
    assert control.authorize_pages() == 1


@pytest.mark.parametrize("lang, lcid", [("en", "1033"), ("de", "1031")])
def test_each_page_speaks_one_language_with_no_logical_names_and_passes_axe(
    lang: str, lcid: str, checked: Session, app: App
) -> None:
    solution = B2B if lang == "en" else GERMAN
    top = sign_in_top(checked, app, userlcid=lcid)
    check_page(top, lang=lang)  # the choice of a model (other languages marked as such)
    choose_solution(top, solution)
    check_page(top, lang=lang)  # nothing answered yet
    answer(top, answers_at(solution, 0))
    save_and_wait(top)
    answer(top, answers_at(solution, 2))
    save_and_wait(top)
    expect(top.locator("#history tbody tr")).to_have_count(2)
    expect(top.locator("svg.trend-chart circle")).to_have_count(2)
    check_page(top, lang=lang)  # result, reasons, next steps, chart, history
    top.screenshot(path=str(ARTIFACTS / f"project-page-{lang}.png"), full_page=True)
    top.goto(f"{app.url}/?lang={lang}")
    check_page(top, lang=lang)
    top.goto(f"{app.url}/my?lang={lang}")  # (an error page while the simulator lacks In)
    check_page(top, lang=lang)
    top.goto(f"{app.url}/auth/done?lang={lang}")
    check_page(top, lang=lang)


def test_admin_sign_in_and_message_pages_pass_axe(
    checked: Session, page: Page, app: App, control: Control
) -> None:
    open_form(page, checked.stack, CRM_ROLLOUT)
    frame = open_cockpit_tab(page)
    expect(frame.locator("#embed-sign-in")).to_be_visible()
    check_page(cockpit_frame(page), lang="en")
    top = checked.context.new_page()
    top.goto(f"{app.url}/auth/signed-out?lang=de")
    check_page(top, lang="de")
    top.goto(f"{app.url}/launch?id=&orgname=contoso&userlcid=1031")
    expect(top.locator("[role=alert]")).to_be_visible()
    check_page(top, lang="de")
    top.goto(f"{app.url}/auth/login?next=/admin")
    pick_account(top, USERS["ben"]["username"])
    expect(top.locator(".admin-org")).to_be_visible()
    axe(top)  # admins see logical names on purpose (they pick the column)


def test_a_keyboard_only_journey_with_visible_focus(checked: Session, app: App) -> None:
    top = sign_in_top(checked, app)
    top.evaluate("document.activeElement && document.activeElement.blur()")

    def tab_to(predicate: str, limit: int = 300) -> None:
        for _ in range(limit):
            top.keyboard.press("Tab")
            if top.evaluate(
                f"(() => {{ const el = document.activeElement; return {predicate}; }})()"
            ):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    tab_to(f"el.matches('button.choose[data-solution=\"{B2B.id}\"]')")
    top.keyboard.press("Enter")
    expect(top.locator("#answers")).to_be_visible()
    assert top.get_by_role("radio").count() == sum(len(c.options) for c in B2B.criteria)
    assert top.get_by_role("group").count() >= len(B2B.criteria)
    for criterion in B2B.criteria:
        tab_to(f"el.type === 'radio' && el.name === '{criterion.id}'")
        outline = top.evaluate(
            "getComputedStyle(document.activeElement.closest('label')).outlineStyle"
        )
        assert outline != "none"  # the focused answer is visibly marked
        top.keyboard.press("Space")  # the first option; arrows move within the group
        top.keyboard.press("ArrowRight")
        expect(top.locator(f'input[name="{criterion.id}"]:checked')).to_have_count(1)
    tab_to("el.id === 'evaluate'")
    top.keyboard.press("Enter")
    expect(top.locator("#summary")).to_have_attribute("data-evaluated", "true")
    expect(top.locator("#history tbody tr")).to_have_count(1)  # the details were brought up to date
    expect(top.locator("#summary")).to_be_focused()  # and the result keeps the focus
    tab_to("el.classList.contains('create-task')")  # next steps are reachable too


def test_the_tabs_sign_in_takes_three_actions_the_first_time_and_none_later(
    checked: Session, page: Page, app: App, control: Control
) -> None:
    """A rep signed in to Microsoft 365 (as every Dynamics user is), never signed in to the cockpit
    and never asked for storage access: "Sign in", "Done" in the window that closes itself, and
    "Continue" (which brings the browser's question). Afterwards: no action at all."""
    entra = checked.context.new_page()  # the Microsoft 365 sign-in the rep already has
    entra.goto(f"{app.url}/auth/login?next=/")
    pick_account(entra, ANNA["username"])
    expect(entra.locator("#home")).to_be_visible()
    entra.close()
    checked.context.clear_cookies(name="__Host-cockpit_sid")  # but no cockpit session
    authorize_before = control.authorize_pages()

    actions = 0
    open_form(page, checked.stack, CRM_ROLLOUT)
    frame = open_cockpit_tab(page)
    with checked.context.expect_page() as window_info:
        frame.locator("#embed-sign-in-button").click()
        actions += 1
    window = window_info.value
    expect(window.locator("#close-window")).to_be_visible()  # Entra knew the rep: no picker
    click_done(window)
    actions += 1
    expect(frame.locator("#embed-status")).to_have_attribute("data-state", "waiting")
    checked.allow_storage_access(page)  # the person's "Allow" in the browser's question
    frame.locator("#embed-continue").click()
    actions += 1
    expect(frame.locator("#opp-title")).to_have_text("CRM rollout 2027")
    assert actions <= 3
    assert control.authorize_pages() == authorize_before + 1

    # Later visits: nothing to do, with the partitioned copy and without it (the grant and
    # Storage Access Headers bring the first-party session).
    open_form(page, checked.stack, CRM_ROLLOUT)
    expect(open_cockpit_tab(page).locator("#opp-title")).to_have_text("CRM rollout 2027")
    checked.context.clear_cookies(name=EMBED_PSID)
    open_form(page, checked.stack, CRM_ROLLOUT)
    expect(open_cockpit_tab(page).locator("#opp-title")).to_have_text("CRM rollout 2027")
    assert control.authorize_pages() == authorize_before + 1


def test_a_follow_up_task_from_the_page(checked: Session, app: App, control: Control) -> None:
    top = sign_in_top(checked, app)
    choose_solution(top)
    answer(top, answers_at(B2B, 2))
    save_and_wait(top)
    control.dataverse("DELETE", "requests")
    step = top.locator("#next-steps .step").first
    step.locator("button.create-task").click()
    status = step.locator(".task-status")
    expect(status).not_to_be_empty()
    posts = [
        r
        for r in control.dataverse("GET", "requests")["requests"]
        if r["method"] == "POST" and r["path"].split("?")[0].endswith("/tasks")
    ]
    assert len(posts) == 1 and posts[0]["user"] == ANNA["oid"]
    check_page(top, lang="en")
    expect(status).to_contain_text("created in Dynamics 365")
