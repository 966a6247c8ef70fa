"""Entra ID through MSAL Python (unmodified): sign-in (auth code + PKCE), silent token acquisition
from the user's own cache, on-behalf-of for bearer callers, client credentials for timers.

MSAL is synchronous and does blocking HTTP, so every call runs in a worker thread; the event loop
never blocks. Following Microsoft's ``identity`` library, a *new* ``ConfidentialClientApplication``
is built per operation around that user's token cache ("one token cache per user"), while the HTTP
session and MSAL's ``http_cache`` (discovery documents, throttling state; never tokens) are shared
by the whole worker, so building an application costs no network round trip after the first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from threading import Lock
from typing import Any, TypeVar

import anyio.to_thread
import msal
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shared.domain.errors import IdentityUnavailable, ReauthRequired, SignInFailed
from shared.domain.identity import LoginResult, TokenResult

T = TypeVar("T")

# MSAL throws these for client-side protocol violations: state mismatch (CSRF), nonce mismatch, a
# flow dict that is not ours. All mean "this sign-in attempt is not valid".
_FLOW_ERRORS = (ValueError, KeyError)


class BoundedSession(requests.Session):
    """MSAL's HTTP client: every request has a (connect, read) timeout unless the caller gives one,
    and the connection pool holds as many connections as requests run at once.

    MSAL applies its own ``timeout`` only to a session it creates itself (msal/application.py,
    "Requests, does not support session-wide timeout"); ours is shared by the worker, so the bound
    lives here. The pool follows COCKPIT_HTTP_POOL_SIZE: urllib3's default of 10 made 64 concurrent
    users log "connection pool full" and open throw-away connections.
    """

    def __init__(self, *, timeout_seconds: float, pool_size: int) -> None:
        super().__init__()
        # Connect fast or fail fast; the read bound covers a slow token endpoint.
        self.bounds = (min(3.05, timeout_seconds), timeout_seconds)
        # One retry of a failed *connection*, as MSAL's own session does (a reset keep-alive
        # connection); never after a read timeout, which would double the bound (and a code
        # redemption is single-use anyway).
        retry = Retry(total=1, read=False, redirect=0, status=0)
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=retry)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.bounds
        return super().request(method, url, *args, **kwargs)


class MsalIdentityProvider:
    def __init__(
        self,
        *,
        client_id: str,
        client_credential: str | dict[str, Any],
        authority_host: str,
        login_tenant: str,
        ca_bundle: Path | None = None,
        http_client: requests.Session | None = None,
        timeout_seconds: float = 10.0,
        pool_size: int = 16,
    ) -> None:
        self._client_id = client_id
        self._credential = client_credential
        self._host = authority_host.rstrip("/")
        self._login_tenant = login_tenant
        if http_client is None:
            http_client = BoundedSession(timeout_seconds=timeout_seconds, pool_size=pool_size)
            # The machine's REQUESTS_CA_BUNDLE would override `verify` while trust_env is on.
            http_client.trust_env = False
            http_client.verify = str(ca_bundle) if ca_bundle else True
        self._http = http_client
        self._http_cache: dict[str, Any] = {}
        self._app_lock = Lock()
        self._app_clients: dict[str, msal.ConfidentialClientApplication] = {}

    # --- helpers ----------------------------------------------------------------------------------
    def _app(
        self, tenant: str, cache: msal.SerializableTokenCache | None
    ) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            self._client_id,
            client_credential=self._credential,
            authority=f"{self._host}/{tenant}",
            token_cache=cache,
            http_client=self._http,
            http_cache=self._http_cache,
            # Our authority comes from configuration; skip MSAL's instance discovery call.
            instance_discovery=False,
        )

    @staticmethod
    async def _run(fn: Callable[[], T]) -> T:
        try:
            return await anyio.to_thread.run_sync(fn)
        except requests.RequestException as err:
            # Entra ID refused the connection, reset it or did not answer in time: an outage the
            # user is told about (503), not a sign-in problem.
            raise IdentityUnavailable(
                f"Entra ID did not answer: {err.__class__.__name__}"
            ) from None

    # --- sign-in ----------------------------------------------------------------------------------
    async def start_login(
        self,
        *,
        scopes: Sequence[str],
        redirect_uri: str,
        login_hint: str | None = None,
        prompt: str | None = None,
    ) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            flow: dict[str, Any] = self._app(self._login_tenant, None).initiate_auth_code_flow(
                list(scopes),
                redirect_uri=redirect_uri,
                login_hint=login_hint,
                prompt=prompt,
                # The code comes back in a POST body, not in a URL that lands in browser history,
                # proxy logs and Referer headers (RFC 9700 §4.3.1; MSAL recommends it too).
                response_mode="form_post",
            )
            return flow

        return await self._run(run)

    async def finish_login(
        self, *, flow: Mapping[str, Any], response: Mapping[str, str], cache: str | None
    ) -> LoginResult:
        def run() -> LoginResult:
            token_cache = msal.SerializableTokenCache()
            if cache:
                token_cache.deserialize(cache)
            app = self._app(self._login_tenant, token_cache)
            try:
                result = app.acquire_token_by_auth_code_flow(dict(flow), dict(response))
            except _FLOW_ERRORS as err:
                raise SignInFailed(
                    f"sign-in response rejected: {err}", error="invalid_request"
                ) from None
            if "error" in result:
                raise SignInFailed(
                    str(result.get("error_description", ""))[:300], error=str(result["error"])
                )
            claims = result.get("id_token_claims") or {}
            tenant_id, object_id = str(claims.get("tid", "")), str(claims.get("oid", ""))
            if not tenant_id or not object_id:
                raise SignInFailed("the ID token has no tid/oid", error="invalid_token")
            if claims.get("aud") != self._client_id:
                raise SignInFailed("the ID token is for another application", error="invalid_token")
            accounts = app.get_accounts()
            home = next(
                (a["home_account_id"] for a in accounts if a.get("local_account_id") == object_id),
                accounts[0]["home_account_id"] if accounts else f"{object_id}.{tenant_id}",
            )
            return LoginResult(
                tenant_id=tenant_id,
                object_id=object_id,
                roles=frozenset(str(r) for r in claims.get("roles", []) or []),
                home_account_id=str(home),
                cache=token_cache.serialize(),
            )

        return await self._run(run)

    # --- tokens -----------------------------------------------------------------------------------
    async def acquire_silent(
        self,
        *,
        cache: str,
        home_account_id: str,
        tenant_id: str,
        scopes: Sequence[str],
        force_refresh: bool = False,
    ) -> TokenResult:
        """From the user's cache; refreshes with the refresh token when needed (always, with
        ``force_refresh``: after the resource refused a cached token). Raises
        :class:`ReauthRequired` when only an interactive sign-in can help."""

        def run() -> TokenResult:
            token_cache = msal.SerializableTokenCache()
            token_cache.deserialize(cache)
            app = self._app(tenant_id, token_cache)
            account = next(
                (a for a in app.get_accounts() if a.get("home_account_id") == home_account_id), None
            )
            if account is None:
                raise ReauthRequired("no cached account for this session")
            result = app.acquire_token_silent_with_error(
                list(scopes), account=account, force_refresh=force_refresh
            )
            if not result or "access_token" not in result:
                reason = (result or {}).get("error", "no usable token in the cache")
                raise ReauthRequired(f"silent token acquisition failed: {reason}")
            return TokenResult(
                access_token=str(result["access_token"]),
                expires_at=time.time() + float(result.get("expires_in", 0)),
                cache=token_cache.serialize() if token_cache.has_state_changed else None,
            )

        return await self._run(run)

    async def acquire_on_behalf_of(
        self, *, assertion: str, tenant_id: str, scopes: Sequence[str]
    ) -> TokenResult:
        def run() -> TokenResult:
            result = self._app(tenant_id, msal.SerializableTokenCache()).acquire_token_on_behalf_of(
                assertion, list(scopes)
            )
            if "access_token" not in result:
                raise ReauthRequired(f"on-behalf-of failed: {result.get('error', 'unknown')}")
            return TokenResult(
                access_token=str(result["access_token"]),
                expires_at=time.time() + float(result.get("expires_in", 0)),
                cache=None,
            )

        return await self._run(run)

    async def acquire_for_app(self, *, tenant_id: str, scopes: Sequence[str]) -> TokenResult:
        """App-only token (timers). One long-lived application per tenant: MSAL caches it."""

        def run() -> TokenResult:
            with self._app_lock:
                app = self._app_clients.get(tenant_id)
                if app is None:
                    app = self._app(tenant_id, msal.SerializableTokenCache())
                    self._app_clients[tenant_id] = app
            result = app.acquire_token_for_client(list(scopes))
            if "access_token" not in result:
                raise ReauthRequired(f"client credentials failed: {result.get('error', 'unknown')}")
            return TokenResult(
                access_token=str(result["access_token"]),
                expires_at=time.time() + float(result.get("expires_in", 0)),
                cache=None,
            )

        return await self._run(run)

    def close(self) -> None:
        self._http.close()
