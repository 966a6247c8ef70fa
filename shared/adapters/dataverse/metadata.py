"""Opportunity column metadata, cached per org.

Requests (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api):
``EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='x')`` and then the typed cast
(``…/Microsoft.Dynamics.CRM.IntegerAttributeMetadata`` etc.) for MinValue/MaxValue/Precision — 2
requests per column when cold. ``numeric_fields`` sends one cast query per numeric type (Integer,
BigInt, Decimal, Double, Money): 5 requests, which also warm ``field_info``.

Entries live ``ttl`` seconds, and the whole org's cache is dropped as soon as any answer reports
another ``Microsoft.Dynamics.CRM.globalmetadataversion`` — it "changes on any schema change"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors),
so an admin's change to a column is seen on the next cockpit read without extra requests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.adapters.dataverse.mapping import (
    GLOBAL_METADATA_VERSION,
    metadata_version,
    numeric_kind,
    to_field_info,
)
from shared.adapters.dataverse.transport import Transport
from shared.domain.crm import CrmCaller, FieldInfo, NumericKind
from shared.domain.errors import ConfigurationInvalid, CrmRecordNotFound
from shared.domain.orgs import CrmOrg

logger = logging.getLogger(__name__)

NUMERIC_CASTS = {
    NumericKind.INTEGER: "IntegerAttributeMetadata",
    NumericKind.BIGINT: "BigIntAttributeMetadata",
    NumericKind.DECIMAL: "DecimalAttributeMetadata",
    NumericKind.DOUBLE: "DoubleAttributeMetadata",
    NumericKind.MONEY: "MoneyAttributeMetadata",
}
_HAS_PRECISION = {NumericKind.DECIMAL, NumericKind.DOUBLE, NumericKind.MONEY}
_ATTRIBUTES = "EntityDefinitions(LogicalName='opportunity')/Attributes"
_BASE_SELECT = "LogicalName,AttributeType,DisplayName,IsValidForUpdate,IsSecured,IsCustomAttribute"
_PREFER = f'odata.include-annotations="{GLOBAL_METADATA_VERSION}"'


@dataclass
class _OrgMetadata:
    version: str | None = None
    fields: dict[str, tuple[FieldInfo, float]] = field(default_factory=dict)
    numeric: tuple[list[FieldInfo], float] | None = None


class MetadataCache:
    """Column metadata per org, fetched through ``transport`` as the asking caller."""

    def __init__(self, *, transport: Transport, ttl: float, clock: Callable[[], float]) -> None:
        self._transport = transport
        self._ttl = ttl
        self._clock = clock
        self._orgs: dict[str, _OrgMetadata] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def observe_version(self, org: CrmOrg, version: str | None) -> None:
        """Record the schema version an answer reported; drop the org's cache when it changed."""
        if version is None:
            return
        meta = self._org(org)
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

    async def field_info(self, org: CrmOrg, name: str, caller: CrmCaller) -> FieldInfo:
        """One column; concurrent cold lookups of the same column share one fetch."""
        cached = self._cached_field(org, name)
        if cached is not None:
            return cached
        async with self._locks.setdefault((org.url, name), asyncio.Lock()):
            cached = self._cached_field(org, name)
            if cached is not None:
                return cached
            version = self._org(org).version
            info = await self._fetch_field(org, caller, name)
            meta = self._org(org)
            # A read that reported a new schema version meanwhile makes this answer suspect.
            if meta.version == version:
                meta.fields[name] = (info, self._clock())
            return info

    async def numeric_fields(self, org: CrmOrg, caller: CrmCaller) -> list[FieldInfo]:
        """Numeric columns valid for update, sorted by display name."""
        meta = self._org(org)
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
        meta = self._org(org)
        versions = {version for version, _ in results}
        # Cache only an answer made of one schema version that is still the current one.
        if len(versions) == 1 and versions == {meta.version}:
            for info in fields:
                meta.fields[info.logical_name] = (info, now)
            meta.numeric = (fields, now)
        return list(fields)

    def _org(self, org: CrmOrg) -> _OrgMetadata:
        return self._orgs.setdefault(org.url, _OrgMetadata())

    def _fresh(self, fetched_at: float) -> bool:
        return self._clock() - fetched_at < self._ttl

    def _cached_field(self, org: CrmOrg, name: str) -> FieldInfo | None:
        entry = self._org(org).fields.get(name)
        if entry is not None and self._fresh(entry[1]):
            return entry[0]
        return None

    async def _fetch_field(self, org: CrmOrg, caller: CrmCaller, name: str) -> FieldInfo:
        base = f"{_ATTRIBUTES}(LogicalName='{name}')"
        try:
            attribute = (
                await self._transport.call(
                    org,
                    caller,
                    "GET",
                    f"{base}?$select={_BASE_SELECT}",
                    operation=f"metadata of {name}",
                )
            ).json()
        except CrmRecordNotFound as exc:
            raise ConfigurationInvalid(
                f"opportunity has no column {name!r}", params={"field": name}
            ) from exc
        kind = numeric_kind(attribute.get("AttributeType"))
        typed: dict[str, Any] = {}
        if kind is not None:
            columns = "MinValue,MaxValue" + (",Precision" if kind in _HAS_PRECISION else "")
            typed = (
                await self._transport.call(
                    org,
                    caller,
                    "GET",
                    f"{base}/Microsoft.Dynamics.CRM.{NUMERIC_CASTS[kind]}?$select={columns}",
                    operation=f"range of {name}",
                )
            ).json()
        return to_field_info(attribute, typed)

    async def _numeric_of_kind(
        self, org: CrmOrg, caller: CrmCaller, kind: NumericKind
    ) -> tuple[str | None, list[FieldInfo]]:
        columns = (
            _BASE_SELECT + ",MinValue,MaxValue" + (",Precision" if kind in _HAS_PRECISION else "")
        )
        path = (
            f"{_ATTRIBUTES}/Microsoft.Dynamics.CRM.{NUMERIC_CASTS[kind]}"
            f"?$select={columns}&$filter=IsValidForUpdate eq true"
        )
        payload = (
            await self._transport.call(
                org,
                caller,
                "GET",
                path,
                operation=f"{kind.value} columns",
                headers={"Prefer": _PREFER},
            )
        ).json()
        version = metadata_version(payload)
        self.observe_version(org, version)
        return version, [to_field_info(item, item) for item in payload.get("value") or []]
