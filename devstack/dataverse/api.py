"""The ``/api/data/v9.2/`` resource tree: routing one (already authenticated) request to its handler.

Everything here is synchronous and never awaits, so each request reads and changes the org state
atomically with respect to other requests (the app runs on one event loop).

Endpoints and their docs (MicrosoftDocs/powerapps-docs developer/data-platform/webapi/ unless noted):
- ``{set}`` GET (query-data-web-api.md), POST (create-entity-web-api.md)
- ``{set}({id})`` and alternate keys ``{set}(k='v',…)`` GET (retrieve-entity-using-web-api.md),
  PATCH (update-delete-entities-using-web-api.md, perform-conditional-operations-using-web-api.md)
- ``{set}/Microsoft.Dynamics.CRM.UpdateMultiple`` POST (bulk-operations.md)
- ``WhoAmI`` and ``systemusers({id})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)``
  (use-web-api-functions.md; security-access-coding.md)
- ``EntityDefinitions…`` (query-metadata-web-api.md)
- ``$batch`` (execute-batch-operations-using-web-api.md)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devstack.dataverse import batch as batch_format
from devstack.dataverse import errors, metadata, records
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.model import EntityDef, OrgState
from devstack.dataverse.odata import (
    GUID_RE,
    Preferences,
    Segment,
    evaluate_filter,
    filter_paths,
    parse_expand,
    parse_filter,
    parse_key,
    parse_path,
    parse_prefer,
    parse_select,
)
from devstack.dataverse.records import Ctx
from devstack.dataverse.security import Principal, access_rights, depth_covers, require

NS = "Microsoft.Dynamics.CRM."
GLOBAL_METADATA_VERSION = "Microsoft.Dynamics.CRM.globalmetadataversion"
JSON_TYPE = "application/json; odata.metadata=minimal"
_SYSTEM_OPTIONS = {"$select", "$expand", "$filter", "$top", "$orderby", "$count"}


@dataclass
class ApiRequest:
    method: str
    path: str  # below /api/data/v9.2/, e.g. "opportunities(…)"
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    prefer: list[str] = field(default_factory=list)

    def option(self, name: str) -> str | None:
        values = [v for k, v in self.query if k == name]
        if len(values) > 1:
            raise errors.bad_request(f"The query parameter '{name}' is specified more than once.")
        return values[0] if values else None


@dataclass
class ApiResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None = None
    code: str | None = None  # the Dataverse error code, for the request log


def _dumps(value: Any) -> bytes:
    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return records.json_value(obj)
        raise TypeError(f"not JSON serialisable: {type(obj).__name__}")

    return json.dumps(value, ensure_ascii=False, default=default).encode("utf-8")


def json_response(
    status: int,
    payload: Any,
    *,
    headers: list[tuple[str, str]] | None = None,
    prefs: Preferences | None = None,
) -> ApiResponse:
    out = [("Content-Type", JSON_TYPE), ("OData-Version", "4.0")]
    if prefs is not None and prefs.annotations:
        joined = ",".join(prefs.annotations)
        out.append(("Preference-Applied", f'odata.include-annotations="{joined}"'))
    out.extend(headers or [])
    return ApiResponse(status, out, _dumps(payload))


def error_response(error: DataverseError, prefs: Preferences | None) -> ApiResponse:
    wants_details = prefs is not None and prefs.wants(
        "Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus"
    )
    body = error.body(include_annotations=wants_details)
    headers = [("OData-Version", "4.0")] + list(error.headers.items())
    if body is None:
        return ApiResponse(error.status, headers, None, error.code or None)
    return ApiResponse(
        error.status, [("Content-Type", JSON_TYPE)] + headers, _dumps(body), error.code
    )


def _json_body(request: ApiRequest) -> dict[str, Any]:
    try:
        # Decimal keeps the exact digits a client sent (money and decimal columns).
        value = json.loads(request.body or b"{}", parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"Error reading the request body as JSON: {exc}.") from exc
    if not isinstance(value, dict):
        raise errors.bad_request("The request body must be a JSON object.")
    return value


class WebApi:
    """Routes one request for one org, as ``principal``."""

    def __init__(
        self, state: OrgState, principal: Principal, *, closed_opportunity_updates: str
    ) -> None:
        self.state = state
        self.principal = principal
        self.closed_opportunity_updates = closed_opportunity_updates

    def handle(self, request: ApiRequest) -> ApiResponse:
        prefs: Preferences | None = None
        try:
            prefs = parse_prefer(request.prefer)
            return self._route(request, prefs)
        except DataverseError as error:
            return error_response(error, prefs)

    # --- routing -------------------------------------------------------------------------------

    def _route(self, request: ApiRequest, prefs: Preferences) -> ApiResponse:
        for name, _ in request.query:
            if name.startswith("$") and name not in _SYSTEM_OPTIONS:
                raise errors.bad_request(
                    f"The query parameter '{name}' is not supported.", "0x80060888"
                )
        segments = parse_path(request.path)
        if not segments:
            raise errors.segment_not_found("")
        first, rest = segments[0], segments[1:]
        method = request.method
        if first.name == "$batch" and not rest:
            self._allow(method, "POST")
            return self._batch(request, prefs)
        if first.name == "WhoAmI" and not rest and first.key in (None, ""):
            self._allow(method, "GET")
            return self._who_am_i(prefs)
        if first.name == "EntityDefinitions":
            self._allow(method, "GET")
            return self._metadata(first, rest, request, prefs)
        entity = self.state.entity_by_set(first.name)
        if entity is None:
            raise errors.segment_not_found(first.name)
        ctx = Ctx(self.state, self.principal, prefs, self.closed_opportunity_updates)
        if first.key is None:
            if not rest:
                if method == "GET":
                    return self._query(ctx, entity, request)
                self._allow(method, "POST")
                return self._create(ctx, entity, request)
            if len(rest) == 1 and rest[0].name == f"{NS}UpdateMultiple" and rest[0].key is None:
                self._allow(method, "POST")
                return self._update_multiple(ctx, entity, request)
            raise errors.segment_not_found(rest[0].name)
        key = parse_key(first.key)
        if not rest:
            if method == "GET":
                return self._retrieve(ctx, entity, key, request)
            self._allow(method, "PATCH")
            return self._patch(ctx, entity, key, request)
        if (
            entity.logical_name == "systemuser"
            and len(rest) == 1
            and rest[0].name == f"{NS}RetrievePrincipalAccess"
        ):
            self._allow(method, "GET")
            return self._principal_access(ctx, key, rest[0], request)
        raise errors.segment_not_found(rest[0].name)

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise DataverseError(
                405, "0x80060888", f"The HTTP method '{method}' is not allowed here."
            )

    # --- records -------------------------------------------------------------------------------

    def _find(
        self, entity: EntityDef, key: dict[str, str] | str
    ) -> tuple[str | None, dict[str, Any] | None]:
        rows = self.state.rows[entity.logical_name]
        if isinstance(key, str):
            return key, rows.get(key)
        names = tuple(sorted(key))
        if not any(tuple(sorted(k)) == names for k in entity.alternate_keys):
            raise errors.bad_request(
                f"The key '{','.join(key)}' is not a key of '{entity.logical_name}'."
            )
        for rid, row in rows.items():
            if all(str(row.get(name) or "").lower() == key[name].lower() for name in names):
                return rid, row
        return None, None

    def _query(self, ctx: Ctx, entity: EntityDef, request: ApiRequest) -> ApiResponse:
        select = parse_select(request.option("$select"))
        expand = parse_expand(request.option("$expand"))
        records.validate_select(entity, select)
        records.validate_expand(self.state, entity, expand)
        raw_filter = request.option("$filter")
        expr = parse_filter(raw_filter) if raw_filter else None
        if expr is not None:
            for path in filter_paths(expr):
                if len(path) != 1 or entity.by_property(path[0]) is None:
                    raise errors.unknown_property("/".join(path), entity.type_name)
        top = request.option("$top")
        limit: int | None = None
        if top is not None:
            if not top.isdigit():
                raise errors.bad_request(f"Invalid value '{top}' for $top.")
            limit = int(top)
        # RetrieveMultiple needs the table's read privilege; rows outside the privilege depth are
        # silently left out (query-data-web-api.md: records are not returned "if the user doesn't
        # have read access to the record").
        require(self.state, self.principal, entity, "Read")
        depth = self.principal.depth(entity.privilege("Read"))
        items: list[dict[str, Any]] = []
        for row in self.state.rows[entity.logical_name].values():
            if not depth_covers(self.state, self.principal, entity, depth, row):
                continue
            if expr is not None and not evaluate_filter(expr, self._row_lookup(ctx, entity, row)):
                continue
            items.append(records.render_row(ctx, entity, row, select=select, expand=expand))
            if limit is not None and len(items) >= limit:
                break
        payload: dict[str, Any] = {
            "@odata.context": records.context_url(ctx, entity, select, expand, single=False)
        }
        if ctx.prefs.wants(GLOBAL_METADATA_VERSION):
            # Returned at the top of a query response when asked for (query-data-web-api.md,
            # "Request annotations": "This annotation is returned on the request …"; the documented
            # examples are collection responses, so single-row retrieves do not carry it here).
            payload[f"@{GLOBAL_METADATA_VERSION}"] = str(self.state.metadata_version)
        payload["value"] = items
        return json_response(200, payload, prefs=ctx.prefs)

    def _row_lookup(
        self, ctx: Ctx, entity: EntityDef, row: dict[str, Any]
    ) -> Callable[[tuple[str, ...]], Any]:
        def lookup(path: tuple[str, ...]) -> Any:
            attr = entity.by_property(path[0])
            assert attr is not None  # validated before evaluation
            if attr.is_secured and not records.readable(ctx, entity, attr):
                return None
            return records.json_value(row.get(attr.logical_name))

        return lookup

    def _retrieve(
        self, ctx: Ctx, entity: EntityDef, key: dict[str, str] | str, request: ApiRequest
    ) -> ApiResponse:
        select = parse_select(request.option("$select"))
        expand = parse_expand(request.option("$expand"))
        records.validate_select(entity, select)
        records.validate_expand(self.state, entity, expand)
        rid, row = self._find(entity, key)
        if row is None or rid is None:
            raise errors.not_found(entity.logical_name, key if isinstance(key, str) else str(key))
        require(self.state, self.principal, entity, "Read", row, rid)
        etag = f'W/"{row["versionnumber"]}"'
        # Conditional retrieval: 304 when unchanged, never with $expand or annotations
        # (perform-conditional-operations-using-web-api.md).
        if_none_match = request.headers.get("if-none-match")
        if if_none_match == etag and not expand and not ctx.prefs.any_annotations:
            return ApiResponse(304, [("OData-Version", "4.0"), ("ETag", etag)])
        body = {"@odata.context": records.context_url(ctx, entity, select, expand, single=True)}
        body.update(records.render_row(ctx, entity, row, select=select, expand=expand))
        return json_response(200, body, headers=[("ETag", etag)], prefs=ctx.prefs)

    def _entity_id_header(self, entity: EntityDef, rid: str) -> tuple[str, str]:
        return ("OData-EntityId", f"{self.state.org.api_base}{entity.entity_set}({rid})")

    def _representation(
        self,
        ctx: Ctx,
        entity: EntityDef,
        row: dict[str, Any],
        request: ApiRequest,
        status: int,
        headers: list[tuple[str, str]],
    ) -> ApiResponse:
        select = parse_select(request.option("$select"))
        records.validate_select(entity, select)
        body = {"@odata.context": records.context_url(ctx, entity, select, [], single=True)}
        body.update(records.render_row(ctx, entity, row, select=select, expand=[]))
        return json_response(status, body, headers=headers, prefs=ctx.prefs)

    def _check_unique(self, entity: EntityDef, row: dict[str, Any], rid: str) -> None:
        for key in entity.alternate_keys:
            for other_id, other in self.state.rows[entity.logical_name].items():
                if other_id != rid and all(other.get(k) == row.get(k) for k in key):
                    # DuplicateRecord, 412 (compose-http-requests-handle-errors: 412 for
                    # ConcurrencyVersionMismatch and DuplicateRecord).
                    raise DataverseError(
                        412,
                        errors.DUPLICATE_RECORD,
                        "A record with matching key values already exists.",
                    )

    def _create(
        self,
        ctx: Ctx,
        entity: EntityDef,
        request: ApiRequest,
        key_values: dict[str, Any] | None = None,
        record_id: str | None = None,
    ) -> ApiResponse:
        body = _json_body(request)
        require(self.state, self.principal, entity, "Create")
        changes = records.parse_changes(ctx, entity, body, creating=True)
        changes.update(key_values or {})
        records.check_field_security(ctx, entity, changes, creating=True)
        row = records.new_row(ctx, entity, changes, record_id)
        rid = row[entity.primary_id]
        if rid in self.state.rows[entity.logical_name]:
            raise DataverseError(
                412, errors.DUPLICATE_RECORD, "A record with matching key values already exists."
            )
        self._check_unique(entity, row, rid)
        self.state.rows[entity.logical_name][rid] = row
        headers = [
            self._entity_id_header(entity, rid),
            ("Location", self._entity_id_header(entity, rid)[1]),
        ]
        if ctx.prefs.return_representation:
            return self._representation(ctx, entity, row, request, 201, headers)
        return ApiResponse(204, [("OData-Version", "4.0")] + headers)

    def _patch(
        self, ctx: Ctx, entity: EntityDef, key: dict[str, str] | str, request: ApiRequest
    ) -> ApiResponse:
        if_match = request.headers.get("if-match")
        if_none_match = request.headers.get("if-none-match")
        rid, row = self._find(entity, key)
        if row is None or rid is None:
            # PATCH is an upsert unless If-Match is sent; "If-Match: *" turns a missing row into 404
            # (perform-conditional-operations-using-web-api.md, "Prevent create in upsert").
            if if_match is not None:
                raise errors.not_found(
                    entity.logical_name, key if isinstance(key, str) else str(key)
                )
            key_values = {k: v for k, v in key.items()} if isinstance(key, dict) else None
            return self._create(
                ctx,
                entity,
                request,
                key_values=key_values,
                record_id=key if isinstance(key, str) else None,
            )
        if if_none_match == "*":
            # "Prevent update in upsert" (same doc): 412 when the row exists.
            raise DataverseError(
                412, errors.DUPLICATE_RECORD, "A record with matching key values already exists."
            )
        body = _json_body(request)
        require(self.state, self.principal, entity, "Write", row, rid)
        etag = f'W/"{row["versionnumber"]}"'
        if if_match not in (None, "*") and if_match.strip() != etag:
            # Optimistic concurrency: 412 "The version of the existing record doesn't match the
            # RowVersion property provided." (same doc, "Apply optimistic concurrency").
            raise DataverseError(
                412,
                errors.CONCURRENCY_VERSION_MISMATCH,
                "The version of the existing record doesn't match the RowVersion property provided.",
            )
        changes = records.parse_changes(ctx, entity, body, creating=False)
        records.check_field_security(ctx, entity, changes, creating=False)
        if entity.logical_name == "opportunity":
            records.check_opportunity_state(ctx, row, changes)
        records.apply_changes(ctx, entity, row, changes)
        headers = [self._entity_id_header(entity, rid)]
        if ctx.prefs.return_representation:
            # "PATCH … returns 200 with Prefer: return=representation" (update-delete-entities…).
            return self._representation(ctx, entity, row, request, 200, headers)
        return ApiResponse(204, [("OData-Version", "4.0")] + headers)

    def _update_multiple(self, ctx: Ctx, entity: EntityDef, request: ApiRequest) -> ApiResponse:
        body = _json_body(request)
        targets = body.get("Targets")
        if not isinstance(targets, list) or not targets:
            raise errors.bad_request("UpdateMultiple requires a non-empty 'Targets' array.")
        snapshot = self.state.snapshot()
        try:
            for target in targets:
                if not isinstance(target, dict) or "@odata.type" not in target:
                    raise errors.bad_request("Each target needs an '@odata.type' annotation.")
                rid = str(target.get(entity.primary_id, "")).lower()
                if not GUID_RE.match(rid):
                    raise errors.bad_request(f"Each target needs its '{entity.primary_id}'.")
                row = self.state.rows[entity.logical_name].get(rid)
                if row is None:
                    raise errors.not_found(entity.logical_name, rid)
                require(self.state, self.principal, entity, "Write", row, rid)
                changes = records.parse_changes(ctx, entity, target, creating=False)
                records.check_field_security(ctx, entity, changes, creating=False)
                if entity.logical_name == "opportunity":
                    records.check_opportunity_state(ctx, row, changes)
                records.apply_changes(ctx, entity, row, changes)
        except DataverseError:
            # Standard tables: "Any error that occurs in a bulk operation … causes the entire
            # operation to roll back" (bulk-operations.md, "On Error behavior").
            self.state.restore(snapshot)
            raise
        return ApiResponse(204, [("OData-Version", "4.0")])

    # --- functions ------------------------------------------------------------------------------

    def _who_am_i(self, prefs: Preferences) -> ApiResponse:
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

    def _principal_access(
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

    def _metadata(
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
        key = parse_key(first.key)
        logical = key.get("LogicalName") if isinstance(key, dict) else None
        entity = self.state.entities.get(logical or "")
        if entity is None:
            # Unknown table definition: 404 like a missing row.
            raise errors.not_found("EntityMetadata", str(first.key))
        if not rest:
            body = {"@odata.context": f"{base}$metadata#EntityDefinitions/$entity"}
            body.update(metadata.render_entity(entity, language=language, select=select))
            return json_response(200, body, prefs=prefs)
        if rest[0].name != "Attributes":
            raise errors.segment_not_found(rest[0].name)
        attributes_key = rest[0].key
        tail = rest[1:]
        cast: str | None = None
        if tail:
            if len(tail) > 1 or tail[0].key is not None:
                raise errors.segment_not_found(tail[-1].name)
            cast = metadata.parse_cast(tail[0].name)
        context = f"{base}$metadata#EntityDefinitions('{entity.logical_name}')/Attributes"
        if cast:
            context += f"/{NS}{cast}"
        if attributes_key is None:
            items = metadata.list_attributes(
                entity, language=language, select=select, cast=cast, expr=expr
            )
            payload = {"@odata.context": context + (f"({','.join(select)})" if select else "")}
            if prefs.wants(GLOBAL_METADATA_VERSION):
                payload[f"@{GLOBAL_METADATA_VERSION}"] = str(self.state.metadata_version)
            payload["value"] = items
            return json_response(200, payload, prefs=prefs)
        attr_key = parse_key(attributes_key)
        name = attr_key.get("LogicalName") if isinstance(attr_key, dict) else None
        attr = entity.attributes.get(name or "")
        if attr is None:
            raise errors.not_found("AttributeMetadata", attributes_key)
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

    # --- $batch ---------------------------------------------------------------------------------

    def _sub_request(self, sub: batch_format.SubRequest, locations: dict[str, str]) -> ApiRequest:
        url = sub.url
        if url.startswith("$") and url[1:].split("/")[0] in locations:
            ref = url[1:].split("/")[0]
            url = locations[ref] + url[1 + len(ref) :]
        parts = urlsplit(url)
        path = parts.path
        marker = "/api/data/v9.2/"
        if marker in path:
            path = path.split(marker, 1)[1]
        elif path.startswith("/"):
            raise errors.bad_request(f"The batch request URL '{sub.url}' is not under {marker}.")
        prefer = [sub.headers["prefer"]] if "prefer" in sub.headers else []
        return ApiRequest(
            method=sub.method,
            path=path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers=sub.headers,
            body=sub.body,
            prefer=prefer,
        )

    @staticmethod
    def _as_sub_response(response: ApiResponse, content_id: str | None) -> batch_format.SubResponse:
        return batch_format.SubResponse(
            response.status, response.headers, response.body, content_id
        )

    def _batch(self, request: ApiRequest, prefs: Preferences) -> ApiResponse:
        items = batch_format.parse_batch(request.headers.get("content-type", ""), request.body)
        results: list[batch_format.SubResponse | list[batch_format.SubResponse]] = []
        locations: dict[str, str] = {}
        failed_status: int | None = None
        for item in items:
            if isinstance(item, batch_format.ChangeSet):
                snapshot = self.state.snapshot()
                responses: list[batch_format.SubResponse] = []
                failure: batch_format.SubResponse | None = None
                for sub in item.requests:
                    response = self._run_sub(sub, locations)
                    if response.status >= 400:
                        failure = self._as_sub_response(response, sub.content_id)
                        break
                    responses.append(self._as_sub_response(response, sub.content_id))
                if failure is not None:
                    # Change sets are atomic: roll back, answer with the one failure (OData §11.7.4).
                    self.state.restore(snapshot)
                    results.append(failure)
                    failed_status = failure.status
                else:
                    results.append(responses)
            else:
                response = self._run_sub(item, locations)
                results.append(self._as_sub_response(response, item.content_id))
                if response.status >= 400:
                    failed_status = response.status
            if failed_status is not None and not prefs.continue_on_error:
                # Without odata.continue-on-error the batch stops at the first error, which becomes
                # the batch status (execute-batch-operations-using-web-api.md, "Handling errors").
                break
        content_type, body = batch_format.build_batch_response(results)
        status = failed_status if failed_status is not None and not prefs.continue_on_error else 200
        headers = [("Content-Type", content_type), ("OData-Version", "4.0")]
        if prefs.continue_on_error:
            headers.append(("Preference-Applied", "odata.continue-on-error"))
        return ApiResponse(status, headers, body)

    def _run_sub(self, sub: batch_format.SubRequest, locations: dict[str, str]) -> ApiResponse:
        try:
            api_request = self._sub_request(sub, locations)
        except DataverseError as error:
            return error_response(error, None)
        if api_request.path.startswith("$batch"):
            return error_response(errors.bad_request("A batch cannot contain another batch."), None)
        response = self.handle(api_request)
        if sub.content_id is not None:
            for name, value in response.headers:
                if name == "OData-EntityId":
                    locations[sub.content_id] = value
        return response
