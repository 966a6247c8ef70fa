"""The endpoints MSAL, azure-identity and token validators call on the https listener: v1 and v2
discovery, the JWKS, the v2 token endpoint, and a clear 404 for the v1 endpoints not simulated.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.entra.authorize import resolve_tenant
from devstack.entra.directory import Tenant
from devstack.entra.discovery import discovery_v1, discovery_v2
from devstack.entra.errors import EntraError
from devstack.entra.grants import TokenEndpoint, parse_basic
from devstack.entra.http_helpers import METADATA_HEADERS, TOKEN_HEADERS, json_error, read_form
from devstack.entra.request_log import note
from devstack.entra.state import Simulator
from devstack.entra.tokens import TokenMinter

__all__ = ["ProtocolRoutes"]


class ProtocolRoutes:
    """Discovery, keys and token handlers bound to one simulator."""

    def __init__(self, sim: Simulator, minter: TokenMinter) -> None:
        self.sim = sim
        self.token_endpoint = TokenEndpoint(sim, minter)

    def routes(self) -> list[Route]:
        v1_only = self.v1_not_simulated
        return [
            Route("/{tenant}/v2.0/.well-known/openid-configuration", self.openid_configuration_v2),
            Route("/{tenant}/.well-known/openid-configuration", self.openid_configuration_v1),
            Route("/{tenant}/discovery/v2.0/keys", self.keys_v2),
            Route("/{tenant}/discovery/keys", self.keys_v1),
            Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["GET", "POST"]),
            Route("/{tenant}/oauth2/token", v1_only, methods=["GET", "POST"]),
            Route("/{tenant}/oauth2/authorize", v1_only, methods=["GET", "POST"]),
            Route("/{tenant}/oauth2/v2.0/devicecode", v1_only, methods=["POST"]),
        ]

    # discovery and keys ---------------------------------------------------------------------

    def _tenant(self, request: Request) -> tuple[str, Tenant | None]:
        segment = str(request.path_params["tenant"])
        tenant = resolve_tenant(self.sim, segment)
        return (tenant.id if tenant else segment.lower()), tenant

    async def openid_configuration_v2(self, request: Request) -> Response:
        """v2 discovery, shaped like Entra's (endpoints, issuer, keys, supported values).

        For organizations/common the issuer is the template with a literal ``{tenantid}``.
        https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc (Fetch the OpenID
        configuration document); https://learn.microsoft.com/entra/identity-platform/access-tokens
        (Validate the issuer)
        """
        try:
            segment, tenant = self._tenant(request)
        except EntraError as exc:
            return json_error(request, exc)
        doc = discovery_v2(self.sim.urls, segment, tenant)
        return JSONResponse(doc, headers=METADATA_HEADERS)

    async def openid_configuration_v1(self, request: Request) -> Response:
        """v1 discovery: issuer ``https://sts.windows.net/{tid}/`` and the common v1 keys.

        Validators of v1 tokens (Dataverse's) read this document, not the v2 one.
        https://learn.microsoft.com/entra/identity-platform/access-tokens (v1.0 and v2.0 tokens)
        """
        try:
            segment, tenant = self._tenant(request)
        except EntraError as exc:
            return json_error(request, exc)
        doc = discovery_v1(self.sim.urls, segment, tenant)
        return JSONResponse(doc, headers=METADATA_HEADERS)

    async def keys_v2(self, request: Request) -> Response:
        """v2 JWKS; each key names the issuers it signs for (the ``{tenantid}`` template).

        https://learn.microsoft.com/entra/identity-platform/access-tokens (Validate the signing
        key issuer)
        """
        try:
            self._tenant(request)
        except EntraError as exc:
            return json_error(request, exc)
        issuer = f"{self.sim.urls.https_base}/{{tenantid}}/v2.0"
        keys = [key.jwk(issuer=issuer) for key in self.sim.keys.published]
        return JSONResponse({"keys": keys}, headers=METADATA_HEADERS)

    async def keys_v1(self, request: Request) -> Response:
        """v1 JWKS (``/common/discovery/keys``): the same keys, without the issuer property."""
        try:
            self._tenant(request)
        except EntraError as exc:
            return json_error(request, exc)
        keys = [key.jwk(issuer=None) for key in self.sim.keys.published]
        return JSONResponse({"keys": keys}, headers=METADATA_HEADERS)

    async def v1_not_simulated(self, request: Request) -> Response:
        return JSONResponse(
            {
                "error": "not_simulated",
                "message": "The Entra ID simulator implements the v2.0 endpoints only "
                "(/oauth2/v2.0/authorize, /oauth2/v2.0/token, /oauth2/v2.0/logout).",
            },
            status_code=404,
        )

    # token ----------------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        try:
            if request.method != "POST":
                raise EntraError.post_only(request.method)
            form = await read_form(request)
            try:
                basic = parse_basic(request.headers.get("authorization"))
            except EntraError:
                basic = None
            note(
                request,
                grant_type=form.get("grant_type"),
                client_id=form.get("client_id") or (basic[0] if basic else None),
                scope=form.get("scope"),
            )
            body = self.token_endpoint.handle(
                tenant_segment=str(request.path_params["tenant"]),
                form=form,
                authorization=request.headers.get("authorization"),
            )
        except EntraError as exc:
            return json_error(request, exc)
        return JSONResponse(body, headers=TOKEN_HEADERS)
