"""The access rule: Dynamics decides who sees and changes what the cockpit holds about an
opportunity (docs/architecture.md, "The access rule").

- Read access to the opportunity (asked live, as the user) → may see the project: its name, solution,
  answers, probabilities, history.
- Write access → may change it: evaluate, choose or change the solution, write again, delete.
- An answer may be reused for at most ``ttl`` (60 s), in this process's memory only, keyed by
  (tenant, user, org, opportunity). Only positive answers are kept: a user who was just given
  access in Dynamics is not made to wait, and a refusal is always fresh.
- ``Cockpit.Admin`` grants the admin pages; it is no bypass here.
- Every refusal is decided *before* any project data is read, and says the same whether or not the
  opportunity has a project, so nobody can probe which opportunities have one.

Costs (asserted in tests): the project page's one opportunity GET *is* the read check and is
remembered; a read check otherwise costs one GET; a write check costs one ``RetrievePrincipalAccess``
(plus one ``WhoAmI`` per user and org, remembered by the gateway).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain.access import Access
from shared.domain.crm import CrmCaller, Opportunity
from shared.domain.errors import CrmAccessDenied, NoAccess, ReadOnlyAccess
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg
from shared.ports import Clock, CrmCallers, CrmGateway

ACCESS_TTL = timedelta(seconds=60)
MAX_REMEMBERED = 20_000  # entries; far above what one worker sees in a minute


@dataclass(frozen=True)
class _Remembered:
    access: Access
    until: datetime
    write_known: bool  # asked with RetrievePrincipalAccess (a read alone says nothing of writing)


class AccessPolicy:
    def __init__(
        self,
        *,
        crm: CrmGateway,
        callers: CrmCallers,
        clock: Clock,
        ttl: timedelta = ACCESS_TTL,
        interactive_budget_seconds: float | None = None,
    ) -> None:
        self._crm = crm
        self._callers = callers
        self._clock = clock
        self._ttl = ttl
        self._budget = interactive_budget_seconds
        self._memory: dict[tuple[str, str, str, str], _Remembered] = {}
        # Questions being asked right now: concurrent requests of one user about one opportunity
        # (double clicks, a page and its API calls) share one answer instead of asking again.
        self._asking: dict[tuple[str, tuple[str, str, str, str]], asyncio.Future[object]] = {}

    # --- the checks ------------------------------------------------------------------------------
    async def read_opportunity(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        opportunity_id: str,
        extra_fields: Sequence[str] = (),
    ) -> Opportunity:
        """Read the opportunity as the user: the read *is* the read check (and is remembered).
        Raises :class:`NoAccess` when Dynamics refuses; CRM outages propagate (the caller decides
        whether a remembered answer lets it go on without the live data)."""
        try:
            opportunity = await self._crm.get_opportunity(
                org=org,
                opportunity_id=opportunity_id,
                caller=self._caller(principal, org),
                extra_fields=extra_fields,
            )
        except CrmAccessDenied as err:
            raise _no_access(err) from err
        self._remember(principal, org, opportunity_id, Access.READ, write_known=False)
        return opportunity

    async def require_read(self, *, principal: Principal, org: CrmOrg, opportunity_id: str) -> None:
        """Refuse unless Dynamics lets the user read the opportunity (one GET unless remembered)."""
        if self.remembered(principal=principal, org=org, opportunity_id=opportunity_id) >= (
            Access.READ
        ):
            return
        try:
            await self._once(
                "read",
                _key(principal, org, opportunity_id),
                lambda: self._crm.check_read(
                    org=org, opportunity_id=opportunity_id, caller=self._caller(principal, org)
                ),
            )
        except CrmAccessDenied as err:
            raise _no_access(err) from err
        self._remember(principal, org, opportunity_id, Access.READ, write_known=False)

    async def require_write(
        self, *, principal: Principal, org: CrmOrg, opportunity_id: str
    ) -> None:
        """Refuse unless Dynamics lets the user change the opportunity (``RetrievePrincipalAccess``
        unless remembered). Someone who may only read gets :class:`ReadOnlyAccess`."""
        if self.remembered(principal=principal, org=org, opportunity_id=opportunity_id) is (
            Access.WRITE
        ):
            return
        try:
            rights = await self._once(
                "write",
                _key(principal, org, opportunity_id),
                lambda: self._crm.my_access(
                    org=org, opportunity_id=opportunity_id, caller=self._caller(principal, org)
                ),
            )
        except CrmAccessDenied as err:
            raise _no_access(err) from err
        assert isinstance(rights, frozenset)
        access = Access.from_rights(rights)
        if access is Access.NONE:
            raise NoAccess("RetrievePrincipalAccess: no ReadAccess")
        self._remember(principal, org, opportunity_id, access, write_known=True)
        if access is not Access.WRITE:
            raise ReadOnlyAccess("RetrievePrincipalAccess: no WriteAccess")

    async def _once(
        self,
        question: str,
        key: tuple[str, str, str, str],
        ask: Callable[[], Awaitable[object]],
    ) -> object:
        """Ask Dynamics, or join the same question already in flight for this user."""
        asking = self._asking.get((question, key))
        if asking is None:
            asking = asyncio.ensure_future(ask())
            self._asking[(question, key)] = asking
            asking.add_done_callback(lambda done: self._settled(question, key, done))
        # shield: one impatient caller (a closed browser tab) must not cancel the others' answer.
        return await asyncio.shield(asking)

    def _settled(
        self, question: str, key: tuple[str, str, str, str], done: asyncio.Future[object]
    ) -> None:
        self._asking.pop((question, key), None)
        if not done.cancelled():
            done.exception()  # retrieved here too, so an answer nobody awaits logs no warning

    # --- memory ----------------------------------------------------------------------------------
    def remembered(self, *, principal: Principal, org: CrmOrg, opportunity_id: str) -> Access:
        """The access answer still valid for this user and opportunity, else NONE."""
        entry = self._memory.get(_key(principal, org, opportunity_id))
        if entry is None or entry.until <= self._clock.now():
            return Access.NONE
        return entry.access

    def may_change(self, *, principal: Principal, org: CrmOrg, opportunity_id: str) -> bool | None:
        """True/False when Dynamics answered about writing within the last minute, else None."""
        entry = self._memory.get(_key(principal, org, opportunity_id))
        if entry is None or entry.until <= self._clock.now() or not entry.write_known:
            return None
        return entry.access is Access.WRITE

    def _remember(
        self,
        principal: Principal,
        org: CrmOrg,
        opportunity_id: str,
        access: Access,
        *,
        write_known: bool,
    ) -> None:
        key = _key(principal, org, opportunity_id)
        current = self._memory.get(key)
        now = self._clock.now()
        if current is not None and current.until > now and current.write_known and not write_known:
            # A read does not forget a fresher answer about writing (nor extend it).
            return
        if len(self._memory) >= MAX_REMEMBERED:
            self._forget_expired(now)
        self._memory[key] = _Remembered(
            access=access, until=now + self._ttl, write_known=write_known
        )

    def _forget_expired(self, now: datetime) -> None:
        for key in [k for k, v in self._memory.items() if v.until <= now]:
            del self._memory[key]
        if len(self._memory) >= MAX_REMEMBERED:  # all fresh: drop the oldest half
            for key in list(self._memory)[: MAX_REMEMBERED // 2]:
                del self._memory[key]

    def _caller(self, principal: Principal, org: CrmOrg) -> CrmCaller:
        return self._callers.caller(principal, org, budget_seconds=self._budget)


def _key(principal: Principal, org: CrmOrg, opportunity_id: str) -> tuple[str, str, str, str]:
    return (principal.tenant_id, principal.object_id, org.name, opportunity_id)


def _no_access(cause: CrmAccessDenied) -> NoAccess:
    # The same code and message for "not a Dataverse user", "disabled", "no privilege" and
    # "not your record": the user learns only that Dynamics said no.
    return NoAccess(f"Dynamics refused: {cause.detail}")
