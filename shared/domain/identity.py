"""Who is calling, and the rules of a server-side session.

A browser holds only an opaque 256-bit session id in a cookie; the server keeps the session record
(keyed by the id's SHA-256, so a storage reader cannot replay cookies) with the user's tenant and
object id, app roles, CSRF token and expiry. Non-browser clients present an Entra access token for
our API instead (``kind == "bearer"``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from shared.domain.errors import InvalidInput

SESSION_ID_BYTES = 32  # 256 bits
CSRF_BYTES = 32
LOGIN_FLOW_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``key`` identifies them for per-user limits and logs (never PII)."""

    kind: Literal["session", "bearer", "app"]
    tenant_id: str
    object_id: str
    roles: frozenset[str] = frozenset()
    # Session callers: which MSAL account their token cache holds, and their CSRF token.
    home_account_id: str | None = None
    csrf_token: str | None = None
    session_created_at: datetime | None = None
    # Bearer callers: the access token for our API (the on-behalf-of assertion).
    assertion: str | None = None

    @property
    def key(self) -> str:
        return f"{self.tenant_id}:{self.object_id}"

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class LoginResult:
    """A completed sign-in: who it was and their (updated) serialised MSAL token cache."""

    tenant_id: str
    object_id: str
    roles: frozenset[str]
    home_account_id: str
    cache: str


@dataclass(frozen=True)
class TokenResult:
    access_token: str
    expires_at: float  # epoch seconds
    cache: str | None = None  # the serialised cache when acquiring changed it (a refresh)


@dataclass(frozen=True)
class Session:
    id_hash: str
    tenant_id: str
    object_id: str
    roles: frozenset[str]
    home_account_id: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # absolute expiry
    etag: str | None = None

    def idle_deadline(self, idle: timedelta) -> datetime:
        return self.last_seen_at + idle

    def is_valid(self, *, now: datetime, idle: timedelta) -> bool:
        return now < self.expires_at and now < self.idle_deadline(idle)

    def needs_touch(self, *, now: datetime, idle: timedelta) -> bool:
        """Sliding idle expiry without a write per request: refresh ``last_seen_at`` only once a
        tenth of the idle window has passed."""
        return now - self.last_seen_at >= idle / 10

    def touched(self, now: datetime) -> Session:
        return replace(self, last_seen_at=now)

    def principal(self) -> Principal:
        return Principal(
            kind="session",
            tenant_id=self.tenant_id,
            object_id=self.object_id,
            roles=self.roles,
            home_account_id=self.home_account_id,
            csrf_token=self.csrf_token,
            session_created_at=self.created_at,
        )


def new_session_id() -> str:
    return secrets.token_urlsafe(SESSION_ID_BYTES)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(CSRF_BYTES)


def hash_secret(value: str) -> str:
    """Storage key for a cookie value: SHA-256 hex (cookies are high-entropy, no salt needed)."""
    return hashlib.sha256(value.encode()).hexdigest()


def tokens_match(expected: str | None, presented: str | None) -> bool:
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: only a path on this site. ``https://evil.example``,
    ``//evil.example``, ``/\\evil.example`` and anything with a scheme or host are refused, so the
    sign-in can never be turned into an open redirect."""
    if value is None or value == "":
        return "/"
    if not _SAFE_PATH.fullmatch(value) or value.startswith("//") or "\\" in value:
        raise InvalidInput("next must be a path on this site", code="invalid_next")
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        raise InvalidInput("next must be a path on this site", code="invalid_next")
    return value
