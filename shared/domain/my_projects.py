""" "My cockpit": which projects a person created or evaluated, so they can find them again.

An entry holds only identifiers, the project's name and when the person last worked on it — never
CRM values (those are read live, as the person, when the list is shown) and never scores (read
from the evaluations, so every colleague's newest evaluation counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from shared.domain.projects import ProjectKey

MyRole = Literal["creator", "evaluator"]
SortKey = Literal["activity", "name"]
PAGE_SIZE = 20
# Entries read per person to sort them; far more projects than one rep works on.
MAX_ENTRIES = 1000


@dataclass(frozen=True)
class MyProject:
    key: ProjectKey
    user: str  # Entra object id of the person
    name: str
    created: bool  # the person's launch created the project
    evaluated: bool  # the person evaluated it at least once
    last_activity: datetime


def sort_entries(entries: list[MyProject], *, by: SortKey, descending: bool) -> list[MyProject]:
    """The person's entries in the order asked for (ties broken by opportunity id, so pages are
    stable)."""
    if by == "name":
        ordered = sorted(entries, key=lambda e: (e.name.casefold(), e.key.opportunity_id))
    else:
        ordered = sorted(entries, key=lambda e: (e.last_activity, e.key.opportunity_id))
    return list(reversed(ordered)) if descending else ordered
