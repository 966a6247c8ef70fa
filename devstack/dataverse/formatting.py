"""Formatted values the way Dataverse renders them for the calling user.

``<prop>@OData.Community.Display.V1.FormattedValue`` carries a display string "formatted for the
user's settings" (query-data-web-api.md, "Formatted values"; select-columns: ``"revenue@…": "$20,000.00"``,
lookups give the related row's primary name, choices their localized label). The user's language
comes from ``usersettings.uilanguageid`` and number/date formats from ``usersettings.localeid``;
both default to the org's base language (1033). Only en-US (1033) and de-DE (1031) are modelled.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

ENGLISH = 1033
GERMAN = 1031

LANGUAGE_KEYS = {ENGLISH: "en", GERMAN: "de"}
_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}
_CURRENCY_NAMES = {
    ENGLISH: {"EUR": "Euro", "USD": "US Dollar", "GBP": "Pound Sterling", "CHF": "Swiss Franc"},
    GERMAN: {
        "EUR": "Euro",
        "USD": "US-Dollar",
        "GBP": "Britisches Pfund",
        "CHF": "Schweizer Franken",
    },
}


def language_key(lcid: int) -> str:
    return LANGUAGE_KEYS.get(lcid, "en")


def _group(number: Decimal, *, places: int, thousands: str, decimal_mark: str) -> str:
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_EVEN)
    sign = "-" if rounded < 0 else ""
    text = f"{abs(rounded):,.{places}f}"  # "1,234.50"
    text = text.replace(",", "\0").replace(".", decimal_mark).replace("\0", thousands)
    return sign + text


def format_number(value: Decimal | int | float, *, places: int, locale: int) -> str:
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if locale == GERMAN:
        return _group(number, places=places, thousands=".", decimal_mark=",")
    return _group(number, places=places, thousands=",", decimal_mark=".")


def format_money(
    value: Decimal | int | float, *, currency: str, locale: int, places: int = 2
) -> str:
    symbol = _CURRENCY_SYMBOLS.get(currency, currency)
    number = format_number(value, places=places, locale=locale)
    if locale == GERMAN:
        return f"{number} {symbol}"  # "120.000,00 €"
    if number.startswith("-"):
        return f"-{symbol}{number[1:]}"
    return f"{symbol}{number}"  # "€120,000.00"


def format_date(value: date, *, locale: int) -> str:
    if locale == GERMAN:
        return value.strftime("%d.%m.%Y")  # "31.03.2027"
    return f"{value.month}/{value.day}/{value.year}"  # "3/31/2027"


def currency_name(currency: str, *, language: int) -> str:
    return _CURRENCY_NAMES.get(language, _CURRENCY_NAMES[ENGLISH]).get(currency, currency)
