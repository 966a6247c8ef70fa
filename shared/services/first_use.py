"""The start-up check on first use (docs/architecture.md, "Admin console"): the first request of
this instance for an org starts that org's health check in the background, as the app. A missing or
outdated Dynamics solution, a Cockpit URL that points elsewhere or a broken target column then
shows up in the log and in the admin console when the org is first used, not at the next hourly
run. The request that triggered it never waits for it, and nothing it finds blocks a rep: Dynamics
itself decides what works."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from shared.domain.health import HealthReport
from shared.domain.orgs import CrmOrg

log = logging.getLogger("cockpit.health")

OrgCheck = Callable[[CrmOrg], Awaitable[HealthReport]]


class FirstUseCheck:
    """Runs ``check`` once per org and instance, in the background, when the org is first used."""

    def __init__(self, *, check: OrgCheck) -> None:
        self._check = check
        self._started: set[tuple[str, str]] = set()
        # Strong references: the event loop keeps only weak ones to running tasks.
        self._tasks: set[asyncio.Task[None]] = set()

    def note_use(self, org: CrmOrg) -> None:
        key = (org.tenant_id, org.name)
        if key in self._started:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not inside a request: nothing to run the check on
        self._started.add(key)
        task = loop.create_task(self._run(org, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, org: CrmOrg, key: tuple[str, str]) -> None:
        try:
            report = await self._check(org)
        except Exception as err:  # the check could not run: try again on the next use
            self._started.discard(key)
            log.warning(
                "start-up check could not run",
                extra={"fields": {"org": org.name, "error": type(err).__name__}},
            )
            return
        failing = sorted(c.id for c in report.failures())
        if failing:
            log.warning(
                "start-up check: the org is not ready",
                extra={"fields": {"org": org.name, "failing": failing}},
            )
        else:
            log.info("start-up check passed", extra={"fields": {"org": org.name}})

    async def wait(self) -> None:
        """Until every started check has finished (tests, and an orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
