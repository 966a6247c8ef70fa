"""A browser-like HTTP client for integration tests: httpx with a cookie jar that, like Chromium,
treats ``localhost``/``127.0.0.1`` as a secure context (so ``Secure``/``__Host-`` cookies are
kept and sent over http there), plus a helper that signs a seeded user in through the Entra ID
simulator's real sign-in page."""

from __future__ import annotations

import email.message
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


class _Jar:
    """Cookie handling done by us, with the browser policy. (httpx copies a client's jar into a
    fresh default-policy jar for every request, so a custom policy on it would be ignored.)"""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar(policy=BrowserCookiePolicy())

    async def on_request(self, request: httpx.Request) -> None:
        compat = urllib.request.Request(str(request.url), method=request.method)
        self.jar.add_cookie_header(compat)
        header = compat.get_header("Cookie") or compat.unredirected_hdrs.get("Cookie")
        if header:
            request.headers["Cookie"] = header
        elif "cookie" in request.headers:
            del request.headers["cookie"]

    async def on_response(self, response: httpx.Response) -> None:
        compat_request = urllib.request.Request(
            str(response.request.url), method=response.request.method
        )
        self.jar.extract_cookies(_CompatResponse(response), compat_request)  # type: ignore[arg-type]


class _CompatResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    def info(self) -> email.message.Message:
        message = email.message.Message()
        for key, value in self._response.headers.multi_items():
            message[key] = value
        return message


def browser(**kwargs) -> httpx.AsyncClient:
    jar = _Jar()
    client = httpx.AsyncClient(
        follow_redirects=False,
        timeout=30,
        event_hooks={"request": [jar.on_request], "response": [jar.on_response]},
        **kwargs,
    )
    client.browser_jar = jar.jar  # type: ignore[attr-defined]
    return client


def set_cookie(
    client: httpx.AsyncClient, name: str, value: str, *, host: str = "localhost"
) -> None:
    """Plant a cookie as an attacker (or a copy-paste) would."""
    jar: http.cookiejar.CookieJar = client.browser_jar  # type: ignore[attr-defined]
    jar.set_cookie(
        http.cookiejar.Cookie(
            0,
            name,
            value,
            None,
            False,
            host + ".local",
            True,
            False,
            "/",
            True,
            True,
            None,
            False,
            None,
            None,
            {},
        )
    )


@dataclass
class _Form:
    action: str
    fields: dict[str, str]
    username: str | None
    form_id: str | None = None


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self._current: _Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = _Form(
                action=a.get("action", ""),
                fields={},
                username=a.get("data-username"),
                form_id=a.get("id"),
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


def auto_post_form(html: str) -> _Form | None:
    """The self-submitting form Entra answers with when ``response_mode=form_post``."""
    parser = _Forms()
    parser.feed(html)
    return next((f for f in parser.forms if f.form_id == "response"), None)


async def authorize_as(
    client: httpx.AsyncClient, authorize_page: httpx.Response, username: str
) -> httpx.Response:
    """On the simulator's sign-in page pick ``username``; returns Entra's answer, which is either
    a redirect to the app (query mode) or the form_post page, not yet delivered to the app."""
    form = sign_in_form(authorize_page.text, username)
    return await client.post(urljoin(str(authorize_page.url), form.action), data=form.fields)


async def deliver(client: httpx.AsyncClient, entra_answer: httpx.Response) -> httpx.Response:
    """Do what the browser does with Entra's answer: follow the redirect, or submit the
    self-posting form to the app's redirect URI. Returns the app's response (not followed)."""
    if entra_answer.status_code in (302, 303):
        return await client.get(urljoin(str(entra_answer.url), entra_answer.headers["location"]))
    form = auto_post_form(entra_answer.text)
    assert form is not None, entra_answer.text[:300]
    return await client.post(form.action, data=form.fields)


async def sign_in(
    client: httpx.AsyncClient, *, app_url: str, username: str, next_path: str = "/api/me"
) -> httpx.Response:
    """Sign ``username`` in the way a browser does: /auth/login → the simulator's sign-in page →
    pick the user → back to /auth/callback → the ``next`` page. Returns the final response."""
    start = await client.get(f"{app_url}/auth/login", params={"next": next_path})
    page = await follow(client, start)
    assert page.status_code == 200, page.text[:300]
    answer = await authorize_as(client, page, username)
    return await follow(client, await deliver(client, answer))


def cookie_value(client: httpx.AsyncClient, name: str) -> str:
    value = cookie_or_none(client, name)
    assert value is not None, f"no {name} cookie"
    return value


def cookie_or_none(client: httpx.AsyncClient, name: str) -> str | None:
    jar: http.cookiejar.CookieJar = client.browser_jar  # type: ignore[attr-defined]
    for cookie in jar:
        if cookie.name == name:
            return cookie.value
    return None


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
