"""Time, sessions, sign-in flows, token caches and the identity provider (Entra ID).

Every method raises only errors from ``shared.domain.errors``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from shared.domain.identity import LoginResult, Principal, Session, TokenResult


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class HealthProbe(Protocol):
    async def ping(self) -> None:
        """Raise StorageUnavailable unless storage answers."""
        ...


class SessionStore(Protocol):
    async def get(self, id_hash: str) -> Session | None: ...

    async def purge_expired(self, *, now: datetime) -> int:
        """Delete sessions past their absolute expiry; returns how many."""
        ...

    async def create(self, session: Session) -> None: ...

    async def touch(self, session: Session) -> None:
        """Persist a newer ``last_seen_at`` (best effort)."""
        ...

    async def delete(self, id_hash: str) -> None: ...


class LoginFlowStore(Protocol):
    async def put(self, *, state: str, flow: Mapping[str, Any], expires_at: datetime) -> None: ...

    async def purge_expired(self, *, now: datetime) -> int: ...

    async def take(self, *, state: str, now: datetime) -> dict[str, Any] | None:
        """Return and consume the flow (single use); None if unknown, used or expired."""
        ...


class TokenCacheStore(Protocol):
    async def get(self, *, tenant_id: str, object_id: str) -> tuple[str, str] | None:
        """(serialised MSAL cache, etag) or None."""
        ...

    async def put(self, *, tenant_id: str, object_id: str, cache: str, etag: str | None) -> str:
        """Store; ``etag`` None creates. Raises Conflict on a concurrent write. Returns the etag."""
        ...


class IdentityProvider(Protocol):
    """Entra ID as the services need it (MSAL in production)."""

    async def start_login(
        self,
        *,
        scopes: Sequence[str],
        redirect_uri: str,
        login_hint: str | None = None,
        prompt: str | None = None,
    ) -> dict[str, Any]:
        """An auth-code flow dict (with ``state`` and ``auth_uri``) to store until the callback."""
        ...

    async def finish_login(
        self, *, flow: Mapping[str, Any], response: Mapping[str, str], cache: str | None
    ) -> LoginResult:
        """Redeem the code. Raises SignInFailed."""
        ...

    async def acquire_silent(
        self,
        *,
        cache: str,
        home_account_id: str,
        tenant_id: str,
        scopes: Sequence[str],
        force_refresh: bool = False,
    ) -> TokenResult:
        """Raises ReauthRequired when only an interactive sign-in can help; ``force_refresh``
        skips cached access tokens (the resource refused one)."""
        ...

    async def acquire_on_behalf_of(
        self, *, assertion: str, tenant_id: str, scopes: Sequence[str]
    ) -> TokenResult: ...

    async def acquire_for_app(self, *, tenant_id: str, scopes: Sequence[str]) -> TokenResult: ...


class BearerTokenVerifier(Protocol):
    async def verify(self, token: str) -> Principal:
        """Raises NotSignedIn (invalid token) or Forbidden (missing scope)."""
        ...
