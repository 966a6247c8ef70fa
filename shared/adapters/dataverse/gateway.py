"""``CrmGateway`` for the Dataverse Web API: the operations, each one request shape.

Retries, throttling, deadlines and headers common to every call live in ``transport.py``; column
metadata and its cache in ``metadata.py``; JSON ↔ domain in ``mapping.py``. Request shapes
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/…):

- Cockpit read = ONE ``GET opportunities?$select=…&$expand=parentaccountid($select=name)&$filter=
  opportunityid eq <id>`` with ``Prefer: odata.include-annotations="FormattedValue,
  lookuplogicalname,globalmetadataversion"``. The query form (not ``opportunities(<id>)``) is
  deliberate: the docs show ``@Microsoft.Dynamics.CRM.globalmetadataversion`` on query answers
  (query-data-web-api, "Request annotations"), and it is how the metadata cache learns of schema
  changes without extra requests. An empty answer (deleted, or not visible to the user) costs one
  more ``GET opportunities(<id>)`` to tell 404 from 403.
- Read check = ONE ``GET opportunities(<id>)?$select=opportunityid`` (retrieve-entity-using-web-api):
  Dataverse applies the user's privileges and record access to a retrieve, so success is "may
  read" and the errors say why not.
- Write = ONE ``PATCH opportunities(<id>)`` with ``If-Match: <etag>`` or ``If-Match: *`` — never an
  upsert (perform-conditional-operations-using-web-api); Decimal values keep their exact digits.
- Access rights = ``systemusers(<me>)/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)``
  (use-web-api-functions, security-access-coding), ``<me>`` from ``WhoAmI()`` once per caller and org.
- Bulk = ONE ``POST opportunities/Microsoft.Dynamics.CRM.UpdateMultiple`` (bulk-operations).
- A page of opportunities = ONE ``GET opportunities?…&$filter=Microsoft.Dynamics.CRM.In(
  PropertyName='opportunityid',PropertyValues=[…])`` (webapi/reference/in): rows the user may not
  read are left out by Dataverse, so the query is also the read check of every row.
- Names of users = ONE ``GET systemusers?$select=fullname,azureactivedirectoryobjectid&$filter=…``
  as the viewer (a user the viewer may not read is simply not named).
- Follow-up = ONE ``POST tasks`` with ``regardingobjectid_opportunity_task@odata.bind`` and
  ``ownerid@odata.bind``; the new id comes back in ``OData-EntityId`` (create-entity-web-api).
- Score widget = ONE ``PATCH msdyn_predictivescores(msdyn_entityid='…',msdyn_entitytype=
  'opportunity')`` — an upsert by the table's alternate key, as Microsoft documents for custom
  scoring models (https://learn.microsoft.com/dynamics365/sales/populate-predictive-scores).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from decimal import Decimal

from shared.adapters.dataverse.mapping import (
    FORMATTED,
    GLOBAL_METADATA_VERSION,
    LOOKUP_LOGICAL_NAME,
    column,
    created_id,
    guid,
    metadata_version,
    number_literal,
    predictive_score_body,
    task_body,
    to_access_rights,
    to_identity,
    to_opportunity,
    to_user_names,
    update_multiple_body,
)
from shared.adapters.dataverse.metadata import MetadataCache
from shared.adapters.dataverse.transport import RetryPolicy, Transport
from shared.adapters.wire import Wire
from shared.domain.crm import (
    CrmCaller,
    CrmIdentity,
    FieldInfo,
    FieldUpdate,
    FollowUpTask,
    Opportunity,
    PredictiveScore,
)
from shared.domain.errors import CrmRecordNotFound, CrmRejected, InvalidInput
from shared.domain.orgs import CrmOrg

READ_PREFER = (
    f'odata.include-annotations="{FORMATTED},{LOOKUP_LOGICAL_NAME},{GLOBAL_METADATA_VERSION}"'
)
# Error details carry the plug-in SubErrorCode that identifies a closed-opportunity rejection.
WRITE_PREFER = 'odata.include-annotations="Microsoft.PowerApps.CDS.ErrorDetails.*"'
JSON_BODY = "application/json; charset=utf-8"
BASE_SELECT = (
    "name",
    "closeprobability",
    "estimatedvalue",
    "estimatedclosedate",
    "statecode",
    "statuscode",
    "salesstage",
    "stepname",
    "_customerid_value",
    "_parentaccountid_value",
    "_ownerid_value",
)
# At most this many ids in one In filter or or-chain: a GET URL stays far below Dataverse's limit.
MAX_IDS_PER_QUERY = 50
# systemuserids remembered per (caller key, impersonated object id, org URL); far more than the
# users of one worker, so in practice nothing is ever forgotten.
_MAX_USER_IDS = 10_000


class DataverseGateway:
    """Dataverse implementation of ``shared.ports.CrmGateway``.

    It receives its ``Wire`` (``shared/adapters/wire.py``: the worker's aiohttp session, built by
    the composition root with timeouts and ``verify=``; or ``HttpxWire`` over any httpx client),
    so tests swap transports instead of patching. ``clock`` is a monotonic seconds source used for
    the metadata TTL and the retry deadline.
    """

    def __init__(
        self,
        *,
        wire: Wire,
        policy: RetryPolicy | None = None,
        metadata_ttl: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._transport = Transport(wire=wire, policy=policy or RetryPolicy(), clock=clock)
        self._metadata = MetadataCache(transport=self._transport, ttl=metadata_ttl, clock=clock)
        self._user_ids: dict[tuple[str, str | None, str], str] = {}

    async def get_opportunity(
        self,
        *,
        org: CrmOrg,
        opportunity_id: str,
        caller: CrmCaller,
        extra_fields: Sequence[str] = (),
    ) -> Opportunity:
        """Read one opportunity in exactly one request (columns, expanded names, formatted values)."""
        oid = guid(opportunity_id, "opportunity id")
        extras = [column(f) for f in dict.fromkeys(extra_fields) if f not in BASE_SELECT]
        select = ",".join((*BASE_SELECT, *extras))
        path = (
            f"opportunities?$select={select}&$expand=parentaccountid($select=name)"
            f"&$filter=opportunityid eq {oid}"
        )
        answer = await self._transport.call(
            org, caller, "GET", path, operation="read opportunity", headers={"Prefer": READ_PREFER}
        )
        payload = answer.json()
        version = metadata_version(payload)
        self._metadata.observe_version(org, version)
        rows = payload.get("value") or []
        if not rows:
            # A query leaves out rows the user may not read as well as deleted rows; a single
            # retrieve tells them apart (404 → deleted, 403 → no access).
            await self._retrieve_id(org, caller, oid, operation="read opportunity")
            raise CrmRecordNotFound("read opportunity: not returned by the query")
        return to_opportunity(rows[0], extras, version)

    async def get_opportunities(
        self, *, org: CrmOrg, opportunity_ids: Sequence[str], caller: CrmCaller
    ) -> list[Opportunity]:
        """The opportunities among ``opportunity_ids`` the caller may read, in ONE request (none
        for an empty list); the order is Dataverse's."""
        ids = list(dict.fromkeys(guid(i, "opportunity id") for i in opportunity_ids))
        if not ids:
            return []
        if len(ids) > MAX_IDS_PER_QUERY:
            raise InvalidInput(f"at most {MAX_IDS_PER_QUERY} opportunities per request")
        values = ",".join(f"'{i}'" for i in ids)
        path = (
            f"opportunities?$select={','.join(BASE_SELECT)}&$expand=parentaccountid($select=name)"
            f"&$filter=Microsoft.Dynamics.CRM.In(PropertyName='opportunityid',"
            f"PropertyValues=[{values}])"
        )
        answer = await self._transport.call(
            org,
            caller,
            "GET",
            path,
            operation="read opportunities",
            headers={"Prefer": READ_PREFER},
        )
        payload = answer.json()
        version = metadata_version(payload)
        self._metadata.observe_version(org, version)
        return [to_opportunity(row, [], version) for row in payload.get("value") or []]

    async def user_names(
        self, *, org: CrmOrg, object_ids: Sequence[str], caller: CrmCaller
    ) -> dict[str, str]:
        """Full names of the users with these Entra object ids, as the caller may read them: ONE
        request (none for an empty list). Users the caller may not see are left out."""
        ids = list(dict.fromkeys(guid(i, "object id") for i in object_ids))[:MAX_IDS_PER_QUERY]
        if not ids:
            return {}
        condition = " or ".join(f"azureactivedirectoryobjectid eq {i}" for i in ids)
        path = f"systemusers?$select=fullname,azureactivedirectoryobjectid&$filter={condition}"
        answer = await self._transport.call(org, caller, "GET", path, operation="user names")
        return to_user_names(answer.json())

    async def create_task(self, *, org: CrmOrg, task: FollowUpTask, caller: CrmCaller) -> str:
        """Create a task regarding the opportunity (ONE request); returns its id."""
        answer = await self._transport.call(
            org,
            caller,
            "POST",
            "tasks",
            operation="create task",
            headers={"Content-Type": JSON_BODY, "Prefer": WRITE_PREFER},
            content=task_body(task),
        )
        task_id = created_id(answer.headers.get("OData-EntityId"))
        if task_id is None:
            raise CrmRejected("create task: no OData-EntityId in the answer")
        return task_id

    async def upsert_predictive_score(
        self, *, org: CrmOrg, score: PredictiveScore, caller: CrmCaller
    ) -> None:
        """Create or update the opportunity's row in ``msdyn_predictivescore`` (ONE request).
        A missing table answers 404 (CrmRecordNotFound): no If-Match is sent, so nothing else
        can."""
        oid = guid(score.opportunity_id, "opportunity id")
        key = f"msdyn_entityid='{oid}',msdyn_entitytype='opportunity'"
        await self._transport.call(
            org,
            caller,
            "PATCH",
            f"msdyn_predictivescores({key})",
            operation="upsert predictive score",
            headers={"Content-Type": JSON_BODY, "Prefer": WRITE_PREFER},
            content=predictive_score_body(score),
        )

    async def table_exists(self, *, org: CrmOrg, logical_name: str, caller: CrmCaller) -> bool:
        """Whether the org has this table (ONE metadata request; 404 means no)."""
        name = column(logical_name)
        try:
            await self._transport.call(
                org,
                caller,
                "GET",
                f"EntityDefinitions(LogicalName='{name}')?$select=LogicalName",
                operation=f"table {name}",
            )
        except CrmRecordNotFound:
            return False
        return True

    async def check_read(self, *, org: CrmOrg, opportunity_id: str, caller: CrmCaller) -> None:
        """Raise unless the caller may read the opportunity: exactly one request."""
        oid = guid(opportunity_id, "opportunity id")
        await self._retrieve_id(org, caller, oid, operation="check read access")

    async def my_access(
        self, *, org: CrmOrg, opportunity_id: str, caller: CrmCaller
    ) -> frozenset[str]:
        """The caller's rights on the opportunity (``RetrievePrincipalAccess``), e.g.
        ``{"ReadAccess", "WriteAccess"}``: 1 request once the caller's systemuserid is known, 2
        the first time (``WhoAmI`` first). Column security is not part of the answer.

        For an impersonated caller (``CallerObjectId``) ``WhoAmI`` answers the impersonated user
        ("the user under whose context the code is running",
        https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/whoami; the
        SDK's CallerImpersonationScope example shows the same), so these are the rep's rights.
        What an impersonated write may do is the intersection of the app user's and the rep's
        privileges (https://learn.microsoft.com/power-apps/developer/data-platform/impersonate-another-user),
        which Dataverse checks again on the write itself."""
        oid = guid(opportunity_id, "opportunity id")
        user_id = await self._my_user_id(org, caller)
        # Parameter alias (use-web-api-functions); the transport percent-encodes the braces.
        target = f"{{'@odata.id':'opportunities({oid})'}}"
        path = (
            f"systemusers({user_id})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)"
            f"?@tid={target}"
        )
        answer = await self._transport.call(
            org, caller, "GET", path, operation="RetrievePrincipalAccess"
        )
        return to_access_rights(answer.json())

    async def write_number(
        self,
        *,
        org: CrmOrg,
        opportunity_id: str,
        field: str,
        value: int | float | Decimal,
        caller: CrmCaller,
        etag: str | None = None,
    ) -> None:
        """Update one numeric column with one PATCH; ``If-Match`` makes it never create a row."""
        oid = guid(opportunity_id, "opportunity id")
        body = f'{{"{column(field)}": {number_literal(value)}}}'.encode()
        headers = {
            "Content-Type": JSON_BODY,
            # An etag gives optimistic concurrency (412 on mismatch); "*" still refuses to upsert.
            "If-Match": etag or "*",
            "Prefer": WRITE_PREFER,
        }
        await self._transport.call(
            org,
            caller,
            "PATCH",
            f"opportunities({oid})",
            operation=f"write {field}",
            headers=headers,
            content=body,
        )

    async def update_many(
        self, *, org: CrmOrg, updates: Sequence[FieldUpdate], caller: CrmCaller
    ) -> None:
        """All-or-nothing bulk update in one ``UpdateMultiple`` request: "Any error … causes the
        entire operation to roll back" on standard tables (bulk-operations). No etags: the action
        has no per-row optimistic concurrency. Nothing is sent for an empty list."""
        body = update_multiple_body(updates)
        if body is None:
            return
        await self._transport.call(
            org,
            caller,
            "POST",
            "opportunities/Microsoft.Dynamics.CRM.UpdateMultiple",
            operation="UpdateMultiple",
            headers={"Content-Type": JSON_BODY, "Prefer": WRITE_PREFER},
            content=body,
        )

    async def field_info(self, *, org: CrmOrg, field: str, caller: CrmCaller) -> FieldInfo:
        """Metadata of one opportunity column with its range; cached (TTL + globalmetadataversion)."""
        return await self._metadata.field_info(org, column(field), caller)

    async def numeric_fields(self, *, org: CrmOrg, caller: CrmCaller) -> list[FieldInfo]:
        """Numeric opportunity columns valid for update: one cast query per numeric type (5)."""
        return await self._metadata.numeric_fields(org, caller)

    async def who_am_i(self, *, org: CrmOrg, caller: CrmCaller) -> CrmIdentity:
        """``WhoAmI()`` for the caller (the impersonated rep when ``CallerObjectId`` is set)."""
        answer = await self._transport.call(org, caller, "GET", "WhoAmI()", operation="WhoAmI")
        return to_identity(answer.json())

    async def _retrieve_id(
        self, org: CrmOrg, caller: CrmCaller, oid: str, *, operation: str
    ) -> None:
        await self._transport.call(
            org, caller, "GET", f"opportunities({oid})?$select=opportunityid", operation=operation
        )

    async def _my_user_id(self, org: CrmOrg, caller: CrmCaller) -> str:
        """The caller's systemuserid in ``org``, from ``WhoAmI`` once and then from memory: a
        systemuserid never changes for a user. The impersonated object id is part of the key, so
        one app caller acting for several reps never mixes them up."""
        key = (caller.key, caller.impersonate_object_id, org.url)
        known = self._user_ids.get(key)
        if known is not None:
            return known
        identity = await self.who_am_i(org=org, caller=caller)
        try:
            user_id = guid(identity.user_id, "systemuserid")
        except InvalidInput as exc:
            raise CrmRejected("WhoAmI: UserId is not a GUID") from exc
        if len(self._user_ids) >= _MAX_USER_IDS:
            del self._user_ids[next(iter(self._user_ids))]
        self._user_ids[key] = user_id
        return user_id
