"""The on-behalf-of grant's user assertion: checked the way Entra checks it.

https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow: the assertion is
an access token issued by Entra (here: signed by a published simulator key, from a seeded
tenant's issuer), valid now, whose audience is the middle tier presenting it (client id or an App
ID URI), and of a user — app-only tokens cannot be exchanged ("Client limitations").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jwt

from devstack.entra.directory import App
from devstack.entra.errors import EntraError
from devstack.entra.state import Simulator

__all__ = ["verify_user_assertion"]


def verify_user_assertion(sim: Simulator, assertion: str, client: App) -> dict[str, Any]:
    """Check an OBO assertion: our signature, our issuer, in time, for this client, a user."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise EntraError.assertion_invalid(f"Assertion is malformed: {exc}") from exc
    if header.get("alg") != "RS256":
        raise EntraError.assertion_invalid(
            f"Assertion failed signature validation. [Reason - unsupported algorithm "
            f"{header.get('alg')!r}.]"
        )
    kid = header.get("kid")
    key = sim.keys.find(kid) if isinstance(kid, str) else None
    if key is None:
        raise EntraError.assertion_invalid(
            "Assertion failed signature validation. [Reason - The key was not found., "
            f"Thumbprint of key used by client: '{kid}']"
        )
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key.public_key,
            algorithms=["RS256"],
            # Time and audience are checked below against the simulator's own clock.
            options={
                "verify_aud": False,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_iss": False,
            },
        )
    except jwt.InvalidSignatureError as exc:
        raise EntraError.assertion_invalid(
            "Assertion failed signature validation. [Reason - The provided signature value "
            "did not match the expected signature value.]"
        ) from exc
    except jwt.PyJWTError as exc:
        raise EntraError.assertion_invalid(f"Assertion is malformed: {exc}") from exc
    _check_claims(sim, claims, client)
    return claims


def _check_claims(sim: Simulator, claims: dict[str, Any], client: App) -> None:
    """Issuer, time window, audience (the middle tier) and a user principal."""
    tid = claims.get("tid")
    issuers = (
        (sim.urls.issuer_v2(tid), sim.urls.issuer_v1(tid))
        if isinstance(tid, str) and sim.directory.tenant(tid) is not None
        else ()
    )
    if claims.get("iss") not in issuers:
        raise EntraError.assertion_invalid(
            f"Assertion is invalid: the token issuer '{claims.get('iss')}' is not trusted."
        )
    now = sim.now()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if (
        not isinstance(exp, int | float)
        or exp <= now
        or (isinstance(nbf, int | float) and nbf > now)
    ):
        raise EntraError.assertion_out_of_time(
            datetime.fromtimestamp(now, UTC).isoformat(),
            datetime.fromtimestamp(exp, UTC).isoformat()
            if isinstance(exp, int | float)
            else "(none)",
        )
    audience = claims.get("aud")
    accepted = {client.client_id, *(uri.casefold() for uri in client.identifier_uris)}
    if not isinstance(audience, str) or audience.casefold() not in accepted:
        raise EntraError.assertion_invalid(
            "Assertion audience does not match the Client app presenting the assertion. The "
            f"audience in the assertion was '{audience}' and the expected audience is "
            f"'{client.client_id}' or one of the Application Uris of this application with "
            f"App ID '{client.client_id}'({client.display_name})."
        )
    if claims.get("idtyp") == "app" or "scp" not in claims:
        # OBO "only works for user principals" (v2-oauth2-on-behalf-of-flow, Client
        # limitations); an app-only token (no scp, idtyp app) is refused.
        raise EntraError.app_only_obo(client.client_id)
