"""Issue 6, 4b: the Cockpit tab of the demo CRM form — a cross-site iframe (CRM on 127.0.0.1,
cockpit on localhost) in Chromium with its default third-party-cookie blocking. Sign-in through
the Storage Access API and a top-level sign-in window, evaluation, write-back, and the form
refresh the cockpit triggers on the MessageChannel port the form script handed it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import App, Control, Session
from tests.e2e.flows import (
    B2B,
    CRM_ROLLOUT,
    EMBED_PSID,
    SESSION_SID,
    FrameWatch,
    answer_and_evaluate,
    answers_at,
    choose_solution,
    cockpit_frame,
    expected_crm_value,
    open_cockpit_tab,
    open_form,
    project_path,
    sign_in_embedded,
)

pytestmark = pytest.mark.e2e


def test_embed_path_signs_in_evaluates_writes_back_and_refreshes_the_form(
    session: Session, page: Page, app: App, control: Control
) -> None:
    session.allow_storage_access(page)
    watch = FrameWatch.on(page)
    open_form(page, session.stack, CRM_ROLLOUT)
    frame = open_cockpit_tab(page)

    # Not signed in: the frame shows the embedded sign-in (never Entra, which refuses frames),
    # with "Open in new tab" always there.
    expect(frame.locator("#embed-sign-in")).to_be_visible()
    expect(frame.locator("#open-in-new-tab")).to_be_visible()
    expect(frame.locator("#embed-new-tab")).to_be_visible()
    expect(frame.locator("#embed-new-tab")).to_have_attribute(
        "href", re.compile(rf"^/launch\?id=%7B{CRM_ROLLOUT.upper()}%7D&")
    )

    sign_in_embedded(session.context, frame).close()  # (checks the window had no opener)

    # "Continue": storage access → the first-party session copied into the partition → reload.
    expect(frame.locator("#opp-title")).to_have_text("CRM rollout 2027")
    embed_url = f"{app.url}{project_path(CRM_ROLLOUT, embedded=True)}?lang=en"
    assert cockpit_frame(page).url == embed_url  # the reload's mark does not linger
    cookies = session.cookies()
    assert cookies[EMBED_PSID]["partitionKey"] == "http://127.0.0.1"  # the CRM's site
    assert "partitionKey" not in cookies[SESSION_SID]  # first-party, set at top level
    assert cookies[EMBED_PSID]["value"] == cookies[SESSION_SID]["value"]

    choose_solution(frame)
    answers = answers_at(B2B, 2)
    expected = expected_crm_value(B2B, answers)
    assert expected != 20, "the test must change the value to see it arrive"
    answer_and_evaluate(frame, answers)
    assert control.opportunity(CRM_ROLLOUT)["closeprobability"] == expected

    # The port → Cockpit.Form → formContext.data.refresh(false): exactly one refresh, and the
    # form shows the new value without a page reload.
    form = page.locator("#form-root")
    expect(form).to_have_attribute("data-refresh-count", "1")
    expect(page.locator("#field-closeprobability")).to_have_attribute("data-value", str(expected))
    notification = page.locator(
        '#form-notifications .form-notification[data-notification-id="cockpit-writeback"]'
    )
    expect(notification).to_contain_text(f"({expected})")
    assert page.evaluate("window.Cockpit.Form.status().refreshes") == 1
    # The form script pointed the IFRAME control at the cockpit and handed it a port, which the
    # cockpit holds (tests/e2e/test_form_channel.py: the write-back takes no other way).
    assert page.evaluate("window.Cockpit.Form.status().sources") == 1
    assert page.evaluate("window.Cockpit.Form.status().connects") >= 1
    assert cockpit_frame(page).evaluate("window.Cockpit.formChannel().port") is True

    # One sign-in page in all, shown top-level; the frame itself never left the cockpit.
    assert control.authorize_pages() == 1
    assert watch.hosts() == {app.url.removeprefix("http://")}
    assert watch.count("/auth/login") == 0
    assert watch.adoptions == 2  # "Sign in" (no session yet) and "Continue"


def test_an_unsaved_record_gets_a_readable_message_in_the_tab(
    session: Session, page: Page, app: App, control: Control
) -> None:
    """Dynamics passes an empty ``id`` until the record is saved: the frame shows a readable 400
    page (framable, like every /embed answer), not a sign-in and not a dead frame."""
    page.goto(f"{session.stack.crm_url}/main.aspx?etn=opportunity&pagetype=entityrecord")
    expect(page.locator("#form-root")).to_have_attribute("data-record-id", "")
    with page.expect_response(lambda r: r.url.startswith(f"{app.url}/embed?id=&")) as answer:
        frame = open_cockpit_tab(page)
    assert answer.value.status == 400
    expect(frame.locator("[role=alert]")).to_contain_text("Save the opportunity first")
    expect(frame.locator("#embed-sign-in")).to_have_count(0)
    assert control.authorize_pages() == 0
