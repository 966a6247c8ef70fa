"""The OpenID Connect discovery documents (v2 and v1), shaped like Entra's.

https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc ("Fetch the OpenID
configuration document" and its sample response): besides the endpoints, Entra publishes
``userinfo_endpoint``, ``device_authorization_endpoint``, ``kerberos_endpoint``,
``cloud_instance_name``, ``cloud_graph_host_name``, ``msgraph_host`` and ``rbac_url``. For
organizations/common the issuer is the template with a literal ``{tenantid}``
(https://learn.microsoft.com/entra/identity-platform/access-tokens, "Validate the issuer").
Endpoints point at this simulator; the device-code and Kerberos endpoints are listed as Entra
lists them but not simulated (README).
"""

from __future__ import annotations

from typing import Any

from devstack.entra.directory import Tenant
from devstack.entra.state import Urls

_CLAIMS_V2 = [
    "sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
    "name", "tid", "ver", "at_hash", "c_hash", "email",
]  # fmt: skip
_CLAIMS_V1 = [
    "sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email",
    "given_name", "family_name", "nickname",
]  # fmt: skip
_AUTH_METHODS = ["client_secret_post", "private_key_jwt", "client_secret_basic"]


def _cloud(tenant: Tenant | None) -> dict[str, Any]:
    return {
        "tenant_region_scope": "WW" if tenant else None,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


def discovery_v2(urls: Urls, segment: str, tenant: Tenant | None) -> dict[str, Any]:
    https, http = f"{urls.https_base}/{segment}", f"{urls.http_base}/{segment}"
    issuer = urls.issuer_v2(tenant.id) if tenant else f"{urls.https_base}/{{tenantid}}/v2.0"
    return {
        "token_endpoint": f"{https}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": _AUTH_METHODS,
        "jwks_uri": f"{https}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": False,
        # Entra's value is https://graph.microsoft.com/oidc/userinfo; the simulator serves it.
        "userinfo_endpoint": f"{urls.https_base}/oidc/userinfo",
        "authorization_endpoint": f"{http}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{https}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{http}/oauth2/v2.0/logout",
        "claims_supported": _CLAIMS_V2,
        "kerberos_endpoint": f"{https}/kerberos",
        **_cloud(tenant),
    }


def discovery_v1(urls: Urls, segment: str, tenant: Tenant | None) -> dict[str, Any]:
    """v1 discovery: issuer ``https://sts.windows.net/{tid}/`` and the common v1 keys (what a
    v1-token validator such as Dataverse reads)."""
    https, http = f"{urls.https_base}/{segment}", f"{urls.http_base}/{segment}"
    return {
        "token_endpoint": f"{https}/oauth2/token",
        "token_endpoint_auth_methods_supported": _AUTH_METHODS,
        "jwks_uri": f"{urls.https_base}/common/discovery/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": [
            "code",
            "id_token",
            "code id_token",
            "token id_token",
            "token",
        ],
        "scopes_supported": ["openid"],
        "issuer": urls.issuer_v1(tenant.id) if tenant else "https://sts.windows.net/{tenantid}/",
        "microsoft_multi_refresh_token": True,
        "authorization_endpoint": f"{http}/oauth2/authorize",
        "device_authorization_endpoint": f"{https}/oauth2/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{http}/oauth2/logout",
        "claims_supported": _CLAIMS_V1,
        "kerberos_endpoint": f"{https}/kerberos",
        **_cloud(tenant),
    }
