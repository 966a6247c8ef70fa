"""Sign-in, sessions and CRM tokens for the backend-for-frontend.

The browser never sees a token: it holds an opaque session cookie. The server keeps the MSAL flow
(keyed by ``state``, single use, 10 minutes, bound to the browser that started it by a value the
server chose), the session record and the user's encrypted token cache, and gets Dataverse tokens
for the user silently. The session policies the HTTP edge applies (same-origin, the "do not loop"
rule, how long the embedded copy of a session may live) are decided here, once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.domain.crm import CrmCaller
from shared.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotSignedIn,
    ReauthRequired,
    SignInFailed,
)
from shared.domain.identity import (
    LOGIN_FLOW_TTL,
    LoginResult,
    Principal,
    Session,
    TokenResult,
    hash_secret,
    new_csrf_token,
    new_session_id,
    safe_next,
    tokens_match,
)
from shared.domain.orgs import CrmOrg
from shared.ports import (
    Clock,
    IdentityProvider,
    LoginFlowStore,
    SessionStore,
    TokenCacheStore,
)
from shared.telemetry import TokenFlow, record_token_request

log = logging.getLogger("cockpit.auth")

# MSAL treats tokens with < 5 min left as expired; so do we for the on-behalf-of cache.
_EXPIRY_MARGIN = timedelta(minutes=5)
# A session younger than this that still cannot get a CRM token must not be sent round the sign-in
# again: that would loop (e.g. missing consent). The user gets an explanation instead.
FRESH_SESSION = timedelta(minutes=2)

# Entra "prompt" values we pass through (anything else is dropped).
_PROMPTS = {"login", "select_account", "none", "consent"}


@dataclass(frozen=True)
class AuthConfig:
    public_base_url: str  # our own origin: the only Origin a state-changing request may carry
    login_scopes: tuple[str, ...]
    allowed_tenants: frozenset[str]
    session_idle: timedelta
    session_absolute: timedelta

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_base_url}/auth/callback"


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and the browser-binding cookie to set: its value is chosen here
    (never taken from the client), its name is derived from the flow's ``state`` so several sign-ins
    in one browser (tabs, the embedded tab's window) never overwrite each other's binding."""

    auth_uri: str
    binding_name: str
    binding: str


@dataclass(frozen=True)
class NewSession:
    session_id: str  # the cookie value; only its hash is stored
    next_path: str
    lifetime: timedelta
    principal: Principal


class AuthService:
    def __init__(
        self,
        *,
        identity: IdentityProvider,
        sessions: SessionStore,
        flows: LoginFlowStore,
        caches: TokenCacheStore,
        clock: Clock,
        config: AuthConfig,
    ) -> None:
        self._identity = identity
        self._sessions = sessions
        self._flows = flows
        self._caches = caches
        self._clock = clock
        self._config = config
        # On-behalf-of results per (assertion, scope): MSAL's OBO always calls the token endpoint.
        self._obo: dict[tuple[str, str], TokenResult] = {}

    # --- policies the edge applies ----------------------------------------------------------------
    def same_origin(self, origin: str | None) -> bool:
        """State changes must come from our own pages (SameSite=None cookies travel cross-site)."""
        return origin is not None and origin == self._config.public_base_url

    def is_fresh(self, principal: Principal | None) -> bool:
        """A brand-new session that still cannot get a token: signing in again would only loop."""
        created = principal.session_created_at if principal is not None else None
        return created is not None and self._clock.now() - created < FRESH_SESSION

    def embed_copy_max_age(self, principal: Principal) -> int:
        """Seconds the embedded tab's partitioned copy of a session may live: never longer than the
        session itself (the server decides validity anyway)."""
        created = principal.session_created_at or self._clock.now()
        remaining = created + self._config.session_absolute - self._clock.now()
        return max(0, int(remaining.total_seconds()))

    @staticmethod
    def binding_name(state: str) -> str:
        """The login-binding cookie's name suffix for one flow (hex, safe in a cookie name)."""
        return hashlib.sha256(state.encode()).hexdigest()[:16]

    # --- sign-in ----------------------------------------------------------------------------------
    async def start_login(
        self,
        *,
        next_path: str | None,
        login_hint: str | None = None,
        prompt: str | None = None,
    ) -> LoginStart:
        """Begin an auth-code flow. Only the browser that receives the binding cookie can finish
        it (login CSRF)."""
        target = safe_next(next_path)
        if login_hint is not None and (len(login_hint) > 256 or not login_hint.isprintable()):
            raise InvalidInput("login_hint is not valid")
        flow = await self._identity.start_login(
            scopes=self._config.login_scopes,
            redirect_uri=self._config.redirect_uri,
            login_hint=login_hint,
            prompt=prompt if prompt in _PROMPTS else None,
        )
        binding = secrets.token_urlsafe(32)
        # auth_uri may carry the login hint (an e-mail): not worth storing; MSAL doesn't need it.
        stored: dict[str, Any] = {k: v for k, v in flow.items() if k != "auth_uri"}
        stored["cockpit_next"] = target
        stored["cockpit_binding"] = hash_secret(binding)
        state = str(flow["state"])
        await self._flows.put(
            state=state, flow=stored, expires_at=self._clock.now() + LOGIN_FLOW_TTL
        )
        return LoginStart(
            auth_uri=str(flow["auth_uri"]), binding_name=self.binding_name(state), binding=binding
        )

    async def complete_login(
        self,
        *,
        params: dict[str, str],
        binding: str | None,
        previous_session_id: str | None = None,
    ) -> NewSession:
        """Handle the redirect back from Entra: redeem the code, store the user's token cache,
        create the session. The browser's earlier session (perhaps another user's) is revoked:
        one browser, one signed-in user, and no stale copy (e.g. the embedded tab's) lives on."""
        flow = await self._own_flow(params, binding)
        next_path = str(flow.pop("cockpit_next", "/"))
        if "error" in params:
            raise SignInFailed(
                str(params.get("error_description", ""))[:300], error=str(params["error"])[:64]
            )
        try:
            result = await self._identity.finish_login(flow=flow, response=params, cache=None)
        except Exception:
            record_token_request(flow="auth_code", outcome="failed")
            raise
        record_token_request(flow="auth_code", outcome="ok")
        if result.tenant_id not in self._config.allowed_tenants:
            raise Forbidden("tenant not allowed", code="tenant_not_allowed")
        await self._save_login_cache(result.tenant_id, result.object_id, result.cache)
        session_id, session = self._new_session(result)
        await self._sessions.create(session)
        if previous_session_id:
            await self.logout(previous_session_id)
        log.info(
            "signed in",
            extra={"fields": {"tenant_id": result.tenant_id, "object_id": result.object_id}},
        )
        return NewSession(
            session_id=session_id,
            next_path=next_path,
            lifetime=self._config.session_absolute,
            principal=session.principal(),
        )

    async def _own_flow(self, params: dict[str, str], binding: str | None) -> dict[str, Any]:
        """The stored flow this response answers — if this very browser started it."""
        state = params.get("state", "")
        if not state or len(state) > 512:
            raise InvalidInput("the sign-in response has no state", code="login_expired")
        flow = await self._flows.take(state=state, now=self._clock.now())
        if flow is None:
            raise InvalidInput("unknown, used or expired sign-in state", code="login_expired")
        if binding is None or not tokens_match(
            flow.pop("cockpit_binding", None), hash_secret(binding)
        ):
            # Someone else's sign-in response (login CSRF): never turn it into a session here.
            raise Forbidden("sign-in response from another browser", code="login_not_yours")
        return flow

    def _new_session(self, result: LoginResult) -> tuple[str, Session]:
        now = self._clock.now()
        session_id = new_session_id()
        return session_id, Session(
            id_hash=hash_secret(session_id),
            tenant_id=result.tenant_id,
            object_id=result.object_id,
            roles=result.roles,
            home_account_id=result.home_account_id,
            csrf_token=new_csrf_token(),
            created_at=now,
            last_seen_at=now,
            expires_at=now + self._config.session_absolute,
        )

    async def _save_login_cache(self, tenant_id: str, object_id: str, fresh: str) -> None:
        """A new sign-in *replaces* the user's token cache: whatever made the old tokens fail
        (revoked, expired, refused by Dataverse) must not survive the sign-in meant to fix it.
        The user's other sessions use the new refresh token from now on."""
        for _ in range(3):
            existing = await self._caches.get(tenant_id=tenant_id, object_id=object_id)
            try:
                await self._caches.put(
                    tenant_id=tenant_id,
                    object_id=object_id,
                    cache=fresh,
                    etag=existing[1] if existing else None,
                )
                return
            except Conflict:
                continue
        raise Conflict("could not store the token cache; try signing in again")

    # --- sessions ---------------------------------------------------------------------------------
    async def resolve_session(self, session_id: str) -> Principal:
        if not session_id or len(session_id) > 128:
            raise NotSignedIn("no session")
        session = await self._sessions.get(hash_secret(session_id))
        now = self._clock.now()
        if session is None or not session.is_valid(now=now, idle=self._config.session_idle):
            raise NotSignedIn("session unknown or expired")
        if session.needs_touch(now=now, idle=self._config.session_idle):
            await self._sessions.touch(session.touched(now))
        return session.principal()

    async def logout(self, session_id: str) -> None:
        """Revoke the server-side session: the cookie is worthless from now on."""
        if session_id and len(session_id) <= 128:
            await self._sessions.delete(hash_secret(session_id))

    async def purge_expired(self) -> dict[str, int]:
        """The clean-up timer: sessions past their absolute expiry and abandoned sign-in flows."""
        now = self._clock.now()
        return {
            "sessions": await self._sessions.purge_expired(now=now),
            "login_flows": await self._flows.purge_expired(now=now),
        }

    # --- CRM tokens -------------------------------------------------------------------------------
    async def crm_token(
        self, principal: Principal, org: CrmOrg, *, force_refresh: bool = False
    ) -> str:
        """A Dataverse access token for ``org`` as ``principal``. Raises ReauthRequired."""
        if org.tenant_id != principal.tenant_id:
            raise Forbidden("this organisation belongs to another tenant", code="org_not_allowed")
        flow: TokenFlow = "client_credentials"
        if principal.kind == "session":
            flow = "silent"
        elif principal.kind == "bearer":
            flow = "on_behalf_of"
        try:
            if principal.kind == "session":
                token = await self._silent(principal, org, force_refresh=force_refresh)
            elif principal.kind == "bearer":
                token = await self._on_behalf_of(principal, org, force_refresh=force_refresh)
            else:
                app = await self._identity.acquire_for_app(
                    tenant_id=org.tenant_id, scopes=[org.app_scope]
                )
                token = app.access_token
        except ReauthRequired:
            record_token_request(flow=flow, outcome="reauth")
            raise
        except Exception:
            record_token_request(flow=flow, outcome="failed")
            raise
        record_token_request(flow=flow, outcome="ok")
        return token

    async def _silent(self, principal: Principal, org: CrmOrg, *, force_refresh: bool) -> str:
        stored = await self._caches.get(
            tenant_id=principal.tenant_id, object_id=principal.object_id
        )
        if stored is None or principal.home_account_id is None:
            raise ReauthRequired("no token cache for this user")
        cache, etag = stored
        result = await self._identity.acquire_silent(
            cache=cache,
            home_account_id=principal.home_account_id,
            tenant_id=principal.tenant_id,
            scopes=[org.user_scope],
            force_refresh=force_refresh,
        )
        if result.cache is not None:
            try:
                await self._caches.put(
                    tenant_id=principal.tenant_id,
                    object_id=principal.object_id,
                    cache=result.cache,
                    etag=etag,
                )
            except Conflict:
                # Another request refreshed concurrently and stored its cache; ours is equivalent
                # (Entra refresh tokens stay valid after use), and this token is good either way.
                pass
        return result.access_token

    async def _on_behalf_of(self, principal: Principal, org: CrmOrg, *, force_refresh: bool) -> str:
        assert principal.assertion is not None
        key = (hashlib.sha256(principal.assertion.encode()).hexdigest(), org.user_scope)
        now = self._clock.now().timestamp()
        cached = self._obo.get(key)
        margin = _EXPIRY_MARGIN.total_seconds()
        if not force_refresh and cached is not None and cached.expires_at - margin > now:
            return cached.access_token
        result = await self._identity.acquire_on_behalf_of(
            assertion=principal.assertion, tenant_id=principal.tenant_id, scopes=[org.user_scope]
        )
        for stale in [k for k, v in self._obo.items() if v.expires_at <= now]:
            del self._obo[stale]
        self._obo[key] = result
        return result.access_token

    def caller(
        self,
        principal: Principal,
        org: CrmOrg,
        *,
        impersonate: str | None = None,
        budget_seconds: float | None = None,
    ) -> CrmCaller:
        """A CRM caller for one operation: the token is fetched once and reused within it, so it
        costs at most one token-cache read however many CRM calls it makes; ``refresh`` replaces
        it once when Dataverse refused it (401)."""
        memo: dict[str, str] = {}

        def check(resource: str) -> None:
            if resource.rstrip("/") != org.url:
                raise Forbidden("token requested for an unexpected resource")

        async def token(resource: str) -> str:
            check(resource)
            if "t" not in memo:
                memo["t"] = await self.crm_token(principal, org)
            return memo["t"]

        async def refresh(resource: str) -> str:
            check(resource)
            memo["t"] = await self.crm_token(principal, org, force_refresh=True)
            return memo["t"]

        return CrmCaller(
            key=principal.key,
            token=token,
            impersonate_object_id=impersonate,
            refresh=refresh,
            budget_seconds=budget_seconds,
        )
