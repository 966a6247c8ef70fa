"""The admin console's Dataverse reads (``shared.ports.CrmAdminGateway``), on the same transport,
retry policy and per-user gates as the rest of the gateway. Request shapes
(https://learn.microsoft.com/power-apps/developer/data-platform/…):

- Installed solution: ONE ``GET solutions?$select=uniquename,version,ismanaged&$filter=uniquename
  eq '<name>'`` (reference/entities/solution).
- Application user: ONE ``GET systemusers?$select=systemuserid,isdisabled&$filter=applicationid eq
  <client id>`` (reference/entities/systemuser: ``applicationid`` is the app registration's id of
  an application user).
- Opportunities page by page: ``GET opportunities?$select=opportunityid,statecode[,actualclosedate]
  [,columns][&$filter=statecode ne 0]`` with ``Prefer: odata.maxpagesize=5000``; while the answer
  carries ``@odata.nextLink`` the next page is that URL, sent with the same Prefer header
  (webapi/query/page-results: "Use the value of the @odata.nextLink property with a new GET request
  to return the next page … Don't change or append any additional system query options"). One
  request per page; Dataverse has no ``$skip``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from shared.adapters.dataverse.gateway import DataverseGateway
from shared.adapters.dataverse.mapping import column, guid
from shared.adapters.dataverse.transport import API_PATH
from shared.domain.crm import CrmCaller, OpportunityState
from shared.domain.crm_admin import ApplicationUser, InstalledSolution, OpportunityRow
from shared.domain.dynamics_solution import ENVIRONMENT_VARIABLE_QUERY
from shared.domain.errors import CrmRejected, InvalidInput
from shared.domain.orgs import CrmOrg

PAGE_SIZE = 5000  # the most Dataverse returns per page (page-results)
PAGE_PREFER = f"odata.maxpagesize={PAGE_SIZE}"
_UNIQUE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,64}$")
_STATES = {0: OpportunityState.OPEN, 1: OpportunityState.WON, 2: OpportunityState.LOST}


class DataverseAdminGateway(DataverseGateway):
    """``CrmGateway`` and ``CrmAdminGateway`` in one object: one transport, so throttling of one
    user pauses all of that user's requests (docs/architecture.md, "Dataverse")."""

    async def installed_solution(
        self, *, org: CrmOrg, unique_name: str, caller: CrmCaller
    ) -> InstalledSolution | None:
        if not _UNIQUE_NAME.match(unique_name):
            raise InvalidInput("not a solution unique name", params={"name": unique_name})
        path = (
            f"solutions?$select=uniquename,version,ismanaged&$filter=uniquename eq '{unique_name}'"
        )
        rows = await self._rows(org, caller, path, operation="read installed solution")
        if not rows:
            return None
        row = rows[0]
        managed = row.get("ismanaged")
        return InstalledSolution(
            unique_name=str(row.get("uniquename") or unique_name),
            version=str(row.get("version") or ""),
            managed=managed if isinstance(managed, bool) else None,
        )

    async def cockpit_url_variable(self, *, org: CrmOrg, caller: CrmCaller) -> dict[str, Any]:
        rows = await self._rows(
            org, caller, ENVIRONMENT_VARIABLE_QUERY, operation="read the Cockpit URL variable"
        )
        return {"value": rows}

    async def application_user(
        self, *, org: CrmOrg, app_id: str, caller: CrmCaller
    ) -> ApplicationUser | None:
        app = guid(app_id, "application id")
        path = f"systemusers?$select=systemuserid,isdisabled&$filter=applicationid eq {app}"
        rows = await self._rows(org, caller, path, operation="read application user")
        if not rows:
            return None
        return ApplicationUser(
            systemuser_id=str(rows[0].get("systemuserid")),
            disabled=bool(rows[0].get("isdisabled")),
        )

    async def opportunity_pages(
        self,
        *,
        org: CrmOrg,
        caller: CrmCaller,
        fields: Sequence[str] = (),
        closed_only: bool = False,
        close_date: bool = False,
    ) -> AsyncIterator[list[OpportunityRow]]:
        columns = [column(f) for f in dict.fromkeys(fields) if f not in ("statecode",)]
        select = ["opportunityid", "statecode", *(["actualclosedate"] if close_date else [])]
        path: str | None = f"opportunities?$select={','.join([*select, *columns])}"
        if closed_only:
            path = f"{path}&$filter=statecode ne 0"
        prefix = f"{org.url}{API_PATH}"
        while path is not None:
            answer = await self._transport.call(
                org,
                caller,
                "GET",
                path,
                operation="read opportunities (page)",
                headers={"Prefer": PAGE_PREFER},
            )
            payload = answer.json()
            yield [_row(item, columns) for item in payload.get("value") or []]
            path = _next_path(payload.get("@odata.nextLink"), prefix)

    async def _rows(
        self, org: CrmOrg, caller: CrmCaller, path: str, *, operation: str
    ) -> list[dict[str, Any]]:
        answer = await self._transport.call(org, caller, "GET", path, operation=operation)
        rows = answer.json().get("value")
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def _next_path(link: object, prefix: str) -> str | None:
    """The next page's path relative to the Web API root; the transport encodes it again, so the
    link's own percent-encoding is undone first (the skiptoken carries an encoded cookie)."""
    if not isinstance(link, str) or not link:
        return None
    if not link.startswith(prefix):
        # Never follow a link to another host: the org URL comes from configuration only.
        raise CrmRejected("read opportunities: @odata.nextLink points outside the org")
    return unquote(link[len(prefix) :])


def _row(item: dict[str, Any], columns: Sequence[str]) -> OpportunityRow:
    state = item.get("statecode")
    closed = item.get("actualclosedate")
    return OpportunityRow(
        id=str(item.get("opportunityid")).lower(),
        state=_STATES.get(int(state) if state is not None else 0, OpportunityState.OPEN),
        close_date=date.fromisoformat(str(closed)[:10]) if closed else None,
        values={name: _decimal(item.get(name)) for name in columns},
    )


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))
