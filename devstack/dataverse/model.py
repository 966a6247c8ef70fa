"""The simulated org: table definitions, rows, users and their privileges, loaded from the seed file.

Table shapes follow the Dynamics 365 Sales entity reference
(https://learn.microsoft.com/dynamics365/sales/developer/entities/opportunity; research notes
reference/dataverse.md §2) and, for the opportunity table, the ``dataverse.metadata`` section of
the seed, which may be changed at run time through the control API (``/_sim/metadata``). The other
tables (account, contact, systemuser, transactioncurrency, msdyn_predictivescore) have fixed,
minimal definitions below.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum
from pathlib import Path
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
    alternate_keys: list[tuple[str, ...]] = field(default_factory=list)
    is_optimistic_concurrency_enabled: bool = True

    @property
    def type_name(self) -> str:
        return f"Microsoft.Dynamics.CRM.{self.logical_name}"

    @property
    def metadata_id(self) -> str:
        return stable_id("entity", self.logical_name)

    def privilege(self, verb: str) -> str:
        # "prv" + verb + SchemaName (security-access-coding.md); systemuser's is prvReadUser.
        schema = "User" if self.logical_name == "systemuser" else self.schema_name
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


# --- fixed table definitions --------------------------------------------------------------------


def _attr(entity: str, name: str, kind: str, en: str, de: str, **kw: Any) -> AttributeDef:
    return AttributeDef(
        logical_name=name,
        attribute_type=kind,
        type_name=f"{kind}Type",
        labels={"en": en, "de": de},
        entity=entity,
        **kw,
    )


def _fixed_entities() -> dict[str, EntityDef]:
    account = EntityDef(
        logical_name="account",
        entity_set="accounts",
        schema_name="Account",
        primary_id="accountid",
        primary_name="name",
        object_type_code=1,
        ownership="UserOwned",
        labels={"en": "Account", "de": "Firma"},
        attributes={
            "accountid": _attr(
                "account",
                "accountid",
                "Uniqueidentifier",
                "Account",
                "Firma",
                is_valid_for_update=False,
                required_level="SystemRequired",
            ),
            "name": _attr(
                "account", "name", "String", "Account Name", "Firmenname", max_length=160
            ),
        },
    )
    contact = EntityDef(
        logical_name="contact",
        entity_set="contacts",
        schema_name="Contact",
        primary_id="contactid",
        primary_name="fullname",
        object_type_code=2,
        ownership="UserOwned",
        labels={"en": "Contact", "de": "Kontakt"},
        attributes={
            "contactid": _attr(
                "contact",
                "contactid",
                "Uniqueidentifier",
                "Contact",
                "Kontakt",
                is_valid_for_update=False,
                required_level="SystemRequired",
            ),
            "fullname": _attr(
                "contact",
                "fullname",
                "String",
                "Full Name",
                "Vollständiger Name",
                is_valid_for_update=False,
                max_length=160,
            ),
            "parentcustomerid": _attr(
                "contact",
                "parentcustomerid",
                "Customer",
                "Company Name",
                "Firmenname",
                targets=["account", "contact"],
            ),
        },
        navigation={
            "parentcustomerid_account": NavDef(
                "parentcustomerid_account", "parentcustomerid", "account"
            ),
            "parentcustomerid_contact": NavDef(
                "parentcustomerid_contact", "parentcustomerid", "contact"
            ),
        },
    )
    systemuser = EntityDef(
        logical_name="systemuser",
        entity_set="systemusers",
        schema_name="SystemUser",
        primary_id="systemuserid",
        primary_name="fullname",
        object_type_code=8,
        ownership="BusinessOwned",
        labels={"en": "User", "de": "Benutzer"},
        attributes={
            "systemuserid": _attr(
                "systemuser",
                "systemuserid",
                "Uniqueidentifier",
                "User",
                "Benutzer",
                is_valid_for_update=False,
                required_level="SystemRequired",
            ),
            "fullname": _attr(
                "systemuser",
                "fullname",
                "String",
                "Full Name",
                "Vollständiger Name",
                is_valid_for_update=False,
                max_length=200,
            ),
            "azureactivedirectoryobjectid": _attr(
                "systemuser",
                "azureactivedirectoryobjectid",
                "Uniqueidentifier",
                "Azure AD Object ID",
                "Azure AD-Objekt-ID",
                is_valid_for_update=False,
            ),
            "applicationid": _attr(
                "systemuser", "applicationid", "Uniqueidentifier", "Application ID", "Anwendungs-ID"
            ),
            "isdisabled": _attr(
                "systemuser", "isdisabled", "Boolean", "Status", "Status", is_valid_for_update=False
            ),
            "businessunitid": _attr(
                "systemuser",
                "businessunitid",
                "Lookup",
                "Business Unit",
                "Unternehmenseinheit",
                targets=["businessunit"],
            ),
        },
    )
    currency = EntityDef(
        logical_name="transactioncurrency",
        entity_set="transactioncurrencies",
        schema_name="TransactionCurrency",
        primary_id="transactioncurrencyid",
        primary_name="currencyname",
        object_type_code=9105,
        ownership="OrganizationOwned",
        labels={"en": "Currency", "de": "Währung"},
        attributes={
            "transactioncurrencyid": _attr(
                "transactioncurrency",
                "transactioncurrencyid",
                "Uniqueidentifier",
                "Currency",
                "Währung",
                is_valid_for_update=False,
            ),
            "currencyname": _attr(
                "transactioncurrency",
                "currencyname",
                "String",
                "Currency Name",
                "Währungsname",
                max_length=100,
            ),
            "isocurrencycode": _attr(
                "transactioncurrency",
                "isocurrencycode",
                "String",
                "Currency Code",
                "Währungscode",
                max_length=5,
            ),
        },
    )
    # Columns from ce/sales/developer-sp/msdyn_predictivescore.md and peers.md §1.2
    # (populate-predictive-scores: msdyn_score, msdyn_scoretrend 0 improving / 1 steady /
    # 2 declining / 3 not enough info, msdyn_grade, msdyn_entityid, msdyn_entitytype); alternate
    # key msdyn_PredictiveScoreKey = (msdyn_entityid, msdyn_entitytype).
    score = "msdyn_predictivescore"
    predictive = EntityDef(
        logical_name=score,
        entity_set="msdyn_predictivescores",
        schema_name="msdyn_predictivescore",
        primary_id="msdyn_predictivescoreid",
        primary_name="msdyn_name",
        object_type_code=10433,
        ownership="OrganizationOwned",
        labels={"en": "Predictive Score", "de": "Prädiktive Bewertung"},
        attributes={
            "msdyn_predictivescoreid": _attr(
                score,
                "msdyn_predictivescoreid",
                "Uniqueidentifier",
                "Predictive Score",
                "Prädiktive Bewertung",
                is_valid_for_update=False,
            ),
            "msdyn_name": _attr(score, "msdyn_name", "String", "Name", "Name", max_length=100),
            "msdyn_score": _attr(
                score,
                "msdyn_score",
                "Integer",
                "Score",
                "Bewertung",
                min_value=Decimal(0),
                max_value=Decimal(100),
            ),
            "msdyn_scoretrend": _attr(
                score,
                "msdyn_scoretrend",
                "Picklist",
                "Score trend",
                "Bewertungstrend",
                options=[
                    OptionDef(0, {"en": "Improving", "de": "Steigend"}),
                    OptionDef(1, {"en": "Steady", "de": "Stabil"}),
                    OptionDef(2, {"en": "Declining", "de": "Fallend"}),
                    OptionDef(3, {"en": "Not enough info", "de": "Nicht genügend Informationen"}),
                ],
            ),
            "msdyn_grade": _attr(score, "msdyn_grade", "String", "Grade", "Note", max_length=100),
            "msdyn_entityid": _attr(
                score,
                "msdyn_entityid",
                "String",
                "Entity ID",
                "Entitäts-ID",
                max_length=100,
                required_level="ApplicationRequired",
            ),
            "msdyn_entitytype": _attr(
                score,
                "msdyn_entitytype",
                "String",
                "Entity type",
                "Entitätstyp",
                max_length=100,
                required_level="ApplicationRequired",
            ),
            "msdyn_scoredon": _attr(
                score, "msdyn_scoredon", "DateTime", "Scored on", "Bewertet am"
            ),
            "msdyn_scorereasons": _attr(
                score,
                "msdyn_scorereasons",
                "Memo",
                "Score reasons",
                "Bewertungsgründe",
                max_length=100000,
            ),
        },
        alternate_keys=[("msdyn_entityid", "msdyn_entitytype")],
    )
    return {e.logical_name: e for e in (account, contact, systemuser, currency, predictive)}


def _opportunity_from_seed(metadata: dict[str, Any]) -> EntityDef:
    attributes: dict[str, AttributeDef] = {}
    for raw in metadata["Attributes"]:
        attributes[raw["LogicalName"]] = attribute_from_seed("opportunity", raw)
    # Money columns come with their currency lookup (select-columns.md: "Money columns also return
    # _transactioncurrencyid_value"); the seed's metadata does not list it, so it is added here.
    attributes.setdefault(
        "transactioncurrencyid",
        _attr(
            "opportunity",
            "transactioncurrencyid",
            "Lookup",
            "Currency",
            "Währung",
            targets=["transactioncurrency"],
            required_level="ApplicationRequired",
        ),
    )
    navigation = {
        "parentaccountid": NavDef("parentaccountid", "parentaccountid", "account"),
        "parentcontactid": NavDef("parentcontactid", "parentcontactid", "contact"),
        # Polymorphic customer: one navigation property per target (relationships
        # opportunity_customer_accounts / opportunity_customer_contacts).
        "customerid_account": NavDef("customerid_account", "customerid", "account"),
        "customerid_contact": NavDef("customerid_contact", "customerid", "contact"),
        "ownerid": NavDef("ownerid", "ownerid", "systemuser"),
        "transactioncurrencyid": NavDef(
            "transactioncurrencyid", "transactioncurrencyid", "transactioncurrency"
        ),
    }
    return EntityDef(
        logical_name="opportunity",
        entity_set=metadata.get("EntitySetName", "opportunities"),
        schema_name="Opportunity",
        primary_id=metadata.get("PrimaryIdAttribute", "opportunityid"),
        primary_name=metadata.get("PrimaryNameAttribute", "name"),
        object_type_code=3,
        ownership="UserOwned",
        labels={"en": "Opportunity", "de": "Verkaufschance"},
        attributes=attributes,
        navigation=navigation,
        is_optimistic_concurrency_enabled=bool(
            metadata.get("IsOptimisticConcurrencyEnabled", True)
        ),
    )


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
        return copy.deepcopy(self.rows), self.version_counter

    def restore(self, snapshot: tuple[dict[str, dict[str, dict[str, Any]]], int]) -> None:
        self.rows, self.version_counter = copy.deepcopy(snapshot[0]), snapshot[1]

    def primary_name(self, entity: str, record_id: str) -> str | None:
        row = self.rows.get(entity, {}).get(record_id)
        if row is None:
            return None
        value = row.get(self.entities[entity].primary_name)
        return None if value is None else str(value)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _load_rows(state: OrgState, seed: dict[str, Any]) -> None:
    entities = state.entities
    currencies = {state.org.currency}
    for opp in seed.get("opportunities", []):
        if opp.get("transactioncurrency"):
            currencies.add(opp["transactioncurrency"])
    for code in sorted(currencies):
        cid = stable_id("currency", code)
        state.rows["transactioncurrency"][cid] = {
            "transactioncurrencyid": cid,
            "currencyname": code,
            "isocurrencycode": code,
            "versionnumber": state.next_version(),
        }
    for raw in seed.get("accounts", []):
        aid = raw["accountid"].lower()
        state.rows["account"][aid] = {
            "accountid": aid,
            "name": raw.get("name"),
            "versionnumber": state.next_version(),
        }
    for raw in seed.get("contacts", []):
        cid = raw["contactid"].lower()
        parent = raw.get("_parentcustomerid_value")
        state.rows["contact"][cid] = {
            "contactid": cid,
            "fullname": raw.get("fullname"),
            "parentcustomerid": Lookup(parent.lower(), raw.get("parentcustomerid_type", "account"))
            if parent
            else None,
            "versionnumber": state.next_version(),
        }
    for user in state.users.values():
        state.rows["systemuser"][user.systemuserid] = {
            "systemuserid": user.systemuserid,
            "fullname": user.fullname,
            "azureactivedirectoryobjectid": user.aad_object_id,
            "applicationid": user.application_id,
            "isdisabled": user.is_disabled,
            "businessunitid": Lookup(user.business_unit_id, "businessunit"),
            "versionnumber": state.next_version(),
        }
    opportunity = entities["opportunity"]
    for raw in seed.get("opportunities", []):
        state.rows["opportunity"][raw["opportunityid"].lower()] = opportunity_row_from_seed(
            state, opportunity, raw
        )
    for raw in seed.get("msdyn_predictivescores", []):
        sid = raw["msdyn_predictivescoreid"].lower()
        row = {k: v for k, v in raw.items()}
        row["msdyn_predictivescoreid"] = sid
        row["versionnumber"] = state.next_version()
        state.rows["msdyn_predictivescore"][sid] = row


def opportunity_row_from_seed(
    state: OrgState, entity: EntityDef, raw: dict[str, Any]
) -> dict[str, Any]:
    """Convert the seed's Web-API-like opportunity (``_x_value`` lookups, ``customerid_type``,
    ``transactioncurrency``) into a stored row."""
    row: dict[str, Any] = {"opportunityid": raw["opportunityid"].lower()}
    for attr in entity.attributes.values():
        if attr.is_lookup:
            value = raw.get(f"_{attr.logical_name}_value")
            if value is None:
                row[attr.logical_name] = None
                continue
            target = raw.get(f"{attr.logical_name}_type") or (
                attr.targets[0] if attr.targets else ""
            )
            row[attr.logical_name] = Lookup(value.lower(), target)
        elif attr.logical_name in raw:
            row[attr.logical_name] = coerce_stored(attr, raw[attr.logical_name])
    code = raw.get("transactioncurrency") or state.org.currency
    row["transactioncurrencyid"] = Lookup(stable_id("currency", code), "transactioncurrency")
    row["versionnumber"] = state.next_version()
    return row


def coerce_stored(attr: AttributeDef, value: Any) -> Any:
    """A seed/JSON value in the stored representation (Decimal numbers, dates)."""
    if value is None:
        return None
    kind = attr.attribute_type
    if kind in ("Money", "Decimal", "Double"):
        return Decimal(str(value))
    if kind in ("Integer", "BigInt", "Picklist", "State", "Status"):
        return int(value)
    if kind == "DateTime" and isinstance(value, str):
        if attr.date_behavior == "DateOnly" or len(value) == 10:
            return date.fromisoformat(value[:10])
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if kind == "Uniqueidentifier" and isinstance(value, str):
        return value.lower()
    return value


def load_org(seed: dict[str, Any], *, name: str, url: str) -> OrgState:
    """Build one org from the parsed seed file's ``dataverse`` section."""
    dataverse = seed["dataverse"]
    raw_org = next((o for o in dataverse["orgs"] if o["name"] == name), None)
    if raw_org is None:
        raise ValueError(f"the seed has no Dataverse org named {name!r}")
    org = OrgConfig(
        name=name,
        url=url.rstrip("/"),
        tenant_id=raw_org["tenant"].lower(),
        friendly_name=raw_org.get("friendly_name", name),
        lcid=int(raw_org.get("lcid", ENGLISH)),
        currency=raw_org.get("currency", "USD"),
    )
    entities = _fixed_entities()
    entities["opportunity"] = _opportunity_from_seed(dataverse["metadata"]["opportunity"])
    users: dict[str, SystemUser] = {}
    for raw in dataverse.get("systemusers", []):
        privileges = dict(BASELINE_PRIVILEGES)
        privileges.update({k: Depth.parse(v) for k, v in raw.get("privileges", {}).items()})
        user = SystemUser(
            systemuserid=raw["systemuserid"].lower(),
            fullname=raw["fullname"],
            aad_object_id=_lower(raw.get("azureactivedirectoryobjectid")),
            application_id=_lower(raw.get("applicationid")),
            is_disabled=bool(raw.get("isdisabled", False)),
            privileges=privileges,
            field_security_profiles=list(raw.get("field_security_profiles", [])),
            business_unit_id=org.business_unit_id,
            ui_language=int(raw.get("uilanguageid", org.lcid)),
            locale=int(raw.get("localeid", raw.get("uilanguageid", org.lcid))),
        )
        users[user.systemuserid] = user
    profiles = {
        p["name"]: [
            FieldPermission(
                entity=perm["entity"],
                attribute=perm["attribute"],
                can_read=bool(perm.get("can_read", False)),
                can_update=bool(perm.get("can_update", False)),
                can_create=bool(perm.get("can_create", perm.get("can_update", False))),
            )
            for perm in p.get("permissions", [])
        ]
        for p in dataverse.get("field_security_profiles", [])
    }
    state = OrgState(
        org=org,
        entities=entities,
        users=users,
        rows={logical: {} for logical in entities},
        field_profiles=profiles,
    )
    _load_rows(state, dataverse)
    return state


def read_seed(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
