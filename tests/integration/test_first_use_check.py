"""The start-up check on first use: the first request of an instance for an org starts that org's
health check in the background, as the app. What it finds reaches the administrator's log (with
what to do) and the operator's log; the rep's request neither waits for it nor pays for it, and a
later request does not start it again."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from devstack.stack import Stack
from tests.integration.admin_support import signed_in
from tests.integration.test_journey import OPEN_ANNA, OPPS, dataverse_requests, signed_in_rep
from tests.support.sims import Sims
from tests.support.stack import USERS, LiveApp, live_app

OTHER = OPPS["Field service expansion"]["opportunityid"]


@pytest.fixture
def app(stack: Stack, fresh: Sims) -> Iterator[LiveApp]:
    with live_app(stack, startup_check=True) as live:
        yield live


async def test_the_first_use_of_an_org_checks_its_installation_once_in_the_background(
    app: LiveApp, sims: Sims, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cockpit.health")
    async for anna in signed_in_rep(app, "anna"):
        await sims.dataverse("DELETE", "requests")
        assert (await anna.open(OPEN_ANNA)).status_code == 200
        await app.call(lambda c: c.first_use_check.wait())
        # The rep's page cost its one Dataverse GET as Anna; everything else was the app's.
        anna_requests = [
            r
            for r in await dataverse_requests(sims)
            if r.get("caller_object_id") is None and r.get("user") == USERS["anna"]["oid"]
        ]
        assert [r["method"] for r in anna_requests] == ["GET"]
        checks = [r for r in caplog.records if r.getMessage().startswith("start-up check")]
        assert [r.getMessage() for r in checks] == ["start-up check: the org is not ready"]
        assert "dynamics_solution" in checks[0].__dict__["fields"]["failing"]

        # Another project, another request: the org was checked on this instance already.
        assert (await anna.open(OTHER)).status_code == 200
        await app.call(lambda c: c.first_use_check.wait())
        assert len([r for r in caplog.records if r.getMessage().startswith("start-up check")]) == 1

    # The administrator finds it in the log, with the check that failed.
    async for ben in signed_in(app, "ben"):
        log = (await ben.get("/api/admin/orgs/contoso/log", params={"level": "error"})).json()
        failing = [e for e in log["entries"] if e["outcome"] == "health_failed"]
        assert any("solution" in e["text"].lower() for e in failing), failing
