"""Timer functions, registered on the same FunctionApp as the HTTP app (one worker, one container).

- ``writeback_retry`` (every 2 minutes): finishes every write-back still owed to the CRM (busy,
  unreachable, conflicting, or interrupted by a crash), as the app on behalf of each rep
  (``CallerObjectId``), newest evaluation only (``shared/services/writeback.py``).
- ``expiry_cleanup`` (hourly): deletes expired sessions and sign-in flows; removes write-back log
  entries older than each org's retention; and runs the admin console's health check of every
  configured org as the app, so a check that starts or stops failing is logged even when no
  administrator looks (docs/architecture.md, "Admin console"). Each step runs even when an
  earlier one failed.

Schedules are NCRONTAB with seconds; only one instance runs a given timer when the app scales out.
"""

from __future__ import annotations

import logging

import azure.functions as func

from shared.bootstrap import Container
from shared.observability import correlation_id, new_correlation_id

log = logging.getLogger("cockpit.timers")


def timers(container: Container) -> func.Blueprint:
    bp = func.Blueprint()  # type: ignore[no-untyped-call]

    @bp.function_name("writeback_retry")
    @bp.timer_trigger(
        arg_name="timer", schedule="0 */2 * * * *", run_on_startup=False, use_monitor=True
    )
    async def writeback_retry(timer: func.TimerRequest) -> None:
        token = correlation_id.set(new_correlation_id())
        try:
            counts = await container.writeback.process_queue()
            log.info("write-back retries", extra={"fields": counts})
        finally:
            correlation_id.reset(token)

    @bp.function_name("expiry_cleanup")
    @bp.timer_trigger(
        arg_name="timer", schedule="0 17 * * * *", run_on_startup=False, use_monitor=True
    )
    async def expiry_cleanup(timer: func.TimerRequest) -> None:
        token = correlation_id.set(new_correlation_id())
        try:
            for step in (purge_sessions, purge_log, check_health):
                try:
                    await step()
                except Exception as err:  # one broken step never stops the others
                    log.warning(
                        "clean-up step failed",
                        extra={"fields": {"step": step.__name__, "error": type(err).__name__}},
                    )
        finally:
            correlation_id.reset(token)

    async def purge_sessions() -> None:
        removed = await container.auth.purge_expired()
        log.info("expired records removed", extra={"fields": removed})

    async def purge_log() -> None:
        removed = await container.log_service.purge_expired(list(container.settings.orgs))
        log.info("write-back log entries removed", extra={"fields": removed})

    async def check_health() -> None:
        for org in container.settings.orgs:
            report = await container.org_health.check(principal=None, org=org)
            failing = ",".join(c.id for c in report.failures())
            log.info(
                "admin health",
                extra={"fields": {"org": org.name, "ok": report.ok, "failing": failing}},
            )

    return bp
