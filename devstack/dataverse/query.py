"""Reading rows: collection queries with paging and counts, ``/$count``, and single retrieves.

- ``$select``/``$filter``/``$orderby``/``$top``/``$expand`` (webapi/query/overview.md,
  select-columns.md, filter-rows.md, order-rows.md, join-tables.md).
- Paging (webapi/query/page-results.md): ``Prefer: odata.maxpagesize=N`` (at most 5,000; larger
  values are ignored, and without it a page holds up to 5,000 rows), answered with
  ``Preference-Applied: odata.maxpagesize=N`` and, while more rows remain, ``@odata.nextLink`` —
  the same query plus ``$skiptoken=<cookie pagenumber="2" pagingcookie="…" istracking="False" />``
  whose paging cookie names the first and last primary key of the page. "Don't use $top with
  odata.maxpagesize … If you include both, $top is ignored." Dataverse has no ``$skip``.
- Counting (webapi/query/count-rows.md): ``$count=true`` → ``@odata.count`` (the matching rows, at
  most 5,000, whatever the page size), the ``Microsoft.Dynamics.CRM.totalrecordcount`` and
  ``…totalrecordcountlimitexceeded`` annotations when asked for, and ``{set}/$count`` → the number
  as ``text/plain``.
- Conditional retrieval (perform-conditional-operations-using-web-api.md): 304 unless ``$expand``
  or annotations are used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from devstack.dataverse import errors, records
from devstack.dataverse.filters import BoolOp, Comparison, FilterExpr, parse_filter
from devstack.dataverse.model import EntityDef
from devstack.dataverse.odata import (
    ExpandItem,
    OrderItem,
    parse_expand,
    parse_orderby,
    parse_select,
)
from devstack.dataverse.records import Ctx
from devstack.dataverse.responses import ApiBase, ApiRequest, ApiResponse, json_response
from devstack.dataverse.security import require
from devstack.dataverse.sql import parse_sql

GLOBAL_METADATA_VERSION = "Microsoft.Dynamics.CRM.globalmetadataversion"
TOTAL_COUNT = "Microsoft.Dynamics.CRM.totalrecordcount"
TOTAL_COUNT_EXCEEDED = "Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"
MAX_PAGE_SIZE = 5000
MAX_COUNT = 5000
_SAFE = "$,'()=:@/"
_COOKIE = re.compile(r'pagenumber="(?P<page>\d+)"(?:\s+pagingcookie="(?P<cookie>[^"]*)")?')
_LAST = re.compile(r'last="\{?(?P<last>[0-9A-Fa-f-]{36})\}?"')


def _top(request: ApiRequest) -> int | None:
    top = request.option("$top")
    if top is None:
        return None
    if not top.isdigit():
        raise errors.bad_request(f"Invalid value '{top}' for $top.")
    return int(top)


def _count_option(request: ApiRequest) -> bool:
    raw = request.option("$count")
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise errors.bad_request(f"Invalid value '{raw}' for $count. Expected 'true' or 'false'.")
    return raw == "true"


def _skiptoken_position(
    raw: str | None, rows: list[dict[str, Any]], *, pk: str, page_size: int
) -> int:
    """Where the page the skiptoken asks for starts in ``rows``: after the paging cookie's last
    row, or (simple paging, when that row is gone) at page number × page size."""
    if raw is None:
        return 0
    match = _COOKIE.search(raw)
    if match is None:
        raise errors.bad_request(f"The $skiptoken value '{raw}' is not valid.")
    last = _LAST.search(unquote(unquote(match["cookie"] or "")))
    if last is not None:
        wanted = last["last"].lower()
        for index, row in enumerate(rows):
            if str(row[pk]).lower() == wanted:
                return index + 1
    return (int(match["page"]) - 1) * page_size


def _skiptoken(entity: EntityDef, page: list[dict[str, Any]], number: int) -> str:
    """The documented shape: an XML cookie whose ``pagingcookie`` is itself URL-encoded twice."""
    pk = entity.primary_id
    first, last = str(page[0][pk]).upper(), str(page[-1][pk]).upper()
    inner = f'<cookie page="{number - 1}"><{pk} last="{{{last}}}" first="{{{first}}}" /></cookie>'
    encoded = quote(quote(inner, safe=""), safe="")
    return f'<cookie pagenumber="{number}" pagingcookie="{encoded}" istracking="False" />'


def _page_number(raw: str | None) -> int:
    match = _COOKIE.search(raw or "")
    return int(match["page"]) if match else 1


@dataclass(frozen=True)
class QuerySpec:
    select: list[str] | None
    expand: list[ExpandItem]
    filter: FilterExpr | None
    orderby: list[OrderItem]
    top: int | None
    counted: bool


def _candidates(
    rows: dict[str, dict[str, Any]], entity: EntityDef, expr: FilterExpr | None
) -> Iterable[dict[str, Any]]:
    """The rows a filter can match: when it requires the primary key to equal a GUID (alone or
    and-ed with more), only that row — a seek, as the table's clustered primary key gives SQL
    Server — else every row. ``select_rows`` still applies the whole filter and the caller's read
    depth, so the result is the same either way; only the cost of a lookup by id changes."""
    key = _primary_key_equals(expr, entity.primary_id)
    if key is not None:
        row = rows.get(key)
        if row is not None and str(row.get(entity.primary_id, "")).lower() == key:
            return (row,)
    return rows.values()


def _primary_key_equals(expr: FilterExpr | None, primary_id: str) -> str | None:
    if isinstance(expr, Comparison):
        if expr.path == (primary_id,) and expr.op == "eq" and isinstance(expr.value, str):
            return expr.value.lower()
        return None
    if isinstance(expr, BoolOp) and expr.op == "and":
        return _primary_key_equals(expr.left, primary_id) or _primary_key_equals(
            expr.right, primary_id
        )
    return None


class QueryMixin(ApiBase):
    def query(self, ctx: Ctx, entity: EntityDef, request: ApiRequest) -> ApiResponse:
        raw_sql = request.option("sql")
        if raw_sql is not None:
            if any(k != "sql" for k, _ in request.query):
                raise errors.bad_request("The sql query option cannot be combined with others.")
            sql = parse_sql(raw_sql, entity)
            spec = QuerySpec(sql.columns, [], sql.filter, sql.orderby, sql.top, counted=False)
            return self.run_query(ctx, entity, request, spec)
        select = parse_select(request.option("$select"))
        expand = parse_expand(request.option("$expand"))
        records.validate_select(entity, select)
        records.validate_expand(self.state, entity, expand)
        expr, orderby = self._filter_and_order(entity, request)
        spec = QuerySpec(
            select, expand, expr, orderby, _top(request), counted=_count_option(request)
        )
        return self.run_query(ctx, entity, request, spec)

    def run_query(
        self, ctx: Ctx, entity: EntityDef, request: ApiRequest, spec: QuerySpec
    ) -> ApiResponse:
        select, expand, top, counted = spec.select, spec.expand, spec.top, spec.counted
        # RetrieveMultiple needs the table's read privilege (query-data-web-api.md).
        require(self.state, self.principal, entity, "Read")
        matching = records.select_rows(
            ctx,
            entity,
            _candidates(self.state.rows[entity.logical_name], entity, spec.filter),
            expr=spec.filter,
            orderby=spec.orderby,
        )
        asked = ctx.prefs.max_page_size
        page_size = asked if asked is not None and 0 < asked <= MAX_PAGE_SIZE else MAX_PAGE_SIZE
        headers: list[tuple[str, str]] = []
        if asked is not None and 0 < asked <= MAX_PAGE_SIZE:
            headers.append(("Preference-Applied", f"odata.maxpagesize={asked}"))
        elif top is not None:
            # $top limits the result only when no page size is asked for (page-results.md).
            matching = matching[:top]
        skiptoken = request.option("$skiptoken")
        start = _skiptoken_position(skiptoken, matching, pk=entity.primary_id, page_size=page_size)
        page = matching[start : start + page_size]
        payload: dict[str, Any] = {
            "@odata.context": records.context_url(ctx, entity, select, expand, single=False)
        }
        if counted:
            payload["@odata.count"] = min(len(matching), MAX_COUNT)
        self._count_annotations(ctx, payload, total=len(matching) if counted else None)
        if ctx.prefs.wants(GLOBAL_METADATA_VERSION):
            # Returned at the top of query responses when asked for (query-data-web-api.md).
            payload[f"@{GLOBAL_METADATA_VERSION}"] = str(self.state.metadata_version)
        payload["value"] = [
            records.render_row(ctx, entity, row, select=select, expand=expand) for row in page
        ]
        if page and start + page_size < len(matching):
            token = _skiptoken(entity, page, _page_number(skiptoken) + 1)
            payload["@odata.nextLink"] = self._next_link(entity, request, token)
        return json_response(200, payload, headers=headers, prefs=ctx.prefs)

    def _filter_and_order(
        self, entity: EntityDef, request: ApiRequest
    ) -> tuple[FilterExpr | None, list[OrderItem]]:
        raw_filter = request.option("$filter")
        expr = parse_filter(raw_filter) if raw_filter else None
        records.validate_filter(entity, expr)
        orderby = parse_orderby(request.option("$orderby"))
        records.validate_orderby(entity, orderby)
        return expr, orderby

    @staticmethod
    def _count_annotations(ctx: Ctx, payload: dict[str, Any], *, total: int | None) -> None:
        # Without $count=true the total is -1 (count-rows.md).
        if ctx.prefs.wants(TOTAL_COUNT):
            payload[f"@{TOTAL_COUNT}"] = -1 if total is None else min(total, MAX_COUNT)
        if ctx.prefs.wants(TOTAL_COUNT_EXCEEDED):
            payload[f"@{TOTAL_COUNT_EXCEEDED}"] = total is not None and total > MAX_COUNT

    def _next_link(self, entity: EntityDef, request: ApiRequest, token: str) -> str:
        # The documented nextLink repeats the query options (without $count) and adds the token.
        kept = [(k, v) for k, v in request.query if k not in ("$skiptoken", "$count")]
        kept.append(("$skiptoken", token))
        query = "&".join(f"{k}={quote(v, safe=_SAFE)}" for k, v in kept)
        return f"{self.state.org.api_base}{entity.entity_set}?{query}"

    def count_only(self, ctx: Ctx, entity: EntityDef, request: ApiRequest) -> ApiResponse:
        """``GET {set}/$count``: the number of matching rows as text/plain (count-rows.md)."""
        expr, _ = self._filter_and_order(entity, request)
        require(self.state, self.principal, entity, "Read")
        matching = records.select_rows(
            ctx, entity, self.state.rows[entity.logical_name].values(), expr=expr, orderby=[]
        )
        body = str(min(len(matching), MAX_COUNT)).encode()
        return ApiResponse(200, [("Content-Type", "text/plain"), ("OData-Version", "4.0")], body)

    def find(
        self, entity: EntityDef, key: dict[str, str] | str
    ) -> tuple[str | None, dict[str, Any] | None]:
        rows = self.state.rows[entity.logical_name]
        if isinstance(key, str):
            return key, rows.get(key)
        names = tuple(sorted(key))
        if not any(tuple(sorted(k)) == names for k in entity.alternate_keys):
            raise errors.bad_request(
                f"The key '{','.join(key)}' is not a key of '{entity.logical_name}'."
            )
        for rid, row in rows.items():
            if all(str(row.get(name) or "").lower() == key[name].lower() for name in names):
                return rid, row
        return None, None

    def retrieve(
        self, ctx: Ctx, entity: EntityDef, key: dict[str, str] | str, request: ApiRequest
    ) -> ApiResponse:
        select = parse_select(request.option("$select"))
        expand = parse_expand(request.option("$expand"))
        records.validate_select(entity, select)
        records.validate_expand(self.state, entity, expand)
        rid, row = self.find(entity, key)
        if row is None or rid is None:
            raise errors.not_found(entity.logical_name, key if isinstance(key, str) else str(key))
        require(self.state, self.principal, entity, "Read", row, rid)
        etag = f'W/"{row["versionnumber"]}"'
        if_none_match = request.headers.get("if-none-match")
        if if_none_match == etag and not expand and not ctx.prefs.any_annotations:
            return ApiResponse(304, [("OData-Version", "4.0"), ("ETag", etag)])
        body = {"@odata.context": records.context_url(ctx, entity, select, expand, single=True)}
        body.update(records.render_row(ctx, entity, row, select=select, expand=expand))
        return json_response(200, body, headers=[("ETag", etag)], prefs=ctx.prefs)
