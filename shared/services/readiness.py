"""Readiness: can the cockpit serve people right now? Liveness (``/healthz``) only asks storage;
readiness also asks Entra ID (no sign-in, no token without it) and every configured Dataverse org
(no cockpit page without it), each bounded in time, and says which is down and why — never a
secret (docs/operations.md says what to do about each)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from shared.domain.errors import StorageUnavailable
from shared.domain.orgs import CrmOrg

Status = Literal["ok", "degraded", "down"]
PROBE_TIMEOUT_S = 2.0
# The HTTP probes end themselves after PROBE_TIMEOUT_S (raising TimeoutError); this outer bound only
# catches a probe that does not, a little later.
BACKSTOP_S = 0.5


class Probes(Protocol):
    async def storage(self) -> None: ...

    async def identity(self) -> int: ...

    async def dataverse(self, org: CrmOrg) -> int: ...


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    reason: str


@dataclass(frozen=True)
class Readiness:
    status: Status
    checks: list[Check]


class ReadinessService:
    def __init__(
        self, *, probes: Probes, orgs: Sequence[CrmOrg], timeout: float = PROBE_TIMEOUT_S
    ) -> None:
        self._probes = probes
        self._orgs = tuple(orgs)
        self._timeout = timeout

    async def check(self) -> Readiness:
        """Every dependency at once (the answer takes the slowest probe, at most ``timeout``)."""
        checks = await asyncio.gather(
            self._storage(),
            self._http("identity", self._probes.identity(), reachable={200}),
            *(
                self._http(
                    f"dataverse:{org.name}", self._probes.dataverse(org), reachable={401, 200}
                )
                for org in self._orgs
            ),
        )
        worst: Status = "ok"
        if any(c.status == "degraded" for c in checks):
            worst = "degraded"
        if any(c.status == "down" for c in checks):
            worst = "down"
        return Readiness(status=worst, checks=list(checks))

    async def _storage(self) -> Check:
        try:
            await asyncio.wait_for(self._probes.storage(), timeout=self._timeout)
        except TimeoutError:
            return Check("storage", "down", f"no answer within {self._timeout:g} s")
        except StorageUnavailable as err:
            return Check("storage", "down", err.detail or "unavailable")
        return Check("storage", "ok", "answers")

    async def _http(self, name: str, probe: Awaitable[int], *, reachable: set[int]) -> Check:
        try:
            status = await asyncio.wait_for(probe, timeout=self._timeout + BACKSTOP_S)
        except TimeoutError:
            return Check(name, "down", f"no answer within {self._timeout:g} s")
        except Exception as err:  # refused, reset, TLS: the dependency cannot be reached
            return Check(name, "down", f"cannot be reached ({err.__class__.__name__})")
        if status in reachable:
            return Check(name, "ok", f"answers (HTTP {status})")
        if status == 429 or status >= 500:
            return Check(name, "degraded", f"answers with HTTP {status}")
        return Check(name, "degraded", f"unexpected HTTP {status}")
