"""The simulated org: table definitions, rows, users and their privileges, loaded from the seed file.

Table shapes follow the Dynamics 365 Sales entity reference
(https://learn.microsoft.com/dynamics365/sales/developer/entities/opportunity) and, for the opportunity table, the ``dataverse.metadata`` section of
the seed, which may be changed at run time through the control API (``/_sim/metadata``). The other
tables (account, contact, systemuser, transactioncurrency, msdyn_predictivescore) have fixed,
minimal definitions below.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import Any

from devstack.dataverse.formatting import ENGLISH

# Stable ids derived from names, so restarts and resets give the same GUIDs.
_NAMESPACE = uuid.UUID("8d3c1f9e-0b5a-4e7c-9d2f-6a1b3c5d7e90")


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


class Depth(IntEnum):
    """Privilege depth ("access level") of a security-role privilege."""

    NONE = 0
    USER = 1
    BUSINESS_UNIT = 2
    PARENT_CHILD = 3
    ORGANIZATION = 4

    @classmethod
    def parse(cls, text: str) -> Depth:
        key = text.replace(" ", "").replace(":", "").replace("_", "").lower()
        aliases = {
            "none": cls.NONE,
            "user": cls.USER,
            "basic": cls.USER,
            "businessunit": cls.BUSINESS_UNIT,
            "local": cls.BUSINESS_UNIT,
            "parentchildbusinessunits": cls.PARENT_CHILD,
            "parentchildbusinessunit": cls.PARENT_CHILD,
            "deep": cls.PARENT_CHILD,
            "organization": cls.ORGANIZATION,
            "global": cls.ORGANIZATION,
        }
        if key not in aliases:
            raise ValueError(f"unknown privilege depth {text!r}")
        return aliases[key]


# Privileges every seeded user holds unless the seed says otherwise: the out-of-the-box
# "Basic User"/"Salesperson" roles read accounts, contacts, users and currencies org-wide, and
# msdyn_predictivescore is readable by every user ("For other users: Retrieve",
# ce/sales/developer-sp/msdyn_predictivescore.md). The seed lists only privileges that differ.
BASELINE_PRIVILEGES: dict[str, Depth] = {
    # The Salesperson role's activity and append-to privileges (tasks regarding records).
    "prvReadActivity": Depth.ORGANIZATION,
    "prvCreateActivity": Depth.USER,
    "prvWriteActivity": Depth.USER,
    "prvAppendActivity": Depth.USER,
    "prvAppendToAccount": Depth.ORGANIZATION,
    "prvAppendToContact": Depth.ORGANIZATION,
    # Solutions, web resources and environment variables are readable by every user (the app and
    # its scripts read them).
    "prvReadSolution": Depth.ORGANIZATION,
    "prvReadPublisher": Depth.ORGANIZATION,
    "prvReadSolutionComponent": Depth.ORGANIZATION,
    "prvReadWebResource": Depth.ORGANIZATION,
    "prvReadEnvironmentVariableDefinition": Depth.ORGANIZATION,
    "prvReadEnvironmentVariableValue": Depth.ORGANIZATION,
    "prvReadAccount": Depth.ORGANIZATION,
    "prvReadContact": Depth.ORGANIZATION,
    "prvReadUser": Depth.ORGANIZATION,
    "prvReadTransactionCurrency": Depth.ORGANIZATION,
    "prvReadmsdyn_predictivescore": Depth.ORGANIZATION,
}


@dataclass
class SystemUser:
    systemuserid: str
    fullname: str
    aad_object_id: str | None
    application_id: str | None
    is_disabled: bool
    privileges: dict[str, Depth]
    field_security_profiles: list[str]
    business_unit_id: str
    ui_language: int = ENGLISH
    locale: int = ENGLISH

    @property
    def is_application_user(self) -> bool:
        return self.application_id is not None

    @property
    def key(self) -> str:
        """The key the request log and the service-protection limits use: the Entra object id
        when known, else the systemuserid."""
        return self.aad_object_id or self.systemuserid


@dataclass
class OptionDef:
    value: int
    labels: dict[str, str]
    state: int | None = None


@dataclass
class AttributeDef:
    logical_name: str
    attribute_type: str
    type_name: str
    labels: dict[str, str]
    is_valid_for_update: bool = True
    is_valid_for_create: bool = True
    is_valid_for_read: bool = True
    is_secured: bool = False
    is_custom: bool = False
    required_level: str = "None"
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    precision: int | None = None
    max_length: int | None = None
    targets: list[str] = field(default_factory=list)
    options: list[OptionDef] = field(default_factory=list)
    date_behavior: str | None = None
    entity: str = ""

    @property
    def metadata_id(self) -> str:
        return stable_id("attribute", self.entity, self.logical_name)

    @property
    def is_lookup(self) -> bool:
        return self.attribute_type in ("Lookup", "Customer", "Owner")

    @property
    def property_name(self) -> str:
        """The Web API property name: lookups are exposed as ``_<name>_value``."""
        return f"_{self.logical_name}_value" if self.is_lookup else self.logical_name

    def option(self, value: int) -> OptionDef | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class NavDef:
    """A single-valued navigation property: ``lookup`` is the lookup column, ``target`` the table
    (for polymorphic lookups like customerid there is one navigation property per target)."""

    name: str
    lookup: str
    target: str


@dataclass(frozen=True)
class CollectionNav:
    """A collection-valued navigation property (the "many" side of a one-to-many relationship):
    the rows of ``target`` whose lookup column ``lookup`` points at this row."""

    name: str
    target: str
    lookup: str


@dataclass
class EntityDef:
    logical_name: str
    entity_set: str
    schema_name: str
    primary_id: str
    primary_name: str
    object_type_code: int
    ownership: str
    labels: dict[str, str]
    attributes: dict[str, AttributeDef]
    navigation: dict[str, NavDef] = field(default_factory=dict)
    collections: dict[str, CollectionNav] = field(default_factory=dict)
    alternate_keys: list[tuple[str, ...]] = field(default_factory=list)
    is_optimistic_concurrency_enabled: bool = True
    # Activity tables (task, …) share the Activity privileges: prvCreateActivity, prvReadActivity…
    privilege_schema: str | None = None

    @property
    def type_name(self) -> str:
        return f"Microsoft.Dynamics.CRM.{self.logical_name}"

    @property
    def metadata_id(self) -> str:
        return stable_id("entity", self.logical_name)

    def privilege(self, verb: str) -> str:
        # "prv" + verb + SchemaName (security-access-coding.md); systemuser's is prvReadUser.
        schema = "User" if self.logical_name == "systemuser" else self.schema_name
        schema = self.privilege_schema or schema
        return f"prv{verb}{schema}"

    def by_property(self, name: str) -> AttributeDef | None:
        """The attribute behind a Web API property name (``name`` or ``_x_value``)."""
        if name.startswith("_") and name.endswith("_value"):
            attr = self.attributes.get(name[1:-6])
            return attr if attr is not None and attr.is_lookup else None
        attr = self.attributes.get(name)
        return attr if attr is not None and not attr.is_lookup else None


@dataclass(frozen=True)
class Lookup:
    id: str
    entity: str


@dataclass
class OrgConfig:
    name: str
    url: str
    tenant_id: str
    friendly_name: str
    lcid: int
    currency: str
    # The name in the org's URL ("contoso" of contoso.crm4.dynamics.com); the unique name (name)
    # often differs in real orgs (RetrieveCurrentOrganization returns both).
    url_name: str = ""

    @property
    def organization_id(self) -> str:
        return stable_id("organization", self.name)

    @property
    def business_unit_id(self) -> str:
        return stable_id("businessunit", self.name)

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/data/v9.2/"


@dataclass
class FieldPermission:
    entity: str
    attribute: str
    can_read: bool
    can_update: bool
    can_create: bool


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def attribute_from_seed(entity: str, raw: dict[str, Any]) -> AttributeDef:
    """One attribute from the seed's metadata format (documented in devstack/dataverse/README.md)."""
    options = [
        OptionDef(
            value=int(o["Value"]),
            labels={k: v for k, v in o.items() if k not in ("Value", "State")},
            state=o.get("State"),
        )
        for o in raw.get("Options", [])
    ]
    kind = raw["AttributeType"]
    return AttributeDef(
        logical_name=raw["LogicalName"],
        attribute_type=kind,
        type_name=raw.get("AttributeTypeName", f"{kind}Type"),
        labels=dict(raw.get("DisplayName", {})),
        is_valid_for_update=bool(raw.get("IsValidForUpdate", True)),
        is_valid_for_create=bool(raw.get("IsValidForCreate", True)),
        is_valid_for_read=bool(raw.get("IsValidForRead", True)),
        is_secured=bool(raw.get("IsSecured", False)),
        is_custom=bool(raw.get("IsCustomAttribute", False)),
        required_level=raw.get("RequiredLevel", "None"),
        min_value=_decimal(raw.get("MinValue")),
        max_value=_decimal(raw.get("MaxValue")),
        precision=raw.get("Precision"),
        max_length=raw.get("MaxLength"),
        targets=list(raw.get("Targets", [])),
        options=options,
        date_behavior=raw.get("DateTimeBehavior"),
        entity=entity,
    )


# --- the whole org ------------------------------------------------------------------------------


@dataclass
class OrgState:
    """Everything one simulated org holds. Mutated only from the event loop thread, and never
    across an ``await``, so each request sees and leaves it consistent."""

    org: OrgConfig
    entities: dict[str, EntityDef]
    users: dict[str, SystemUser]
    rows: dict[str, dict[str, dict[str, Any]]]
    field_profiles: dict[str, list[FieldPermission]]
    version_counter: int = 1_000_000
    # Solution packages imported so far, oldest first (what the demo CRM page lays out).
    imported: list[Any] = field(default_factory=list)
    # Bumped on every schema change (compose-http-requests-handle-errors: globalmetadataversion
    # "changes on any schema change").
    metadata_version: int = 5_000_000

    def entity_by_set(self, entity_set: str) -> EntityDef | None:
        # Entity set names are case-sensitive (web-api-client-errors: 0x8006088a).
        return next((e for e in self.entities.values() if e.entity_set == entity_set), None)

    def next_version(self) -> int:
        self.version_counter += 1
        return self.version_counter

    def bump_metadata(self) -> None:
        self.metadata_version += 1

    def user_by_aad(self, object_id: str) -> SystemUser | None:
        object_id = object_id.lower()
        return next((u for u in self.users.values() if u.aad_object_id == object_id), None)

    def user_by_app(self, app_id: str) -> SystemUser | None:
        app_id = app_id.lower()
        return next((u for u in self.users.values() if u.application_id == app_id), None)

    def snapshot(self) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
        # Row values are immutable (str, int, Decimal, date, frozen Lookup), so copying each row
        # dict is a full copy — and fast enough for UpdateMultiple over 10,000 rows.
        return self._copy_rows(self.rows), self.version_counter

    def restore(self, snapshot: tuple[dict[str, dict[str, dict[str, Any]]], int]) -> None:
        self.rows, self.version_counter = self._copy_rows(snapshot[0]), snapshot[1]

    @staticmethod
    def _copy_rows(
        rows: dict[str, dict[str, dict[str, Any]]],
    ) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            table: {rid: dict(row) for rid, row in by_id.items()} for table, by_id in rows.items()
        }

    def primary_name(self, entity: str, record_id: str) -> str | None:
        row = self.rows.get(entity, {}).get(record_id)
        if row is None:
            return None
        value = row.get(self.entities[entity].primary_name)
        return None if value is None else str(value)
