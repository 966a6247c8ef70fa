"""The pages a person meets: the authorize endpoint with its sign-in page (user picker, silent
answer for an existing session, ``prompt`` handling) and logout, plus the simulator's SSO cookie.

They are served on both listeners; the http one exists so a person never meets the local CA.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from devstack.entra.authorize import (
    AuthorizeRequest,
    NotRedirectable,
    RedirectableError,
    issue_code,
    parse_authorize,
    redirect_uri_matches,
    session_fits,
    users_for,
)
from devstack.entra.directory import App, is_guid
from devstack.entra.errors import EntraError
from devstack.entra.http_helpers import (
    PAGE_HEADERS,
    html_error,
    html_page,
    query_params,
    read_form,
    redirect_response,
)
from devstack.entra.pages import UserChoice, sign_in_page, signed_out_page
from devstack.entra.request_log import note, note_error
from devstack.entra.state import Simulator

__all__ = ["SESSION_COOKIE", "BrowserRoutes"]

# The simulator's SSO cookie. Cookies ignore ports, and the cockpit sets its own cookies on
# localhost too, so the name is distinct from anything the cockpit uses.
SESSION_COOKIE = "entra_sim_session"


class BrowserRoutes:
    """Authorize, sign-in and logout handlers bound to one simulator."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def routes(self) -> list[Route]:
        return [
            Route("/{tenant}/oauth2/v2.0/authorize", self.authorize, methods=["GET", "POST"]),
            Route("/{tenant}/oauth2/v2.0/logout", self.logout, methods=["GET", "POST"]),
        ]

    # authorize ------------------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        """GET (or POST with the request in the body): validate, then page or silent answer."""
        try:
            if request.method == "POST":
                form = await read_form(request)
                if "flow" in form:
                    return await self._sign_in(request, form)
                params = form
            else:
                params = query_params(request)
        except EntraError as exc:
            return html_error(request, exc)
        note(request, client_id=params.get("client_id"), scope=params.get("scope"))
        segment = str(request.path_params["tenant"])
        try:
            auth = parse_authorize(self.sim, segment, params)
        except NotRedirectable as exc:
            return html_error(request, exc.error)
        except RedirectableError as exc:
            note_error(request, exc.error)
            return redirect_response(exc.redirect)

        session = self.sim.session(request.cookies.get(SESSION_COOKIE))
        fits = session_fits(self.sim, auth, session)
        interactive = auth.prompts & {"login", "select_account", "consent", "create"}
        if "none" in auth.prompts:
            # prompt=none never shows UI: without a usable session it is login_required.
            # https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
            if not fits or session is None:
                error = EntraError.login_required()
                note_error(request, error)
                return redirect_response(auth.error_redirect(error))
            return redirect_response(issue_code(self.sim, auth, session))
        if fits and session is not None and not interactive:
            # "The default behavior is to ... sign in the sole current user" (same page).
            return redirect_response(issue_code(self.sim, auth, session))
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
        return html_page(
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
            return html_error(request, EntraError.sign_in_expired())
        auth: AuthorizeRequest = pending.request
        note(request, client_id=auth.app.client_id, scope=auth.scope)
        if form.get("action") == "cancel":
            error = EntraError.user_cancelled()
            note_error(request, error)
            return redirect_response(auth.error_redirect(error))
        oid = form.get("oid", "").lower()
        user = self.sim.directory.users.get(oid)
        if user is None or user not in users_for(self.sim, auth):
            tenant_name = auth.tenant.name if auth.tenant else auth.tenant_segment
            return html_error(
                request, EntraError.user_not_in_tenant(user.username if user else oid, tenant_name)
            )
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:
            self.sim.sessions.pop(previous, None)
        session = self.sim.start_session(oid=user.oid, tid=user.tenant)
        response = redirect_response(issue_code(self.sim, auth, session))
        response.set_cookie(SESSION_COOKIE, session.id, httponly=True, samesite="lax", path="/")
        return response

    # logout ---------------------------------------------------------------------------------

    async def logout(self, request: Request) -> Response:
        """Clear the simulator session; go to ``post_logout_redirect_uri`` if it is registered.

        https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc (Send a sign-out
        request: post_logout_redirect_uri)
        """
        try:
            params = await read_form(request) if request.method == "POST" else query_params(request)
        except EntraError as exc:
            return html_error(request, exc)
        client_id = params.get("client_id")
        note(request, client_id=client_id)
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
                headers=PAGE_HEADERS,
            )
        else:
            response = html_page(signed_out_page())
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    def _logout_target_registered(self, target: str, client_id: str | None) -> bool:
        apps: list[App] = list(self.sim.directory.apps.values())
        if client_id:
            app = self.sim.directory.app(client_id) if is_guid(client_id.lower()) else None
            apps = [app] if app else []
        return any(redirect_uri_matches(uri, target) for app in apps for uri in app.redirect_uris)
