"""The Dataverse side of the background writes: an application user for the cockpit's app
registration, and a least-privilege security role for it, through the Dataverse Web API.

Why: the outbox timer retries a write-back without the rep present. It signs in as the app
(client credentials with the managed-identity assertion, scope ``<org>/.default``) and sends
``CallerObjectId: <rep's Entra object id>`` so the write is still made *as the rep*. Dataverse then
applies the **intersection** of the app user's and the rep's privileges, and the app user needs
``prvActOnBehalfOfAnotherUser``, assigned **directly** to it (not through a team)
(https://learn.microsoft.com/power-apps/developer/data-platform/impersonate-another-user,
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api).

The role "Opportunity Cockpit background writer" holds, at organization (Global) depth:

- ``prvActOnBehalfOfAnotherUser``: impersonate the rep (documented requirement);
- ``prvReadOpportunity`` / ``prvWriteOpportunity``: re-read the opportunity's ETag and PATCH the
  score; the rep's own privileges still bound what happens (intersection);
- ``prvReadUser``: look up the impersonated user (assumption: not documented as required, but
  harmless and commonly needed; drop it with ``--no-default-privileges`` if your policy says so).

Add more with ``--privilege prvName[:Depth]`` if Dataverse answers 403 naming another privilege
(e.g. a custom write-back column on a table of its own).

It also records the org's unique name and URL name and sets the Cockpit URL environment
variable (scripts/dataverse_org.py).

Web API calls (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/overview):
root business unit ``GET businessunits?$filter=_parentbusinessunitid_value eq null``; role
``POST roles`` + ``AddPrivilegesRole``; application user ``POST systemusers`` with ``applicationid``
and ``businessunitid@odata.bind``; assignment ``POST systemusers(<id>)/systemuserroles_association/$ref``.
Must run as a Dataverse System Administrator. If your tenant blocks creating application users
through the Web API, create it in the Power Platform admin center instead (docs/deploy.md) and
re-run: the script then only creates and assigns the role.

Run: ``python -m scripts.dataverse_setup --org-url https://contoso.crm4.dynamics.com --app-id <id>``.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from scripts.azcli import AzCliError, az, say
from scripts.dataverse_org import (
    OrgIdentity,
    add_org_arguments,
    configure_org_identity,
    retrieve_org_identity,
    set_cockpit_url,
)

__all__ = [
    "API_PATH",
    "DEFAULT_PRIVILEGES",
    "DEFAULT_ROLE_NAME",
    "DataverseError",
    "OrgIdentity",
    "SetupResult",
    "Transport",
    "main",
    "parse_privilege",
    "setup",
    "urllib_transport",
]

API_PATH = "/api/data/v9.2"
_URL_SAFE = "/?$=&(),'@:*.-_~"
DEFAULT_ROLE_NAME = "Opportunity Cockpit background writer"
DEPTHS = ("Basic", "Local", "Deep", "Global")  # Microsoft.Dynamics.CRM.PrivilegeDepth
DEFAULT_PRIVILEGES: tuple[tuple[str, str], ...] = (
    ("prvActOnBehalfOfAnotherUser", "Global"),
    ("prvReadOpportunity", "Global"),
    ("prvWriteOpportunity", "Global"),
    ("prvReadUser", "Global"),
)


class Transport(Protocol):
    """One Web API request relative to ``<org>/api/data/v9.2``; returns (status, parsed body)."""

    def __call__(
        self, method: str, path: str, body: Mapping[str, Any] | None, headers: Mapping[str, str]
    ) -> tuple[int, Any]: ...


class DataverseError(RuntimeError):
    """Dataverse refused a request; the message carries its error code and text."""


@dataclass
class SetupResult:
    """What ``setup`` found or changed."""

    business_unit_id: str = ""
    role_id: str = ""
    user_id: str = ""
    identity: OrgIdentity | None = None
    created: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_privilege(text: str) -> tuple[str, str]:
    """``prvName`` or ``prvName:Depth`` (Depth one of Basic, Local, Deep, Global)."""
    name, _, depth = text.partition(":")
    depth = depth or "Global"
    if not name.startswith("prv") or depth not in DEPTHS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected prvName or prvName:{'|'.join(DEPTHS)}"
        )
    return name, depth


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _Api:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        representation: bool = False,
    ) -> Any:
        headers = {
            "Accept": "application/json",
            "OData-Version": "4.0",
            "OData-MaxVersion": "4.0",
        }
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        if representation:
            headers["Prefer"] = "return=representation"
        status, answer = self._transport(method, path, body, headers)
        if status >= 400:
            error = (answer or {}).get("error", {}) if isinstance(answer, dict) else {}
            raise DataverseError(
                f"{method} {path.split('?')[0]} -> {status} {error.get('code', '')}: "
                f"{error.get('message', 'no error text')}"
            )
        return answer


def _root_business_unit(api: _Api) -> str:
    answer = api.call(
        "GET", "/businessunits?$select=businessunitid&$filter=_parentbusinessunitid_value eq null"
    )
    units = answer.get("value", [])
    if len(units) != 1:
        raise DataverseError(f"expected one root business unit, found {len(units)}")
    return str(units[0]["businessunitid"])


def _ensure_role(api: _Api, *, name: str, business_unit_id: str, result: SetupResult) -> str:
    answer = api.call(
        "GET",
        f"/roles?$select=roleid,name&$filter=name eq {_odata_string(name)} "
        f"and _businessunitid_value eq {business_unit_id}",
    )
    found = answer.get("value", [])
    if found:
        return str(found[0]["roleid"])
    created = api.call(
        "POST",
        "/roles?$select=roleid",
        {
            "name": name,
            "description": "Opportunity Cockpit: retried write-backs as the rep (CallerObjectId).",
            "businessunitid@odata.bind": f"/businessunits({business_unit_id})",
        },
        representation=True,
    )
    result.created.append(f"security role {name!r}")
    return str(created["roleid"])


def _add_privileges(
    api: _Api, *, role_id: str, business_unit_id: str, privileges: Sequence[tuple[str, str]]
) -> None:
    names = [name for name, _ in privileges]
    clause = " or ".join(f"name eq {_odata_string(name)}" for name in names)
    answer = api.call("GET", f"/privileges?$select=privilegeid,name&$filter={clause}")
    ids = {str(p["name"]): str(p["privilegeid"]) for p in answer.get("value", [])}
    missing = [name for name in names if name not in ids]
    if missing:
        raise DataverseError(f"this environment has no privilege(s) {missing}")
    # AddPrivilegesRole adds or re-sets the depth of each listed privilege; it never removes any.
    # https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/addprivilegesrole
    api.call(
        "POST",
        f"/roles({role_id})/Microsoft.Dynamics.CRM.AddPrivilegesRole",
        {
            "Privileges": [
                {
                    "PrivilegeId": ids[name],
                    "PrivilegeName": name,
                    "Depth": depth,
                    "BusinessUnitId": business_unit_id,
                }
                for name, depth in privileges
            ]
        },
    )


def _ensure_application_user(
    api: _Api, *, app_id: str, business_unit_id: str, result: SetupResult
) -> str:
    answer = api.call(
        "GET", f"/systemusers?$select=systemuserid,isdisabled&$filter=applicationid eq {app_id}"
    )
    found = answer.get("value", [])
    if found:
        if found[0].get("isdisabled"):
            raise DataverseError(
                f"the application user for {app_id} exists but is disabled: enable it in the "
                "Power Platform admin center"
            )
        return str(found[0]["systemuserid"])
    # systemuser with applicationid = an application user (no license, non-interactive).
    # https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/systemuser
    created = api.call(
        "POST",
        "/systemusers?$select=systemuserid",
        {
            "applicationid": app_id,
            "businessunitid@odata.bind": f"/businessunits({business_unit_id})",
        },
        representation=True,
    )
    result.created.append(f"application user for {app_id}")
    return str(created["systemuserid"])


def _ensure_role_assigned(
    api: _Api, *, org_url: str, user_id: str, role_id: str, result: SetupResult
) -> None:
    answer = api.call(
        "GET",
        f"/systemusers({user_id})/systemuserroles_association?$select=roleid&$filter=roleid eq {role_id}",
    )
    if answer.get("value"):
        return
    api.call(
        "POST",
        f"/systemusers({user_id})/systemuserroles_association/$ref",
        {"@odata.id": f"{org_url}{API_PATH}/roles({role_id})"},
    )
    result.created.append("role assignment")


def setup(
    transport: Transport,
    *,
    org_url: str,
    app_id: str,
    role_name: str = DEFAULT_ROLE_NAME,
    privileges: Sequence[tuple[str, str]] = DEFAULT_PRIVILEGES,
    cockpit_url: str | None = None,
) -> SetupResult:
    """Create (or confirm) role, privileges, application user and assignment; read the org's
    unique name and URL name; with ``cockpit_url``, set the solution's environment variable.
    Idempotent."""
    api = _Api(transport)
    result = SetupResult()
    try:
        result.identity = retrieve_org_identity(api)
    except ValueError as error:
        raise DataverseError(str(error)) from None
    result.business_unit_id = _root_business_unit(api)
    result.role_id = _ensure_role(
        api, name=role_name, business_unit_id=result.business_unit_id, result=result
    )
    _add_privileges(
        api, role_id=result.role_id, business_unit_id=result.business_unit_id, privileges=privileges
    )
    result.user_id = _ensure_application_user(
        api, app_id=app_id, business_unit_id=result.business_unit_id, result=result
    )
    _ensure_role_assigned(
        api, org_url=org_url, user_id=result.user_id, role_id=result.role_id, result=result
    )
    if cockpit_url:
        result.notes.append(set_cockpit_url(api, cockpit_url=cockpit_url))
    return result


def urllib_transport(org_url: str, token: str, *, timeout: float = 30.0) -> Transport:
    """Real HTTPS to ``<org_url>/api/data/v9.2``; the bearer token stays in this closure."""

    def send(
        method: str, path: str, body: Mapping[str, Any] | None, headers: Mapping[str, str]
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            # Percent-encode spaces and non-ASCII in OData filters; keep OData's own punctuation.
            f"{org_url}{API_PATH}{urllib.parse.quote(path, safe=_URL_SAFE)}",
            data=data,
            method=method,
            headers={**headers, "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(
                request, timeout=timeout
            ) as response:  # the org URL is an https origin
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw) if raw else None
            except ValueError:
                return error.code, None

    return send


def _org_origin(url: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith("https://") or "/" in url.removeprefix("https://"):
        raise SystemExit(
            f"--org-url must be an https origin like https://contoso.crm4.dynamics.com, not {url!r}"
        )
    return url


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--org-url", required=True, help="https://<org>.crm<N>.dynamics.com")
    parser.add_argument("--app-id", required=True, help="the app registration's client id")
    parser.add_argument("--role-name", default=DEFAULT_ROLE_NAME)
    parser.add_argument(
        "--privilege", action="append", type=parse_privilege, default=[], metavar="prvName[:Depth]"
    )
    parser.add_argument("--no-default-privileges", action="store_true")
    add_org_arguments(parser)
    args = parser.parse_args(argv)
    args.privileges = (
        [] if args.no_default_privileges else list(DEFAULT_PRIVILEGES)
    ) + args.privilege
    if not args.privileges:
        parser.error("no privileges left: pass --privilege")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point (also called by the postprovision hook)."""
    args = _arguments(argv)
    org_url = _org_origin(args.org_url)
    try:
        # The deployer's own Dataverse token; kept in memory, never printed.
        token = az(
            "account",
            "get-access-token",
            "--resource",
            org_url,
            "--query",
            "accessToken",
            "--output",
            "tsv",
        ).strip()
    except AzCliError as error:
        raise SystemExit(f"Could not get a Dataverse token for {org_url}: {error}") from None
    try:
        result = setup(
            urllib_transport(org_url, token),
            org_url=org_url,
            app_id=args.app_id,
            role_name=args.role_name,
            privileges=args.privileges,
            cockpit_url=args.cockpit_url,
        )
    except DataverseError as error:
        raise SystemExit(
            f"Dataverse setup failed: {error}. See docs/deploy.md, 'Dataverse application user'."
        ) from None
    changes = ", ".join(result.created) or "nothing to change"
    say(
        f"  Dataverse {org_url}: application user {result.user_id} with role {args.role_name!r} ({changes})."
    )
    for note in result.notes:
        say(f"  {note}.")
    if result.identity is not None:
        configure_org_identity(args, org_url=org_url, identity=result.identity)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
