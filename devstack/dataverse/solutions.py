"""Importing solutions and asking who the org is.

- ``POST ImportSolution`` with ``{"CustomizationFile": <base64 zip>, "OverwriteUnmanagedCustomizations",
  "PublishWorkflows", "ImportJobId"}`` → 204 (webapi/reference/importsolution; the response type has
  no properties). The package is read by solution_package.py; the import creates or updates the
  publisher, the solution (by unique name: a newer version upgrades it), one solutioncomponent per
  component, the web resources (``webresourceset``, content base64), the environment variable
  definitions and values, and adds the opportunity columns it defines. Needs
  ``prvImportCustomizations`` (the System Customizer / Administrator privilege).
- ``GET RetrieveEnvironmentVariableValue(DefinitionSchemaName='…')`` → ``{"Value": …}``.
- ``GET RetrieveCurrentOrganization(AccessType=@p1)?@p1=Microsoft.Dynamics.CRM.EndpointAccessType'Default'``
  → ``{"Detail": OrganizationDetail}`` with ``OrganizationId``, ``FriendlyName``,
  ``OrganizationVersion``, ``EnvironmentId``, ``TenantId``, ``UrlName``, ``UniqueName``,
  ``Endpoints`` (an EndpointCollection: ``Count``, ``IsReadOnly``, ``Keys``, ``Values``) and
  ``State`` (webapi/reference/retrievecurrentorganization, organizationdetail).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from devstack.dataverse import errors
from devstack.dataverse.model import Lookup, OrgState, attribute_from_seed, stable_id
from devstack.dataverse.records import Ctx
from devstack.dataverse.responses import (
    ApiBase,
    ApiRequest,
    ApiResponse,
    json_body,
    json_response,
    no_content,
)
from devstack.dataverse.security import missing_privilege
from devstack.dataverse.solution_package import SolutionPackage, read_package
from devstack.dataverse.solution_tables import COMPONENT_TYPES

NS = "Microsoft.Dynamics.CRM."
_ACCESS_TYPES = ("Default", "Internet", "Intranet")


def _put(state: OrgState, table: str, key: str, values: dict[str, Any]) -> str:
    """Create or update the row of ``table`` identified by ``key`` (a stable id)."""
    entity = state.entities[table]
    rid = stable_id(table, state.org.name, key)
    row = state.rows[table].setdefault(rid, {name: None for name in entity.attributes})
    row.update(values)
    row[entity.primary_id] = rid
    row["versionnumber"] = state.next_version()
    return rid


def _solution(state: OrgState, package: SolutionPackage) -> str:
    publisher = _put(
        state,
        "publisher",
        package.publisher["uniquename"],
        {
            "uniquename": package.publisher["uniquename"],
            "friendlyname": package.publisher["friendlyname"] or package.publisher["uniquename"],
            "customizationprefix": package.publisher["customizationprefix"],
            "customizationoptionvalueprefix": int(
                package.publisher["customizationoptionvalueprefix"] or 0
            ),
        },
    )
    return _put(
        state,
        "solution",
        package.unique_name,
        {
            "uniquename": package.unique_name,
            "friendlyname": package.friendly_name,
            "version": package.version,
            "ismanaged": package.managed,
            "installedon": datetime.now(UTC).replace(microsecond=0),
            "publisherid": Lookup(publisher, "publisher"),
        },
    )


def _component(
    state: OrgState, package: SolutionPackage, solution: str, kind: str, oid: str
) -> None:
    _put(
        state,
        "solutioncomponent",
        f"{package.unique_name}/{kind}/{oid}",
        {
            "componenttype": COMPONENT_TYPES[kind],
            "objectid": oid,
            "solutionid": Lookup(solution, "solution"),
        },
    )


def _web_resources(state: OrgState, package: SolutionPackage, solution: str) -> None:
    for resource in package.web_resources:
        rid = _put(
            state,
            "webresource",
            resource.name,
            {
                "name": resource.name,
                "displayname": resource.display_name,
                "webresourcetype": resource.type_code,
                "content": base64.b64encode(resource.content).decode("ascii"),
                "ismanaged": package.managed,
            },
        )
        _component(state, package, solution, "WebResource", rid)


def _variables(state: OrgState, package: SolutionPackage, solution: str) -> None:
    for variable in package.variables:
        did = _put(
            state,
            "environmentvariabledefinition",
            variable.schema_name,
            {
                "schemaname": variable.schema_name,
                "displayname": variable.display_name,
                "type": variable.type_code,
                "defaultvalue": variable.default,
            },
        )
        _component(state, package, solution, "EnvironmentVariableDefinition", did)
        if variable.value is not None:
            _put(
                state,
                "environmentvariablevalue",
                variable.schema_name,
                {
                    "schemaname": variable.schema_name,
                    "value": variable.value,
                    "environmentvariabledefinitionid": Lookup(did, "environmentvariabledefinition"),
                },
            )


def apply_package(state: OrgState, package: SolutionPackage) -> str:
    """Write what the package holds into the org; returns the solution id."""
    solution = _solution(state, package)
    _web_resources(state, package, solution)
    _variables(state, package, solution)
    opportunity = state.entities["opportunity"]
    for seed in package.attributes:
        attr = attribute_from_seed("opportunity", seed)
        opportunity.attributes[attr.logical_name] = attr
        for row in state.rows["opportunity"].values():
            row.setdefault(attr.logical_name, None)
        _component(state, package, solution, "Attribute", attr.metadata_id)
    if package.attributes:
        state.bump_metadata()
    state.imported.append(package)
    return solution


class SolutionMixin(ApiBase):
    def import_solution(self, ctx: Ctx, request: ApiRequest) -> ApiResponse:
        body = json_body(request)
        privilege = "prvImportCustomizations"
        if int(self.principal.depth(privilege)) == 0:
            raise missing_privilege(self.principal, self.state.entities["solution"], privilege)
        raw = body.get("CustomizationFile")
        if not isinstance(raw, str) or not raw:
            raise errors.bad_request("ImportSolution requires the CustomizationFile parameter.")
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise errors.bad_request("CustomizationFile is not valid base64.") from exc
        apply_package(self.state, read_package(data))
        return no_content()

    def current_organization(self, ctx: Ctx, key: str | None, request: ApiRequest) -> ApiResponse:
        raw = (key or "").strip()
        name, _, value = raw.partition("=")
        if name.strip() != "AccessType":
            raise errors.bad_request(
                "RetrieveCurrentOrganization requires the AccessType parameter."
            )
        value = value.strip()
        if value.startswith("@"):
            value = request.option(value) or ""
        access = value.removeprefix(f"{NS}EndpointAccessType").strip("'")
        if access not in _ACCESS_TYPES:
            raise errors.bad_request(f"The value '{value}' is not a valid EndpointAccessType.")
        org = self.state.org
        endpoints = {
            "WebApplication": f"{org.url}/",
            "OrganizationService": f"{org.url}/XRMServices/2011/Organization.svc",
            "OrganizationDataService": f"{org.url}/XRMServices/2011/OrganizationData.svc",
        }
        detail = {
            "OrganizationId": org.organization_id,
            "FriendlyName": org.friendly_name,
            "OrganizationVersion": "9.2.0.0",
            "EnvironmentId": stable_id("environment", org.name),
            "DatacenterId": stable_id("datacenter", "local"),
            "Geo": "LOCAL",
            "TenantId": org.tenant_id,
            "UrlName": org.url_name,
            "UniqueName": org.name,
            "Endpoints": {
                "Count": len(endpoints),
                "IsReadOnly": False,
                "Keys": list(endpoints),
                "Values": list(endpoints.values()),
            },
            "State": "Enabled",
        }
        context = f"{org.api_base}$metadata#{NS}RetrieveCurrentOrganizationResponse"
        return json_response(200, {"@odata.context": context, "Detail": detail}, prefs=ctx.prefs)

    def environment_variable_value(self, ctx: Ctx, key: str | None) -> ApiResponse:
        """``GET RetrieveEnvironmentVariableValue(DefinitionSchemaName='cockpit_CockpitUrl')`` →
        ``{"Value": …}``: the current value, else the definition's default
        (webapi/reference/retrieveenvironmentvariablevalue). An unknown name → 404."""
        name, _, raw = (key or "").partition("=")
        if name.strip() != "DefinitionSchemaName" or not raw.strip():
            raise errors.bad_request(
                "RetrieveEnvironmentVariableValue requires the DefinitionSchemaName parameter."
            )
        schema = raw.strip().strip("'")
        definition = next(
            (
                row
                for row in self.state.rows["environmentvariabledefinition"].values()
                if str(row.get("schemaname", "")).lower() == schema.lower()
            ),
            None,
        )
        if definition is None:
            raise errors.not_found("environmentvariabledefinition", schema)
        value = next(
            (
                row.get("value")
                for row in self.state.rows["environmentvariablevalue"].values()
                if str(row.get("schemaname", "")).lower() == schema.lower()
            ),
            None,
        )
        context = f"{self.state.org.api_base}$metadata#{NS}RetrieveEnvironmentVariableValueResponse"
        return json_response(
            200,
            {
                "@odata.context": context,
                "Value": value if value is not None else definition.get("defaultvalue"),
            },
            prefs=ctx.prefs,
        )
