"""What every admin-console service shares: the admin rule and the best-effort log append."""

from __future__ import annotations

import logging

from shared.domain.admin_log import LogEntry
from shared.domain.errors import Forbidden
from shared.domain.identity import Principal
from shared.ports import WritebackLogStore

log = logging.getLogger("cockpit.admin")


def require_admin(principal: Principal, role: str) -> None:
    """The admin pages and API: the app role, nothing else (it grants no project access)."""
    if not principal.has_role(role):
        raise Forbidden("administrators only", code="admin_only")


async def append_quietly(store: WritebackLogStore | None, item: LogEntry) -> None:
    """Log an administrative event; a storage hiccup here must not undo what was done."""
    if store is None:
        return
    try:
        await store.append(item)
    except Exception as err:
        log.warning(
            "admin log entry lost",
            extra={"fields": {"error": err.__class__.__name__, "outcome": item.outcome.value}},
        )
