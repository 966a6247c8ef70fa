"""Functions and metadata: ``WhoAmI``, ``RetrievePrincipalAccess`` and ``EntityDefinitions``.

use-web-api-functions.md and security-access-coding.md (WhoAmI, RetrievePrincipalAccess);
query-metadata-web-api.md and retrieve-metadata-name-metadataid.md (EntityDefinitions by
``LogicalName`` or ``MetadataId``, ``Attributes`` with casts, ``Keys``) — MicrosoftDocs/powerapps-docs
developer/data-platform/webapi/.
"""

from __future__ import annotations

import json
import re
from typing import Any

from devstack.dataverse import errors, metadata
from devstack.dataverse.filters import FilterExpr, parse_filter
from devstack.dataverse.model import AttributeDef, EntityDef, stable_id
from devstack.dataverse.odata import Preferences, Segment, parse_key, parse_select
from devstack.dataverse.records import Ctx
from devstack.dataverse.responses import ApiBase, ApiRequest, ApiResponse, json_response
from devstack.dataverse.security import Principal, access_rights, require

NS = "Microsoft.Dynamics.CRM."
GLOBAL_METADATA_VERSION = "Microsoft.Dynamics.CRM.globalmetadataversion"


class MetadataMixin(ApiBase):
    # --- functions ------------------------------------------------------------------------------

    def who_am_i(self, prefs: Preferences) -> ApiResponse:
        user = self.principal.user
        return json_response(
            200,
            {
                "@odata.context": f"{self.state.org.api_base}$metadata#{NS}WhoAmIResponse",
                "BusinessUnitId": user.business_unit_id,
                "UserId": user.systemuserid,
                "OrganizationId": self.state.org.organization_id,
            },
            prefs=prefs,
        )

    def principal_access(
        self, ctx: Ctx, key: dict[str, str] | str, function: Segment, request: ApiRequest
    ) -> ApiResponse:
        users = self.state.entities["systemuser"]
        if not isinstance(key, str):
            raise errors.bad_request("systemusers must be addressed by id here.")
        target_user = self.state.users.get(key)
        if target_user is None:
            raise errors.not_found("systemuser", key)
        require(
            self.state, self.principal, users, "Read", self.state.rows["systemuser"].get(key), key
        )
        params = parse_key(function.key or "")
        if not isinstance(params, dict) or "Target" not in params:
            raise errors.bad_request("RetrievePrincipalAccess requires the Target parameter.")
        raw = params["Target"]
        if raw.startswith("@"):
            raw = request.option(raw) or ""
        try:
            # Parameter alias value: {'@odata.id':'opportunities(<id>)'} (use-web-api-functions.md).
            target = json.loads(raw.replace("'", '"'))
            reference = str(target["@odata.id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise errors.bad_request(
                f"The Target parameter '{raw}' is not a valid entity reference."
            ) from exc
        match = re.match(r"^(?:.*/)?(?P<set>[A-Za-z_]\w*)\((?P<id>[0-9a-fA-F-]{36})\)$", reference)
        if match is None:
            raise errors.bad_request(
                f"The Target parameter '{raw}' is not a valid entity reference."
            )
        entity = self.state.entity_by_set(match["set"])
        if entity is None:
            raise errors.segment_not_found(match["set"])
        rid = match["id"].lower()
        row = self.state.rows[entity.logical_name].get(rid)
        if row is None:
            raise errors.not_found(entity.logical_name, rid)
        rights = access_rights(self.state, Principal(target_user, target_user), entity, row)
        return json_response(
            200,
            {
                "@odata.context": f"{self.state.org.api_base}$metadata#{NS}RetrievePrincipalAccessResponse",
                "AccessRights": ", ".join(rights) if rights else "None",
            },
            prefs=ctx.prefs,
        )

    # --- metadata -------------------------------------------------------------------------------

    def metadata(
        self, first: Segment, rest: list[Segment], request: ApiRequest, prefs: Preferences
    ) -> ApiResponse:
        language = self.principal.user.ui_language
        base = self.state.org.api_base
        select = parse_select(request.option("$select"))
        raw_filter = request.option("$filter")
        expr = parse_filter(raw_filter) if raw_filter else None
        if first.key is None:
            if rest:
                raise errors.segment_not_found(rest[0].name)
            matches = metadata.filter_entities(
                list(self.state.entities.values()), language=language, expr=expr
            )
            payload: dict[str, Any] = {"@odata.context": f"{base}$metadata#EntityDefinitions"}
            if prefs.wants(GLOBAL_METADATA_VERSION):
                payload[f"@{GLOBAL_METADATA_VERSION}"] = str(self.state.metadata_version)
            payload["value"] = [
                metadata.render_entity(e, language=language, select=select) for e in matches
            ]
            return json_response(200, payload, prefs=prefs)
        entity = self._entity_definition(first.key)
        if not rest:
            body = {"@odata.context": f"{base}$metadata#EntityDefinitions/$entity"}
            body.update(metadata.render_entity(entity, language=language, select=select))
            return json_response(200, body, prefs=prefs)
        if rest[0].name == "Keys" and len(rest) == 1:
            return self._keys(entity, rest[0].key, select=select, prefs=prefs)
        if rest[0].name != "Attributes":
            raise errors.segment_not_found(rest[0].name)
        return self._attributes(entity, rest, select=select, expr=expr, prefs=prefs)

    def _attributes(
        self,
        entity: EntityDef,
        rest: list[Segment],
        *,
        select: list[str] | None,
        expr: FilterExpr | None,
        prefs: Preferences,
    ) -> ApiResponse:
        """``…/Attributes``, ``…/Attributes(<key>)`` and their type casts."""
        language = self.principal.user.ui_language
        attributes_key = rest[0].key
        tail = rest[1:]
        cast: str | None = None
        if tail:
            if len(tail) > 1 or tail[0].key is not None:
                raise errors.segment_not_found(tail[-1].name)
            cast = metadata.parse_cast(tail[0].name)
        context = (
            f"{self.state.org.api_base}$metadata#EntityDefinitions('{entity.logical_name}')"
            "/Attributes"
        )
        if cast:
            context += f"/{NS}{cast}"
        if attributes_key is None:
            items = metadata.list_attributes(
                entity, language=language, select=select, cast=cast, expr=expr
            )
            payload: dict[str, Any] = {
                "@odata.context": context + (f"({','.join(select)})" if select else "")
            }
            if prefs.wants(GLOBAL_METADATA_VERSION):
                payload[f"@{GLOBAL_METADATA_VERSION}"] = str(self.state.metadata_version)
            payload["value"] = items
            return json_response(200, payload, prefs=prefs)
        attr = self._attribute(entity, attributes_key)
        if cast is not None and metadata.cast_name(attr) != cast:
            raise errors.bad_request(
                f"The attribute '{attr.logical_name}' is of type '{attr.type_name}', which is not "
                f"compatible with '{NS}{cast}'."
            )
        metadata.validate_attribute_select(select, cast)
        body = {"@odata.context": context + "/$entity"}
        body.update(
            metadata.render_attribute(
                entity, attr, language=language, select=select, cast=cast, in_collection=False
            )
        )
        return json_response(200, body, prefs=prefs)

    @staticmethod
    def _attribute(entity: EntityDef, raw_key: str) -> AttributeDef:
        key = parse_key(raw_key)
        if isinstance(key, str):
            # Addressed by MetadataId (retrieve-metadata-name-metadataid.md).
            attr = next((a for a in entity.attributes.values() if a.metadata_id == key), None)
        else:
            attr = entity.attributes.get(key.get("LogicalName") or "")
        if attr is None:
            raise errors.not_found("AttributeMetadata", raw_key)
        return attr

    def user_privileges(self, ctx: Ctx, key: dict[str, str] | str) -> ApiResponse:
        """``systemusers({id})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()`` →
        ``{"RolePrivileges": [{"Depth", "PrivilegeId", "BusinessUnitId", "PrivilegeName"}]}``
        with Depth Basic/Local/Deep/Global (webapi/reference/retrieveuserprivileges,
        rolePrivilege and PrivilegeDepth types): what a health check reads to see whether the
        application user may act on behalf of users and write opportunities."""
        if not isinstance(key, str):
            raise errors.bad_request("systemusers must be addressed by id here.")
        user = self.state.users.get(key)
        if user is None:
            raise errors.not_found("systemuser", key)
        users = self.state.entities["systemuser"]
        require(
            self.state, self.principal, users, "Read", self.state.rows["systemuser"].get(key), key
        )
        names = {1: "Basic", 2: "Local", 3: "Deep", 4: "Global"}
        privileges = [
            {
                "Depth": names[int(depth)],
                "PrivilegeId": stable_id("privilege", name),
                "BusinessUnitId": user.business_unit_id,
                "PrivilegeName": name,
            }
            for name, depth in sorted(user.privileges.items())
            if int(depth) > 0
        ]
        context = f"{self.state.org.api_base}$metadata#{NS}RetrieveUserPrivilegesResponse"
        return json_response(
            200, {"@odata.context": context, "RolePrivileges": privileges}, prefs=ctx.prefs
        )

    def _entity_definition(self, raw_key: str) -> EntityDef:
        """``EntityDefinitions(LogicalName='x')`` or ``EntityDefinitions(<MetadataId>)``
        (retrieve-metadata-name-metadataid.md: both forms address one definition)."""
        key = parse_key(raw_key)
        if isinstance(key, str):
            entity = next((e for e in self.state.entities.values() if e.metadata_id == key), None)
        else:
            entity = self.state.entities.get(key.get("LogicalName") or "")
        if entity is None:
            # Unknown table definition: 404 like a missing row.
            raise errors.not_found("EntityMetadata", raw_key)
        return entity

    def _keys(
        self,
        entity: EntityDef,
        raw_key: str | None,
        *,
        select: list[str] | None,
        prefs: Preferences,
    ) -> ApiResponse:
        """``EntityDefinitions(...)/Keys``: alternate keys as EntityKeyMetadata
        (define-alternate-keys-entity.md; webapi/reference/entitykeymetadata)."""
        base = self.state.org.api_base
        keys = [
            metadata.render_key(entity, names, language=self.principal.user.ui_language)
            for names in entity.alternate_keys
        ]
        context = f"{base}$metadata#EntityDefinitions('{entity.logical_name}')/Keys"
        if raw_key is None:
            items = [metadata.project(k, select) for k in keys]
            return json_response(200, {"@odata.context": context, "value": items}, prefs=prefs)
        key = parse_key(raw_key)
        wanted = key if isinstance(key, str) else key.get("LogicalName", "")
        found = next((k for k in keys if wanted in (k["MetadataId"], k["LogicalName"])), None)
        if found is None:
            raise errors.not_found("EntityKeyMetadata", raw_key)
        body = {"@odata.context": f"{context}/$entity", **metadata.project(found, select)}
        return json_response(200, body, prefs=prefs)
