"""The ``/api/data/v9.2/`` resource tree: routing one (already authenticated) request to its handler.

Everything here is synchronous and never awaits, so each request reads and changes the org state
atomically with respect to other requests (the app runs on one event loop). The handlers live in
query.py (reads), writes.py (create/update/delete, bulk), metadata_api.py (functions and
EntityDefinitions), batch_api.py ($batch) and csdl.py (service document, $metadata).

Endpoints and their docs (MicrosoftDocs/powerapps-docs developer/data-platform/webapi/):
- ``/`` service document, ``$metadata`` (web-api-service-documents.md)
- ``{set}`` GET (query-data-web-api.md), POST (create-entity-web-api.md), ``{set}/$count``
  (query/count-rows.md)
- ``{set}({id})`` and alternate keys ``{set}(k='v',…)`` GET (retrieve-entity-using-web-api.md),
  PATCH and DELETE (update-delete-entities-using-web-api.md)
- ``{set}/Microsoft.Dynamics.CRM.CreateMultiple`` / ``UpdateMultiple`` POST (bulk-operations.md)
- ``WhoAmI``, ``systemusers({id})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)`` and
  ``systemusers({id})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()``
- ``EntityDefinitions…`` (query-metadata-web-api.md), ``$batch``
- ``ImportSolution``, ``RetrieveCurrentOrganization`` (solutions.py)
"""

from __future__ import annotations

from devstack.dataverse import csdl, errors
from devstack.dataverse.batch_api import BatchMixin
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.metadata_api import MetadataMixin
from devstack.dataverse.model import EntityDef, OrgState
from devstack.dataverse.odata import Preferences, Segment, parse_key, parse_path, parse_prefer
from devstack.dataverse.records import Ctx
from devstack.dataverse.responses import (
    ApiRequest,
    ApiResponse,
    error_response,
    json_response,
)
from devstack.dataverse.security import Principal
from devstack.dataverse.solutions import SolutionMixin
from devstack.dataverse.writes import WriteMixin

__all__ = ["ApiRequest", "ApiResponse", "WebApi", "error_response", "json_response"]

NS = "Microsoft.Dynamics.CRM."
# System query options the simulator evaluates. Dataverse has no $skip (page-results.md) and the
# simulator has no $apply/$search; those answer 400 instead of being ignored.
_SYSTEM_OPTIONS = {"$select", "$expand", "$filter", "$top", "$orderby", "$count", "$skiptoken"}
_CUSTOM_OPTIONS = {"sql"}


def _check_query_options(request: ApiRequest) -> None:
    for name, _ in request.query:
        if name.startswith("@"):
            continue  # parameter alias, e.g. RetrievePrincipalAccess(Target=@tid)?@tid=…
        if name in _SYSTEM_OPTIONS or name in _CUSTOM_OPTIONS:
            continue
        # The OData layer refuses an unknown system query option; the wording for custom options
        # (names without "$") is UNCONFIRMED, see README.
        raise errors.bad_request(f"The query parameter '{name}' is not supported.", "0x80060888")


class WebApi(WriteMixin, MetadataMixin, BatchMixin, SolutionMixin):
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

    def _route(self, request: ApiRequest, prefs: Preferences) -> ApiResponse:
        _check_query_options(request)
        segments = parse_path(request.path)
        method = request.method
        if not segments:
            self.allow(method, "GET")
            return csdl.service_document(self.state)
        first, rest = segments[0], segments[1:]
        if first.name == "$metadata" and not rest and first.key is None:
            self.allow(method, "GET")
            return csdl.metadata_document(self.state)
        if first.name == "$batch" and not rest:
            self.allow(method, "POST")
            return self.batch(request, prefs)
        if first.name == "WhoAmI" and not rest and first.key in (None, ""):
            self.allow(method, "GET")
            return self.who_am_i(prefs)
        if first.name == "ImportSolution" and not rest and first.key is None:
            self.allow(method, "POST")
            return self.import_solution(self.ctx(prefs), request)
        if first.name == "RetrieveCurrentOrganization" and not rest:
            self.allow(method, "GET")
            return self.current_organization(self.ctx(prefs), first.key, request)
        if first.name == "RetrieveEnvironmentVariableValue" and not rest:
            self.allow(method, "GET")
            return self.environment_variable_value(self.ctx(prefs), first.key)
        if first.name == "EntityDefinitions":
            self.allow(method, "GET")
            return self.metadata(first, rest, request, prefs)
        entity = self.state.entity_by_set(first.name)
        if entity is None:
            raise errors.segment_not_found(first.name)
        ctx = self.ctx(prefs)
        if first.key is None:
            return self._collection(ctx, entity, rest, request)
        return self._record(ctx, entity, first.key, rest, request)

    def _collection(
        self, ctx: Ctx, entity: EntityDef, rest: list[Segment], request: ApiRequest
    ) -> ApiResponse:
        method = request.method
        if not rest:
            if method == "GET":
                return self.query(ctx, entity, request)
            self.allow(method, "POST")
            return self.create(ctx, entity, request)
        if len(rest) == 1 and rest[0].key is None:
            name = rest[0].name
            if name == "$count":
                self.allow(method, "GET")
                return self.count_only(ctx, entity, request)
            if name == f"{NS}UpdateMultiple":
                self.allow(method, "POST")
                return self.update_multiple(ctx, entity, request)
            if name == f"{NS}CreateMultiple":
                self.allow(method, "POST")
                return self.create_multiple(ctx, entity, request)
        raise errors.segment_not_found(rest[0].name)

    def _record(
        self,
        ctx: Ctx,
        entity: EntityDef,
        raw_key: str,
        rest: list[Segment],
        request: ApiRequest,
    ) -> ApiResponse:
        key = parse_key(raw_key)
        method = request.method
        if not rest:
            if method == "GET":
                return self.retrieve(ctx, entity, key, request)
            if method == "DELETE":
                return self.delete(ctx, entity, key, request)
            self.allow(method, "PATCH")
            return self.patch(ctx, entity, key, request)
        if entity.logical_name == "systemuser" and len(rest) == 1:
            if rest[0].name == f"{NS}RetrievePrincipalAccess":
                self.allow(method, "GET")
                return self.principal_access(ctx, key, rest[0], request)
            if rest[0].name == f"{NS}RetrieveUserPrivileges" and rest[0].key in (None, ""):
                self.allow(method, "GET")
                return self.user_privileges(ctx, key)
        raise errors.segment_not_found(rest[0].name)
