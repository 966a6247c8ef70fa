"""Which Entra cloud, and the names one deployment gives its Entra objects.

- The token-exchange audience a managed-identity token must carry to be exchanged under a
  federated identity credential differs per cloud (Learn, "Configure an application to trust a
  managed identity": ``api://AzureADTokenExchange`` public, ``...USGov``, ``...China``); it is
  derived from the authority host the deployment uses (main.bicep takes it from
  ``environment().authentication.loginEndpoint``).
- Names are unique per deployment (subscription + resource group): two deployments that share an
  azd environment name in one tenant get two registrations and two credentials instead of
  re-pointing each other's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

__all__ = [
    "DYNAMICS_CRM_APP_ID",
    "MICROSOFT_GRAPH_APP_ID",
    "PUBLIC_AUTHORITY_HOST",
    "REQUIRED_SCOPES",
    "TOKEN_EXCHANGE_AUDIENCES",
    "SetupError",
    "deployment_token",
    "fic_name_for",
    "token_exchange_audience",
    "unique_name_for",
]


# Well-known first-party application ids (the same in every tenant).
DYNAMICS_CRM_APP_ID = "00000007-0000-0000-c000-000000000000"
MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

# Delegated scopes per resource. The permission ids differ per resource and are looked up from
# each resource's service principal (oauth2PermissionScopes) rather than hard-coded.
REQUIRED_SCOPES: Mapping[str, tuple[str, ...]] = {
    DYNAMICS_CRM_APP_ID: ("user_impersonation",),
    MICROSOFT_GRAPH_APP_ID: ("openid", "profile", "offline_access"),
}


class SetupError(RuntimeError):
    """Something the deployer has to fix; the message says what."""


PUBLIC_AUTHORITY_HOST = "https://login.microsoftonline.com"

# Keyed by the cloud's authority host. shared/settings.py holds the same table for the app side
# (the app asks for a managed-identity token with this audience); a test keeps the two equal.
TOKEN_EXCHANGE_AUDIENCES: Mapping[str, str] = {
    "login.microsoftonline.com": "api://AzureADTokenExchange",
    "login.microsoftonline.us": "api://AzureADTokenExchangeUSGov",
    "login.usgovcloudapi.net": "api://AzureADTokenExchangeUSGov",
    "login.chinacloudapi.cn": "api://AzureADTokenExchangeChina",
    "login.partner.microsoftonline.cn": "api://AzureADTokenExchangeChina",
}


def token_exchange_audience(authority_host: str) -> str:
    """The token-exchange audience of the cloud whose authority is ``authority_host``."""
    host = authority_host.strip().removeprefix("https://").split("/")[0].lower()
    try:
        return TOKEN_EXCHANGE_AUDIENCES[host]
    except KeyError:
        known = ", ".join(sorted(TOKEN_EXCHANGE_AUDIENCES))
        raise SetupError(
            f"Unknown Entra authority host {authority_host!r}: known clouds are {known}"
        ) from None


def deployment_token(*, subscription_id: str, resource_group: str) -> str:
    """Eight hex digits naming one deployment (subscription + resource group) in Entra names."""
    seed = f"{subscription_id.strip().lower()}/{resource_group.strip().lower()}"
    return hashlib.sha256(seed.encode()).hexdigest()[:8]


def unique_name_for(environment_name: str, token: str) -> str:
    """The registration's ``uniqueName`` (an alternate key Graph upserts on) for a deployment."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in environment_name.lower())
    return f"opportunity-cockpit-{cleaned}-{token}"


def fic_name_for(token: str) -> str:
    """The federated credential's name for a deployment (names are unique per application)."""
    return f"cockpit-function-app-{token}"
