"""Timer functions, registered on the same FunctionApp as the HTTP app (one worker, one container).

- ``writeback_retry`` (every 2 minutes): finishes every write-back still owed to the CRM (busy,
  unreachable, conflicting, or interrupted by a crash), as the app on behalf of each rep
  (``CallerObjectId``), newest evaluation only (``shared/services/writeback.py``).
- ``expiry_cleanup`` (hourly): deletes expired sessions and sign-in flows; removes write-back log
  entries older than each org's retention; and runs the admin console's health check of every
  configured org as the app, so a check that starts or stops failing is logged even when no
  administrator looks (docs/architecture.md, "Admin console"). Each step runs even when an
  earlier one failed.

Schedules are NCRONTAB with seconds; in Azure only one instance runs a given timer when the app
scales out. The local stack runs the very same jobs through :func:`run_timer` on the same
schedules (``functions/local_timers.py``), so background work behaves alike in both worlds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import azure.functions as func

from shared.bootstrap import Container
from shared.observability import correlation_id, new_correlation_id

log = logging.getLogger("cockpit.timers")


@dataclass(frozen=True)
class Timer:
    name: str
    schedule: str  # NCRONTAB with seconds, as the Functions host reads it
    job: Callable[[Container], Awaitable[Mapping[str, int]]]


async def clean_up(container: Container) -> Mapping[str, int]:
    """The hourly clean-up: expired sessions and sign-in flows, write-back log entries past their
    retention, and each org's health check (failures are logged when they start and stop). One
    broken step never stops the others."""
    counts: dict[str, int] = {}
    orgs = list(container.settings.orgs)
    steps: tuple[tuple[str, Awaitable[Mapping[str, int]]], ...] = (
        ("sessions", container.auth.purge_expired()),
        ("log", container.log_service.purge_expired(orgs)),
        ("health", _check_health(container)),
    )
    for name, step in steps:
        try:
            counts.update(await step)
        except Exception as err:
            counts[f"{name}_failed"] = 1
            log.warning(
                "clean-up step failed",
                extra={"fields": {"step": name, "error": type(err).__name__}},
            )
    return counts


async def _check_health(container: Container) -> dict[str, int]:
    failing = 0
    for org in container.settings.orgs:
        report = await container.org_health.check(principal=None, org=org)
        failing += len(report.failures())
    return {"health_failures": failing}


TIMERS = (
    Timer("writeback_retry", "0 */2 * * * *", lambda c: c.writeback.process_queue()),
    Timer("expiry_cleanup", "0 17 * * * *", clean_up),
)


async def run_timer(container: Container, timer: Timer) -> None:
    """One run of a timer job with its own correlation id; what it did is logged."""
    token = correlation_id.set(new_correlation_id())
    try:
        counts = await timer.job(container)
        log.info(f"timer {timer.name} ran", extra={"fields": dict(counts)})
    finally:
        correlation_id.reset(token)


def timers(container: Container) -> func.Blueprint:
    bp = func.Blueprint()  # type: ignore[no-untyped-call]
    for timer in TIMERS:
        _register(bp, container, timer)
    return bp


def _register(bp: func.Blueprint, container: Container, timer: Timer) -> None:
    async def handler(timer_request: func.TimerRequest) -> None:
        await run_timer(container, timer)

    handler.__name__ = timer.name
    bp.function_name(timer.name)(
        bp.timer_trigger(
            arg_name="timer_request",
            schedule=timer.schedule,
            run_on_startup=False,
            use_monitor=True,
        )(handler)
    )
