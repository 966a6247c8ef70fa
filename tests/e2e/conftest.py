"""Real-browser end-to-end tests: headless Debian Chromium driven by Playwright (sync API) against
the whole local stack — Azurite, the Entra ID and Dataverse simulators and the demo CRM page as
child processes, the cockpit app served in-process on the port the demo page points at.

One stack and one browser per package (the suite must stay quick on 2 cores); every test gets a
fresh app (its own table prefix, so its own projects and sessions), reset simulators and a fresh
browser context (no cookies, no permissions).

Playwright's sync API marks its event loop as running in this thread between calls, so the
browser is package-scoped: it is gone before other packages' asyncio tests run.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from crm.solution import build_solution
from devstack.stack import Stack
from tests.support.clock import MovableClock
from tests.support.stack import LiveApp, live_app, running_stack

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
# Measured on this machine (docs/architecture.md, "Tests"). Debian's chromium, never `playwright
# install`; default cookie settings (no feature flags), so third-party cookies are blocked.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Auto-waiting limit for expect()/locators: how long to wait for a page to reach a state, never
# an assertion about how fast it got there.
WAIT_MS = 30_000

_REPORT_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report so fixtures can save screenshots of failed tests."""
    report = yield
    item.stash.setdefault(_REPORT_KEY, {})[report.when] = report
    return report


# --- the stack ---------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The demo CRM page shows the command, the Cockpit tab and its column only from the managed
    solution an admin imports (built from source here, as `make solution` does): every browser
    test goes through exactly that package."""
    packages = build_solution(tmp_path_factory.mktemp("dist"))
    with running_stack(
        tmp_path_factory.mktemp("e2e-stack"), with_crm_demo=True, solution=packages.managed
    ) as running:
        yield running


@dataclass
class Control:
    """The simulators' control APIs (test-side, over https with the stack's CA)."""

    stack: Stack
    client: httpx.Client

    def entra(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, f"{self.stack.entra_url}/_sim/{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def dataverse(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, f"{self.stack.dataverse_url}/_sim/{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """Back to the seed — and the solution an admin imported, as at start."""
        self.entra("POST", "reset")
        self.dataverse("POST", "reset")
        if self.stack.config.solution is not None:
            self.stack.install_solution(self.stack.dataverse_url)

    def authorize_pages(self) -> int:
        """How many times a browser asked Entra to sign someone in (GET /authorize)."""
        entries = self.entra("GET", "requests", params={"endpoint": "authorize"})
        return sum(1 for e in entries if e["method"] == "GET")

    def token_calls(self) -> int:
        return len(self.entra("GET", "requests", params={"endpoint": "token"}))

    def opportunity(self, opportunity_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.dataverse("GET", f"records/opportunities/{opportunity_id}")
        return record


@pytest.fixture(scope="package")
def control(stack: Stack) -> Iterator[Control]:
    context = ssl.create_default_context(cafile=str(stack.ca_cert))
    with httpx.Client(verify=context, trust_env=False, timeout=30) as client:
        yield Control(stack=stack, client=client)


@dataclass
class App:
    """The cockpit for one test, with a handle on its container and clock."""

    live: LiveApp
    clock: MovableClock

    @property
    def url(self) -> str:
        return self.live.url

    def call(self, make: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
        """Run a coroutine on the app's own event loop (its clients are bound to it)."""
        future = asyncio.run_coroutine_threadsafe(make(self.live.container), self.live.loop)
        return future.result(timeout=30)

    def advance_clock(self, **kwargs: float) -> None:
        """Move the app's clock (only the app's: the simulators keep real time)."""
        self.clock.offset += timedelta(**kwargs)

    def revoke_session(self, session_id: str) -> None:
        """What "sign out everywhere" or an admin's revocation does: the record is gone."""
        self.call(lambda c: c.auth.logout(session_id))


@pytest.fixture
def app(stack: Stack, control: Control) -> Iterator[App]:
    control.reset()
    clock = MovableClock()
    with live_app(stack, port=stack.config.ports.app, container_overrides={"clock": clock}) as live:
        yield App(live=live, clock=clock)


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    # launch() gives the browser a new, empty user-data-dir of its own (deleted on close).
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    expect.set_options(timeout=WAIT_MS)
    yield browser
    browser.close()


@dataclass
class Session:
    """One person's browser for one test: a fresh context, its pages and what they logged."""

    context: BrowserContext
    stack: Stack
    page_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    cdp_sessions: list[CDPSession] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        """Record script errors (frames included) and console lines of ``page``."""
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        self.console.append(f"[{message.type}] {message.text}")

    def allow_storage_access(self, page: Page) -> None:
        """The user's "Allow" in Chrome's storage-access prompt for the cockpit inside the CRM.

        Headless Chromium cannot show the prompt and denies. The grant is scoped exactly like the
        real one: requesting (embedded) site = the cockpit, top-level site = the CRM page.
        (Playwright's ``grant_permissions(["storage-access"], origin=…)`` does not take the
        top-level site and does not work here; without ``origin`` it grants every pair.)
        https://chromedevtools.github.io/devtools-protocol/tot/Browser/#method-setPermission
        """
        # Measured: the override stops working once its DevTools session detaches, so the
        # session stays open with the context.
        cdp = self.context.new_cdp_session(page)
        info = cdp.send("Target.getTargetInfo")
        cdp.send(
            "Browser.setPermission",
            {
                "permission": {"name": "storage-access"},
                "setting": "granted",
                "origin": self.stack.crm_url,
                "embeddedOrigin": self.stack.app_url,
                "browserContextId": info["targetInfo"]["browserContextId"],
            },
        )
        self.cdp_sessions.append(cdp)

    def cookies(self) -> dict[str, dict[str, Any]]:
        """The context's cookies by name (partitioned ones carry ``partitionKey``)."""
        return {c["name"]: dict(c) for c in self.context.cookies()}


@pytest.fixture
def session(
    request: pytest.FixtureRequest, browser: Browser, stack: Stack, app: App
) -> Iterator[Session]:
    """A fresh context per test. A failed test leaves screenshots of its pages and the console
    under test-artifacts/e2e/failures/; any script error in any page or frame fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    s = Session(context=context, stack=stack)
    context.on("page", s.watch)
    yield s
    reports = request.node.stash.get(_REPORT_KEY, {})
    if any(r.failed for r in reports.values()):
        _save_failure(request.node.name, s)
    context.close()
    assert not s.page_errors, f"script errors in the browser: {s.page_errors}"


def _save_failure(name: str, session: Session) -> None:
    folder = ARTIFACTS / "failures" / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    folder.mkdir(parents=True, exist_ok=True)
    for index, page in enumerate(session.context.pages):
        try:
            page.screenshot(path=str(folder / f"page-{index}.png"), full_page=True)
        except Error:
            continue  # a page that closed or crashed has nothing to show
    (folder / "console.txt").write_text("\n".join(session.console), encoding="utf-8")


@pytest.fixture
def page(session: Session) -> Page:
    """The rep's first tab (the demo CRM page, usually)."""
    return session.context.new_page()
