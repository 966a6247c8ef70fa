"""Issue 6, 4d: only the configured CRM origins may frame the cockpit, and only its /embed routes.
A page on another origin (here: a plain static server on 127.0.0.1, so another origin on the
CRM's own site) cannot frame /embed; the CRM origin cannot frame any other route."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Frame, Page, Response

from devstack.process import ManagedProcess, free_port
from tests.e2e.conftest import App, Session
from tests.e2e.flows import CRM_ROLLOUT, open_form, project_path

pytestmark = pytest.mark.e2e

BLOCKED = "chrome-error://chromewebdata/"


@pytest.fixture(scope="module")
def foreign_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A static web server on an origin the cockpit does not list; tests write pages into it."""
    root = tmp_path_factory.mktemp("foreign-site")
    port = free_port()
    process = ManagedProcess(
        name="foreign-site",
        argv=[sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=root,
        log_path=root.parent / "foreign-site.log",
        ready_url=f"http://127.0.0.1:{port}/",
    )
    process.start(timeout=30)
    try:
        yield f"http://127.0.0.1:{port}", root
    finally:
        process.stop()


def framed(page: Page, *, parent_url: str, child_url: str) -> tuple[Frame, Response]:
    """Load ``parent_url`` (whose page frames ``child_url``) and wait for the browser's verdict:
    Chromium answers the cockpit's refusal with its own error document in the frame."""
    with page.expect_response(lambda r: r.url == child_url) as response_info:
        with page.expect_event("framenavigated", lambda f: f.url == BLOCKED) as navigated:
            page.goto(parent_url)
    frame: Frame = navigated.value
    return frame, response_info.value


def test_a_page_on_another_origin_cannot_frame_the_embed_route(
    session: Session, page: Page, app: App, foreign_site: tuple[str, Path]
) -> None:
    origin, root = foreign_site
    child = f"{app.url}/embed?id=%7B{CRM_ROLLOUT.upper()}%7D&typename=opportunity&orgname=contoso"
    (root / "frame-embed.html").write_text(
        f'<!doctype html><title>Not Dynamics</title><iframe id="victim" src="{child}"></iframe>'
    )
    frame, response = framed(page, parent_url=f"{origin}/frame-embed.html", child_url=child)

    assert frame.parent_frame is page.main_frame
    # The answer allowed exactly the configured CRM origin, and had no X-Frame-Options (which
    # cannot express an allow-list and would also block Dynamics).
    policy = response.headers["content-security-policy"]
    assert f"frame-ancestors {session.stack.crm_url}" in policy
    assert origin not in policy
    assert "x-frame-options" not in response.headers


def test_the_crm_origin_may_frame_embed_routes_only(session: Session, page: Page, app: App) -> None:
    open_form(page, session.stack, CRM_ROLLOUT)
    child = f"{app.url}{project_path(CRM_ROLLOUT)}"  # the top-level project page, not /embed
    with page.expect_response(lambda r: r.url == child) as response_info:
        with page.expect_event("framenavigated", lambda f: f.url == BLOCKED) as navigated:
            page.evaluate(
                """url => {
                    const frame = document.createElement("iframe");
                    frame.id = "not-embed";
                    frame.src = url;
                    document.body.appendChild(frame);
                }""",
                child,
            )
    frame: Frame = navigated.value
    assert frame.parent_frame is page.main_frame
    headers = response_info.value.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
