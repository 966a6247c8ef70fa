"""The org half of ``scripts/dataverse_setup.py``: what Dataverse says the org is called, the
cockpit URL in the solution's environment variable, and the app setting that lists the org.

Why: Dynamics passes the org's *unique name* as ``orgname`` ("Use IFRAME and web resource
controls on a form"), which often differs from the first DNS label of the org URL (its *URL
name*). Asking Dataverse for both, instead of deriving one from the URL, lets the cockpit
recognise the org whichever one arrives (CrmOrg.answers_to).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from scripts.azcli import AzCliError, az, azd_env_set, say
from shared.domain.dynamics_solution import COCKPIT_URL_VARIABLE, VALUE_RELATIONSHIP

__all__ = [
    "ORG_QUERY",
    "OrgIdentity",
    "add_org_arguments",
    "configure_org_identity",
    "crm_orgs_with_identity",
    "retrieve_org_identity",
    "set_cockpit_url",
    "update_function_app",
]

# EndpointAccessType 'Default': https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/endpointaccesstype
ORG_QUERY = (
    "/RetrieveCurrentOrganization(AccessType=@p1)"
    "?@p1=Microsoft.Dynamics.CRM.EndpointAccessType'Default'"
)
ORGS_SETTING = "COCKPIT_CRM_ORGS"


class Caller(Protocol):
    """The Web API call ``dataverse_setup._Api.call`` offers (status >= 400 raises)."""

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        representation: bool = False,
    ) -> Any: ...


@dataclass(frozen=True)
class OrgIdentity:
    """``UniqueName`` (what Dynamics passes as orgname) and ``UrlName`` of the org."""

    unique_name: str
    url_name: str


def retrieve_org_identity(api: Caller) -> OrgIdentity:
    """RetrieveCurrentOrganization → OrganizationDetail.UniqueName / UrlName
    (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/organizationdetail)."""
    answer = api.call("GET", ORG_QUERY)
    detail = answer.get("Detail", {}) if isinstance(answer, dict) else {}
    unique_name, url_name = detail.get("UniqueName"), detail.get("UrlName")
    if not isinstance(unique_name, str) or not unique_name or not isinstance(url_name, str):
        raise ValueError(
            f"RetrieveCurrentOrganization answered without UniqueName/UrlName: {detail}"
        )
    return OrgIdentity(unique_name=unique_name, url_name=url_name)


def set_cockpit_url(api: Caller, *, cockpit_url: str) -> str:
    """Make the solution's environment variable hold ``cockpit_url``; returns what it did."""
    answer = api.call(
        "GET",
        "/environmentvariabledefinitions?$select=environmentvariabledefinitionid"
        f"&$filter=schemaname eq '{COCKPIT_URL_VARIABLE}'"
        f"&$expand={VALUE_RELATIONSHIP}($select=environmentvariablevalueid,value)",
    )
    definitions = answer.get("value", []) if isinstance(answer, dict) else []
    if not definitions:
        return (
            f"environment variable {COCKPIT_URL_VARIABLE} not found: import the solution "
            "(crm/SETUP.md), then run this again or set it at import"
        )
    definition = definitions[0]
    values = definition.get(VALUE_RELATIONSHIP) or []
    if values:
        current = values[0]
        if current.get("value") == cockpit_url:
            return f"{COCKPIT_URL_VARIABLE} already {cockpit_url}"
        api.call(
            "PATCH",
            f"/environmentvariablevalues({current['environmentvariablevalueid']})",
            {"value": cockpit_url},
        )
        return f"{COCKPIT_URL_VARIABLE} changed to {cockpit_url}"
    definition_id = definition["environmentvariabledefinitionid"]
    api.call(
        "POST",
        "/environmentvariablevalues",
        {
            "schemaname": COCKPIT_URL_VARIABLE,
            "value": cockpit_url,
            "EnvironmentVariableDefinitionId@odata.bind": (
                f"/environmentvariabledefinitions({definition_id})"
            ),
        },
    )
    return f"{COCKPIT_URL_VARIABLE} set to {cockpit_url}"


def _https_url(value: str) -> str:
    if not value.startswith("https://"):
        raise argparse.ArgumentTypeError(f"must be an https URL, not {value!r}")
    return value.rstrip("/")


def add_org_arguments(parser: argparse.ArgumentParser) -> None:
    """``--cockpit-url``, ``--function-app``, ``--resource-group``; azd puts its outputs into a
    hook's environment, so they default from there (outside azd, pass them explicitly)."""
    env = os.environ.get
    parser.add_argument(
        "--cockpit-url",
        type=_https_url,
        default=env("COCKPIT_PUBLIC_BASE_URL") or None,
        help=f"value for {COCKPIT_URL_VARIABLE} (default: $COCKPIT_PUBLIC_BASE_URL)",
    )
    parser.add_argument("--function-app", default=env("AZURE_FUNCTION_APP_NAME") or None)
    parser.add_argument("--resource-group", default=env("AZURE_RESOURCE_GROUP") or None)


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def crm_orgs_with_identity(setting: str, *, org_url: str, identity: OrgIdentity) -> str:
    """``COCKPIT_CRM_ORGS`` (JSON) with ``unique_name``/``url_name`` on the entry for ``org_url``.

    The entry's ``name`` stays as it is: stored project keys contain it.
    """
    entries = json.loads(setting)
    if not isinstance(entries, list):
        raise ValueError(f"{ORGS_SETTING} is not a JSON list")
    matched = 0
    for entry in entries:
        if isinstance(entry, dict) and _origin(str(entry.get("url", ""))) == _origin(org_url):
            entry["unique_name"] = identity.unique_name
            entry["url_name"] = identity.url_name
            matched += 1
    if matched == 0:
        raise ValueError(f"{ORGS_SETTING} has no entry for {org_url}")
    return json.dumps(entries, separators=(",", ":"))


def update_function_app(
    az: Callable[..., str],
    *,
    app_name: str,
    resource_group: str,
    org_url: str,
    identity: OrgIdentity,
) -> str:
    """Rewrite the Function App's ``COCKPIT_CRM_ORGS`` with the org's identity (``az`` runs the
    Azure CLI: ``functionapp config appsettings list/set``)."""
    target = ["--name", app_name, "--resource-group", resource_group]
    current = az(
        "functionapp",
        "config",
        "appsettings",
        "list",
        *target,
        "--query",
        f"[?name=='{ORGS_SETTING}'].value | [0]",
        "--output",
        "tsv",
    ).strip()
    if not current:
        raise ValueError(f"{app_name} has no app setting {ORGS_SETTING}")
    updated = crm_orgs_with_identity(current, org_url=org_url, identity=identity)
    if updated == json.dumps(json.loads(current), separators=(",", ":")):
        return f"{ORGS_SETTING} already names {identity.unique_name} / {identity.url_name}"
    az(
        "functionapp",
        "config",
        "appsettings",
        "set",
        *target,
        "--settings",
        f"{ORGS_SETTING}={updated}",
        "--output",
        "none",
    )
    return f"{ORGS_SETTING} now answers to {identity.unique_name} and {identity.url_name}"


def configure_org_identity(
    args: argparse.Namespace, *, org_url: str, identity: OrgIdentity
) -> None:
    """Record the org's identity where the cockpit's configuration comes from: the running
    Function App's COCKPIT_CRM_ORGS (``args.function_app``/``args.resource_group``, see
    :func:`add_org_arguments`) and, under azd, the azd environment (for the next provision)."""
    function_app, resource_group = args.function_app, args.resource_group
    say(f"  Dataverse org: unique name {identity.unique_name!r}, URL name {identity.url_name!r}.")
    if os.environ.get("AZURE_ENV_NAME"):
        azd_env_set("COCKPIT_CRM_ORG_UNIQUE_NAME", identity.unique_name)
        azd_env_set("COCKPIT_CRM_ORG_URL_NAME", identity.url_name)
    if not (function_app and resource_group):
        say(
            f'  Add "unique_name": "{identity.unique_name}", "url_name": "{identity.url_name}" '
            f"to this org's entry in {ORGS_SETTING}."
        )
        return
    try:
        outcome = update_function_app(
            az,
            app_name=function_app,
            resource_group=resource_group,
            org_url=org_url,
            identity=identity,
        )
    except (AzCliError, ValueError) as error:
        raise SystemExit(f"Could not update {function_app}: {error}") from None
    say(f"  {function_app}: {outcome}.")
