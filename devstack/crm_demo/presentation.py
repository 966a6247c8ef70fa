"""How the demo page shows an opportunity: labels in the user's language and values formatted the
way Dynamics formats them (English 1033 / German 1031), from the raw simulator record.

Dynamics shows an empty field as ``---``; money with the currency symbol in the user's locale;
date-only columns without a time. Option-set labels follow the opportunity table reference:
https://learn.microsoft.com/dynamics365/sales/developer/entities/opportunity
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from devstack.crm_demo.dynamics import ENGLISH, GERMAN

EMPTY = "---"

_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}

# Labels of the page chrome and fields, per language.
_UI: dict[int, dict[str, str]] = {
    ENGLISH: {
        "app": "Sales Hub",
        "opportunities": "Opportunities",
        "all_opportunities": "All Opportunities",
        "opportunity": "Opportunity",
        "new_opportunity": "New Opportunity",
        "new": "New",
        "refresh": "Refresh",
        "save": "Save",
        "open_cockpit": "Open Cockpit",
        "summary": "Summary",
        "cockpit": "Cockpit",
        "language": "Language",
        "records": "records",
        "name": "Topic",
        "customer_name": "Potential Customer",
        "account_name": "Account",
        "owner_name": "Owner",
        "estimatedvalue": "Est. Revenue",
        "estimatedclosedate": "Est. Close Date",
        "closeprobability": "Probability",
        "statecode": "Status",
        "statuscode": "Status Reason",
        "salesstage": "Sales Stage",
        "stepname": "Pipeline Phase",
        "opportunity_info": "Opportunity Information",
        "forecast": "Forecast",
        "unsaved_cockpit": "The cockpit is available after the opportunity has been saved.",
        "saved": "Saved.",
        "ok": "OK",
        "not_found": "Record is unavailable",
        "bad_request": "This page cannot be shown",
        "unavailable": "Dataverse is not reachable",
    },
    GERMAN: {
        "app": "Vertriebshub",
        "opportunities": "Verkaufschancen",
        "all_opportunities": "Alle Verkaufschancen",
        "opportunity": "Verkaufschance",
        "new_opportunity": "Neue Verkaufschance",
        "new": "Neu",
        "refresh": "Aktualisieren",
        "save": "Speichern",
        "open_cockpit": "Cockpit öffnen",
        "summary": "Zusammenfassung",
        "cockpit": "Cockpit",
        "language": "Sprache",
        "records": "Datensätze",
        "name": "Thema",
        "customer_name": "Potenzieller Kunde",
        "account_name": "Firma",
        "owner_name": "Besitzer",
        "estimatedvalue": "Geschätzter Umsatz",
        "estimatedclosedate": "Voraussichtl. Abschlussdatum",
        "closeprobability": "Wahrscheinlichkeit",
        "statecode": "Status",
        "statuscode": "Statusgrund",
        "salesstage": "Verkaufsphase",
        "stepname": "Pipelinephase",
        "opportunity_info": "Verkaufschanceninformationen",
        "forecast": "Prognose",
        "unsaved_cockpit": "Das Cockpit ist verfügbar, sobald die Verkaufschance gespeichert ist.",
        "saved": "Gespeichert.",
        "ok": "OK",
        "not_found": "Datensatz ist nicht verfügbar",
        "bad_request": "Diese Seite kann nicht angezeigt werden",
        "unavailable": "Dataverse ist nicht erreichbar",
    },
}

_STATE: dict[int, dict[int, str]] = {
    ENGLISH: {0: "Open", 1: "Won", 2: "Lost"},
    GERMAN: {0: "Offen", 1: "Gewonnen", 2: "Verloren"},
}
_STATUS: dict[int, dict[int, str]] = {
    ENGLISH: {1: "In Progress", 2: "On Hold", 3: "Won", 4: "Canceled", 5: "Out-Sold"},
    GERMAN: {
        1: "In Bearbeitung",
        2: "Zurückgestellt",
        3: "Gewonnen",
        4: "Storniert",
        5: "An Mitbewerber verloren",
    },
}
_STAGES: dict[int, list[str]] = {
    ENGLISH: ["Qualify", "Develop", "Propose", "Close"],
    GERMAN: ["Qualifizieren", "Entwickeln", "Vorschlagen", "Schließen"],
}

# The columns the Summary tab shows, in order (ids on the page are `field-<name>`).
SUMMARY_FIELDS = (
    "name",
    "customer_name",
    "account_name",
    "owner_name",
    "estimatedvalue",
    "estimatedclosedate",
    "closeprobability",
    "statecode",
    "statuscode",
    "stepname",
)
# Raw columns copied into the record JSON as they are.
RAW_FIELDS = (
    "opportunityid",
    "name",
    "customer_name",
    "account_name",
    "owner_name",
    "estimatedvalue",
    "estimatedclosedate",
    "closeprobability",
    "statecode",
    "statuscode",
    "salesstage",
    "stepname",
    "transactioncurrency",
)


def ui_text(lcid: int) -> dict[str, str]:
    """All page labels in the user's language (English for unknown languages)."""
    return _UI.get(lcid, _UI[ENGLISH])


def stage_names(lcid: int) -> list[str]:
    return _STAGES.get(lcid, _STAGES[ENGLISH])


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_money(value: object, currency: str | None, lcid: int) -> str:
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    symbol = _CURRENCY_SYMBOLS.get(currency or "", currency or "")
    english = f"{amount:,.2f}"  # 120,000.00
    if lcid == GERMAN:
        german = english.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
        return f"{german} {symbol}".strip()
    return f"{symbol}{english}" if len(symbol) == 1 else f"{symbol} {english}".strip()


def format_date(value: object, lcid: int) -> str:
    if not isinstance(value, str) or not value:
        return EMPTY
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    if lcid == GERMAN:
        return f"{day.day:02d}.{day.month:02d}.{day.year}"
    return f"{day.month}/{day.day}/{day.year}"


def format_number(value: object) -> str:
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    return str(int(amount)) if amount == amount.to_integral_value() else str(amount.normalize())


def format_column(value: object, lcid: int) -> str:
    """A numeric column as Dynamics shows it in the user's locale (1,234.5 / 1.234,5)."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    text = format_number(amount)
    whole, _, fraction = text.partition(".")
    grouped = f"{int(whole):,}" if whole.lstrip("-").isdigit() else whole
    if lcid == GERMAN:
        grouped = grouped.replace(",", ".")
        return grouped + (f",{fraction}" if fraction else "")
    return grouped + (f".{fraction}" if fraction else "")


def column_label(column: Mapping[str, Any], lcid: int) -> str:
    """A column's display name in the user's language (the seed's DisplayName {en, de})."""
    labels = column.get("DisplayName") or {}
    key = "de" if lcid == GERMAN else "en"
    return str(labels.get(key) or labels.get("en") or column.get("LogicalName", ""))


def _option(labels: Mapping[int, str], value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return labels.get(value, str(value))
    return EMPTY


def _text(value: object) -> str:
    return value if isinstance(value, str) and value else EMPTY


@dataclass(frozen=True)
class RecordView:
    """One opportunity ready for the page and the record JSON: raw values + formatted strings."""

    id: str
    values: dict[str, Any]
    formatted: dict[str, str]
    stage: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entityName": "opportunity",
            "values": self.values,
            "formatted": self.formatted,
            "stage": self.stage,
        }


def record_view(
    record: Mapping[str, Any], lcid: int, *, extra_fields: tuple[str, ...] = ()
) -> RecordView:
    """Format a raw simulator record (``/_sim/records/opportunities/{id}``) for language ``lcid``."""
    currency = record.get("transactioncurrency")
    formatted = {
        "name": _text(record.get("name")),
        "customer_name": _text(record.get("customer_name")),
        "account_name": _text(record.get("account_name")),
        "owner_name": _text(record.get("owner_name")),
        "estimatedvalue": format_money(
            record.get("estimatedvalue"), currency if isinstance(currency, str) else None, lcid
        ),
        "estimatedclosedate": format_date(record.get("estimatedclosedate"), lcid),
        "closeprobability": format_number(record.get("closeprobability")),
        "statecode": _option(_STATE.get(lcid, _STATE[ENGLISH]), record.get("statecode")),
        "statuscode": _option(_STATUS.get(lcid, _STATUS[ENGLISH]), record.get("statuscode")),
        "stepname": _text(record.get("stepname")),
    }
    for field in extra_fields:
        formatted[field] = format_column(record.get(field), lcid)
    values = {name: record.get(name) for name in (*RAW_FIELDS, *extra_fields)}
    stage = record.get("salesstage")
    return RecordView(
        id=str(record.get("opportunityid", "")),
        values=values,
        formatted=formatted,
        stage=stage if isinstance(stage, int) and not isinstance(stage, bool) else None,
    )


def empty_view(lcid: int) -> RecordView:
    """A new, unsaved opportunity (every field empty)."""
    blank = record_view({}, lcid)
    return RecordView(id="", values=blank.values, formatted=blank.formatted, stage=0)
