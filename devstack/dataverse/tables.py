"""Table definitions: the fixed, minimal shapes of the tables around the opportunity, and the
opportunity itself from the seed's ``dataverse.metadata.opportunity``.

Shapes follow the Dynamics 365 Sales / Dataverse entity references
(https://learn.microsoft.com/dynamics365/sales/developer/entities/opportunity,
https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/account …);
relationship (navigation property) names are the documented ones, e.g. ``opportunity_parent_account``
and ``contact_customer_accounts`` (one-to-many, expandable from the "one" side).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from devstack.dataverse.model import (
    AttributeDef,
    CollectionNav,
    EntityDef,
    NavDef,
    OptionDef,
    attribute_from_seed,
)

# --- fixed table definitions --------------------------------------------------------------------


def attr_def(entity: str, name: str, kind: str, en: str, de: str, **kw: Any) -> AttributeDef:
    return AttributeDef(
        logical_name=name,
        attribute_type=kind,
        type_name=f"{kind}Type",
        labels={"en": en, "de": de},
        entity=entity,
        **kw,
    )


def _relationships(account: EntityDef, contact: EntityDef) -> None:
    # One-to-many relationships, expandable from the "one" side by their documented names
    # (account and contact entity references, "One-to-Many relationships").
    account.collections = {
        "opportunity_parent_account": CollectionNav(
            "opportunity_parent_account", "opportunity", "parentaccountid"
        ),
        "opportunity_customer_accounts": CollectionNav(
            "opportunity_customer_accounts", "opportunity", "customerid"
        ),
        "contact_customer_accounts": CollectionNav(
            "contact_customer_accounts", "contact", "parentcustomerid"
        ),
    }
    contact.collections = {
        "opportunity_parent_contact": CollectionNav(
            "opportunity_parent_contact", "opportunity", "parentcontactid"
        ),
        "opportunity_customer_contacts": CollectionNav(
            "opportunity_customer_contacts", "opportunity", "customerid"
        ),
    }


def fixed_entities() -> dict[str, EntityDef]:
    """The tables around the opportunity, by logical name, with their relationships."""
    account = _account()
    contact = _contact()
    _relationships(account, contact)
    tables = (account, contact, _systemuser(), _currency(), _predictive_score())
    return {e.logical_name: e for e in tables}


def _account() -> EntityDef:
    return EntityDef(
        logical_name="account",
        entity_set="accounts",
        schema_name="Account",
        primary_id="accountid",
        primary_name="name",
        object_type_code=1,
        ownership="UserOwned",
        labels={"en": "Account", "de": "Firma"},
        attributes={
            "accountid": attr_def(
                "account",
                "accountid",
                "Uniqueidentifier",
                "Account",
                "Firma",
                is_valid_for_update=False,
                required_level="SystemRequired",
            ),
            "name": attr_def(
                "account", "name", "String", "Account Name", "Firmenname", max_length=160
            ),
        },
    )


def _contact() -> EntityDef:
    return EntityDef(
        logical_name="contact",
        entity_set="contacts",
        schema_name="Contact",
        primary_id="contactid",
        primary_name="fullname",
        object_type_code=2,
        ownership="UserOwned",
        labels={"en": "Contact", "de": "Kontakt"},
        attributes={
            "contactid": attr_def(
                "contact",
                "contactid",
                "Uniqueidentifier",
                "Contact",
                "Kontakt",
                is_valid_for_update=False,
                required_level="SystemRequired",
            ),
            "fullname": attr_def(
                "contact",
                "fullname",
                "String",
                "Full Name",
                "Vollständiger Name",
                is_valid_for_update=False,
                max_length=160,
            ),
            "parentcustomerid": attr_def(
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


def _systemuser() -> EntityDef:
    return EntityDef(
        logical_name="systemuser",
        entity_set="systemusers",
        schema_name="SystemUser",
        primary_id="systemuserid",
        primary_name="fullname",
        object_type_code=8,
        ownership="BusinessOwned",
        labels={"en": "User", "de": "Benutzer"},
        attributes={
            "systemuserid": attr_def(
                "systemuser",
                "systemuserid",
                "Uniqueidentifier",
                "User",
                "Benutzer",
                is_valid_for_update=False,
                required_level="SystemRequired",
            ),
            "fullname": attr_def(
                "systemuser",
                "fullname",
                "String",
                "Full Name",
                "Vollständiger Name",
                is_valid_for_update=False,
                max_length=200,
            ),
            "azureactivedirectoryobjectid": attr_def(
                "systemuser",
                "azureactivedirectoryobjectid",
                "Uniqueidentifier",
                "Azure AD Object ID",
                "Azure AD-Objekt-ID",
                is_valid_for_update=False,
            ),
            "applicationid": attr_def(
                "systemuser", "applicationid", "Uniqueidentifier", "Application ID", "Anwendungs-ID"
            ),
            "isdisabled": attr_def(
                "systemuser", "isdisabled", "Boolean", "Status", "Status", is_valid_for_update=False
            ),
            "businessunitid": attr_def(
                "systemuser",
                "businessunitid",
                "Lookup",
                "Business Unit",
                "Unternehmenseinheit",
                targets=["businessunit"],
            ),
        },
    )


def _currency() -> EntityDef:
    return EntityDef(
        logical_name="transactioncurrency",
        entity_set="transactioncurrencies",
        schema_name="TransactionCurrency",
        primary_id="transactioncurrencyid",
        primary_name="currencyname",
        object_type_code=9105,
        ownership="OrganizationOwned",
        labels={"en": "Currency", "de": "Währung"},
        attributes={
            "transactioncurrencyid": attr_def(
                "transactioncurrency",
                "transactioncurrencyid",
                "Uniqueidentifier",
                "Currency",
                "Währung",
                is_valid_for_update=False,
            ),
            "currencyname": attr_def(
                "transactioncurrency",
                "currencyname",
                "String",
                "Currency Name",
                "Währungsname",
                max_length=100,
            ),
            "isocurrencycode": attr_def(
                "transactioncurrency",
                "isocurrencycode",
                "String",
                "Currency Code",
                "Währungscode",
                max_length=5,
            ),
        },
    )


# Columns from ce/sales/developer-sp/msdyn_predictivescore.md and
# populate-predictive-scores.md ( msdyn_score, msdyn_scoretrend 0 improving / 1 steady /
# 2 declining / 3 not enough info, msdyn_grade, msdyn_entityid, msdyn_entitytype); alternate
# key msdyn_PredictiveScoreKey = (msdyn_entityid, msdyn_entitytype).
def _predictive_score() -> EntityDef:
    score = "msdyn_predictivescore"
    return EntityDef(
        logical_name=score,
        entity_set="msdyn_predictivescores",
        schema_name="msdyn_predictivescore",
        primary_id="msdyn_predictivescoreid",
        primary_name="msdyn_name",
        object_type_code=10433,
        ownership="OrganizationOwned",
        labels={"en": "Predictive Score", "de": "Prädiktive Bewertung"},
        attributes={
            "msdyn_predictivescoreid": attr_def(
                score,
                "msdyn_predictivescoreid",
                "Uniqueidentifier",
                "Predictive Score",
                "Prädiktive Bewertung",
                is_valid_for_update=False,
            ),
            "msdyn_name": attr_def(score, "msdyn_name", "String", "Name", "Name", max_length=100),
            "msdyn_score": attr_def(
                score,
                "msdyn_score",
                "Integer",
                "Score",
                "Bewertung",
                min_value=Decimal(0),
                max_value=Decimal(100),
            ),
            **_predictive_score_choices(score),
            **_predictive_score_key_columns(score),
            "msdyn_scoredon": attr_def(
                score, "msdyn_scoredon", "DateTime", "Scored on", "Bewertet am"
            ),
            "msdyn_scorereasons": attr_def(
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


def _predictive_score_choices(score: str) -> dict[str, AttributeDef]:
    """The predictive score's two choice columns, trend and grade, with their options."""
    return {
        "msdyn_scoretrend": attr_def(
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
        # msdyn_grade is a Picklist (ce/sales/developer/entities/msdyn_predictivescore.md,
        # "msdyn_Grade Choices/Options": 0 Grade A … 3 Grade D).
        "msdyn_grade": attr_def(
            score,
            "msdyn_grade",
            "Picklist",
            "Grade",
            "Note",
            options=[
                OptionDef(0, {"en": "Grade A", "de": "Note A"}),
                OptionDef(1, {"en": "Grade B", "de": "Note B"}),
                OptionDef(2, {"en": "Grade C", "de": "Note C"}),
                OptionDef(3, {"en": "Grade D", "de": "Note D"}),
            ],
        ),
    }


def _predictive_score_key_columns(score: str) -> dict[str, AttributeDef]:
    """The columns of the alternate key msdyn_PredictiveScoreKey: the scored row and its table."""
    return {
        "msdyn_entityid": attr_def(
            score,
            "msdyn_entityid",
            "String",
            "Entity ID",
            "Entitäts-ID",
            max_length=100,
            required_level="ApplicationRequired",
        ),
        "msdyn_entitytype": attr_def(
            score,
            "msdyn_entitytype",
            "String",
            "Entity type",
            "Entitätstyp",
            max_length=100,
            required_level="ApplicationRequired",
        ),
    }


def opportunity_from_seed(metadata: dict[str, Any]) -> EntityDef:
    attributes: dict[str, AttributeDef] = {}
    for raw in metadata["Attributes"]:
        attributes[raw["LogicalName"]] = attribute_from_seed("opportunity", raw)
    # Money columns come with their currency lookup (select-columns.md: "Money columns also return
    # _transactioncurrencyid_value"); the seed's metadata does not list it, so it is added here.
    attributes.setdefault(
        "transactioncurrencyid",
        attr_def(
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
    # Opportunity_Tasks: the tasks regarding the opportunity (one-to-many, expandable).
    collections = {
        "Opportunity_Tasks": CollectionNav("Opportunity_Tasks", "task", "regardingobjectid")
    }
    return EntityDef(
        collections=collections,
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
