"""What Dynamics 365 itself produces, reproduced exactly: record ids, the form URL shape and the
IFRAME control's URL with "Pass record object-type code and unique identifier as parameters".

Pure functions, no I/O, so the integration tests and the page agree on one definition.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

# Object type code of the opportunity table (OTC=3). Dynamics passes it as `type`; it is stable for
# system tables, while custom tables' codes differ per org, hence `typename` is preferred.
# https://learn.microsoft.com/power-apps/maker/model-driven-apps/iframe-properties-legacy
OPPORTUNITY_TYPE_CODE = 3
OPPORTUNITY = "opportunity"

ENGLISH = 1033
GERMAN = 1031
LANGUAGES: dict[int, str] = {ENGLISH: "English", GERMAN: "Deutsch"}

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class InvalidRecordId(ValueError):
    """A record id that is not a GUID (with or without braces)."""


def normalise_id(value: str) -> str:
    """``{0AA0...}`` / ``0aa0...`` -> ``0aa0...`` (lower case, no braces) or InvalidRecordId."""
    candidate = value.strip()
    if candidate.startswith("{") and candidate.endswith("}"):
        candidate = candidate[1:-1]
    candidate = candidate.lower()
    if not _GUID.match(candidate):
        raise InvalidRecordId(f"{value!r} is not a record id (a GUID like 0aa00000-0000-...)")
    return candidate


def braced_upper(record_id: str) -> str:
    """The form in which Dynamics hands ids to scripts and IFRAMEs: ``{0AA00000-...}``.
    https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-data-entity/getid
    """
    return "{" + normalise_id(record_id).upper() + "}"


def form_path(record_id: str | None) -> str:
    """Dynamics' record URL shape: ``main.aspx?etn=opportunity&id=...&pagetype=entityrecord``
    (a new, unsaved record has no ``id``)."""
    if record_id is None:
        return f"/main.aspx?etn={OPPORTUNITY}&pagetype=entityrecord"
    return f"/main.aspx?etn={OPPORTUNITY}&id={normalise_id(record_id)}&pagetype=entityrecord"


def iframe_src(
    url: str,
    *,
    pass_parameters: bool,
    record_id: str | None,
    org_name: str,
    org_lcid: int,
    user_lcid: int,
) -> str:
    """The URL Dynamics loads into an IFRAME control configured with ``url``: with "Pass record
    object-type code and unique identifier as parameters" on, the record parameters follow it
    (for our package ``about:blank?id=…``, for a typed ``{cockpit}/embed`` ``{cockpit}/embed?id=…``).

    Parameters in the order of Microsoft's example, the id upper-case in encoded braces, and ``id``
    empty while the record is unsaved ("this parameter has no value until the entity record is
    saved"):
    ``...?id=%7bB2232821-A775-DF11-8DD1-00155DBA3809%7d&orglcid=1033&orgname=adventureworkscycle&type=1&typename=account&userlcid=1033``
    https://learn.microsoft.com/power-apps/developer/model-driven-apps/use-iframe-and-web-resource-controls-on-a-form
    https://learn.microsoft.com/power-apps/maker/model-driven-apps/iframe-properties-legacy
    (The contract with the cockpit spells the encoded braces upper-case, %7B/%7D; both decode alike.)
    """
    if not pass_parameters:
        return url
    record = "" if record_id is None else "%7B" + normalise_id(record_id).upper() + "%7D"
    parameters = (
        f"id={record}&orglcid={org_lcid}&orgname={quote(org_name, safe='')}"
        f"&type={OPPORTUNITY_TYPE_CODE}&typename={OPPORTUNITY}&userlcid={user_lcid}"
    )
    return f"{url}{'&' if '?' in url else '?'}{parameters}"


def check_cockpit_url(value: str) -> str:
    """The cockpit base URL without a trailing slash; https, or http for localhost (development).

    Same rule as the command web resource (crm/webresources/cockpit_command.js), so the demo
    page cannot be configured in a way a real Dynamics org would refuse.
    """
    parts = urlsplit(value.strip())
    secure = parts.scheme == "https"
    local_dev = parts.scheme == "http" and parts.hostname == "localhost"
    if not parts.netloc or not (secure or local_dev):
        raise ValueError(
            f"{value!r}: the cockpit URL must be https://... (http:// only for localhost)"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(f"{value!r}: the cockpit URL must not carry credentials, a query or a #")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
