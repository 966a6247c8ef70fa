"""The simulator's runtime state: clock, lifetimes, codes, refresh tokens, sessions, request log.

Everything lives in memory for the life of the process and is only touched from the event loop,
so no locking is needed.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack.entra.credentials import CredentialStore
from devstack.entra.directory import App, Directory
from devstack.entra.keys import KeyRing

__all__ = [
    "AuthCode",
    "PendingSignIn",
    "RefreshGrant",
    "SignInSession",
    "SimConfig",
    "Simulator",
    "Urls",
]

# "Authorization codes are short lived. Typically, they expire after about 10 minutes."
# https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow (Successful response)
CODE_LIFETIME = 600
# A sign-in page left open longer than this must be restarted from the app.
PENDING_LIFETIME = 600
REQUEST_LOG_LIMIT = 10_000


@dataclass
class SimConfig:
    """Run-time settings changed through ``POST /_sim/config``.

    Entra's access tokens live a random 60-90 minutes; the simulator uses fixed, configurable
    lifetimes so tests can count on them (and make tokens expire on purpose).
    https://learn.microsoft.com/entra/identity-platform/access-tokens (Token lifetime)
    """

    access_token_lifetime: int = 3600
    id_token_lifetime: int = 3600
    refresh_token_lifetime: int = 86400
    clock_skew: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "access_token_lifetime": self.access_token_lifetime,
            "id_token_lifetime": self.id_token_lifetime,
            "refresh_token_lifetime": self.refresh_token_lifetime,
            "clock_skew": self.clock_skew,
        }


@dataclass(frozen=True)
class Urls:
    """Where the simulator answers: https for MSAL, plain http for the browser pages."""

    host: str
    https_port: int
    http_port: int

    @property
    def https_base(self) -> str:
        return f"https://{self.host}:{self.https_port}"

    @property
    def http_base(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    def issuer_v2(self, tid: str) -> str:
        return f"{self.https_base}/{tid}/v2.0"

    @staticmethod
    def issuer_v1(tid: str) -> str:
        # v1 tokens name the real STS; a validator reads it from the v1 discovery document.
        # https://learn.microsoft.com/entra/identity-platform/access-tokens (v1.0 and v2.0 tokens)
        return f"https://sts.windows.net/{tid}/"


@dataclass
class SignInSession:
    """The simulator's SSO session (what Entra keeps in its own cookies)."""

    id: str
    oid: str
    tid: str
    auth_time: int


@dataclass
class PendingSignIn:
    """A validated authorize request waiting for the person to pick a user on the page."""

    id: str
    request: Any  # devstack.entra.authorize.AuthorizeRequest (kept loose to avoid a cycle)
    expires_at: float


@dataclass
class AuthCode:
    client_id: str
    tenant_segment: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    oid: str
    tid: str
    session_id: str
    auth_time: int
    include_auth_time: bool
    expires_at: float
    redeemed: bool = False


@dataclass
class RefreshGrant:
    client_id: str
    oid: str
    tid: str
    scope: str
    session_id: str | None
    auth_time: int
    issued_at: float
    expires_at: float


@dataclass
class Simulator:
    """Directory, keys, settings and every piece of mutable state, in one place."""

    directory: Directory
    urls: Urls
    keys: KeyRing
    wall_clock: Callable[[], float] = time.time
    config: SimConfig = field(default_factory=SimConfig)
    sessions: dict[str, SignInSession] = field(default_factory=dict)
    pending: dict[str, PendingSignIn] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    # TokensValidFrom per user: refresh tokens issued before it are revoked (AADSTS50173).
    tokens_valid_from: dict[str, float] = field(default_factory=dict)
    request_log: deque[dict[str, Any]] = field(
        default_factory=lambda: deque(maxlen=REQUEST_LOG_LIMIT)
    )
    credentials: CredentialStore = field(default_factory=CredentialStore)
    # The App Service managed-identity endpoint's secret (X-IDENTITY-HEADER); None turns it off.
    identity_header: str | None = None

    def now(self) -> float:
        """The simulator's clock: real time shifted by ``clock_skew``."""
        return self.wall_clock() + self.config.clock_skew

    def reset(self) -> None:
        """Forget sessions, codes, tokens, revocations and the log; restore default settings."""
        self.config = SimConfig()
        self.sessions.clear()
        self.pending.clear()
        self.codes.clear()
        self.refresh_tokens.clear()
        self.tokens_valid_from.clear()
        self.request_log.clear()

    # --- sessions ------------------------------------------------------------------------------

    def start_session(self, *, oid: str, tid: str) -> SignInSession:
        session = SignInSession(id=str(uuid.uuid4()), oid=oid, tid=tid, auth_time=int(self.now()))
        self.sessions[session.id] = session
        return session

    def session(self, session_id: str | None) -> SignInSession | None:
        if not session_id:
            return None
        return self.sessions.get(session_id)

    # --- pending sign-ins and codes -------------------------------------------------------------

    def add_pending(self, request: Any) -> PendingSignIn:
        self._expire()
        pending = PendingSignIn(
            id=secrets.token_urlsafe(24), request=request, expires_at=self.now() + PENDING_LIFETIME
        )
        self.pending[pending.id] = pending
        return pending

    def take_pending(self, pending_id: str) -> PendingSignIn | None:
        pending = self.pending.pop(pending_id, None)
        if pending is None or pending.expires_at <= self.now():
            return None
        return pending

    def add_code(self, code: AuthCode) -> str:
        self._expire()
        value = secrets.token_urlsafe(48)
        self.codes[value] = code
        return value

    def add_refresh_token(self, grant: RefreshGrant) -> str:
        self._expire()
        value = "sim-rt." + secrets.token_urlsafe(48)
        self.refresh_tokens[value] = grant
        return value

    def revoke_user(self, oid: str) -> tuple[int, int]:
        """Revoke ``oid``'s refresh tokens and end its sessions; returns (tokens, sessions)."""
        now = self.now()
        self.tokens_valid_from[oid] = now
        tokens = sum(
            1
            for grant in self.refresh_tokens.values()
            if grant.oid == oid and grant.issued_at <= now and grant.expires_at > now
        )
        ended = [sid for sid, session in self.sessions.items() if session.oid == oid]
        for sid in ended:
            del self.sessions[sid]
        return tokens, len(ended)

    def _expire(self) -> None:
        # Drop what can no longer be used so a long-running stack does not grow without bound.
        # Codes are kept until expiry even once redeemed, so a replay is told AADSTS54005.
        now = self.now()
        for key in [k for k, c in self.codes.items() if c.expires_at <= now - CODE_LIFETIME]:
            del self.codes[key]
        for key in [k for k, p in self.pending.items() if p.expires_at <= now]:
            del self.pending[key]
        # Expired refresh tokens are remembered for a day to answer AADSTS700082, not 70000.
        for key in [k for k, g in self.refresh_tokens.items() if g.expires_at <= now - 86400]:
            del self.refresh_tokens[key]

    # --- request log ---------------------------------------------------------------------------

    def log(self, entry: dict[str, Any]) -> None:
        self.request_log.append(
            {"time": datetime.fromtimestamp(self.wall_clock(), UTC).isoformat(), **entry}
        )

    def app_label(self, app: App) -> str:
        return f"{app.client_id} ({app.display_name})"
