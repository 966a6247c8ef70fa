"""What Dynamics lets a user do with one opportunity, as the access rule needs it
(docs/architecture.md, "The access rule"): read access to see the cockpit's data about it, write
access to change that data."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class Access(IntEnum):
    """Ordered: a higher level includes the lower ones."""

    NONE = 0
    READ = 1
    WRITE = 2

    @classmethod
    def from_rights(cls, rights: Iterable[str]) -> Access:
        """From ``RetrievePrincipalAccess``'s AccessRights flags (``ReadAccess``, ``WriteAccess`` …).
        Write without read does not occur in Dataverse; it is treated as no access."""
        held = set(rights)
        if "ReadAccess" not in held:
            return cls.NONE
        return cls.WRITE if "WriteAccess" in held else cls.READ
