"""Sign-in, sessions and CRM tokens for the backend-for-frontend.

The browser never sees a token: it holds an opaque session cookie. The server keeps the MSAL flow
(keyed by ``state``, single use, 10 minutes, bound to the browser that started it), the session
record and the user's encrypted MSAL token cache, and gets Dataverse tokens for the user silently.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
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

log = logging.getLogger("cockpit.auth")

# MSAL treats tokens with < 5 min left as expired; so do we for the on-behalf-of cache.
_EXPIRY_MARGIN_S = 300

# Entra "prompt" values we pass through (anything else is dropped).
_PROMPTS = {"login", "select_account", "none", "consent"}


@dataclass(frozen=True)
class AuthConfig:
    redirect_uri: str
    login_scopes: tuple[str, ...]
    allowed_tenants: frozenset[str]
    session_idle: timedelta
    session_absolute: timedelta


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

    # --- sign-in ----------------------------------------------------------------------------------
    async def start_login(
        self,
        *,
        next_path: str | None,
        binding: str,
        login_hint: str | None = None,
        prompt: str | None = None,
    ) -> str:
        """Begin an auth-code flow; returns the URL to send the browser to. ``binding`` is a random
        value the browser keeps in a cookie: only that browser can complete this flow."""
        target = safe_next(next_path)
        if login_hint is not None and (len(login_hint) > 256 or not login_hint.isprintable()):
            raise InvalidInput("login_hint is not valid")
        flow = await self._identity.start_login(
            scopes=self._config.login_scopes,
            redirect_uri=self._config.redirect_uri,
            login_hint=login_hint,
            prompt=prompt if prompt in _PROMPTS else None,
        )
        auth_uri = str(flow["auth_uri"])
        # auth_uri may carry the login hint (an e-mail): not worth storing; MSAL doesn't need it.
        stored: dict[str, Any] = {k: v for k, v in flow.items() if k != "auth_uri"}
        stored["cockpit_next"] = target
        stored["cockpit_binding"] = hash_secret(binding)
        await self._flows.put(
            state=str(flow["state"]), flow=stored, expires_at=self._clock.now() + LOGIN_FLOW_TTL
        )
        return auth_uri

    async def complete_login(self, *, params: dict[str, str], binding: str | None) -> NewSession:
        """Handle the redirect back from Entra: redeem the code, store the user's token cache,
        create the session."""
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
        next_path = str(flow.pop("cockpit_next", "/"))
        if "error" in params:
            raise SignInFailed(
                str(params.get("error_description", ""))[:300], error=str(params["error"])[:64]
            )
        result = await self._identity.finish_login(flow=flow, response=params, cache=None)
        if result.tenant_id not in self._config.allowed_tenants:
            raise Forbidden("tenant not allowed", code="tenant_not_allowed")
        await self._save_login_cache(result.tenant_id, result.object_id, result.cache)

        now = self._clock.now()
        session_id = new_session_id()
        session = Session(
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
        await self._sessions.create(session)
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

    async def _save_login_cache(self, tenant_id: str, object_id: str, fresh: str) -> None:
        # The user may be signed in elsewhere too: merge, so their other sessions keep working.
        for _ in range(3):
            existing = await self._caches.get(tenant_id=tenant_id, object_id=object_id)
            merged = _merge_caches(existing[0], fresh) if existing else fresh
            try:
                await self._caches.put(
                    tenant_id=tenant_id,
                    object_id=object_id,
                    cache=merged,
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
        await self._sessions.delete(hash_secret(session_id))

    # --- CRM tokens -------------------------------------------------------------------------------
    async def crm_token(self, principal: Principal, org: CrmOrg) -> str:
        """A Dataverse access token for ``org`` as ``principal``. Raises ReauthRequired."""
        if org.tenant_id != principal.tenant_id:
            raise Forbidden("this organisation belongs to another tenant", code="org_not_allowed")
        if principal.kind == "session":
            return await self._silent(principal, org)
        if principal.kind == "bearer":
            return await self._on_behalf_of(principal, org)
        result = await self._identity.acquire_for_app(
            tenant_id=org.tenant_id, scopes=[org.app_scope]
        )
        return result.access_token

    async def _silent(self, principal: Principal, org: CrmOrg) -> str:
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

    async def _on_behalf_of(self, principal: Principal, org: CrmOrg) -> str:
        assert principal.assertion is not None
        key = (hashlib.sha256(principal.assertion.encode()).hexdigest(), org.user_scope)
        cached = self._obo.get(key)
        if cached is not None and cached.expires_at - _EXPIRY_MARGIN_S > time.time():
            return cached.access_token
        result = await self._identity.acquire_on_behalf_of(
            assertion=principal.assertion, tenant_id=principal.tenant_id, scopes=[org.user_scope]
        )
        self._prune_obo()
        self._obo[key] = result
        return result.access_token

    def _prune_obo(self) -> None:
        now = time.time()
        for k in [k for k, v in self._obo.items() if v.expires_at <= now]:
            del self._obo[k]

    def caller(
        self, principal: Principal, org: CrmOrg, *, impersonate: str | None = None
    ) -> CrmCaller:
        """A CRM caller for one request: the token is fetched once and reused within it, so a
        request costs at most one token-cache read however many CRM calls it makes."""
        memo: dict[str, str] = {}

        async def token(resource: str) -> str:
            if resource.rstrip("/") != org.url:
                raise Forbidden("token requested for an unexpected resource")
            if "t" not in memo:
                memo["t"] = await self.crm_token(principal, org)
            return memo["t"]

        return CrmCaller(key=principal.key, token=token, impersonate_object_id=impersonate)


def _merge_caches(old: str, new: str) -> str:
    """Union of two serialised MSAL caches (sections of keyed entries); the newer entry wins."""
    try:
        merged: dict[str, Any] = json.loads(old)
        fresh: dict[str, Any] = json.loads(new)
    except ValueError:
        return new
    for section, entries in fresh.items():
        if isinstance(entries, dict) and isinstance(merged.get(section), dict):
            merged[section].update(entries)
        else:
            merged[section] = entries
    return json.dumps(merged)
