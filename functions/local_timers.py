"""The timer functions, in-process, for the local stack (Azure runs them in the Functions host).

Under ``make run`` the app is served by uvicorn, where no Functions host fires timers; without
this, background write-backs and clean-up would never happen locally — the local world would
differ from Azure exactly where recovery lives. Each timer runs once shortly after start (work a
crashed process left behind is picked up at once), then on its NCRONTAB schedule, through the same
:func:`functions.timers.run_timer` as in Azure.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from functions.timers import TIMERS, Timer, run_timer
from shared.bootstrap import Container

log = logging.getLogger("cockpit.timers")

STARTUP_DELAY_SECONDS = 1.0


async def run_local_timers(container: Container) -> None:
    """Run every timer until cancelled (the app's lifespan cancels it on shutdown)."""
    await asyncio.gather(*(_loop(container, timer) for timer in TIMERS))


async def _loop(container: Container, timer: Timer) -> None:
    from croniter import croniter  # dev-only dependency, imported only where timers run locally

    await asyncio.sleep(STARTUP_DELAY_SECONDS)
    schedule = croniter(timer.schedule, datetime.now(UTC), second_at_beginning=True)
    while True:
        try:
            await run_timer(container, timer)
        except Exception as err:  # a failed run is retried on the next tick, as in Azure
            log.warning(
                f"timer {timer.name} failed",
                extra={"fields": {"error": err.__class__.__name__, "detail": str(err)[:200]}},
            )
        next_run: datetime = schedule.get_next(datetime)
        await asyncio.sleep(max(0.0, (next_run - datetime.now(UTC)).total_seconds()))
