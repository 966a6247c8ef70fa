"""The authorize endpoint's logic: validate the request, decide between page, silent code and error.

Errors that concern the client or its redirect URI cannot be sent back to the app and are shown
on an error page; every other error goes back to the redirect URI with ``error``,
``error_description`` and ``state``.
https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow (Request an
authorization code; Error codes for authorization endpoint errors)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn
from urllib.parse import urlencode, urlsplit, urlunsplit

from devstack.entra.directory import MULTI_TENANT_ALIASES, App, Tenant, User, is_guid
from devstack.entra.errors import EntraError
from devstack.entra.scopes import ScopeRequest, consented, parse_scopes
from devstack.entra.state import CODE_LIFETIME, AuthCode, SignInSession, Simulator
from devstack.entra.tokens import client_info

__all__ = [
    "AuthorizeRequest",
    "NotRedirectable",
    "Redirect",
    "RedirectableError",
    "app_usable_in",
    "issue_code",
    "parse_authorize",
    "redirect_uri_matches",
    "resolve_tenant",
    "users_for",
]

RESPONSE_MODES = ("query", "fragment", "form_post")
PROMPTS = ("login", "none", "consent", "select_account", "create")
CODE_CHALLENGE_METHODS = ("S256", "plain")
# RFC 8252 loopback hosts: "the port component ... is ignored for the purposes of matching".
# https://learn.microsoft.com/entra/identity-platform/reply-url (Localhost exceptions)
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


class NotRedirectable(Exception):
    """An error that must be shown on a page: the redirect URI cannot be trusted yet."""

    def __init__(self, error: EntraError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class Redirect:
    """Where and how to send the authorization response (success or error)."""

    redirect_uri: str
    response_mode: str
    params: dict[str, str]

    def location(self) -> str:
        """The URL for query/fragment responses (a path-less URI gains a trailing slash).

        https://learn.microsoft.com/entra/identity-platform/reply-url ("Redirect URIs not
        configured with a path segment are returned with a trailing slash")
        """
        parts = urlsplit(self.redirect_uri)
        path = parts.path or "/"
        if self.response_mode == "fragment":
            return urlunsplit(
                (parts.scheme, parts.netloc, path, parts.query, urlencode(self.params))
            )
        query = "&".join(q for q in (parts.query, urlencode(self.params)) if q)
        return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


@dataclass(frozen=True)
class AuthorizeRequest:
    tenant_segment: str
    tenant: Tenant | None
    app: App
    redirect_uri: str
    response_mode: str
    state: str | None
    scope: str
    scopes: ScopeRequest
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    prompts: frozenset[str]
    login_hint: str | None
    domain_hint: str | None
    max_age: int | None
    client_info: bool

    def error_redirect(self, error: EntraError) -> Redirect:
        return error_redirect(
            redirect_uri=self.redirect_uri,
            response_mode=self.response_mode,
            state=self.state,
            error=error,
        )


def error_redirect(
    *, redirect_uri: str, response_mode: str, state: str | None, error: EntraError
) -> Redirect:
    body = error.body()
    params = {"error": error.error, "error_description": str(body["error_description"])}
    if state is not None:
        params["state"] = state
    return Redirect(redirect_uri=redirect_uri, response_mode=response_mode, params=params)


class RedirectableError(Exception):
    """An authorize error to be sent back to the (already validated) redirect URI."""

    def __init__(self, redirect: Redirect, error: EntraError) -> None:
        super().__init__(str(error))
        self.redirect = redirect
        self.error = error


def resolve_tenant(sim: Simulator, segment: str) -> Tenant | None:
    """The tenant named by the path, None for ``organizations``/``common``; unknown raises."""
    if segment.lower() in MULTI_TENANT_ALIASES:
        return None
    tenant = sim.directory.tenant(segment)
    if tenant is None:
        raise EntraError.tenant_not_found(segment)
    return tenant


def app_usable_in(app: App, tenant_id: str) -> bool:
    """A single-tenant app exists only in its home tenant; a multi-tenant app in every tenant."""
    return app.multi_tenant or app.tenant == tenant_id


def redirect_uri_matches(registered: str, requested: str) -> bool:
    """Entra's redirect URI comparison.

    Exact (case-sensitive path) except that for ``localhost``/``127.0.0.1`` the port is ignored,
    and a missing path equals "/".
    https://learn.microsoft.com/entra/identity-platform/reply-url (restrictions; Localhost
    exceptions)
    """
    try:
        want = urlsplit(registered)
        got = urlsplit(requested)
        want_port, got_port = want.port, got.port
    except ValueError:
        return False
    if got.username or got.password or got.fragment:
        return False
    if want.scheme.lower() != got.scheme.lower():
        return False
    if (want.hostname or "").lower() != (got.hostname or "").lower():
        return False
    if (want.hostname or "").lower() not in LOOPBACK_HOSTS:
        default = 443 if want.scheme.lower() == "https" else 80
        if (want_port or default) != (got_port or default):
            return False
    return (want.path or "/") == (got.path or "/") and want.query == got.query


def parse_authorize(sim: Simulator, segment: str, params: Mapping[str, str]) -> AuthorizeRequest:
    """Validate an authorize request; raises NotRedirectable or RedirectableError.

    The client and its redirect URI come first: until both are known to be registered, an error
    cannot be sent back to the app. Every later error goes to the redirect URI.
    """
    tenant, app = _client(sim, segment, params)
    redirect_uri = _redirect_uri(app, params)

    state = params.get("state")
    response_mode = params.get("response_mode") or "query"
    if response_mode not in RESPONSE_MODES:
        _fail(redirect_uri, "query", state, EntraError.unsupported_response_mode(response_mode))

    try:
        _check_response_type(params)
        scope = params.get("scope", "")
        scopes = _requested_scopes(sim, scope, tenant_label=tenant.name if tenant else segment)
        challenge, method = _code_challenge(params)
        prompts = _prompts(params)
        max_age = _max_age(params)
        _check_consent(app, scopes, prompts)
    except EntraError as exc:
        _fail(redirect_uri, response_mode, state, exc)

    return AuthorizeRequest(
        tenant_segment=segment,
        tenant=tenant,
        app=app,
        redirect_uri=redirect_uri,
        response_mode=response_mode,
        state=state,
        scope=scope,
        scopes=scopes,
        nonce=params.get("nonce") or None,
        code_challenge=challenge,
        code_challenge_method=method,
        prompts=prompts,
        login_hint=params.get("login_hint") or None,
        domain_hint=params.get("domain_hint") or None,
        max_age=max_age,
        client_info=params.get("client_info") == "1",
    )


# --- the steps of parse_authorize ---------------------------------------------------------------
# _client and _redirect_uri raise NotRedirectable; the others raise EntraError, which
# parse_authorize sends back to the redirect URI.


def _client(sim: Simulator, segment: str, params: Mapping[str, str]) -> tuple[Tenant | None, App]:
    """The tenant of the path (None for organizations/common) and the app ``client_id`` names."""
    try:
        tenant = resolve_tenant(sim, segment)
    except EntraError as exc:
        raise NotRedirectable(exc) from exc
    tenant_label = tenant.name if tenant else segment

    client_id = params.get("client_id", "")
    if not client_id:
        raise NotRedirectable(EntraError.missing_parameter("client_id"))
    app = sim.directory.app(client_id) if is_guid(client_id.lower()) else None
    if app is None or (tenant is not None and not app_usable_in(app, tenant.id)):
        raise NotRedirectable(EntraError.unknown_client(client_id, tenant_label))
    if tenant is None and not app.multi_tenant:
        raise NotRedirectable(
            EntraError.single_tenant_app_on_common(app.client_id, app.display_name)
        )
    return tenant, app


def _redirect_uri(app: App, params: Mapping[str, str]) -> str:
    """``redirect_uri``, which must match one the app registered."""
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        raise NotRedirectable(EntraError.redirect_uri_missing())
    if not any(redirect_uri_matches(uri, redirect_uri) for uri in app.redirect_uris):
        raise NotRedirectable(EntraError.redirect_uri_mismatch(redirect_uri, app.client_id))
    return redirect_uri


def _check_response_type(params: Mapping[str, str]) -> None:
    response_type = params.get("response_type", "")
    if not response_type:
        raise EntraError.missing_parameter("response_type")
    if response_type.split() != ["code"]:
        raise EntraError.unsupported_response_type(response_type)


def _requested_scopes(sim: Simulator, scope: str, *, tenant_label: str) -> ScopeRequest:
    if not scope.strip():
        raise EntraError.missing_parameter("scope")
    return parse_scopes(scope, sim.directory, tenant_label=tenant_label)


def _code_challenge(params: Mapping[str, str]) -> tuple[str | None, str | None]:
    """PKCE: ``(code_challenge, code_challenge_method)``, both None without a challenge."""
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if method is not None and challenge is None:
        raise EntraError.code_challenge_invalid(
            "code_challenge is required with code_challenge_method."
        )
    if challenge is not None:
        # Without a method the challenge is plain (RFC 7636 4.3); Entra supports plain and S256.
        method = method or "plain"
        if method not in CODE_CHALLENGE_METHODS:
            raise EntraError.invalid_parameter("code_challenge_method", method)
        if method == "S256" and len(challenge) != 43:
            raise EntraError.code_challenge_invalid("Invalid size of Code_Challenge parameter.")
    return challenge, method


def _prompts(params: Mapping[str, str]) -> frozenset[str]:
    prompts = frozenset(params.get("prompt", "").split())
    for prompt in prompts:
        if prompt not in PROMPTS:
            raise EntraError.invalid_parameter("prompt", prompt)
    if "none" in prompts and len(prompts) > 1:
        raise EntraError.invalid_parameter("prompt", params.get("prompt", ""))
    return prompts


def _max_age(params: Mapping[str, str]) -> int | None:
    raw = params.get("max_age")
    if not raw:
        return None
    try:
        max_age = int(raw)
    except ValueError:
        max_age = -1
    if max_age < 0:
        raise EntraError.invalid_parameter("max_age", raw)
    return max_age


def _check_consent(app: App, scopes: ScopeRequest, prompts: frozenset[str]) -> None:
    for requested in scopes.resources:
        if consented(app, requested) is None:
            raise EntraError.consent_required(
                client_id=app.client_id,
                display_name=app.display_name,
                interactive="none" not in prompts,
            )


def _fail(redirect_uri: str, response_mode: str, state: str | None, error: EntraError) -> NoReturn:
    raise RedirectableError(
        error_redirect(
            redirect_uri=redirect_uri, response_mode=response_mode, state=state, error=error
        ),
        error,
    )


def users_for(sim: Simulator, request: AuthorizeRequest) -> list[User]:
    """Who may sign in here: the tenant's users, or everyone the app is usable for."""
    tenant_id = request.tenant.id if request.tenant else None
    users = [
        user
        for user in sim.directory.users_of(tenant_id)
        if app_usable_in(request.app, user.tenant)
    ]
    if request.domain_hint:
        # domain_hint skips home-realm discovery; here it only lists that tenant's users first.
        hinted = request.domain_hint.lower()
        users.sort(key=lambda u: sim.directory.tenants[u.tenant].domain.lower() != hinted)
    return users


def session_fits(sim: Simulator, request: AuthorizeRequest, session: SignInSession | None) -> bool:
    """Can ``session`` answer ``request`` without asking the person anything?"""
    if session is None:
        return False
    user = sim.directory.users.get(session.oid)
    if user is None or user not in users_for(sim, request):
        return False
    if request.login_hint and request.login_hint.casefold() != user.username.casefold():
        return False
    if request.max_age is not None and sim.now() - session.auth_time > request.max_age:
        return False
    return True


def issue_code(sim: Simulator, request: AuthorizeRequest, session: SignInSession) -> Redirect:
    """Issue an authorization code for ``session``'s user and build the success response."""
    user = sim.directory.users[session.oid]
    code = sim.add_code(
        AuthCode(
            client_id=request.app.client_id,
            tenant_segment=request.tenant_segment,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            oid=user.oid,
            tid=user.tenant,
            session_id=session.id,
            auth_time=session.auth_time,
            include_auth_time=request.max_age is not None,
            expires_at=sim.now() + CODE_LIFETIME,
        )
    )
    params = {"code": code}
    if request.client_info:
        # Entra answers MSAL's client_info=1 on the redirect too (MSAL uses it for routing).
        params["client_info"] = client_info(user.oid, user.tenant)
    if request.state is not None:
        params["state"] = request.state
    params["session_state"] = session.id
    return Redirect(
        redirect_uri=request.redirect_uri, response_mode=request.response_mode, params=params
    )
