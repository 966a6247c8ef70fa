"""An in-memory Dataverse Web API (v9.2) with the calls scripts/dataverse_setup.py makes.

Behaviours and their sources:
- root business unit: the one ``businessunit`` whose ``_parentbusinessunitid_value`` is null
  (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/businessunit);
- ``POST roles`` / ``POST systemusers`` with ``Prefer: return=representation`` answer 201 with the
  record, otherwise 204 + ``OData-EntityId``
  (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#create-with-data-returned);
- ``@odata.bind`` sets a lookup (``/businessunits(<id>)``)
  (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#associate-table-rows-on-create);
- ``AddPrivilegesRole`` adds or re-sets privileges, never removes, 204
  (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/addprivilegesrole);
- ``POST systemusers(<id>)/systemuserroles_association/$ref`` with ``@odata.id`` associates, 204
  (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/associate-disassociate-entities-using-web-api);
- ``RetrieveCurrentOrganization(AccessType=@p1)`` with ``@p1=Microsoft.Dynamics.CRM.EndpointAccessType'Default'``
  answers ``{"Detail": OrganizationDetail}`` with ``UniqueName`` and ``UrlName``
  (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/retrievecurrentorganization);
- environment variables: ``environmentvariabledefinitions`` filtered by ``schemaname`` with the
  ``environmentvariabledefinition_environmentvariablevalue`` expansion; ``POST
  environmentvariablevalues`` binds its definition through ``EnvironmentVariableDefinitionId@odata.bind``;
  ``PATCH environmentvariablevalues(<id>)`` changes ``value``
  (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/environmentvariablevalue);
- errors use Dataverse's body ``{"error": {"code": "0x...", "message": ...}}``; a caller without a
  token gets 401, a non-admin caller 403 ``0x80040220`` (PrivilegeDenied)
  (https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes).

``handle`` is the transport ``scripts.dataverse_setup`` expects; tests/infra/fake_dataverse_server.py
serves the same object over HTTPS.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

KNOWN_PRIVILEGES = (
    "prvActOnBehalfOfAnotherUser",
    "prvReadOpportunity",
    "prvWriteOpportunity",
    "prvReadUser",
    "prvReadAccount",
)
PRIVILEGE_DENIED = "0x80040220"


def _find(items: list[dict[str, Any]], key: str, value: object) -> dict[str, Any] | None:
    return next((item for item in items if item.get(key) == value), None)


def _error(status: int, code: str, message: str) -> tuple[int, Any]:
    return status, {"error": {"code": code, "message": message}}


class FakeDataverse:
    """State: business units, roles (with privileges), system users and their roles."""

    def __init__(
        self, *, org_url: str = "https://contoso.crm4.dynamics.com", token: str | None = None
    ) -> None:
        self.org_url = org_url
        self.token = token  # when set, requests must carry "Authorization: Bearer <token>"
        self.caller_is_admin = True
        self.root_bu = str(uuid.uuid4())
        self.business_units = [
            {"businessunitid": self.root_bu, "_parentbusinessunitid_value": None},
            {"businessunitid": str(uuid.uuid4()), "_parentbusinessunitid_value": self.root_bu},
        ]
        self.privileges = {name: str(uuid.uuid4()) for name in KNOWN_PRIVILEGES}
        self.roles: list[dict[str, Any]] = []
        self.users: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        # An org whose unique name differs from its URL's first label, as is common.
        self.organization = {
            "OrganizationId": str(uuid.uuid4()),
            "FriendlyName": "Contoso",
            "UniqueName": "unq5f1e2d3c4b",
            "UrlName": "contoso",
            "State": "Enabled",
        }
        # Filled by a test that imports the solution: definitions and their (0..1) values.
        self.variable_definitions: list[dict[str, Any]] = []
        self.variable_values: list[dict[str, Any]] = []

    # The transport signature of scripts.dataverse_setup.
    def __call__(
        self, method: str, path: str, body: Mapping[str, Any] | None, headers: Mapping[str, str]
    ) -> tuple[int, Any]:
        return self.handle(method, path, body, headers)

    def handle(
        self, method: str, path: str, body: Mapping[str, Any] | None, headers: Mapping[str, str]
    ) -> tuple[int, Any]:
        path = unquote(path)
        self.requests.append((method, path))
        headers = {name.lower(): value for name, value in headers.items()}  # HTTP names: any case
        if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "0x80072560", "The user is not a member of the organization.")
        if headers.get("odata-version") != "4.0":
            return _error(400, "0x0", "OData-Version 4.0 expected")
        route, _, query = path.partition("?")
        if method != "GET" and not self.caller_is_admin:
            return _error(
                403, PRIVILEGE_DENIED, "Principal user is missing prvCreateRole privilege"
            )
        representation = headers.get("prefer") == "return=representation"

        handled = self._org_and_variables(method, route, query, body)
        if handled is not None:
            return handled
        if route == "/businessunits" and method == "GET":
            if "_parentbusinessunitid_value eq null" in query:
                return 200, {"value": [{"businessunitid": self.root_bu}]}
            return 200, {"value": copy.deepcopy(self.business_units)}
        if route == "/roles":
            if method == "GET":
                name = re.search(r"name eq '((?:[^']|'')*)'", query)
                bu = re.search(r"_businessunitid_value eq ([0-9a-f-]+)", query)
                found = [
                    {"roleid": r["roleid"], "name": r["name"]}
                    for r in self.roles
                    if (not name or r["name"] == name.group(1).replace("''", "'"))
                    and (not bu or r["businessunitid"] == bu.group(1))
                ]
                return 200, {"value": found}
            if method == "POST":
                body = body or {}
                bound = re.fullmatch(
                    r"/businessunits\(([0-9a-f-]+)\)",
                    str(body.get("businessunitid@odata.bind", "")),
                )
                if not body.get("name") or not bound:
                    return _error(400, "0x80040203", "name and businessunitid are required")
                role = {
                    "roleid": str(uuid.uuid4()),
                    "name": body["name"],
                    "businessunitid": bound.group(1),
                    "privileges": {},
                }
                self.roles.append(role)
                return (201, {"roleid": role["roleid"]}) if representation else (204, None)
        if m := re.fullmatch(
            r"/roles\(([0-9a-f-]+)\)/Microsoft\.Dynamics\.CRM\.AddPrivilegesRole", route
        ):
            found_role = _find(self.roles, "roleid", m.group(1))
            if found_role is None:
                return _error(404, "0x80040217", "role does not exist")
            by_id = {v: k for k, v in self.privileges.items()}
            for item in (body or {}).get("Privileges", []):
                if item["PrivilegeId"] not in by_id or item["Depth"] not in (
                    "Basic",
                    "Local",
                    "Deep",
                    "Global",
                ):
                    return _error(400, "0x80040203", "invalid privilege")
                found_role["privileges"][by_id[item["PrivilegeId"]]] = item["Depth"]
            return 204, None
        if route == "/privileges" and method == "GET":
            names = re.findall(r"name eq '([^']+)'", query)
            return 200, {
                "value": [
                    {"privilegeid": self.privileges[n], "name": n}
                    for n in names
                    if n in self.privileges
                ]
            }
        if route == "/systemusers":
            if method == "GET":
                app = re.search(r"applicationid eq ([0-9a-f-]+)", query)
                found = [
                    {"systemuserid": u["systemuserid"], "isdisabled": u["isdisabled"]}
                    for u in self.users
                    if not app or u.get("applicationid") == app.group(1)
                ]
                return 200, {"value": found}
            if method == "POST":
                body = body or {}
                bound = re.fullmatch(
                    r"/businessunits\(([0-9a-f-]+)\)",
                    str(body.get("businessunitid@odata.bind", "")),
                )
                if not bound:
                    return _error(400, "0x80040203", "businessunitid is required")
                user: dict[str, Any] = {
                    "systemuserid": str(uuid.uuid4()),
                    "applicationid": body.get("applicationid"),
                    "businessunitid": bound.group(1),
                    "isdisabled": False,
                    "roles": [],
                }
                self.users.append(user)
                return (
                    (201, {"systemuserid": user["systemuserid"]}) if representation else (204, None)
                )
        if m := re.fullmatch(
            r"/systemusers\(([0-9a-f-]+)\)/systemuserroles_association(/\$ref)?", route
        ):
            found_user = _find(self.users, "systemuserid", m.group(1))
            if found_user is None:
                return _error(404, "0x80040217", "systemuser does not exist")
            if method == "GET":
                role_filter = re.search(r"roleid eq ([0-9a-f-]+)", query)
                return 200, {
                    "value": [
                        {"roleid": r}
                        for r in found_user["roles"]
                        if not role_filter or r == role_filter.group(1)
                    ]
                }
            if method == "POST" and m.group(2):
                target = str((body or {}).get("@odata.id", ""))
                rid = re.fullmatch(
                    re.escape(self.org_url) + r"/api/data/v9\.2/roles\(([0-9a-f-]+)\)", target
                )
                if not rid or not any(r["roleid"] == rid.group(1) for r in self.roles):
                    return _error(400, "0x80040203", f"bad @odata.id {target!r}")
                if rid.group(1) not in found_user["roles"]:
                    found_user["roles"].append(rid.group(1))
                return 204, None
        return _error(404, "0x80060888", f"Resource not found for the segment '{route}'.")

    def add_variable_definition(self, schema_name: str, *, default: str | None = None) -> str:
        """What importing the solution creates: the definition, without a value."""
        definition_id = str(uuid.uuid4())
        self.variable_definitions.append(
            {
                "environmentvariabledefinitionid": definition_id,
                "schemaname": schema_name,
                "defaultvalue": default,
            }
        )
        return definition_id

    def _org_and_variables(
        self, method: str, route: str, query: str, body: Mapping[str, Any] | None
    ) -> tuple[int, Any] | None:
        if route == "/RetrieveCurrentOrganization(AccessType=@p1)" and method == "GET":
            if query != "@p1=Microsoft.Dynamics.CRM.EndpointAccessType'Default'":
                return _error(400, "0x0", f"Invalid AccessType parameter: {query!r}")
            return 200, {"Detail": dict(self.organization)}
        if route == "/environmentvariabledefinitions" and method == "GET":
            name = re.search(r"schemaname eq '([^']+)'", query)
            expand = "$expand=environmentvariabledefinition_environmentvariablevalue" in query
            found = []
            for definition in self.variable_definitions:
                if name and definition["schemaname"] != name.group(1):
                    continue
                row = dict(definition)
                if expand:
                    row["environmentvariabledefinition_environmentvariablevalue"] = [
                        {
                            "environmentvariablevalueid": v["environmentvariablevalueid"],
                            "value": v["value"],
                        }
                        for v in self.variable_values
                        if v["environmentvariabledefinitionid"]
                        == definition["environmentvariabledefinitionid"]
                    ]
                found.append(row)
            return 200, {"value": found}
        if route == "/environmentvariablevalues" and method == "POST":
            body = body or {}
            bound = re.fullmatch(
                r"/environmentvariabledefinitions\(([0-9a-f-]+)\)",
                str(body.get("EnvironmentVariableDefinitionId@odata.bind", "")),
            )
            target = (
                _find(self.variable_definitions, "environmentvariabledefinitionid", bound.group(1))
                if bound
                else None
            )
            if target is None:
                return _error(400, "0x80040203", "EnvironmentVariableDefinitionId is required")
            self.variable_values.append(
                {
                    "environmentvariablevalueid": str(uuid.uuid4()),
                    "environmentvariabledefinitionid": target["environmentvariabledefinitionid"],
                    "schemaname": body.get("schemaname"),
                    "value": body.get("value"),
                }
            )
            return 204, None
        if m := re.fullmatch(r"/environmentvariablevalues\(([0-9a-f-]+)\)", route):
            value = _find(self.variable_values, "environmentvariablevalueid", m.group(1))
            if value is None:
                return _error(404, "0x80040217", "environmentvariablevalue does not exist")
            if method == "PATCH":
                value.update({k: v for k, v in (body or {}).items() if k == "value"})
                return 204, None
        return None
