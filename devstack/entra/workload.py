"""Workload identities around the token endpoint: the managed-identity endpoint, userinfo and the
control call that uploads an app certificate.

- Managed identity, App Service / Azure Functions flavour
  (https://learn.microsoft.com/azure/app-service/overview-managed-identity, "REST endpoint
  reference"): ``GET {IDENTITY_ENDPOINT}?resource=…&api-version=2019-08-01[&client_id=…]`` with
  header ``X-IDENTITY-HEADER: {IDENTITY_HEADER}``; the answer is
  ``{"access_token", "expires_on", "resource", "token_type", "client_id"}`` (expires_on in epoch
  seconds). azure-identity's ``ManagedIdentityCredential`` uses exactly this when both variables
  are set. The token for ``api://AzureADTokenExchange`` is the assertion a federated identity
  credential accepts (workload-identity-federation-config-app-trust-managed-identity).
- userinfo (https://learn.microsoft.com/entra/identity-platform/userinfo): ``GET`` with the access
  token an OIDC-only sign-in returns (audience Microsoft Graph) → ``sub``, ``name``,
  ``family_name``, ``given_name``, ``email``.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.entra.credentials import TOKEN_EXCHANGE_AUDIENCE, Certificate
from devstack.entra.directory import SeedError
from devstack.entra.state import Simulator
from devstack.entra.tokens import TokenMinter, pairwise_sub

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
API_VERSION = "2019-08-01"


def _msi_error(status: int, message: str) -> JSONResponse:
    # App Service's endpoint answers errors as {"statusCode", "message"} (shape UNCONFIRMED).
    return JSONResponse({"statusCode": status, "message": message}, status_code=status)


class WorkloadRoutes:
    def __init__(self, sim: Simulator, minter: TokenMinter) -> None:
        self.sim = sim
        self.minter = minter

    async def managed_identity_token(self, request: Request) -> Response:
        sim = self.sim
        expected = sim.identity_header
        given = request.headers.get("x-identity-header", "")
        if expected is None:
            return _msi_error(404, "No managed identity endpoint is configured.")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _msi_error(401, "The X-IDENTITY-HEADER header is missing or wrong.")
        params = request.query_params
        if params.get("api-version") != API_VERSION:
            return _msi_error(400, f"api-version must be {API_VERSION}.")
        identity = sim.credentials.identity(params.get("client_id"))
        if identity is None:
            return _msi_error(400, "No managed identity with that client_id is assigned.")
        resource = (params.get("resource") or "").rstrip("/")
        if resource.removesuffix("/.default") != TOKEN_EXCHANGE_AUDIENCE:
            return _msi_error(
                400,
                f"The simulator issues managed-identity tokens for {TOKEN_EXCHANGE_AUDIENCE} only.",
            )
        now = int(sim.now())
        lifetime = sim.config.access_token_lifetime
        claims: dict[str, Any] = {
            "aud": TOKEN_EXCHANGE_AUDIENCE,
            "iss": sim.urls.issuer_v2(identity.tenant),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "azp": identity.client_id,
            "azpacr": "2",
            "idtyp": "app",
            "oid": identity.principal_id,
            "sub": identity.principal_id,
            "tid": identity.tenant,
            "uti": secrets.token_urlsafe(16),
            "ver": "2.0",
        }
        return JSONResponse(
            {
                "access_token": self.minter.sign(claims),
                "expires_on": str(now + lifetime),
                "resource": TOKEN_EXCHANGE_AUDIENCE,
                "token_type": "Bearer",
                "client_id": identity.client_id,
            },
            headers={"Cache-Control": "no-store"},
        )

    async def userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        if scheme.lower() != "bearer" or not token:
            return JSONResponse({"error": "invalid_token"}, status_code=401, headers=challenge)
        try:
            kid = jwt.get_unverified_header(token).get("kid", "")
            key = self.sim.keys.find(str(kid))
            if key is None:
                raise jwt.InvalidTokenError("unknown key")
            claims = jwt.decode(token, key.public_key, algorithms=["RS256"], audience=GRAPH_APP_ID)
        except jwt.PyJWTError:
            return JSONResponse({"error": "invalid_token"}, status_code=401, headers=challenge)
        user = self.sim.directory.users.get(str(claims.get("oid", "")))
        if user is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401, headers=challenge)
        given, _, family = user.name.partition(" ")
        return JSONResponse(
            {
                "sub": pairwise_sub(user.tenant, user.oid, str(claims.get("azp") or "")),
                "name": user.name,
                "family_name": family,
                "given_name": given,
                "email": user.username,
            }
        )

    async def add_certificate(self, request: Request) -> Response:
        """``POST /_sim/apps/{client_id}/certificates`` with ``{"pem": …}`` (portal upload)."""
        client_id = str(request.path_params["client_id"]).lower()
        if self.sim.directory.app(client_id) is None:
            return JSONResponse({"error": "not_found", "message": "no such app"}, status_code=404)
        body = await request.json()
        try:
            certificate = Certificate.from_pem(str(body.get("pem", "")))
        except (SeedError, AttributeError) as exc:
            return JSONResponse({"error": "invalid_request", "message": str(exc)}, status_code=400)
        self.sim.credentials.add_certificate(client_id, certificate)
        return JSONResponse(
            {"client_id": client_id, "x5t": certificate.x5t, "x5t#S256": certificate.x5t_s256}
        )

    def routes(self) -> tuple[list[Route], list[Route]]:
        """(routes on both listeners, control routes on https only)."""
        both = [
            Route("/msi/token", self.managed_identity_token),
            Route("/oidc/userinfo", self.userinfo, methods=["GET", "POST"]),
        ]
        control = [
            Route("/_sim/apps/{client_id}/certificates", self.add_certificate, methods=["POST"])
        ]
        return both, control
