"""``client_assertion`` client authentication (``private_key_jwt``) at the token endpoint.

Two kinds of assertion, told apart by their header and issuer:
- **Certificate** (https://learn.microsoft.com/entra/identity-platform/certificate-credentials):
  ``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``; a JWT signed
  RS256 or PS256 whose header names a registered certificate by ``x5t`` (SHA-1) or ``x5t#S256``
  (SHA-256) thumbprint; claims ``aud`` = the token endpoint, ``iss`` = ``sub`` = the client id,
  ``exp``/``nbf`` in range and a ``jti``.
- **Federated** (workload-identity-federation; "Configure an application to trust a managed
  identity"): a token from a trusted issuer — here a managed-identity token this simulator issued
  for ``api://AzureADTokenExchange`` — whose ``iss``, ``sub`` and ``aud`` match one of the app's
  federated identity credentials.
AADSTS codes from https://learn.microsoft.com/entra/identity-platform/reference-error-codes:
50027 malformed JWT, 700016 unknown app, 700021 app id mismatch, 700023 audience, 700024 time
range, 700027 signature / unknown certificate, 700211/700212/700213 no matching federated record
(issuer / audience / subject).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt

from devstack.entra.credentials import Certificate
from devstack.entra.directory import App
from devstack.entra.errors import EntraError
from devstack.entra.state import Simulator

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_ALGORITHMS = ("RS256", "PS256")
_SIGNATURE_ONLY: jwt.types.Options = {
    "verify_aud": False,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
}


def _invalid_client(code: int, message: str) -> EntraError:
    return EntraError(error="invalid_client", code=code, message=message, status=401)


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise EntraError(
            error="invalid_request", code=50027, message=f"JWT token is invalid or malformed. {exc}"
        ) from exc
    return header, claims


def authenticate_assertion(
    sim: Simulator, app: App, form: Mapping[str, str], *, token_endpoints: set[str]
) -> None:
    """Raise the documented EntraError unless ``form`` carries a valid assertion for ``app``."""
    if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        raise EntraError(
            error="invalid_request",
            code=50027,
            message=f"client_assertion_type must be '{CLIENT_ASSERTION_TYPE}'.",
        )
    assertion = form.get("client_assertion", "")
    header, claims = _unverified(assertion)
    if "x5t" in header or "x5t#S256" in header:
        claims = _certificate(sim, app, assertion, header, token_endpoints)
    else:
        claims = _federated(sim, app, assertion, claims)
    _check_time(sim, claims)


def _verified(assertion: str, certificate: Certificate, header: dict[str, Any]) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            certificate.public_key,
            algorithms=list(_ALGORITHMS),
            # Audience and time are checked separately, against the simulator's clock.
            options=_SIGNATURE_ONLY,
        )
    except jwt.PyJWTError as exc:
        raise _invalid_client(
            700027,
            "Client assertion failed signature validation. [Reason - The provided signature value "
            f"did not match the expected signature value., Thumbprint of key used by client: "
            f"'{header.get('x5t#S256') or header.get('x5t')}']",
        ) from exc
    return claims


def _certificate(
    sim: Simulator, app: App, assertion: str, header: dict[str, Any], endpoints: set[str]
) -> dict[str, Any]:
    if header.get("alg") not in _ALGORITHMS:
        raise _invalid_client(
            700027,
            f"Client assertion failed signature validation. [Reason - unsupported algorithm {header.get('alg')!r}.]",
        )
    certificate = sim.credentials.certificate(
        app.client_id, x5t=header.get("x5t"), x5t_s256=header.get("x5t#S256")
    )
    if certificate is None:
        thumbprint = header.get("x5t#S256") or header.get("x5t")
        raise _invalid_client(
            700027,
            "Client assertion failed signature validation. [Reason - The key was not found., "
            f"Thumbprint of key used by client: '{thumbprint}', Please visit the Microsoft Entra "
            f"admin center to upload the certificate for app '{app.client_id}'.]",
        )
    claims = _verified(assertion, certificate, header)
    if claims.get("aud") not in endpoints:
        raise _invalid_client(
            700023,
            "Client assertion audience claim does not match Realm issuer. Review the "
            "documentation at https://aka.ms/certCreds . Provided audience: "
            f"'{claims.get('aud')}'",
        )
    if not claims.get("jti"):
        raise EntraError(
            error="invalid_request",
            code=50027,
            message="JWT token is invalid or malformed. The jti claim is missing.",
        )
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        raise _invalid_client(
            700021, "Client assertion application identifier doesn't match 'client_id' parameter."
        )
    return claims


def _federated(sim: Simulator, app: App, assertion: str, claims: dict[str, Any]) -> dict[str, Any]:
    records = sim.credentials.federated.get(app.client_id, [])
    issuer = claims.get("iss")
    own = sim.urls.issuer_v2(app.tenant)
    trusted = [r for r in records if (r.issuer or own) == issuer]
    if not trusted:
        raise _invalid_client(
            700211,
            f"No matching federated identity record found for presented assertion issuer '{issuer}'.",
        )
    header = jwt.get_unverified_header(assertion)
    key = sim.keys.find(str(header.get("kid", "")))
    if key is None or issuer != own:
        # Only this simulator's own issuer can be verified here (its keys are the ones it signs with).
        raise _invalid_client(
            700027,
            "Client assertion failed signature validation. [Reason - The key was not found.]",
        )
    try:
        verified: dict[str, Any] = jwt.decode(
            assertion,
            key.public_key,
            algorithms=["RS256"],
            # Audience and time are checked separately, against the simulator's clock.
            options=_SIGNATURE_ONLY,
        )
    except jwt.PyJWTError as exc:
        raise _invalid_client(700027, "Client assertion failed signature validation.") from exc
    audience = verified.get("aud")
    matching_audience = [r for r in trusted if audience in r.audiences]
    if not matching_audience:
        raise _invalid_client(
            700212,
            f"No matching federated identity record found for presented assertion audience '{audience}'.",
        )
    subject = verified.get("sub")
    if not any(r.subject == subject for r in matching_audience):
        raise _invalid_client(
            700213,
            f"No matching federated identity record found for presented assertion subject '{subject}'.",
        )
    return verified


def _check_time(sim: Simulator, claims: dict[str, Any]) -> None:
    now = sim.now()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    skew = 300  # Entra tolerates five minutes of clock skew on assertions (UNCONFIRMED figure).
    if (
        not isinstance(exp, int | float)
        or exp + skew <= now
        or (isinstance(nbf, int | float) and nbf - skew > now)
    ):
        raise _invalid_client(700024, "Client assertion is not within its valid time range.")
