"""Validation of Entra access tokens presented to our API by non-browser clients.

Rules (Microsoft identity platform, "Validate tokens" / claims-validation docs):
- signature RS256 only, key chosen by ``kid`` from the tenant-independent JWKS
  (``{authority}/common/discovery/v2.0/keys``); ``alg=none`` and HMAC are refused outright;
- ``tid`` must be a GUID in our tenant allow-list and ``iss`` must equal
  ``{authority}/{tid}/v2.0`` exactly (v2 tokens: our API's manifest sets
  ``requestedAccessTokenVersion: 2``);
- ``aud`` is our API (client id or ``api://`` URI); ``exp``/``nbf`` checked with a small leeway;
- delegated tokens only (``scp`` must contain our scope): we need a user to call Dataverse as.

Keys are cached for 24 h as Entra recommends, and an unknown ``kid`` triggers one refetch (rotation),
rate-limited so a stream of forged ``kid`` values cannot make us hammer the JWKS endpoint.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from typing import Any

import httpx
import jwt
from jwt.algorithms import RSAAlgorithm

from shared.domain.errors import Forbidden, NotSignedIn
from shared.domain.identity import Principal

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
JWKS_TTL_S = 24 * 3600
REFETCH_COOLDOWN_S = 5.0
LEEWAY_S = 60


class JwksCache:
    def __init__(self, *, client: httpx.AsyncClient, jwks_url: str) -> None:
        self._client = client
        self._url = jwks_url
        self._keys: dict[str, Any] = {}
        self._fetched_at: float = -JWKS_TTL_S
        self._last_fruitless: float = -REFETCH_COOLDOWN_S
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key(self, kid: str) -> Any:
        now = time.monotonic()
        if kid in self._keys and now - self._fetched_at < JWKS_TTL_S:
            return self._keys[kid]
        async with self._lock:
            now = time.monotonic()
            if now - self._fetched_at >= JWKS_TTL_S:
                await self._refresh()
            elif kid not in self._keys and now - self._last_fruitless >= REFETCH_COOLDOWN_S:
                # An unknown kid usually means Entra rotated keys: refetch at once. Only when a
                # refetch did not turn up the kid (a forged or garbage kid) do we hold off, so a
                # stream of bogus tokens cannot make us hammer the keys endpoint.
                await self._refresh()
                if kid not in self._keys:
                    self._last_fruitless = time.monotonic()
        if kid not in self._keys:
            raise NotSignedIn("token signed with an unknown key", code="invalid_token")
        return self._keys[kid]

    async def _refresh(self) -> None:
        try:
            response = await self._client.get(self._url, timeout=10)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as err:
            raise NotSignedIn(
                f"signing keys unavailable: {err.__class__.__name__}", code="invalid_token"
            ) from None
        keys: dict[str, Any] = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid") and jwk.get("use", "sig") == "sig":
                keys[str(jwk["kid"])] = RSAAlgorithm.from_jwk(json.dumps(jwk))
        self._keys = keys
        self._fetched_at = time.monotonic()
        self.fetches += 1


class BearerVerifier:
    def __init__(
        self,
        *,
        jwks: JwksCache,
        authority_host: str,
        audiences: Sequence[str],
        allowed_tenants: frozenset[str],
        required_scope: str,
        allowed_clients: frozenset[str] = frozenset(),
    ) -> None:
        self._jwks = jwks
        self._clients = frozenset(c.lower() for c in allowed_clients)
        self._host = authority_host.rstrip("/")
        self._audiences = list(audiences)
        self._tenants = allowed_tenants
        self._scope = required_scope

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise NotSignedIn("malformed bearer token", code="invalid_token") from None
        if header.get("alg") != "RS256":
            raise NotSignedIn("only RS256 tokens are accepted", code="invalid_token")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise NotSignedIn("token without key id", code="invalid_token")
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise NotSignedIn("malformed bearer token", code="invalid_token") from None
        tid = str(unverified.get("tid", ""))
        if not _GUID.fullmatch(tid):
            raise NotSignedIn("token without a valid tenant", code="invalid_token")
        if tid not in self._tenants:
            raise NotSignedIn("tenant not allowed", code="invalid_token")
        key = await self._jwks.key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self._audiences,
                issuer=f"{self._host}/{tid}/v2.0",
                leeway=LEEWAY_S,
                options={"require": ["exp", "nbf", "iat", "iss", "aud", "tid", "oid"]},
            )
        except jwt.PyJWTError as err:
            raise NotSignedIn(
                f"invalid bearer token: {err.__class__.__name__}", code="invalid_token"
            ) from None
        scopes = str(claims.get("scp", "")).split()
        if self._scope not in scopes:
            raise Forbidden("the token lacks the required scope", code="insufficient_scope")
        # Which application asked for the token: ``azp`` in v2 tokens, ``appid`` in v1 (Entra
        # "Access token claims reference"). Only client apps the deployment names may call us; a
        # user consenting to some other app must not turn it into a cockpit client.
        client = str(claims.get("azp") or claims.get("appid") or "").lower()
        if client not in self._clients:
            raise Forbidden("the calling application is not allowed", code="client_not_allowed")
        roles = claims.get("roles", [])
        return Principal(
            kind="bearer",
            tenant_id=tid,
            object_id=str(claims["oid"]),
            roles=frozenset(str(r) for r in roles) if isinstance(roles, list) else frozenset(),
            assertion=token,
        )
