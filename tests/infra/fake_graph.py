"""An in-memory Microsoft Graph (v1.0) with just the calls the deployment scripts make.

Its state is plain JSON (``state``), so the fake ``az`` (tests/infra/fake_az.py) can keep it in a
file between CLI invocations. Each behaviour follows the Graph reference:

- ``PATCH /applications(uniqueName='x')`` with ``Prefer: create-if-missing`` creates (201, body)
  or updates (204); without the header a missing app is 404
  (https://learn.microsoft.com/graph/api/application-upsert).
- ``GET /applications(appId='...')`` / ``(uniqueName='...')`` alternate keys, 404 when missing
  (https://learn.microsoft.com/graph/api/application-get).
- An enabled app role or scope cannot be removed or changed in place: 400
  ``CannotDeleteOrUpdateEnabledEntitlement`` (https://learn.microsoft.com/entra/identity-platform/howto-add-app-roles-in-apps
  "you must disable a role before you can delete it").
- ``passwordCredentials`` cannot be set with PATCH (the upsert page says so; use addPassword).
- At most 20 federated identity credentials per application
  (https://learn.microsoft.com/graph/api/application-post-federatedidentitycredentials).
- ``$filter=appId eq '...'`` on servicePrincipals; appRoleAssignedTo; oauth2PermissionGrants.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

DYNAMICS = "00000007-0000-0000-c000-000000000000"
GRAPH = "00000003-0000-0000-c000-000000000000"
# Scope ids as published by the first-party service principals (resolved at run time by the
# scripts; these values are what the real tenants return).
DYNAMICS_USER_IMPERSONATION = "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4"
GRAPH_SCOPES = {
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
}


class GraphError(Exception):
    """An HTTP error answer: ``status`` and Graph's ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def new_state(*, with_dynamics: bool = True) -> dict[str, Any]:
    principals = [
        {
            "id": str(uuid.uuid4()),
            "appId": GRAPH,
            "displayName": "Microsoft Graph",
            "oauth2PermissionScopes": [{"id": i, "value": v} for v, i in GRAPH_SCOPES.items()],
        }
    ]
    if with_dynamics:
        principals.append(
            {
                "id": str(uuid.uuid4()),
                "appId": DYNAMICS,
                "displayName": "Dynamics CRM",
                "oauth2PermissionScopes": [
                    {"id": DYNAMICS_USER_IMPERSONATION, "value": "user_impersonation"}
                ],
            }
        )
    return {
        "applications": [],
        "servicePrincipals": principals,
        "appRoleAssignments": [],
        "grants": [],
        "requests": [],
    }


class FakeGraph:
    """``request(method, path, body, headers)`` like ``scripts.azcli.Graph``; raises GraphError."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.state = state if state is not None else new_state()

    # -- helpers ---------------------------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = self.state["requests"]
        return seen

    def _app(self, key: str, value: str) -> dict[str, Any] | None:
        return next((a for a in self.state["applications"] if a.get(key) == value), None)

    def _app_or_404(self, key: str, value: str) -> dict[str, Any]:
        app = self._app(key, value)
        if app is None:
            raise GraphError(404, "Request_ResourceNotFound", f"Resource '{value}' does not exist")
        return app

    def _sp(self, key: str, value: str) -> dict[str, Any] | None:
        return next((s for s in self.state["servicePrincipals"] if s.get(key) == value), None)

    @staticmethod
    def _project(obj: Mapping[str, Any], query: str) -> dict[str, Any]:
        match = re.search(r"\$select=([^&]+)", query)
        if not match:
            return copy.deepcopy(dict(obj))
        fields = match.group(1).split(",")
        return {f: copy.deepcopy(obj[f]) for f in fields if f in obj}

    def _check_entitlements(self, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
        new_by_id = {item["id"]: item for item in new}
        for item in old:
            if not item.get("isEnabled", True):
                continue
            replacement = new_by_id.get(item["id"])
            if replacement is None or replacement.get("value") != item.get("value"):
                raise GraphError(
                    400,
                    "CannotDeleteOrUpdateEnabledEntitlement",
                    "Permission (scope or role) cannot be deleted or updated unless disabled first.",
                )

    def _apply(self, app: dict[str, Any], body: Mapping[str, Any]) -> None:
        if "passwordCredentials" in body or "keyCredentials" in body:
            raise GraphError(400, "Request_BadRequest", "Use addPassword/addKey for credentials")
        if "appRoles" in body:
            self._check_entitlements(app.get("appRoles", []), list(body["appRoles"]))
        if "api" in body and "oauth2PermissionScopes" in body["api"]:
            self._check_entitlements(
                app.get("api", {}).get("oauth2PermissionScopes", []),
                list(body["api"]["oauth2PermissionScopes"]),
            )
        for key, value in body.items():
            if isinstance(value, Mapping) and isinstance(app.get(key), dict):
                app[key] = {**app[key], **copy.deepcopy(dict(value))}
            else:
                app[key] = copy.deepcopy(value)

    def _new_app(self, unique_name: str) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "appId": str(uuid.uuid4()),
            "uniqueName": unique_name,
            "displayName": "",
            "identifierUris": [],
            "appRoles": [],
            "api": {"oauth2PermissionScopes": []},
            "web": {"redirectUris": [], "implicitGrantSettings": {}},
            "requiredResourceAccess": [],
            "passwordCredentials": [],
            "keyCredentials": [],
            "federatedIdentityCredentials": [],
        }

    # -- the API ---------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        path = unquote(path.removeprefix("https://graph.microsoft.com/v1.0"))
        self.requests.append({"method": method, "path": path, "body": copy.deepcopy(body)})
        route, _, query = path.partition("?")
        headers = headers or {}
        method = method.upper()

        if m := re.fullmatch(r"/applications\(uniqueName='([^']+)'\)", route):
            if method == "GET":
                return self._project(self._app_or_404("uniqueName", m.group(1)), query)
            if method == "PATCH":
                app = self._app("uniqueName", m.group(1))
                created = app is None
                if created:
                    if headers.get("Prefer") != "create-if-missing":
                        raise GraphError(404, "Request_ResourceNotFound", "no such application")
                    if not (body or {}).get("displayName"):
                        raise GraphError(400, "Request_BadRequest", "displayName is required")
                    app = self._new_app(m.group(1))
                    self._apply(app, body or {})
                    self.state["applications"].append(app)
                    return self._project(app, "")
                assert app is not None
                self._apply(app, body or {})
                return None
        if m := re.fullmatch(r"/applications\(appId='([^']+)'\)", route):
            if method == "GET":
                return self._project(self._app_or_404("appId", m.group(1)), query)
        if m := re.fullmatch(r"/applications/([0-9a-f-]+)", route):
            app = self._app_or_404("id", m.group(1))
            if method == "GET":
                return self._project(app, query)
            if method == "PATCH":
                self._apply(app, body or {})
                return None
        if m := re.fullmatch(
            r"/applications/([0-9a-f-]+)/federatedIdentityCredentials(?:/([0-9a-f-]+))?", route
        ):
            app = self._app_or_404("id", m.group(1))
            creds = app["federatedIdentityCredentials"]
            if method == "GET" and m.group(2) is None:
                return {"value": copy.deepcopy(creds)}
            if method == "POST":
                if len(creds) >= 20:
                    raise GraphError(400, "Request_BadRequest", "at most 20 federated credentials")
                if any(c["name"] == (body or {}).get("name") for c in creds):
                    raise GraphError(409, "Request_BadRequest", "name already used")
                credential = {"id": str(uuid.uuid4()), **copy.deepcopy(dict(body or {}))}
                creds.append(credential)
                return credential
            if method == "PATCH" and m.group(2):
                cred = next(c for c in creds if c["id"] == m.group(2))
                cred.update(copy.deepcopy(dict(body or {})))
                return None
        if route == "/servicePrincipals":
            if method == "GET":
                found = re.search(r"appId eq '([^']+)'", query)
                items = [
                    s
                    for s in self.state["servicePrincipals"]
                    if not found or s["appId"] == found.group(1)
                ]
                return {"value": [self._project(s, query) for s in items]}
            if method == "POST":
                app_id = (body or {})["appId"]
                if self._app("appId", app_id) is None:
                    raise GraphError(400, "Request_BadRequest", "no application with that appId")
                sp = {"id": str(uuid.uuid4()), "appId": app_id, "oauth2PermissionScopes": []}
                self.state["servicePrincipals"].append(sp)
                return sp
        if m := re.fullmatch(r"/servicePrincipals/([0-9a-f-]+)/appRoleAssignedTo", route):
            assignments = [
                a for a in self.state["appRoleAssignments"] if a["resourceId"] == m.group(1)
            ]
            if method == "GET":
                return {"value": copy.deepcopy(assignments)}
            if method == "POST":
                if self.state.get("deny_app_role_assignment"):
                    # What Graph answers a deployer who may create apps but not assign roles
                    # (https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto).
                    raise GraphError(
                        403,
                        "Authorization_RequestDenied",
                        "Insufficient privileges to complete the operation.",
                    )
                assignment = {"id": str(uuid.uuid4()), **copy.deepcopy(dict(body or {}))}
                self.state["appRoleAssignments"].append(assignment)
                return assignment
        if route == "/oauth2PermissionGrants":
            if method == "GET":
                client = re.search(r"clientId eq '([^']+)'", query)
                resource = re.search(r"resourceId eq '([^']+)'", query)
                items = [
                    g
                    for g in self.state["grants"]
                    if (not client or g["clientId"] == client.group(1))
                    and (not resource or g["resourceId"] == resource.group(1))
                ]
                return {"value": copy.deepcopy(items)}
            if method == "POST":
                grant = {"id": str(uuid.uuid4()), **copy.deepcopy(dict(body or {}))}
                self.state["grants"].append(grant)
                return grant
        if m := re.fullmatch(r"/oauth2PermissionGrants/([^/]+)", route):
            if method == "PATCH":
                grant = next(g for g in self.state["grants"] if g["id"] == m.group(1))
                grant.update(copy.deepcopy(dict(body or {})))
                return None
        raise GraphError(400, "BadRequest", f"fake Graph does not support {method} {route}")


class ScriptsGraph:
    """Adapts FakeGraph to the scripts' contract: a 404 becomes ``scripts.azcli.NotFound``."""

    def __init__(self, fake: FakeGraph) -> None:
        self.fake = fake

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        from scripts.azcli import AzCliError, NotFound

        try:
            return self.fake.request(method, path, body, headers)
        except GraphError as error:
            if error.status == 404:
                raise NotFound("az rest", f"ERROR: Not Found({error.body()})") from None
            raise AzCliError("az rest", f"ERROR: Bad Request({error.body()})") from None
