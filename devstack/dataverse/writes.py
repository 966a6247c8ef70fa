"""Writing rows: create, update (PATCH with its upsert and concurrency rules), delete and the bulk
messages CreateMultiple / UpdateMultiple.

Sources (MicrosoftDocs/powerapps-docs developer/data-platform/webapi/ unless noted):
create-entity-web-api.md (POST → 204 with ``OData-EntityId``; 201 and the row with
``Prefer: return=representation``), update-delete-entities-using-web-api.md (PATCH; "DELETE … returns
204 No Content"), perform-conditional-operations-using-web-api.md (``If-Match``/``If-None-Match``,
412), bulk-operations.md (CreateMultiple answers ``{"Ids": […]}``; "Any error … causes the entire
operation to roll back" for standard tables).
"""

from __future__ import annotations

from typing import Any

from devstack.dataverse import changes as changes_mod
from devstack.dataverse import errors, records
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.model import EntityDef
from devstack.dataverse.odata import GUID_RE, parse_select
from devstack.dataverse.query import QueryMixin
from devstack.dataverse.records import Ctx
from devstack.dataverse.responses import (
    ApiRequest,
    ApiResponse,
    json_body,
    json_response,
    no_content,
)
from devstack.dataverse.security import require

NS = "Microsoft.Dynamics.CRM."


class WriteMixin(QueryMixin):
    def entity_id_header(self, entity: EntityDef, rid: str) -> tuple[str, str]:
        return ("OData-EntityId", f"{self.state.org.api_base}{entity.entity_set}({rid})")

    def representation(
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

    def create(
        self,
        ctx: Ctx,
        entity: EntityDef,
        request: ApiRequest,
        key_values: dict[str, Any] | None = None,
        record_id: str | None = None,
    ) -> ApiResponse:
        body = json_body(request)
        require(self.state, self.principal, entity, "Create")
        changes = changes_mod.parse_changes(ctx, entity, body, creating=True)
        changes.update(key_values or {})
        changes_mod.check_links(ctx, entity, body, changes)
        changes_mod.check_field_security(ctx, entity, changes, creating=True)
        row = changes_mod.new_row(ctx, entity, changes, record_id)
        rid = row[entity.primary_id]
        if rid in self.state.rows[entity.logical_name]:
            raise DataverseError(
                412, errors.DUPLICATE_RECORD, "A record with matching key values already exists."
            )
        self._check_unique(entity, row, rid)
        self.state.rows[entity.logical_name][rid] = row
        headers = [
            self.entity_id_header(entity, rid),
            ("Location", self.entity_id_header(entity, rid)[1]),
        ]
        if ctx.prefs.return_representation:
            return self.representation(ctx, entity, row, request, 201, headers)
        return no_content(headers)

    def patch(
        self, ctx: Ctx, entity: EntityDef, key: dict[str, str] | str, request: ApiRequest
    ) -> ApiResponse:
        if_match = request.headers.get("if-match")
        if_none_match = request.headers.get("if-none-match")
        rid, row = self.find(entity, key)
        if row is None or rid is None:
            # PATCH is an upsert unless If-Match is sent; "If-Match: *" turns a missing row into 404
            # (perform-conditional-operations-using-web-api.md, "Prevent create in upsert").
            if if_match is not None:
                raise errors.not_found(
                    entity.logical_name, key if isinstance(key, str) else str(key)
                )
            key_values = {k: v for k, v in key.items()} if isinstance(key, dict) else None
            return self.create(
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
        body = json_body(request)
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
        changes = changes_mod.parse_changes(ctx, entity, body, creating=False)
        changes_mod.check_field_security(ctx, entity, changes, creating=False)
        changes_mod.check_links(ctx, entity, body, changes)
        if entity.logical_name == "opportunity":
            changes_mod.check_opportunity_state(ctx, row, changes)
        changes_mod.apply_changes(ctx, entity, row, changes)
        headers = [self.entity_id_header(entity, rid)]
        if ctx.prefs.return_representation:
            # "PATCH … returns 200 with Prefer: return=representation" (update-delete-entities…).
            return self.representation(ctx, entity, row, request, 200, headers)
        return no_content(headers)

    def update_multiple(self, ctx: Ctx, entity: EntityDef, request: ApiRequest) -> ApiResponse:
        targets = _targets(json_body(request))
        snapshot = self.state.snapshot()
        try:
            for target in targets:
                rid = str(target.get(entity.primary_id, "")).lower()
                if not GUID_RE.match(rid):
                    raise errors.bad_request(f"Each target needs its '{entity.primary_id}'.")
                row = self.state.rows[entity.logical_name].get(rid)
                if row is None:
                    raise errors.not_found(entity.logical_name, rid)
                require(self.state, self.principal, entity, "Write", row, rid)
                changes = changes_mod.parse_changes(ctx, entity, target, creating=False)
                changes_mod.check_field_security(ctx, entity, changes, creating=False)
                if entity.logical_name == "opportunity":
                    changes_mod.check_opportunity_state(ctx, row, changes)
                changes_mod.apply_changes(ctx, entity, row, changes)
        except DataverseError:
            # Standard tables: "Any error that occurs in a bulk operation … causes the entire
            # operation to roll back" (bulk-operations.md, "On Error behavior").
            self.state.restore(snapshot)
            raise
        return no_content()

    def delete(
        self, ctx: Ctx, entity: EntityDef, key: dict[str, str] | str, request: ApiRequest
    ) -> ApiResponse:
        """``DELETE {set}({id})`` → 204; a missing row → 404 0x80040217; the delete privilege and
        record access as for any operation; ``If-Match`` with an etag → 412 on mismatch
        (update-delete-entities-using-web-api.md; perform-conditional-operations-using-web-api.md)."""
        rid, row = self.find(entity, key)
        if row is None or rid is None:
            raise errors.not_found(entity.logical_name, key if isinstance(key, str) else str(key))
        require(self.state, self.principal, entity, "Delete", row, rid)
        if_match = request.headers.get("if-match")
        if if_match not in (None, "*") and if_match.strip() != f'W/"{row["versionnumber"]}"':
            raise DataverseError(
                412,
                errors.CONCURRENCY_VERSION_MISMATCH,
                "The version of the existing record doesn't match the RowVersion property provided.",
            )
        del self.state.rows[entity.logical_name][rid]
        return no_content()

    def create_multiple(self, ctx: Ctx, entity: EntityDef, request: ApiRequest) -> ApiResponse:
        """``POST {set}/Microsoft.Dynamics.CRM.CreateMultiple`` with ``Targets`` → 200
        ``{"Ids": [...]}``, all or nothing (bulk-operations.md)."""
        targets = _targets(json_body(request))
        snapshot = self.state.snapshot()
        ids: list[str] = []
        try:
            require(self.state, self.principal, entity, "Create")
            for target in targets:
                changes = changes_mod.parse_changes(ctx, entity, target, creating=True)
                changes_mod.check_field_security(ctx, entity, changes, creating=True)
                row = changes_mod.new_row(ctx, entity, changes, None)
                rid = row[entity.primary_id]
                if rid in self.state.rows[entity.logical_name]:
                    raise DataverseError(
                        412,
                        errors.DUPLICATE_RECORD,
                        "A record with matching key values already exists.",
                    )
                self._check_unique(entity, row, rid)
                self.state.rows[entity.logical_name][rid] = row
                ids.append(rid)
        except DataverseError:
            self.state.restore(snapshot)
            raise
        context = f"{self.state.org.api_base}$metadata#{NS}CreateMultipleResponse"
        return json_response(200, {"@odata.context": context, "Ids": ids}, prefs=ctx.prefs)


def _targets(body: dict[str, Any]) -> list[dict[str, Any]]:
    targets = body.get("Targets")
    if not isinstance(targets, list) or not targets:
        raise errors.bad_request("The bulk operation requires a non-empty 'Targets' array.")
    for target in targets:
        if not isinstance(target, dict) or "@odata.type" not in target:
            raise errors.bad_request("Each target needs an '@odata.type' annotation.")
    return targets
