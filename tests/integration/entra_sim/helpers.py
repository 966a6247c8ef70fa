"""Helpers for driving the Entra ID simulator like MSAL, azure-identity and a browser do."""

from __future__ import annotations

import json
import ssl
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import jwt
import msal
import requests

REPO_ROOT = Path(__file__).resolve().parents[3]
SEED_PATH = REPO_ROOT / "devstack" / "seed" / "demo.json"
SEED: dict[str, Any] = json.loads(SEED_PATH.read_text())
CONTOSO = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
FABRIKAM = "fab0c3d2-7e6a-4b1f-8c3d-2a9e5f7b4d02"
_BY_ID = {app["client_id"]: app for app in SEED["apps"]}
# Looked up by their (stable) client ids, so apps added to the seed later change nothing here.
APPS: dict[str, dict[str, Any]] = {
    "cockpit": _BY_ID["5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"],
    "cli": _BY_ID["7c11e0a1-2b3c-4d5e-8f60-718293a4b508"],
    "other": _BY_ID["0e1a2b3c-4d5e-4f60-8a1b-2c3d4e5f6a07"],
}
USERS: dict[str, dict[str, Any]] = {u["username"].split("@")[0]: u for u in SEED["users"]}
COCKPIT_ID: str = APPS["cockpit"]["client_id"]
COCKPIT_API = f"api://{COCKPIT_ID}/access_as_user"
COCKPIT_CALLBACK = "http://localhost:5000/auth/callback"  # registered without a port
CLI_CALLBACK = "http://localhost:5001/cli/callback"


@dataclass
class EntraSim:
    """A running simulator: its URLs, the CA that signed its certificate, its log."""

    https: str
    http: str
    ca: Path
    org_url: str
    log: Path
    startup_seconds: float
    _context: ssl.SSLContext | None = field(default=None, repr=False)

    @property
    def ssl_context(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = ssl.create_default_context(cafile=str(self.ca))
        return self._context

    def authority(self, tenant: str = CONTOSO) -> str:
        return f"{self.https}/{tenant}"

    def client(self) -> httpx.Client:
        """An https client trusting only the local CA (environment settings ignored)."""
        return httpx.Client(base_url=self.https, verify=self.ssl_context, trust_env=False)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        with self.client() as client:
            return client.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        with self.client() as client:
            return client.post(path, **kwargs)

    def requests_log(self, **filters: str) -> list[dict[str, Any]]:
        response = self.get("/_sim/requests", params=filters)
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()
        return entries

    def token_requests(self, grant_type: str | None = None) -> int:
        entries = self.requests_log(endpoint="token")
        return sum(1 for e in entries if grant_type is None or e["grant_type"] == grant_type)

    def configure(self, **values: int) -> dict[str, Any]:
        response = self.post("/_sim/config", json=values)
        assert response.status_code == 200, response.text
        config: dict[str, Any] = response.json()
        return config

    def jwks(self, tenant: str = CONTOSO) -> dict[str, Any]:
        keys: dict[str, Any] = self.get(f"/{tenant}/discovery/v2.0/keys").json()
        return keys

    def verify(self, token: str, *, audience: str, tenant: str = CONTOSO) -> dict[str, Any]:
        """Verify a token's signature against the published JWKS (as an API would)."""
        header = jwt.get_unverified_header(token)
        keys = {k["kid"]: k for k in self.jwks(tenant)["keys"]}
        if header["kid"] not in keys:
            raise KeyError(header["kid"])
        key = jwt.PyJWK(keys[header["kid"]])
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=audience,
            options={"verify_iss": False},
        )
        return claims


def http_session(ca: Path) -> requests.Session:
    """MSAL's http_client: trust_env off, or REQUESTS_CA_BUNDLE overrides ``verify``."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca)
    return session


def msal_app(
    sim: EntraSim,
    app: str = "cockpit",
    *,
    secret: str | None = None,
    tenant: str = CONTOSO,
) -> msal.ConfidentialClientApplication:
    registration = APPS[app]
    return msal.ConfidentialClientApplication(
        registration["client_id"],
        client_credential=secret if secret is not None else registration["secret"],
        authority=sim.authority(tenant),
        http_client=http_session(sim.ca),
        instance_discovery=False,
    )


@contextmanager
def msal_query_mode_warning() -> Iterator[None]:
    """MSAL 1.39 warns that form_post is recommended when response_mode is left at query."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    others = [w for w in caught if "form_post" not in str(w.message)]
    assert not others, [str(w.message) for w in others]
    assert any("form_post" in str(w.message) for w in caught)


def start_flow(
    app: msal.ConfidentialClientApplication,
    scopes: Sequence[str],
    *,
    redirect_uri: str = COCKPIT_CALLBACK,
    response_mode: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    if response_mode is None:
        with msal_query_mode_warning():
            flow: dict[str, Any] = app.initiate_auth_code_flow(
                list(scopes), redirect_uri=redirect_uri, **kwargs
            )
        return flow
    flow = app.initiate_auth_code_flow(
        list(scopes), redirect_uri=redirect_uri, response_mode=response_mode, **kwargs
    )
    return flow


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str]
    attrs: dict[str, str]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = Form(
                action=values.get("action", ""),
                method=values.get("method", "get").lower(),
                fields={},
                attrs=values,
            )
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and "name" in values:
            self._current.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def browser() -> httpx.Client:
    """The person's browser: plain http to the sign-in page, cookies kept, redirects not followed."""
    return httpx.Client(follow_redirects=False, trust_env=False)


def user_form(page: httpx.Response, username: str) -> Form:
    for form in forms(page.text):
        if form.attrs.get("data-username") == username:
            return form
    raise AssertionError(f"{username} is not offered on the sign-in page:\n{page.text[:500]}")


def auth_response(response: httpx.Response) -> dict[str, str]:
    """What reaches the redirect URI: a 302's query/fragment, or a form_post page's fields."""
    if response.status_code == 302:
        location = urlsplit(response.headers["location"])
        return dict(parse_qsl(location.query or location.fragment))
    assert response.status_code == 200, response.text[:500]
    posted = [f for f in forms(response.text) if f.attrs.get("id") == "response"]
    assert posted, response.text[:500]
    return posted[0].fields


def pick_user(client: httpx.Client, page: httpx.Response, username: str) -> httpx.Response:
    assert page.status_code == 200, page.text[:500]
    form = user_form(page, username)
    return client.post(urljoin(str(page.url), form.action), data=form.fields)


def sign_in(client: httpx.Client, auth_uri: str, username: str) -> dict[str, str]:
    """Open the authorize URL, pick ``username`` and return what the app's callback receives."""
    page = client.get(auth_uri)
    return auth_response(pick_user(client, page, username))


def username(short: str) -> str:
    name: str = USERS[short]["username"]
    return name


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims
