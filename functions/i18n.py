"""One language per page, and numbers and dates the way people of that language write them.

The language is negotiated once per request (docs/architecture.md, "Languages"): Dynamics'
``userlcid``, then its ``orglcid``, then the browser's ``Accept-Language`` by q-value; Babel picks
the best supported locale and formats numbers (grouping, decimal comma), percentages and dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_decimal, format_percent

from functions.messages import MESSAGES, Lang

SUPPORTED: tuple[Lang, ...] = ("en", "de")
_LOCALES: dict[Lang, str] = {"en": "en_US", "de": "de_DE"}
# The LCID Dataverse labels a language with (LocalizedLabels[].LanguageCode).
LCIDS: dict[Lang, int] = {"en": 1033, "de": 1031}


def lang_from_lcid(lcid: str | None) -> Lang | None:
    """The supported language of a Windows LCID as Dynamics passes it (1031, 2055 … → de), else
    None. An LCID keeps its primary language in the low 10 bits (MS-LCID §2.2), which is all a
    language choice needs; Babel knows locales by tag, not by LCID."""
    if not lcid or not lcid.isdigit() or len(lcid) > 6:
        return None
    return _PRIMARY_LANGUAGES.get(int(lcid) & 0x3FF)


_PRIMARY_LANGUAGES: dict[int, Lang] = {0x07: "de", 0x09: "en"}


def lang_from_accept(header: str | None) -> Lang | None:
    """The best supported language of an ``Accept-Language`` header, honouring q-values."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    preferred = [tag for _, _, tag in sorted(ranked)]
    best = Locale.negotiate(preferred, list(SUPPORTED), sep="-") if preferred else None
    return best.language if best is not None else None  # type: ignore[return-value]


def negotiate(
    *,
    userlcid: str | None = None,
    orglcid: str | None = None,
    accept_language: str | None = None,
) -> Lang:
    """The page's language: the user's Dynamics language, the org's, the browser's, else English."""
    return (
        lang_from_lcid(userlcid)
        or lang_from_lcid(orglcid)
        or lang_from_accept(accept_language)
        or "en"
    )


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


def t(key: str, lang: Lang, params: Mapping[str, object] | None = None) -> str:
    """The text for ``key`` in ``lang``; placeholders filled from ``params`` (missing → empty)."""
    entry = MESSAGES.get(key) or MESSAGES["error"]
    text = entry.get(lang) or entry["en"]
    return text.format_map(_Blank(params or {})).strip()


def template(key: str, lang: Lang) -> str:
    """The text for ``key`` with its placeholders left in (for texts another layer fills in)."""
    entry = MESSAGES.get(key) or MESSAGES["error"]
    return entry.get(lang) or entry["en"]


def fmt_number(value: object, lang: Lang) -> str:
    """A number as people in ``lang`` write it: 1,234,567.5 / 1.234.567,5 (no trailing zeros)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return format_decimal(number.normalize(), locale=_LOCALES[lang], decimal_quantization=False)


def fmt_percent(value: object, lang: Lang) -> str:
    """A 0–100 value as a percentage: 56.5% / 56,5 %."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return format_percent(number / 100, locale=_LOCALES[lang], decimal_quantization=False)


def fmt_datetime(value: datetime, lang: Lang, *, tz: str = "UTC") -> str:
    """A moment in the language's medium format, naming the zone. Pages render it inside
    ``<time datetime=…>`` and the browser re-renders it in the reader's own zone (cockpit.js)."""
    text = format_datetime(value, "medium", tzinfo=get_timezone(tz), locale=_LOCALES[lang])
    return f"{text} {tz}"


def fmt_date(value: datetime, lang: Lang, *, tz: str = "UTC") -> str:
    """The day of a moment, short (an axis label): 11/22/26 / 22.11.26."""
    return format_date(value.astimezone(get_timezone(tz)), "short", locale=_LOCALES[lang])
