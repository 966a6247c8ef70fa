"""Token contents: which claims Entra puts in v1/v2 access tokens and v2 ID tokens, and signing.

Claim sets follow the claims references; values Entra keeps opaque (``aio``, ``rh``) are random.
https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from devstack.entra.directory import App, ResourceServer, User
from devstack.entra.keys import SigningKey, b64url
from devstack.entra.state import Simulator

__all__ = ["TokenMinter", "client_info", "pairwise_sub"]


def pairwise_sub(tid: str, oid: str, app_id: str) -> str:
    """A stable per-application subject: Entra's ``sub`` differs per app for the same user.

    "The subject is a pairwise identifier that's unique to a particular application ID."
    https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference (sub)
    """
    digest = hashlib.sha256(f"{tid}|{oid}|{app_id}".encode()).digest()
    return b64url(digest)[:43]


def client_info(oid: str, tid: str) -> str:
    """MSAL's ``client_info``: base64url JSON ``{"uid": oid, "utid": tid}``.

    MSAL posts ``client_info=1`` and builds ``home_account_id`` = "{uid}.{utid}" from the answer
    (msal/token_cache.py, ``__parse_account``).
    """
    return b64url(json.dumps({"uid": oid, "utid": tid}, separators=(",", ":")).encode())


def _segment(value: Mapping[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _opaque() -> str:
    return b64url(secrets.token_bytes(24))


def _names(full_name: str) -> tuple[str, str]:
    given, _, family = full_name.partition(" ")
    return given, family


class TokenMinter:
    """Builds and signs tokens with the simulator's current key and clock."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim

    # --- signing -------------------------------------------------------------------------------

    def sign(self, claims: Mapping[str, Any], *, key: SigningKey | None = None) -> str:
        """RS256 JWS with header ``typ`` JWT and ``kid``; v1 tokens also carry ``x5t``.

        https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
        (Header claims: x5t "emitted only in v1.0 access tokens"). Signed by hand (RFC 7515)
        rather than with PyJWT, which refuses some claim types on encode: ``/_sim/mint`` must be
        able to sign whatever an attack test asks for.
        """
        signing_key = key or self._sim.keys.current
        header: dict[str, Any] = {"typ": "JWT", "alg": "RS256", "kid": signing_key.kid}
        if claims.get("ver") == "1.0":
            header["x5t"] = signing_key.kid
        signing_input = f"{_segment(header)}.{_segment(dict(claims))}".encode("ascii")
        signature = signing_key.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode('ascii')}.{b64url(signature)}"

    def _times(self, lifetime: int) -> dict[str, int]:
        now = int(self._sim.now())
        return {"iat": now, "nbf": now, "exp": now + lifetime}

    # --- claim sets ----------------------------------------------------------------------------

    def user_access_claims(
        self,
        *,
        server: ResourceServer,
        audience: str,
        scp: tuple[str, ...],
        user: User,
        client: App,
        session_id: str | None,
    ) -> dict[str, Any]:
        """A delegated (app + user) access token for ``server``."""
        tid = user.tenant
        roles = server.app.roles_for([user.oid], member_type="User") if server.app else []
        acr = "0" if client.is_public_client else "1"
        claims: dict[str, Any] = {"aud": audience}
        if server.token_version == 2:
            claims.update(
                iss=self._sim.urls.issuer_v2(tid),
                **self._times(self._sim.config.access_token_lifetime),
                aio=_opaque(),
                azp=client.client_id,
                azpacr=acr,
                name=user.name,
                oid=user.oid,
                preferred_username=user.username,
                rh=_opaque(),
            )
        else:
            given, family = _names(user.name)
            claims.update(
                iss=self._sim.urls.issuer_v1(tid),
                **self._times(self._sim.config.access_token_lifetime),
                acr="1",
                aio=_opaque(),
                amr=["pwd"],
                appid=client.client_id,
                appidacr=acr,
                family_name=family,
                given_name=given,
                name=user.name,
                oid=user.oid,
                rh=_opaque(),
            )
        if roles:
            claims["roles"] = roles
        claims["scp"] = " ".join(scp)
        if session_id and server.token_version == 2:
            claims["sid"] = session_id
        claims["sub"] = pairwise_sub(tid, user.oid, server.app_id)
        claims["tid"] = tid
        if server.token_version == 1:
            claims["unique_name"] = user.username
            claims["upn"] = user.username
        claims["uti"] = _opaque()[:22]
        claims["ver"] = "2.0" if server.token_version == 2 else "1.0"
        return claims

    def app_access_claims(
        self, *, server: ResourceServer, audience: str, client: App, tid: str
    ) -> dict[str, Any]:
        """An app-only (client credentials) access token: ``roles``, ``idtyp`` app, no ``scp``.

        https://learn.microsoft.com/entra/identity-platform/claims-validation (idtyp, roles)
        """
        roles = (
            server.app.roles_for(
                [client.client_id, client.service_principal_object_id], member_type="Application"
            )
            if server.app
            else []
        )
        sp_oid = client.service_principal_object_id
        claims: dict[str, Any] = {"aud": audience}
        if server.token_version == 2:
            claims.update(
                iss=self._sim.urls.issuer_v2(tid),
                **self._times(self._sim.config.access_token_lifetime),
                aio=_opaque(),
                azp=client.client_id,
                azpacr="1",
                idtyp="app",
                oid=sp_oid,
                rh=_opaque(),
            )
        else:
            claims.update(
                iss=self._sim.urls.issuer_v1(tid),
                **self._times(self._sim.config.access_token_lifetime),
                aio=_opaque(),
                appid=client.client_id,
                appidacr="1",
                idp=self._sim.urls.issuer_v1(tid),
                idtyp="app",
                oid=sp_oid,
                rh=_opaque(),
            )
        if roles:
            claims["roles"] = roles
        # For an app-only token the subject is the service principal itself.
        claims["sub"] = sp_oid
        claims["tid"] = tid
        claims["uti"] = _opaque()[:22]
        claims["ver"] = "2.0" if server.token_version == 2 else "1.0"
        return claims

    def id_claims(
        self,
        *,
        client: App,
        user: User,
        nonce: str | None,
        session_id: str | None,
        auth_time: int | None,
    ) -> dict[str, Any]:
        """A v2 ID token for ``client``; ``nonce`` is echoed (MSAL checks it)."""
        tid = user.tenant
        claims: dict[str, Any] = {
            "aud": client.client_id,
            "iss": self._sim.urls.issuer_v2(tid),
            **self._times(self._sim.config.id_token_lifetime),
            "aio": _opaque(),
        }
        if auth_time is not None:
            # Only when the app sent max_age: MSAL then requires auth_time (OIDC Core 3.1.2.1).
            claims["auth_time"] = auth_time
        claims["name"] = user.name
        if nonce is not None:
            claims["nonce"] = nonce
        claims["oid"] = user.oid
        claims["preferred_username"] = user.username
        claims["rh"] = _opaque()
        roles = client.roles_for([user.oid], member_type="User")
        if roles:
            claims["roles"] = roles
        if session_id:
            claims["sid"] = session_id
        claims["sub"] = pairwise_sub(tid, user.oid, client.client_id)
        claims["tid"] = tid
        claims["uti"] = _opaque()[:22]
        claims["ver"] = "2.0"
        return claims
