"""The simulator's two ASGI apps.

- https (MSAL, azure-identity, validators): discovery, JWKS, token endpoint, the ``/_sim`` control
  API, and the browser pages too.
- http (people): the authorize/sign-in page and sign-out, so a person never meets the local CA.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devstack.entra.authorize import (
    AuthorizeRequest,
    NotRedirectable,
    Redirect,
    RedirectableError,
    app_usable_in,
    issue_code,
    parse_authorize,
    redirect_uri_matches,
    resolve_tenant,
    session_fits,
    users_for,
)
from devstack.entra.discovery import discovery_v1, discovery_v2
from devstack.entra.errors import EntraError
from devstack.entra.grants import TokenEndpoint, parse_basic
from devstack.entra.keys import SigningKey
from devstack.entra.pages import (
    UserChoice,
    error_page,
    form_post_page,
    sign_in_page,
    signed_out_page,
)
from devstack.entra.seed import App, Tenant, is_guid
from devstack.entra.state import Simulator
from devstack.entra.tokens import TokenMinter
from devstack.entra.workload import WorkloadRoutes

__all__ = ["SESSION_COOKIE", "ConfigUpdate", "MintRequest", "RevokeRequest", "build_apps"]

# The simulator's SSO cookie. Cookies ignore ports, and the cockpit sets its own cookies on
# localhost too, so the name is distinct from anything the cockpit uses.
SESSION_COOKIE = "entra_sim_session"

_M = TypeVar("_M", bound=BaseModel)

# Entra never renders its interactive pages in a frame (X-Frame-Options: DENY, anti-clickjacking).
# github.com/AzureAD/microsoft-authentication-library-for-js lib/msal-browser/docs/iframe-usage.md
_PAGE_HEADERS = {
    "Cache-Control": "no-store, no-cache",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
_TOKEN_HEADERS = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
_METADATA_HEADERS = {"Cache-Control": "max-age=86400, private", "Access-Control-Allow-Origin": "*"}

# --- request log --------------------------------------------------------------------------------


class RequestLogMiddleware:
    """Records every non-``/_sim`` request: path, status and what the handler noted.

    Handlers put ``grant_type``/``client_id``/``scope``/``error`` into ``request.state.sim_log``;
    nothing secret (codes, tokens, secrets, cookies) is ever recorded.
    """

    def __init__(self, app: ASGIApp, sim: Simulator, *, listener: str) -> None:
        self.app = app
        self.sim = sim
        self.listener = listener

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        state = scope.setdefault("state", {})
        try:
            await self.app(scope, receive, capture)
        finally:
            noted = state.get("sim_log") or {}
            self.sim.log(
                {
                    "method": scope.get("method"),
                    "path": path,
                    "listener": self.listener,
                    "endpoint": _endpoint_kind(path),
                    "grant_type": noted.get("grant_type"),
                    "client_id": noted.get("client_id"),
                    "scope": noted.get("scope"),
                    "status": status,
                    "error": noted.get("error"),
                    "error_code": noted.get("error_code"),
                }
            )


def _endpoint_kind(path: str) -> str:
    if path.endswith("/.well-known/openid-configuration"):
        return "discovery"
    if "/discovery/" in path:
        return "keys"
    for kind in ("authorize", "token", "logout"):
        if path.endswith(f"/oauth2/v2.0/{kind}"):
            return kind
    return "other"


def _note(request: Request, **fields: Any) -> None:
    noted: dict[str, Any] = getattr(request.state, "sim_log", None) or {}
    noted.update({k: v for k, v in fields.items() if v is not None})
    request.state.sim_log = noted


def _note_error(request: Request, error: EntraError) -> None:
    _note(request, error=error.error, error_code=error.code)


# --- helpers ------------------------------------------------------------------------------------


def _json_error(request: Request, error: EntraError) -> JSONResponse:
    _note_error(request, error)
    correlation = request.headers.get("client-request-id")
    body = error.body(correlation_id=correlation if correlation and is_guid(correlation) else None)
    return JSONResponse(body, status_code=error.status, headers=_TOKEN_HEADERS)


def _parse_form(body: bytes) -> dict[str, str]:
    """application/x-www-form-urlencoded; a repeated parameter is refused, not guessed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EntraError.malformed("The request body is not UTF-8.") from exc
    form: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name in form:
            raise EntraError.malformed(f"The parameter '{name}' appears more than once.")
        form[name] = value
    return form


async def _read_form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("application/x-www-form-urlencoded"):
        raise EntraError.malformed(
            "The request body must be application/x-www-form-urlencoded "
            f"(got '{content_type or 'no content type'}')."
        )
    return _parse_form(await request.body())


def _query(request: Request) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in params:
            raise EntraError.malformed(f"The parameter '{name}' appears more than once.")
        params[name] = value
    return params


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=_PAGE_HEADERS)


def _error_page(request: Request, error: EntraError) -> HTMLResponse:
    _note_error(request, error)
    body = error.body()
    return _page(
        error_page(error=error.error, description=str(body["error_description"])),
        status=error.status if error.status >= 400 else 400,
    )


def _redirect(redirect: Redirect) -> Response:
    if redirect.response_mode == "form_post":
        return _page(form_post_page(action=redirect.redirect_uri, fields=redirect.params))
    return RedirectResponse(redirect.location(), status_code=302, headers=_PAGE_HEADERS)


# --- the simulator's routes -----------------------------------------------------------------------


class Routes:
    """Route handlers bound to one simulator."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.minter = TokenMinter(sim)
        self.token_endpoint = TokenEndpoint(sim, self.minter)

    # discovery and keys ---------------------------------------------------------------------

    def _tenant(self, request: Request) -> tuple[str, Tenant | None]:
        segment = str(request.path_params["tenant"])
        tenant = resolve_tenant(self.sim, segment)
        return (tenant.id if tenant else segment.lower()), tenant

    async def openid_configuration_v2(self, request: Request) -> Response:
        """v2 discovery, shaped like Entra's (endpoints, issuer, keys, supported values).

        For organizations/common the issuer is the template with a literal ``{tenantid}``.
        https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc (Fetch the OpenID
        configuration document); https://learn.microsoft.com/entra/identity-platform/access-tokens
        (Validate the issuer)
        """
        try:
            segment, tenant = self._tenant(request)
        except EntraError as exc:
            return _json_error(request, exc)
        doc = discovery_v2(self.sim.urls, segment, tenant)
        return JSONResponse(doc, headers=_METADATA_HEADERS)

    async def openid_configuration_v1(self, request: Request) -> Response:
        """v1 discovery: issuer ``https://sts.windows.net/{tid}/`` and the common v1 keys.

        Validators of v1 tokens (Dataverse's) read this document, not the v2 one.
        https://learn.microsoft.com/entra/identity-platform/access-tokens (v1.0 and v2.0 tokens)
        """
        try:
            segment, tenant = self._tenant(request)
        except EntraError as exc:
            return _json_error(request, exc)
        doc = discovery_v1(self.sim.urls, segment, tenant)
        return JSONResponse(doc, headers=_METADATA_HEADERS)

    async def keys_v2(self, request: Request) -> Response:
        """v2 JWKS; each key names the issuers it signs for (the ``{tenantid}`` template).

        https://learn.microsoft.com/entra/identity-platform/access-tokens (Validate the signing
        key issuer)
        """
        try:
            self._tenant(request)
        except EntraError as exc:
            return _json_error(request, exc)
        issuer = f"{self.sim.urls.https_base}/{{tenantid}}/v2.0"
        keys = [key.jwk(issuer=issuer) for key in self.sim.keys.published]
        return JSONResponse({"keys": keys}, headers=_METADATA_HEADERS)

    async def keys_v1(self, request: Request) -> Response:
        """v1 JWKS (``/common/discovery/keys``): the same keys, without the issuer property."""
        try:
            self._tenant(request)
        except EntraError as exc:
            return _json_error(request, exc)
        keys = [key.jwk(issuer=None) for key in self.sim.keys.published]
        return JSONResponse({"keys": keys}, headers=_METADATA_HEADERS)

    async def v1_not_simulated(self, request: Request) -> Response:
        return JSONResponse(
            {
                "error": "not_simulated",
                "message": "The Entra ID simulator implements the v2.0 endpoints only "
                "(/oauth2/v2.0/authorize, /oauth2/v2.0/token, /oauth2/v2.0/logout).",
            },
            status_code=404,
        )

    # token ----------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        try:
            if request.method != "POST":
                raise EntraError.post_only(request.method)
            form = await _read_form(request)
            try:
                basic = parse_basic(request.headers.get("authorization"))
            except EntraError:
                basic = None
            _note(
                request,
                grant_type=form.get("grant_type"),
                client_id=form.get("client_id") or (basic[0] if basic else None),
                scope=form.get("scope"),
            )
            body = self.token_endpoint.handle(
                tenant_segment=str(request.path_params["tenant"]),
                form=form,
                authorization=request.headers.get("authorization"),
            )
        except EntraError as exc:
            return _json_error(request, exc)
        return JSONResponse(body, headers=_TOKEN_HEADERS)

    # authorize ------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        """GET (or POST with the request in the body): validate, then page or silent answer."""
        try:
            if request.method == "POST":
                form = await _read_form(request)
                if "flow" in form:
                    return await self._sign_in(request, form)
                params = form
            else:
                params = _query(request)
        except EntraError as exc:
            return _error_page(request, exc)
        _note(request, client_id=params.get("client_id"), scope=params.get("scope"))
        segment = str(request.path_params["tenant"])
        try:
            auth = parse_authorize(self.sim, segment, params)
        except NotRedirectable as exc:
            return _error_page(request, exc.error)
        except RedirectableError as exc:
            _note_error(request, exc.error)
            return _redirect(exc.redirect)

        session = self.sim.session(request.cookies.get(SESSION_COOKIE))
        fits = session_fits(self.sim, auth, session)
        interactive = auth.prompts & {"login", "select_account", "consent", "create"}
        if "none" in auth.prompts:
            # prompt=none never shows UI: without a usable session it is login_required.
            # https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
            if not fits or session is None:
                error = EntraError.login_required()
                _note_error(request, error)
                return _redirect(auth.error_redirect(error))
            return _redirect(issue_code(self.sim, auth, session))
        if fits and session is not None and not interactive:
            # "The default behavior is to ... sign in the sole current user" (same page).
            return _redirect(issue_code(self.sim, auth, session))
        return self._sign_in_page(request, auth, session.oid if session else None)

    def _sign_in_page(
        self, request: Request, auth: AuthorizeRequest, session_oid: str | None
    ) -> Response:
        pending = self.sim.add_pending(auth)
        hint = (auth.login_hint or "").casefold()
        choices = [
            UserChoice(
                oid=user.oid,
                name=user.name,
                username=user.username,
                tenant_name=self.sim.directory.tenants[user.tenant].name,
                hinted=bool(hint) and user.username.casefold() == hint,
            )
            for user in users_for(self.sim, auth)
        ]
        current = self.sim.directory.users.get(session_oid) if session_oid else None
        return _page(
            sign_in_page(
                action=request.url.path,
                pending_id=pending.id,
                app_name=auth.app.display_name,
                users=choices,
                signed_in_as=current.username if current else None,
            )
        )

    async def _sign_in(self, request: Request, form: Mapping[str, str]) -> Response:
        """The person picked a user (or cancelled) on the sign-in page."""
        pending = self.sim.take_pending(form.get("flow", ""))
        if pending is None:
            return _error_page(request, EntraError.sign_in_expired())
        auth: AuthorizeRequest = pending.request
        _note(request, client_id=auth.app.client_id, scope=auth.scope)
        if form.get("action") == "cancel":
            error = EntraError.user_cancelled()
            _note_error(request, error)
            return _redirect(auth.error_redirect(error))
        oid = form.get("oid", "").lower()
        user = self.sim.directory.users.get(oid)
        if user is None or user not in users_for(self.sim, auth):
            tenant_name = auth.tenant.name if auth.tenant else auth.tenant_segment
            return _error_page(
                request, EntraError.user_not_in_tenant(user.username if user else oid, tenant_name)
            )
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:
            self.sim.sessions.pop(previous, None)
        session = self.sim.start_session(oid=user.oid, tid=user.tenant)
        response = _redirect(issue_code(self.sim, auth, session))
        response.set_cookie(SESSION_COOKIE, session.id, httponly=True, samesite="lax", path="/")
        return response

    async def logout(self, request: Request) -> Response:
        """Clear the simulator session; go to ``post_logout_redirect_uri`` if it is registered.

        https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc (Send a sign-out
        request: post_logout_redirect_uri)
        """
        try:
            params = await _read_form(request) if request.method == "POST" else _query(request)
        except EntraError as exc:
            return _error_page(request, exc)
        client_id = params.get("client_id")
        _note(request, client_id=client_id)
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            self.sim.sessions.pop(session_id, None)
        target = params.get("post_logout_redirect_uri")
        response: Response
        if target and self._logout_target_registered(target, client_id):
            parts = urlsplit(target)
            state = params.get("state")
            query = "&".join(
                q for q in (parts.query, urlencode({"state": state}) if state else "") if q
            )
            response = RedirectResponse(
                urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, "")),
                status_code=302,
                headers=_PAGE_HEADERS,
            )
        else:
            response = _page(signed_out_page())
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    def _logout_target_registered(self, target: str, client_id: str | None) -> bool:
        apps: list[App] = list(self.sim.directory.apps.values())
        if client_id:
            app = self.sim.directory.app(client_id) if is_guid(client_id.lower()) else None
            apps = [app] if app else []
        return any(redirect_uri_matches(uri, target) for app in apps for uri in app.redirect_uris)

    # control API ----------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "https": self.sim.urls.https_base,
                "http": self.sim.urls.http_base,
                "tenants": sorted(self.sim.directory.tenants),
                "current_kid": self.sim.keys.current.kid,
            }
        )

    async def requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            cleared = len(self.sim.request_log)
            self.sim.request_log.clear()
            return JSONResponse({"cleared": cleared})
        entries = list(self.sim.request_log)
        for field in ("endpoint", "grant_type", "client_id"):
            wanted = request.query_params.get(field)
            if wanted is not None:
                entries = [e for e in entries if e.get(field) == wanted]
        return JSONResponse(entries)

    async def config(self, request: Request) -> Response:
        if request.method == "POST":
            update = await _control_body(request, ConfigUpdate)
            if isinstance(update, Response):
                return update
            for name, value in update.model_dump(exclude_none=True).items():
                setattr(self.sim.config, name, value)
        return JSONResponse(self.sim.config.as_dict())

    async def rotate_keys(self, request: Request) -> Response:
        # RSA key generation takes a moment; keep the event loop free meanwhile.
        new_key = await asyncio.to_thread(SigningKey.generate)
        dropped = self.sim.keys.rotate(new_key)
        return JSONResponse(
            {
                "current_kid": self.sim.keys.current.kid,
                "published_kids": [key.kid for key in self.sim.keys.published],
                "dropped_kid": dropped.kid,
            }
        )

    async def revoke(self, request: Request) -> Response:
        body = await _control_body(request, RevokeRequest)
        if isinstance(body, Response):
            return body
        oid = body.oid.lower()
        if oid not in self.sim.directory.users:
            return _control_error(f"No seeded user has oid {body.oid!r}.", status=404)
        tokens, sessions = self.sim.revoke_user(oid)
        return JSONResponse(
            {"oid": oid, "revoked_refresh_tokens": tokens, "ended_sessions": sessions}
        )

    async def mint(self, request: Request) -> Response:
        body = await _control_body(request, MintRequest)
        if isinstance(body, Response):
            return body
        key = self.sim.keys.current
        if body.kid is not None:
            found = self.sim.keys.find(body.kid)
            if found is None:
                published = ", ".join(k.kid for k in self.sim.keys.published)
                return _control_error(
                    f"kid {body.kid!r} is not published (published: {published})."
                )
            key = found
        claims = self._default_claims(body.kind)
        for name, value in body.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        token = self.minter.sign(claims, key=key)
        return JSONResponse({"token": token, "kid": key.kid, "claims": claims})

    def _default_claims(self, kind: str) -> dict[str, Any]:
        """A valid token of ``kind`` for the seed's first v2 API (the cockpit), from its client."""
        directory = self.sim.directory
        servers = [s for s in directory.resource_servers if s.app and s.token_version == 2]
        server = next((s for s in servers if s.scopes), servers[0] if servers else None)
        if server is None or server.app is None:
            server = directory.resource_servers[0]
        api = server.app or next(iter(directory.apps.values()))
        client = next(
            (
                app
                for app in directory.apps.values()
                if any(p.resource == server.consent_key for p in app.delegated_permissions)
            ),
            api,
        )
        user = next(
            (u for u in directory.users.values() if app_usable_in(client, u.tenant)),
            next(iter(directory.users.values())),
        )
        if kind == "id":
            return self.minter.id_claims(
                client=api, user=user, nonce=None, session_id=None, auth_time=None
            )
        return self.minter.user_access_claims(
            server=server,
            audience=server.audience(server.app_id),
            scp=server.scopes,
            user=user,
            client=client,
            session_id=None,
        )

    async def reset(self, request: Request) -> Response:
        self.sim.reset()
        return JSONResponse({"reset": True, "config": self.sim.config.as_dict()})

    async def not_found(self, request: Request) -> Response:
        return JSONResponse(
            {
                "error": "not_found",
                "message": f"The Entra ID simulator has no endpoint {request.method} "
                f"{request.url.path} on this port. See devstack/entra/README.md.",
            },
            status_code=404,
        )


# --- control API bodies -------------------------------------------------------------------------


class ConfigUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    access_token_lifetime: int | None = Field(default=None, ge=1, le=86400 * 30)
    id_token_lifetime: int | None = Field(default=None, ge=1, le=86400 * 30)
    refresh_token_lifetime: int | None = Field(default=None, ge=1, le=86400 * 365)
    clock_skew: int | None = Field(default=None, ge=-86400 * 3650, le=86400 * 3650)


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    oid: str = Field(min_length=1)


class MintRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    claims: dict[str, Any] = Field(default_factory=dict)
    kind: Literal["access", "id"] = "access"
    kid: str | None = None


def _control_error(message: str, *, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": "invalid_request", "message": message}, status_code=status)


async def _control_body(request: Request, model: type[_M]) -> _M | JSONResponse:
    raw = await request.body()
    if not raw.strip():
        raw = b"{}"
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
        return _control_error(f"Invalid JSON body: {problems}")


# --- assembly -----------------------------------------------------------------------------------


def build_apps(sim: Simulator) -> tuple[ASGIApp, ASGIApp]:
    """The https app (everything) and the http app (browser pages only), sharing ``sim``."""
    routes = Routes(sim)
    workload, workload_control = WorkloadRoutes(sim, routes.minter).routes()
    browser = [
        Route("/{tenant}/oauth2/v2.0/authorize", routes.authorize, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/v2.0/logout", routes.logout, methods=["GET", "POST"]),
    ]
    protocol = [
        Route("/{tenant}/v2.0/.well-known/openid-configuration", routes.openid_configuration_v2),
        Route("/{tenant}/.well-known/openid-configuration", routes.openid_configuration_v1),
        Route("/{tenant}/discovery/v2.0/keys", routes.keys_v2),
        Route("/{tenant}/discovery/keys", routes.keys_v1),
        Route("/{tenant}/oauth2/v2.0/token", routes.token, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/token", routes.v1_not_simulated, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/authorize", routes.v1_not_simulated, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/v2.0/devicecode", routes.v1_not_simulated, methods=["POST"]),
    ]
    control = [
        Route("/_sim/health", routes.health),
        Route("/_sim/requests", routes.requests, methods=["GET", "DELETE"]),
        Route("/_sim/config", routes.config, methods=["GET", "POST"]),
        Route("/_sim/rotate-keys", routes.rotate_keys, methods=["POST"]),
        Route("/_sim/revoke", routes.revoke, methods=["POST"]),
        Route("/_sim/mint", routes.mint, methods=["POST"]),
        Route("/_sim/reset", routes.reset, methods=["POST"]),
        *workload_control,
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return await routes.not_found(request)

    async def wrong_method(request: Request, exc: Exception) -> Response:
        return JSONResponse(
            {
                "error": "method_not_allowed",
                "message": f"{request.url.path} does not accept {request.method}.",
            },
            status_code=405,
        )

    handlers = {404: not_found, 405: wrong_method}
    https_app = Starlette(
        routes=[*protocol, *browser, *workload, *control], exception_handlers=handlers
    )
    # The managed-identity endpoint is plain http on localhost, as on App Service.
    http_app = Starlette(routes=[*browser, *workload], exception_handlers=handlers)
    return (
        RequestLogMiddleware(https_app, sim, listener="https"),
        RequestLogMiddleware(http_app, sim, listener="http"),
    )
