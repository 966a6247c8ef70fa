"""The Cockpit tab's channel to the form script in Chromium: the form script
(crm/webresources/cockpit_form.js, run by the demo CRM page's Client API stand-in) hands the framed
cockpit a MessageChannel port, the cockpit (functions/static/cockpit.js) asks for it once per page
load with ``cockpit.ready`` and writes back on it; connects from another origin, for another
record or of another shape are ignored."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Frame, Page, expect

from tests.e2e.conftest import App, Control, Session
from tests.e2e.flows import (
    B2B,
    CRM_ROLLOUT,
    OPPS,
    answer_and_evaluate,
    answers_at,
    choose_solution,
    cockpit_frame,
    expected_crm_value,
    open_cockpit_tab,
    open_form,
    sign_in_embedded,
    wait_for_form_port,
)

pytestmark = pytest.mark.e2e

OTHER = next(o["opportunityid"] for o in OPPS.values() if o["opportunityid"] != CRM_ROLLOUT)

# Every message the CRM page's own window receives (from the frame: ready, or write-backs on the
# old window path), recorded from before the frame exists. Port messages never show up here.
WINDOW_MESSAGES = """
if (window.parent === window) {
  window.__windowMessages = [];
  window.addEventListener("message", (event) => {
    const data = event.data;
    const type = data && typeof data === "object" ? data.type : typeof data;
    window.__windowMessages.push({ origin: event.origin, type: type });
  });
}
"""


def window_messages(page: Page, kind: str) -> int:
    types: list[str] = page.evaluate("window.__windowMessages.map((m) => m.type)")
    return types.count(kind)


def form_status(page: Page) -> dict[str, Any]:
    status: dict[str, Any] = page.evaluate("window.Cockpit.Form.status()")
    return status


def signed_in_project(session: Session, page: Page) -> Frame:
    """The Cockpit tab signed in, the answer scheme chosen and the form's port held."""
    page.add_init_script(WINDOW_MESSAGES)
    session.allow_storage_access(page)
    open_form(page, session.stack, CRM_ROLLOUT)
    frame = open_cockpit_tab(page)
    sign_in_embedded(session.context, frame).close()
    choose_solution(frame)  # reloads the page in the frame
    wait_for_form_port(page)
    return cockpit_frame(page)


def test_the_write_back_reaches_the_form_through_the_port(
    session: Session, page: Page, app: App, control: Control
) -> None:
    frame = signed_in_project(session, page)
    tab = open_cockpit_tab(page)  # (already shown: the locator only)
    readies = window_messages(page, "cockpit.ready")
    assert readies >= 1
    connects = form_status(page)["connects"]
    assert connects >= 1

    first = answers_at(B2B, 2)
    answer_and_evaluate(tab, first)
    expect(page.locator("#form-root")).to_have_attribute("data-refresh-count", "1")
    expected = str(expected_crm_value(B2B, first))
    expect(page.locator("#field-closeprobability")).to_have_attribute("data-value", expected)
    status = form_status(page)
    assert status["refreshes"] == 1 and status["channel"] is True
    # Nothing came on the window: the refresh was the port's doing.
    assert window_messages(page, "cockpit.writeback") == 0

    # A reload of the frame: one ready, the form connects again, and the next write-back takes
    # the new port — still exactly one refresh for it.
    frame.evaluate("window.location.reload()")
    expect(tab.locator("#answers")).to_be_visible()
    wait_for_form_port(page)
    assert window_messages(page, "cockpit.ready") == readies + 1
    assert form_status(page)["connects"] > connects
    second = answers_at(B2B, 0)
    assert expected_crm_value(B2B, second) != expected_crm_value(B2B, first)
    answer_and_evaluate(tab, second)
    expect(page.locator("#form-root")).to_have_attribute("data-refresh-count", "2")
    expected = str(expected_crm_value(B2B, second))
    expect(page.locator("#field-closeprobability")).to_have_attribute("data-value", expected)
    assert form_status(page)["refreshes"] == 2
    assert window_messages(page, "cockpit.writeback") == 0
    assert window_messages(page, "cockpit.ready") == readies + 1  # no loop
    assert control.opportunity(CRM_ROLLOUT)["closeprobability"] == int(expected)


# From the CRM page (the allowed parent origin): connects that must be ignored, each with a port
# of this test's own whose other end records what it receives; then a marker.
PARENT_CONNECTS = """
([origin, id, other]) => {
  const target = document.getElementById("cockpit-frame").contentWindow;
  window.__strayPorts = [];
  const send = (data, withPort) => {
    const channel = new MessageChannel();
    const received = [];
    channel.port1.onmessage = (event) => received.push(event.data);
    window.__strayPorts.push(received);
    target.postMessage(data, origin, withPort ? [channel.port2] : []);
  };
  send({ type: "cockpit.connect", version: 1, opportunityId: other }, true);
  send({ type: "cockpit.connect", version: 2, opportunityId: id }, true);
  send({ type: "cockpit.connect", version: 1, opportunityId: id, extra: true }, true);
  send([{ type: "cockpit.connect", version: 1, opportunityId: id }], true);
  send({ type: "cockpit.connect", version: 1, opportunityId: id }, false);
  send({ type: "cockpit.ready", version: 1 }, true);
  send("cockpit.connect", true);
  target.postMessage("test.marker", origin);
}
"""

# From inside the frame: a well-formed connect for this record, but from the cockpit's own origin
# (not the parent's).
FOREIGN_CONNECT = """
(id) => {
  window.__foreignPort = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => window.__foreignPort.push(event.data);
  window.postMessage({ type: "cockpit.connect", version: 1, opportunityId: id }, "*", [channel.port2]);
  window.postMessage("test.marker", "*");
}
"""

MARKERS = """
() => {
  window.__markers = 0;
  window.addEventListener("message", (event) => {
    if (event.data === "test.marker") window.__markers += 1;
  });
}
"""

# A connect the cockpit must accept (braced, upper case, as Dynamics spells ids): it takes over.
TAKEOVER = """
([origin, id]) => {
  const channel = new MessageChannel();
  window.__takeover = [];
  channel.port1.onmessage = (event) => window.__takeover.push(event.data);
  const data = { type: "cockpit.connect", version: 1, opportunityId: id };
  document.getElementById("cockpit-frame").contentWindow.postMessage(data, origin, [channel.port2]);
}
"""


def test_connects_from_elsewhere_or_for_another_record_are_ignored(
    session: Session, page: Page, app: App, control: Control
) -> None:
    frame = signed_in_project(session, page)
    tab = open_cockpit_tab(page)
    frame.evaluate(MARKERS)
    page.evaluate(PARENT_CONNECTS, [app.url, CRM_ROLLOUT, OTHER])
    frame.evaluate(FOREIGN_CONNECT, CRM_ROLLOUT)
    frame.wait_for_function("() => window.__markers === 2")  # all of them were handled

    first = answers_at(B2B, 2)
    answer_and_evaluate(tab, first)
    expect(page.locator("#form-root")).to_have_attribute("data-refresh-count", "1")
    assert page.evaluate("window.__strayPorts.map((r) => r.length)") == [0] * 7
    assert frame.evaluate("window.__foreignPort.length") == 0
    assert window_messages(page, "cockpit.writeback") == 0

    # The one connect that is accepted replaces the form's port (closed): the next write-back
    # reaches the new holder and the form is not refreshed again.
    page.evaluate(TAKEOVER, [app.url, "{" + CRM_ROLLOUT.upper() + "}"])
    second = answers_at(B2B, 0)
    answer_and_evaluate(tab, second)
    page.wait_for_function("() => window.__takeover.length === 1")
    delivered = page.evaluate("window.__takeover[0]")
    assert delivered == {
        "type": "cockpit.writeback",
        "version": 1,
        "opportunityId": CRM_ROLLOUT,
        "field": "closeprobability",
        "value": expected_crm_value(B2B, second),
    }
    assert form_status(page)["refreshes"] == 1
    expect(page.locator("#form-root")).to_have_attribute("data-refresh-count", "1")
    assert window_messages(page, "cockpit.writeback") == 0
