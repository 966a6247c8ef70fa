"""A browser-like HTTP client for integration tests: httpx with a cookie jar that, like Chromium,
treats ``localhost``/``127.0.0.1`` as a secure context (so ``Secure``/``__Host-`` cookies are
kept and sent over http there), plus a helper that signs a seeded user in through the Entra ID
simulator's real sign-in page."""

from __future__ import annotations

import http.cookiejar
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

_TRUSTWORTHY = {"localhost", "127.0.0.1"}


class BrowserCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Browsers treat loopback hosts as potentially trustworthy: Secure cookies work over http."""

    def return_ok_secure(
        self, cookie: http.cookiejar.Cookie, request: urllib.request.Request
    ) -> bool:
        if cookie.secure and urlsplit(request.get_full_url()).hostname in _TRUSTWORTHY:
            return True
        return bool(super().return_ok_secure(cookie, request))


def browser(**kwargs) -> httpx.AsyncClient:
    jar = http.cookiejar.CookieJar(policy=BrowserCookiePolicy())
    return httpx.AsyncClient(
        cookies=httpx.Cookies(jar), follow_redirects=False, timeout=30, **kwargs
    )


@dataclass
class _Form:
    action: str
    fields: dict[str, str]
    username: str | None


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self._current: _Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = _Form(
                action=a.get("action", ""), fields={}, username=a.get("data-username")
            )
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and "name" in a:
            self._current.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def sign_in_form(html: str, username: str) -> _Form:
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if form.username == username:
            return form
    raise AssertionError(f"{username} is not offered on the sign-in page")


async def follow(
    client: httpx.AsyncClient,
    response: httpx.Response,
    *,
    until_host: str | None = None,
    limit: int = 10,
) -> httpx.Response:
    """Follow redirects by hand (so tests can stop at a given host)."""
    for _ in range(limit):
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        location = urljoin(str(response.url), response.headers["location"])
        if until_host is not None and urlsplit(location).netloc == until_host:
            return response
        response = await client.get(location)
    raise AssertionError("too many redirects")


async def sign_in(
    client: httpx.AsyncClient, *, app_url: str, username: str, next_path: str = "/api/me"
) -> httpx.Response:
    """Sign ``username`` in the way a browser does: /auth/login → the simulator's sign-in page →
    pick the user → back to /auth/callback → the ``next`` page. Returns the final response."""
    start = await client.get(f"{app_url}/auth/login", params={"next": next_path})
    page = await follow(client, start)
    assert page.status_code == 200, page.text[:300]
    form = sign_in_form(page.text, username)
    posted = await client.post(urljoin(str(page.url), form.action), data=form.fields)
    return await follow(client, posted)


def cookie_value(client: httpx.AsyncClient, name: str) -> str | None:
    for cookie in client.cookies.jar:
        if cookie.name == name:
            return cookie.value
    return None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
