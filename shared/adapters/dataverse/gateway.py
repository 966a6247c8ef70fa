"""``CrmGateway`` for the Dataverse Web API (httpx, async).

Request shapes and their sources (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/…,
MicrosoftDocs/powerapps-docs developer/data-platform/webapi/):

- Every call sends ``Accept: application/json``, ``OData-MaxVersion/OData-Version: 4.0`` and
  ``If-None-Match: null`` (compose-http-requests-handle-errors.md), the caller's bearer token for the
  org URL, and ``CallerObjectId`` when acting for a rep (impersonate-another-user-web-api.md).
- Cockpit read = ONE ``GET opportunities?$select=…&$expand=parentaccountid($select=name)&$filter=
  opportunityid eq <id>`` with ``Prefer: odata.include-annotations="FormattedValue,lookuplogicalname,
  globalmetadataversion"``. The query form (not ``opportunities(<id>)``) is deliberate: the docs
  document ``@Microsoft.Dynamics.CRM.globalmetadataversion`` on query responses only
  (query-data-web-api.md, "Request annotations"), and it is how the metadata cache learns of schema
  changes without extra requests. An empty answer (deleted, or not visible to the user) costs one
  more ``GET opportunities(<id>)`` to tell 404 from 403.
- Write = ONE ``PATCH opportunities(<id>)`` with ``If-Match: <etag>`` or ``If-Match: *`` — never an
  upsert (perform-conditional-operations-using-web-api.md); Decimal values keep their exact digits.
- Metadata: ``EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='x')`` then the
  typed cast (``…/Microsoft.Dynamics.CRM.IntegerAttributeMetadata`` etc.) for MinValue/MaxValue/
  Precision: 2 requests per column when cold (query-metadata-web-api.md). ``numeric_fields`` sends
  one cast query per numeric type (Integer, BigInt, Decimal, Double, Money): 5 requests, which also
  warm ``field_info``. Cached per org for ``metadata_ttl`` seconds, and dropped as soon as a read
  reports a different ``globalmetadataversion``.
- ``WhoAmI()``, ``systemusers(id)/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)``
  (use-web-api-functions.md), ``$batch`` with ``Prefer: odata.continue-on-error``
  (execute-batch-operations-using-web-api.md) and ``UpdateMultiple`` (bulk-operations.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from shared.adapters.dataverse.batch import BatchOperation, build_batch, parse_batch_response
from shared.adapters.dataverse.errors import domain_error
from shared.adapters.dataverse.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from shared.domain.crm import (
    BulkResult,
    CrmCaller,
    CrmIdentity,
    FieldInfo,
    FieldUpdate,
    NumericKind,
    Opportunity,
    OpportunityState,
)
from shared.domain.errors import (
    CockpitError,
    ConfigurationInvalid,
    CrmAccessDenied,
    CrmBusy,
    CrmConflict,
    CrmError,
    CrmFieldSecured,
    CrmRecordClosed,
    CrmRecordNotFound,
    CrmRejected,
    CrmUnavailable,
    InvalidInput,
    ReauthRequired,
)
from shared.domain.orgs import CrmOrg

logger = logging.getLogger(__name__)

API_PATH = "/api/data/v9.2/"
STANDARD_HEADERS = {
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
    "If-None-Match": "null",
}
FORMATTED = "OData.Community.Display.V1.FormattedValue"
LOOKUP_LOGICAL_NAME = "Microsoft.Dynamics.CRM.lookuplogicalname"
GLOBAL_METADATA_VERSION = "Microsoft.Dynamics.CRM.globalmetadataversion"
READ_PREFER = (
    f'odata.include-annotations="{FORMATTED},{LOOKUP_LOGICAL_NAME},{GLOBAL_METADATA_VERSION}"'
)
# Error details carry the plug-in SubErrorCode that identifies a closed-opportunity rejection.
WRITE_PREFER = 'odata.include-annotations="Microsoft.PowerApps.CDS.ErrorDetails.*"'
METADATA_PREFER = f'odata.include-annotations="{GLOBAL_METADATA_VERSION}"'
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
NUMERIC_CASTS = {
    NumericKind.INTEGER: "IntegerAttributeMetadata",
    NumericKind.BIGINT: "BigIntAttributeMetadata",
    NumericKind.DECIMAL: "DecimalAttributeMetadata",
    NumericKind.DOUBLE: "DoubleAttributeMetadata",
    NumericKind.MONEY: "MoneyAttributeMetadata",
}
_HAS_PRECISION = {NumericKind.DECIMAL, NumericKind.DOUBLE, NumericKind.MONEY}
_BASE_ATTRIBUTE_SELECT = (
    "LogicalName,AttributeType,DisplayName,IsValidForUpdate,IsSecured,IsCustomAttribute"
)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
# Statuses a BulkResult reports when the whole batch failed before any part ran.
_STATUS_BY_ERROR: tuple[tuple[type[CockpitError], int], ...] = (
    (ReauthRequired, 401),
    (CrmBusy, 429),
    (CrmUnavailable, 503),
    (CrmFieldSecured, 403),
    (CrmAccessDenied, 403),
    (CrmRecordNotFound, 404),
    (CrmConflict, 412),
    (CrmRecordClosed, 400),
    (CrmRejected, 400),
    (InvalidInput, 400),
)


def _guid(value: str, what: str) -> str:
    value = value.strip().strip("{}")
    if not _GUID.match(value):
        raise InvalidInput(f"{what} is not a GUID", params={"what": what})
    return value.lower()


def _column(name: str) -> str:
    if not _COLUMN.match(name):
        raise InvalidInput("not a valid column logical name", params={"field": name})
    return name


def number_literal(value: int | float | Decimal) -> str:
    """The exact JSON literal for a column value: Decimals keep their digits (no float rounding)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidInput("a numeric value is required", params={"value": repr(value)})
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput("the value must be a finite number")
        return repr(value)
    if not value.is_finite():
        raise InvalidInput("the value must be a finite number")
    return format(value, "f")


def _quote(text: str) -> str:
    return quote(text, safe="$,()='@:/;*?&=")


@dataclass
class _UserGate:
    """Per-user traffic control: a concurrency cap and the end of the current throttle pause."""

    semaphore: asyncio.Semaphore
    blocked_until: float = 0.0
    users: int = 0  # operations of this user currently inside _call (pruning never drops these)


@dataclass
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> dict[str, Any]:
        """The JSON object of a success answer; Decimal keeps money and decimal values exact."""
        try:
            value = json.loads(self.body or b"{}", parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CrmUnavailable(f"HTTP {self.status}: the answer is not JSON") from exc
        if not isinstance(value, dict):
            raise CrmUnavailable(f"HTTP {self.status}: the answer is not a JSON object")
        return value


@dataclass
class _OrgMetadata:
    version: str | None = None
    fields: dict[str, tuple[FieldInfo, float]] = field(default_factory=dict)
    numeric: tuple[list[FieldInfo], float] | None = None


class DataverseGateway:
    """Dataverse implementation of ``shared.ports.CrmGateway``.

    It receives its ``httpx.AsyncClient`` (one per worker, built by the composition root with
    timeouts and ``verify=``), so tests swap transports instead of patching. ``clock`` is a
    monotonic seconds source used for the metadata TTL and the retry deadline.
    """

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        policy: RetryPolicy | None = None,
        metadata_ttl: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        batch_size: int = 100,
    ) -> None:
        if not 1 <= batch_size <= 1000:
            raise ValueError("batch_size must be between 1 and 1000")
        self._client = client
        self._policy = policy or RetryPolicy()
        self._ttl = metadata_ttl
        self._clock = clock
        self._batch_size = batch_size
        self._gates: dict[str, _UserGate] = {}
        self._metadata: dict[str, _OrgMetadata] = {}
        self._metadata_locks: dict[tuple[str, str], asyncio.Lock] = {}

    # --- CrmGateway ------------------------------------------------------------------------------

    async def get_opportunity(
        self,
        *,
        org: CrmOrg,
        opportunity_id: str,
        caller: CrmCaller,
        extra_fields: Sequence[str] = (),
    ) -> Opportunity:
        """Read one opportunity in exactly one request (columns, expanded names, formatted values)."""
        oid = _guid(opportunity_id, "opportunity id")
        extras = [_column(f) for f in dict.fromkeys(extra_fields) if f not in BASE_SELECT]
        select = ",".join((*BASE_SELECT, *extras))
        path = (
            f"opportunities?$select={select}&$expand=parentaccountid($select=name)"
            f"&$filter=opportunityid eq {oid}"
        )
        answer = await self._call(
            org, caller, "GET", path, operation="read opportunity", headers={"Prefer": READ_PREFER}
        )
        payload = answer.json()
        version = payload.get(f"@{GLOBAL_METADATA_VERSION}")
        version = str(version) if version is not None else None
        self._observe_metadata_version(org, version)
        rows = payload.get("value") or []
        if not rows:
            await self._explain_missing(org, caller, oid)
        return _to_opportunity(rows[0], extras, version)

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
        oid = _guid(opportunity_id, "opportunity id")
        body = f'{{"{_column(field)}": {number_literal(value)}}}'.encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            # An etag gives optimistic concurrency (412 on mismatch); "*" still refuses to upsert.
            "If-Match": etag or "*",
            "Prefer": WRITE_PREFER,
        }
        await self._call(
            org,
            caller,
            "PATCH",
            f"opportunities({oid})",
            operation=f"write {field}",
            headers=headers,
            content=body,
        )

    async def field_info(self, *, org: CrmOrg, field: str, caller: CrmCaller) -> FieldInfo:
        """Metadata of one opportunity column with its range; cached (TTL + globalmetadataversion)."""
        name = _column(field)
        cached = self._cached_field(org, name)
        if cached is not None:
            return cached
        lock = self._metadata_locks.setdefault((org.url, name), asyncio.Lock())
        async with lock:
            cached = self._cached_field(org, name)
            if cached is not None:
                return cached
            version = self._org_metadata(org).version
            info = await self._fetch_field(org, caller, name)
            meta = self._org_metadata(org)
            # A read that reported a new schema version meanwhile makes this answer suspect.
            if meta.version == version:
                meta.fields[name] = (info, self._clock())
            return info

    async def numeric_fields(self, *, org: CrmOrg, caller: CrmCaller) -> list[FieldInfo]:
        """Numeric opportunity columns valid for update: one cast query per numeric type (5)."""
        meta = self._org_metadata(org)
        if meta.numeric is not None and self._fresh(meta.numeric[1]):
            return list(meta.numeric[0])
        results = await asyncio.gather(
            *(self._numeric_of_kind(org, caller, kind) for kind in NUMERIC_CASTS)
        )
        now = self._clock()
        fields = sorted(
            (f for _, batch in results for f in batch),
            key=lambda f: (f.display_name.lower(), f.logical_name),
        )
        meta = self._org_metadata(org)
        versions = {version for version, _ in results}
        # Cache only an answer made of one schema version that is still the current one.
        if len(versions) == 1 and versions == {meta.version}:
            for info in fields:
                meta.fields[info.logical_name] = (info, now)
            meta.numeric = (fields, now)
        return list(fields)

    async def who_am_i(self, *, org: CrmOrg, caller: CrmCaller) -> CrmIdentity:
        """``WhoAmI()`` for the caller (the impersonated rep when ``CallerObjectId`` is set)."""
        payload = (await self._call(org, caller, "GET", "WhoAmI()", operation="WhoAmI")).json()
        try:
            return CrmIdentity(
                user_id=str(payload["UserId"]),
                business_unit_id=str(payload["BusinessUnitId"]),
                organization_id=str(payload["OrganizationId"]),
            )
        except KeyError as exc:
            raise CrmRejected(f"WhoAmI: unexpected answer without {exc}") from exc

    async def access_rights(
        self, *, org: CrmOrg, opportunity_id: str, user_id: str, caller: CrmCaller
    ) -> frozenset[str]:
        """``RetrievePrincipalAccess``: e.g. ``{"ReadAccess", "WriteAccess"}`` (no column security)."""
        oid = _guid(opportunity_id, "opportunity id")
        uid = _guid(user_id, "user id")
        # Parameter alias (use-web-api-functions.md); _call percent-encodes the braces.
        target = f"{{'@odata.id':'opportunities({oid})'}}"
        path = f"systemusers({uid})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)?@tid={target}"
        payload = (
            await self._call(org, caller, "GET", path, operation="RetrievePrincipalAccess")
        ).json()
        rights = str(payload.get("AccessRights") or "")
        return frozenset(r.strip() for r in rights.split(",") if r.strip() and r.strip() != "None")

    async def write_many(
        self, *, org: CrmOrg, updates: Sequence[FieldUpdate], caller: CrmCaller
    ) -> list[BulkResult]:
        """Write several records via ``$batch`` with continue-on-error: one result per update, in
        order. Each update is its own part (no change set), so one failure does not roll back the
        others; a whole-batch failure (throttled, unavailable, re-auth) is reported on every update
        of that batch."""
        results: list[BulkResult | None] = [None] * len(updates)
        pending: list[tuple[int, BatchOperation]] = []
        for index, update in enumerate(updates):
            try:
                oid = _guid(update.opportunity_id, "opportunity id")
                body = f'{{"{_column(update.field)}": {number_literal(update.value)}}}'.encode()
            except InvalidInput as exc:
                results[index] = BulkResult(update.opportunity_id, 400, exc)
                continue
            operation = BatchOperation(
                method="PATCH",
                url=f"opportunities({oid})",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "If-Match": update.etag or "*",
                    "Prefer": WRITE_PREFER,
                },
                body=body,
            )
            pending.append((index, operation))
        for start in range(0, len(pending), self._batch_size):
            chunk = pending[start : start + self._batch_size]
            for index, result in await self._run_batch(org, caller, updates, chunk):
                results[index] = result
        return [r for r in results if r is not None]

    # --- beyond the port ---------------------------------------------------------------------------

    async def update_multiple(
        self, *, org: CrmOrg, updates: Sequence[FieldUpdate], caller: CrmCaller
    ) -> None:
        """All-or-nothing bulk update with the ``UpdateMultiple`` action: "Any error … causes the
        entire operation to roll back" on standard tables (bulk-operations.md). No etags: the
        action has no per-row optimistic concurrency."""
        targets: dict[str, dict[str, str]] = {}
        for update in updates:
            oid = _guid(update.opportunity_id, "opportunity id")
            targets.setdefault(oid, {})[_column(update.field)] = number_literal(update.value)
        if not targets:
            return
        items = []
        for oid, columns in targets.items():
            members = [
                '"@odata.type": "Microsoft.Dynamics.CRM.opportunity"',
                f'"opportunityid": "{oid}"',
                *(f'"{name}": {literal}' for name, literal in columns.items()),
            ]
            items.append("{" + ", ".join(members) + "}")
        body = ('{"Targets": [' + ", ".join(items) + "]}").encode()
        await self._call(
            org,
            caller,
            "POST",
            "opportunities/Microsoft.Dynamics.CRM.UpdateMultiple",
            operation="UpdateMultiple",
            headers={"Content-Type": "application/json; charset=utf-8", "Prefer": WRITE_PREFER},
            content=body,
        )

    # --- metadata cache -----------------------------------------------------------------------------

    def _org_metadata(self, org: CrmOrg) -> _OrgMetadata:
        return self._metadata.setdefault(org.url, _OrgMetadata())

    def _fresh(self, fetched_at: float) -> bool:
        return self._clock() - fetched_at < self._ttl

    def _cached_field(self, org: CrmOrg, name: str) -> FieldInfo | None:
        entry = self._org_metadata(org).fields.get(name)
        if entry is not None and self._fresh(entry[1]):
            return entry[0]
        return None

    def _observe_metadata_version(self, org: CrmOrg, version: str | None) -> None:
        """Drop the org's cached metadata when Dataverse reports another schema version
        (globalmetadataversion "changes on any schema change")."""
        if version is None:
            return
        meta = self._org_metadata(org)
        if meta.version is not None and meta.version != version:
            logger.info(
                "schema of %s changed (%s → %s): metadata cache cleared",
                org.name,
                meta.version,
                version,
            )
            meta.fields.clear()
            meta.numeric = None
        meta.version = version

    async def _fetch_field(self, org: CrmOrg, caller: CrmCaller, name: str) -> FieldInfo:
        base = f"EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='{name}')"
        try:
            attribute = (
                await self._call(
                    org,
                    caller,
                    "GET",
                    f"{base}?$select={_BASE_ATTRIBUTE_SELECT}",
                    operation=f"metadata of {name}",
                )
            ).json()
        except CrmRecordNotFound as exc:
            raise ConfigurationInvalid(
                f"opportunity has no column {name!r}", params={"field": name}
            ) from exc
        kind = _numeric_kind(attribute.get("AttributeType"))
        typed: dict[str, Any] = {}
        if kind is not None:
            columns = "MinValue,MaxValue" + (",Precision" if kind in _HAS_PRECISION else "")
            typed = (
                await self._call(
                    org,
                    caller,
                    "GET",
                    f"{base}/Microsoft.Dynamics.CRM.{NUMERIC_CASTS[kind]}?$select={columns}",
                    operation=f"range of {name}",
                )
            ).json()
        return _to_field_info(attribute, typed)

    async def _numeric_of_kind(
        self, org: CrmOrg, caller: CrmCaller, kind: NumericKind
    ) -> tuple[str | None, list[FieldInfo]]:
        columns = (
            _BASE_ATTRIBUTE_SELECT
            + ",MinValue,MaxValue"
            + (",Precision" if kind in _HAS_PRECISION else "")
        )
        path = (
            f"EntityDefinitions(LogicalName='opportunity')/Attributes/Microsoft.Dynamics.CRM."
            f"{NUMERIC_CASTS[kind]}?$select={columns}&$filter=IsValidForUpdate eq true"
        )
        payload = (
            await self._call(
                org,
                caller,
                "GET",
                path,
                operation=f"{kind.value} columns",
                headers={"Prefer": METADATA_PREFER},
            )
        ).json()
        raw = payload.get(f"@{GLOBAL_METADATA_VERSION}")
        version = str(raw) if raw is not None else None
        self._observe_metadata_version(org, version)
        return version, [_to_field_info(item, item) for item in payload.get("value") or []]

    # --- reads that came back empty ------------------------------------------------------------------

    async def _explain_missing(self, org: CrmOrg, caller: CrmCaller, oid: str) -> None:
        """A query leaves out rows the user may not read as well as deleted rows; a single retrieve
        tells them apart (404 → deleted, 403 → no access)."""
        await self._call(
            org,
            caller,
            "GET",
            f"opportunities({oid})?$select=opportunityid",
            operation="read opportunity",
        )
        raise CrmRecordNotFound("read opportunity: not returned by the query")

    # --- $batch ----------------------------------------------------------------------------------------

    async def _run_batch(
        self,
        org: CrmOrg,
        caller: CrmCaller,
        updates: Sequence[FieldUpdate],
        chunk: list[tuple[int, BatchOperation]],
    ) -> list[tuple[int, BulkResult]]:
        content_type, body = build_batch(
            [op for _, op in chunk], service_root=f"{org.url}{API_PATH}"
        )
        try:
            answer = await self._call(
                org,
                caller,
                "POST",
                "$batch",
                operation="batch write",
                headers={"Content-Type": content_type, "Prefer": "odata.continue-on-error"},
                content=body,
            )
            parts = parse_batch_response(answer.headers.get("content-type", ""), answer.body)
        except CockpitError as exc:
            status = next((s for cls, s in _STATUS_BY_ERROR if isinstance(exc, cls)), 500)
            return [(i, BulkResult(updates[i].opportunity_id, status, exc)) for i, _ in chunk]
        except ValueError as exc:  # malformed multipart answer
            error = CrmUnavailable(f"batch write: unreadable batch response ({exc})")
            return [(i, BulkResult(updates[i].opportunity_id, 502, error)) for i, _ in chunk]
        out: list[tuple[int, BulkResult]] = []
        for position, (index, _) in enumerate(chunk):
            update = updates[index]
            if position >= len(parts):
                error = CrmUnavailable("batch write: no response for this part")
                out.append((index, BulkResult(update.opportunity_id, 502, error)))
                continue
            part = parts[position]
            problem: CockpitError | None = None
            if part.status >= 400:
                problem = domain_error(
                    part.status,
                    part.body,
                    operation=f"write {update.field}",
                    retry_after=parse_retry_after(part.headers.get("retry-after")),
                )
            out.append((index, BulkResult(update.opportunity_id, part.status, problem)))
        return out

    # --- transport: retries, throttling, concurrency ---------------------------------------------

    def _gate(self, key: str) -> _UserGate:
        gate = self._gates.get(key)
        if gate is None:
            if len(self._gates) > 10_000:
                self._prune_gates()
            gate = _UserGate(asyncio.Semaphore(self._policy.per_user_concurrency))
            self._gates[key] = gate
        return gate

    def _prune_gates(self) -> None:
        now = self._clock()
        idle = [k for k, g in self._gates.items() if g.users == 0 and g.blocked_until <= now]
        for key in idle:
            del self._gates[key]

    async def _call(
        self,
        org: CrmOrg,
        caller: CrmCaller,
        method: str,
        path: str,
        *,
        operation: str,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> _Answer:
        """Send with the retry policy; return a 2xx answer or raise a domain error."""
        policy = self._policy
        deadline = self._clock() + policy.deadline_seconds
        gate = self._gate(caller.key)
        gate.users += 1
        try:
            return await self._attempts(
                gate, org, caller, method, path, operation, headers, content, deadline
            )
        finally:
            gate.users -= 1

    async def _attempts(
        self,
        gate: _UserGate,
        org: CrmOrg,
        caller: CrmCaller,
        method: str,
        path: str,
        operation: str,
        headers: Mapping[str, str] | None,
        content: bytes | None,
        deadline: float,
    ) -> _Answer:
        policy = self._policy
        url = f"{org.url}{API_PATH}{_quote(path)}"
        # One id for the logical operation, kept across retries, so logs (ours and the server's
        # request log) can tie attempts together.
        request_id = str(uuid.uuid4())
        attempt = 0
        while True:
            attempt += 1
            await self._wait_until_unblocked(gate, deadline, operation)
            async with gate.semaphore:
                if gate.blocked_until > self._clock():
                    # Throttled while we queued for a slot: wait again; nothing was sent.
                    attempt -= 1
                    continue
                attempt_headers = dict(STANDARD_HEADERS)
                attempt_headers["Authorization"] = f"Bearer {await caller.token(org.url)}"
                attempt_headers["x-ms-client-request-id"] = request_id
                if caller.impersonate_object_id:
                    attempt_headers["CallerObjectId"] = caller.impersonate_object_id
                attempt_headers.update(headers or {})
                remaining = deadline - self._clock()
                if remaining <= 0:
                    raise CrmBusy(
                        f"{operation}: deadline reached while queued behind this user's other requests"
                    )
                try:
                    response = await self._client.request(
                        method,
                        url,
                        headers=attempt_headers,
                        content=content,
                        timeout=self._timeout(remaining),
                    )
                    answer = _Answer(response.status_code, response.headers, response.content)
                except httpx.TimeoutException as exc:
                    failure: CockpitError = CrmUnavailable(
                        f"{operation}: timed out ({type(exc).__name__})"
                    )
                    answer = None
                except httpx.HTTPError as exc:
                    failure = CrmUnavailable(f"{operation}: {type(exc).__name__}")
                    answer = None
            if answer is not None and answer.status < 400:
                return answer
            if answer is not None and answer.status == 429:
                retry_after = parse_retry_after(answer.headers.get("retry-after"))
                wait = policy.throttle_wait(retry_after, attempt)
                # Pause every request of this user, not just this one (api-limits.md: continuing
                # to send extends the penalty).
                gate.blocked_until = max(gate.blocked_until, self._clock() + wait)
                if attempt < policy.max_attempts and self._clock() + wait <= deadline:
                    logger.info(
                        "%s: throttled for %s (attempt %d), waiting %.2f s",
                        operation,
                        caller.key,
                        attempt,
                        wait,
                    )
                    continue
                raise domain_error(
                    429, answer.body, operation=operation, retry_after=retry_after or wait
                )
            if answer is not None and answer.status not in RETRYABLE_STATUSES:
                raise domain_error(answer.status, answer.body, operation=operation)
            if answer is not None:
                failure = domain_error(answer.status, answer.body, operation=operation)
            delay = policy.backoff(attempt)
            if attempt >= policy.max_attempts or self._clock() + delay > deadline:
                if isinstance(failure, CrmError):
                    raise failure
                raise CrmUnavailable(str(failure))
            logger.info(
                "%s: %s (attempt %d), retrying in %.2f s",
                operation,
                failure.detail or failure,
                attempt,
                delay,
            )
            await policy.sleep(delay)

    async def _wait_until_unblocked(self, gate: _UserGate, deadline: float, operation: str) -> None:
        while (wait := gate.blocked_until - self._clock()) > 0:
            if self._clock() + wait > deadline:
                raise CrmBusy(f"{operation}: throttled past the deadline", retry_after=wait)
            await self._policy.sleep(wait)

    def _timeout(self, remaining: float) -> httpx.Timeout:
        configured = self._client.timeout

        def cap(value: float | None) -> float:
            return remaining if value is None else min(value, remaining)

        return httpx.Timeout(
            connect=cap(configured.connect),
            read=cap(configured.read),
            write=cap(configured.write),
            pool=cap(configured.pool),
        )


# --- mapping -------------------------------------------------------------------------------------


def _numeric_kind(value: Any) -> NumericKind | None:
    try:
        return NumericKind(str(value))
    except ValueError:
        return None


def _label(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    user = value.get("UserLocalizedLabel")
    if isinstance(user, dict) and user.get("Label"):
        return str(user["Label"])
    for item in value.get("LocalizedLabels") or []:
        if isinstance(item, dict) and item.get("Label"):
            return str(item["Label"])
    return None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _to_field_info(attribute: Mapping[str, Any], typed: Mapping[str, Any]) -> FieldInfo:
    name = str(attribute.get("LogicalName"))
    precision = typed.get("Precision")
    return FieldInfo(
        logical_name=name,
        display_name=_label(attribute.get("DisplayName")) or name,
        attribute_type=str(attribute.get("AttributeType")),
        is_valid_for_update=bool(attribute.get("IsValidForUpdate")),
        is_secured=bool(attribute.get("IsSecured")),
        is_custom=bool(attribute.get("IsCustomAttribute")),
        min_value=_decimal(typed.get("MinValue")),
        max_value=_decimal(typed.get("MaxValue")),
        precision=int(precision) if isinstance(precision, int | Decimal) else None,
    )


def _formatted(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(f"{name}@{FORMATTED}")
    return str(value) if value is not None else None


def _to_opportunity(
    row: Mapping[str, Any], extras: Sequence[str], version: str | None
) -> Opportunity:
    state_code = row.get("statecode")
    state = {1: OpportunityState.WON, 2: OpportunityState.LOST}.get(
        int(state_code) if state_code is not None else 0, OpportunityState.OPEN
    )
    account = row.get("parentaccountid")
    account_name = account.get("name") if isinstance(account, dict) else None
    close_date = row.get("estimatedclosedate")
    probability = row.get("closeprobability")
    return Opportunity(
        id=str(row.get("opportunityid")),
        name=str(row.get("name") or ""),
        state=state,
        status_display=_formatted(row, "statuscode"),
        account_name=account_name or _formatted(row, "_parentaccountid_value"),
        customer_name=_formatted(row, "_customerid_value"),
        owner_name=_formatted(row, "_ownerid_value"),
        estimated_value=_decimal(row.get("estimatedvalue")),
        estimated_value_display=_formatted(row, "estimatedvalue"),
        estimated_close_date=date.fromisoformat(str(close_date)[:10]) if close_date else None,
        estimated_close_date_display=_formatted(row, "estimatedclosedate"),
        sales_stage_display=_formatted(row, "salesstage"),
        pipeline_phase=row.get("stepname"),
        probability=int(probability) if probability is not None else None,
        extra_values={name: _decimal(row.get(name)) for name in extras},
        etag=row.get("@odata.etag"),
        metadata_version=version,
    )
