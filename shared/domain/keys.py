"""Rules for values that become Azure Table keys or identify CRM records.

Azure Tables forbids ``/ \\ # ?`` and control characters in PartitionKey/RowKey (Azurite answers a
``/`` in a URL key with a 500), so bad values are refused here with a domain error, before any I/O.
"""

from __future__ import annotations

import re
import uuid

from shared.domain.errors import InvalidInput, InvalidKey

_FORBIDDEN = re.compile(r"[/\\#?\x00-\x1f\x7f-\x9f]")
MAX_KEY_PART = 200  # Azure allows 1 KiB per key; Azurite 512 chars. Ours are far shorter.
_ORG_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def check_key_part(value: str, *, what: str) -> str:
    """Return ``value`` if it can be (part of) a table key, else raise :class:`InvalidKey`."""
    if not value:
        raise InvalidKey(f"{what} is empty", params={"what": what})
    if len(value) > MAX_KEY_PART:
        raise InvalidKey(f"{what} is longer than {MAX_KEY_PART} characters", params={"what": what})
    if _FORBIDDEN.search(value):
        raise InvalidKey(
            f"{what} contains a character that cannot be stored (/ \\ # ? or a control character)",
            params={"what": what},
        )
    return value


def parse_guid(value: str, *, what: str) -> str:
    """Normalise a GUID as Dynamics passes it (any case, with or without braces) to lowercase
    ``8-4-4-4-12`` form; anything else is :class:`InvalidInput`."""
    raw = value.strip()
    if raw.startswith("{") and raw.endswith("}"):
        raw = raw[1:-1]
    if not re.fullmatch(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", raw
    ):
        raise InvalidInput(f"{what} is not a GUID", code="invalid_guid", params={"what": what})
    return str(uuid.UUID(raw))


def parse_org_name(value: str) -> str:
    """An org's unique name as the IFRAME's ``orgname`` parameter carries it (case-insensitive)."""
    name = value.strip().lower()
    if not _ORG_NAME.fullmatch(name):
        raise InvalidInput("orgname is not a valid organisation name", code="invalid_org")
    return name
