"""What a person does in the browser, as small steps the tests compose: the demo CRM form, the
Entra ID simulator's sign-in page, the cockpit's project page and the embedded sign-in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

from playwright.sync_api import (
    BrowserContext,
    Error,
    Frame,
    FrameLocator,
    Locator,
    Page,
    Request,
    expect,
)

from devstack.stack import Stack
from shared.domain.scoring import evaluate
from shared.domain.solutions import Solution, builtin_solutions
from tests.support.stack import SEED, USERS

OPPS = {o["name"]: o for o in SEED["dataverse"]["opportunities"]}
CRM_ROLLOUT = OPPS["CRM rollout 2027"]["opportunityid"]  # Anna's, open, closeprobability 20
ANNA = USERS["anna"]
B2B = next(s for s in builtin_solutions() if s.language == "en")
FRAME_NAME = "IFRAME_cockpit"
EMBED_PSID = "__Host-cockpit_psid"
SESSION_SID = "__Host-cockpit_sid"

Surface = Page | FrameLocator


def crm_form_url(stack: Stack, opportunity_id: str) -> str:
    return f"{stack.crm_url}/main.aspx?etn=opportunity&id={opportunity_id}&pagetype=entityrecord"


def project_path(opportunity_id: str, *, embedded: bool = False) -> str:
    return f"{'/embed' if embedded else ''}/projects/contoso/{opportunity_id}"


def answers_at(solution: Solution, level: int) -> dict[str, str]:
    """Every criterion answered with its option number ``level`` (0 = best), no knock-outs."""
    chosen = {}
    for criterion in solution.criteria:
        options = [o for o in criterion.options if o.knockout_cap is None]
        chosen[criterion.id] = options[min(level, len(options) - 1)].id
    return chosen


def expected_crm_value(solution: Solution, answers: dict[str, str]) -> int:
    """What the write-back puts into ``closeprobability`` (an Integer column): the domain's
    probability, rounded half up."""
    probability = evaluate(solution, answers).probability
    return int(probability.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- Entra ID simulator ----------------------------------------------------------------------


def pick_account(page: Page, username: str) -> None:
    """On the simulator's "Pick an account" page, choose ``username``."""
    page.locator(f'form.user[data-username="{username}"] button').click()


# --- the cockpit project page (top level or in the frame) ------------------------------------


def choose_solution(surface: Surface, solution: Solution = B2B) -> None:
    surface.locator(f'#choose-solution button.choose[data-solution="{solution.id}"]').click()
    expect(surface.locator("#answers")).to_be_visible()


def answer_and_evaluate(surface: Surface, answers: dict[str, str]) -> Locator:
    """Tick the answers, click Evaluate, wait for the reloaded page; returns the write-back box."""
    for criterion, option in answers.items():
        radio = f'input[type=radio][name="{criterion}"][value="{option}"]'
        # People click the option's label (the styled chip covers the radio button itself).
        surface.locator(f"label.option:has({radio})").click()
        expect(surface.locator(radio)).to_be_checked()
    surface.locator("#evaluate").click()
    writeback = surface.locator("#writeback")
    expect(writeback).to_have_attribute("data-status", "written")
    return writeback


# --- the demo CRM form -----------------------------------------------------------------------


def open_form(page: Page, stack: Stack, opportunity_id: str) -> None:
    page.goto(crm_form_url(stack, opportunity_id))
    expect(page.locator("#form-root")).to_have_attribute("data-refresh-count", "0")


def open_cockpit_tab(page: Page) -> FrameLocator:
    page.locator("#tab-cockpit").click()
    return page.frame_locator(f'iframe[name="{FRAME_NAME}"]')


def cockpit_frame(page: Page) -> Frame:
    frame = page.frame(name=FRAME_NAME)
    assert frame is not None, "the Cockpit tab has no frame"
    return frame


def wait_for_form_port(page: Page) -> None:
    """Until the cockpit page in the tab holds the MessageChannel port the form script handed it
    (after its load it asked for one with ``cockpit.ready``)."""
    cockpit_frame(page).wait_for_function(
        "() => !!(window.Cockpit && window.Cockpit.formChannel && window.Cockpit.formChannel().port)"
    )


@dataclass
class FrameWatch:
    """Every document request of the cockpit frame, redirects included (to prove it never went
    to Entra and never looped)."""

    urls: list[str] = field(default_factory=list)
    adoptions: int = 0  # POST /auth/embed/session: attempts to copy the session into the frame

    @classmethod
    def on(cls, page: Page) -> FrameWatch:
        watch = cls()
        page.on("request", watch._request)
        return watch

    def _request(self, request: Request) -> None:
        # The form's only child frame is the cockpit's. (Not by name: a frame's first
        # navigation is reported before Playwright knows its name.)
        if request.is_navigation_request() and request.frame.parent_frame is not None:
            self.urls.append(request.url)
        elif request.method == "POST" and urlsplit(request.url).path == "/auth/embed/session":
            self.adoptions += 1

    def hosts(self) -> set[str]:
        return {urlsplit(u).netloc for u in self.urls}

    def count(self, path: str) -> int:
        return sum(1 for u in self.urls if urlsplit(u).path == path)


def sign_in_embedded(
    context: BrowserContext, frame: FrameLocator, *, username: str = ANNA["username"]
) -> Page:
    """The embedded sign-in for someone with no cockpit session yet: "Sign in" opens a top-level
    window (caught here), the person picks an account, the window ends on /auth/done; then
    "Continue" in the tab. Returns the sign-in window (still open)."""
    expect(frame.locator("#embed-continue")).to_be_hidden()
    with context.expect_page() as window_info:
        frame.locator("#embed-sign-in-button").click()
    window = window_info.value
    pick_account(window, username)
    expect(window).to_have_url(re.compile(r"/auth/done$"))
    # The sign-in window never had a handle on the Dynamics page or the frame.
    assert window.evaluate("window.opener") is None
    # "Done": the person's click on the cockpit's own site at top level, which browsers require
    # before they let the embedded tab use that site's cookies.
    click_done(window)
    expect(frame.locator("#embed-status")).to_have_attribute("data-state", "waiting")
    frame.locator("#embed-continue").click()
    return window


def click_done(window: Page) -> None:
    """ "Done" on the sign-in window: it closes itself where the browser allows, and says to close
    it where it does not."""
    with window.expect_event("close", timeout=5_000):
        try:
            window.locator("#close-window").click(no_wait_after=True)
        except Error:
            pass  # the window closed itself while the click was still being reported
    assert window.is_closed()
