"""Liveness of what the cockpit cannot work without: storage."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from shared.domain.errors import StorageUnavailable
from shared.ports import HealthProbe

# The health endpoint must answer within 2 s even when storage hangs.
STORAGE_PROBE_TIMEOUT_S = 1.5


@dataclass(frozen=True)
class Health:
    ok: bool
    storage: str  # "ok" or a readable reason


async def check_health(*, storage: HealthProbe, timeout: float = STORAGE_PROBE_TIMEOUT_S) -> Health:
    """Probe storage once, bounded by ``timeout``."""
    try:
        await asyncio.wait_for(storage.ping(), timeout=timeout)
    except TimeoutError:
        return Health(ok=False, storage=f"storage did not answer within {timeout:g} s")
    except StorageUnavailable as err:
        return Health(ok=False, storage=err.detail or "storage unavailable")
    return Health(ok=True, storage="ok")
