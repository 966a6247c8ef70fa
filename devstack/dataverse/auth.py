"""Bearer-token validation the way a Dataverse org does it, against the Entra ID simulator's keys.

Dataverse accepts Entra access tokens whose audience is the environment URL
(https://learn.microsoft.com/power-apps/developer/data-platform/authenticate-oauth; the resource is
"Dynamics CRM", which issues v1 tokens: ``iss`` = ``https://sts.windows.net/{tid}/``). Delegated
tokens must carry the ``user_impersonation`` scope; app-only tokens (client credentials, no ``scp``)
map to the application user created for the app's client id. Keys come from the Entra JWKS
(``{entra}/common/discovery/keys``); an unknown ``kid`` triggers one refetch, because Entra rotates
its signing keys (entra identity-platform docs, "Signing key rollover").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import jwt


class TokenError(Exception):
    """The token is missing, malformed, unsigned by a known key, expired or for another audience."""


@dataclass(frozen=True)
class AccessToken:
    tenant_id: str
    object_id: str | None
    app_id: str | None
    delegated: bool
    scopes: frozenset[str]
    claims: dict[str, Any]


class JwksCache:
    """Signing keys by ``kid``; refetched (once, under a lock) when a token names an unknown kid."""

    def __init__(self, fetch: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self._fetch = fetch
        self._keys: dict[str, Any] = {}
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key(self, kid: str) -> Any | None:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            if kid not in self._keys:
                await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        document = await self._fetch()
        self.fetches += 1
        keys: dict[str, Any] = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") != "RSA" or "kid" not in jwk:
                continue
            try:
                keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256").key
            except jwt.PyJWTError:
                continue
        self._keys = keys


class TokenVerifier:
    """Validates signature (RS256 only), ``aud`` (exactly the org URL), ``iss`` (the org's tenant),
    ``exp``/``nbf`` and, for delegated tokens, the ``user_impersonation`` scope."""

    def __init__(self, jwks: JwksCache, *, leeway_seconds: float = 0.0) -> None:
        self._jwks = jwks
        self._leeway = leeway_seconds

    async def verify(self, token: str, *, audience: str, tenant_id: str) -> AccessToken:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError("the bearer token is not a JWT") from exc
        if header.get("alg") != "RS256":
            raise TokenError("only RS256-signed tokens are accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenError("the token header has no kid")
        key = await self._jwks.key(kid)
        if key is None:
            raise TokenError("the token is signed with an unknown key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=audience,
                leeway=self._leeway,
                options={"require": ["exp", "aud", "iss", "tid"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("the token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenError("the token is for another audience") from exc
        except jwt.PyJWTError as exc:
            raise TokenError(f"the token is invalid ({type(exc).__name__})") from exc
        tid = str(claims["tid"]).lower()
        issuers = {
            f"https://sts.windows.net/{tid}/",
            f"https://login.microsoftonline.com/{tid}/v2.0",
        }
        if claims["iss"] not in issuers:
            raise TokenError("the token issuer does not match its tenant")
        if tid != tenant_id.lower():
            raise TokenError("the token was issued by another tenant")
        scopes = frozenset(str(claims.get("scp", "")).split())
        delegated = "scp" in claims
        if delegated and "user_impersonation" not in scopes:
            raise TokenError("the delegated token lacks the user_impersonation scope")
        app_id = claims.get("appid") or claims.get("azp")
        object_id = claims.get("oid")
        return AccessToken(
            tenant_id=tid,
            object_id=str(object_id).lower() if object_id else None,
            app_id=str(app_id).lower() if app_id else None,
            delegated=delegated,
            scopes=scopes,
            claims=claims,
        )


def www_authenticate(*, entra_url: str, tenant_id: str, org_url: str) -> str:
    """The challenge Dataverse sends with a 401, which clients use to discover the authority
    ("Discover the authority at run time", authenticate-oauth.md; observed value
    ``Bearer authorization_uri=https://login.microsoftonline.com/<tid>/oauth2/authorize,
    resource_id=https://org.crm.dynamics.com/``). Here the authority is the Entra simulator."""
    return (
        f"Bearer authorization_uri={entra_url.rstrip('/')}/{tenant_id}/oauth2/authorize, "
        f"resource_id={org_url.rstrip('/')}/"
    )
