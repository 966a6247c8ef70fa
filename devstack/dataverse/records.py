"""Rows in and out of Web API JSON: $select/$expand, annotations, etags and validated updates.

Sources: retrieve-entity-using-web-api.md and query-data-web-api.md (response shapes, ``@odata.etag``,
``$expand`` with nested ``$select`` and the expanded row's own etag), select-columns.md (lookups as
``_x_value``; money columns also return ``_transactioncurrencyid_value``), query-data-web-api.md
"Formatted values" / "Lookup property data" (``@OData.Community.Display.V1.FormattedValue``,
``@Microsoft.Dynamics.CRM.lookuplogicalname``, ``@Microsoft.Dynamics.CRM.associatednavigationproperty``),
update-delete-entities-using-web-api.md (PATCH semantics) and column-level-security.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from devstack.dataverse import errors
from devstack.dataverse.filters import FilterEnv, FilterExpr, evaluate_filter, filter_paths
from devstack.dataverse.formatting import (
    currency_name,
    format_date,
    format_money,
    format_number,
    language_key,
)
from devstack.dataverse.model import AttributeDef, EntityDef, Lookup, OrgState
from devstack.dataverse.odata import ExpandItem, OrderItem, Preferences
from devstack.dataverse.security import Principal, depth_covers, require

FORMATTED = "OData.Community.Display.V1.FormattedValue"
LOOKUP_LOGICAL_NAME = "Microsoft.Dynamics.CRM.lookuplogicalname"
ASSOCIATED_NAV = "Microsoft.Dynamics.CRM.associatednavigationproperty"
_NUMERIC = ("Integer", "BigInt", "Decimal", "Double", "Money")


@dataclass
class Ctx:
    state: OrgState
    principal: Principal
    prefs: Preferences
    # The org-wide switch for writes to won/lost opportunities ("reject" or "allow").
    closed_opportunity_updates: str = "reject"


# --- JSON values ----------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A stored value as Web API JSON: Decimals as numbers, dates as ISO strings, lookups as ids."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Lookup):
        return value.id
    return value


def label(labels: dict[str, str], lcid: int) -> str:
    return labels.get(language_key(lcid)) or labels.get("en") or next(iter(labels.values()), "")


def formatted_value(ctx: Ctx, attr: AttributeDef, value: Any, row: dict[str, Any]) -> str | None:
    """The display string Dataverse adds for ``attr`` in the calling user's language/locale."""
    if value is None:
        return None
    user = ctx.principal.user
    kind = attr.attribute_type
    if kind == "Money":
        currency = ctx.state.org.currency
        link = row.get("transactioncurrencyid")
        if isinstance(link, Lookup):
            currency = ctx.state.primary_name("transactioncurrency", link.id) or currency
        return format_money(
            value, currency=currency, locale=user.locale, places=attr.precision or 2
        )
    if kind == "Decimal":
        return format_number(value, places=attr.precision or 2, locale=user.locale)
    if kind == "Double":
        return format_number(value, places=attr.precision or 0, locale=user.locale)
    if kind in ("Integer", "BigInt"):
        return format_number(value, places=0, locale=user.locale)
    if kind in ("Picklist", "State", "Status"):
        option = attr.option(int(value))
        return label(option.labels, user.ui_language) if option else str(value)
    if kind == "Boolean":
        return "Yes" if value else "No"
    if kind == "DateTime" and isinstance(value, date):
        return format_date(
            value if not isinstance(value, datetime) else value.date(), locale=user.locale
        )
    if attr.is_lookup and isinstance(value, Lookup):
        if value.entity == "transactioncurrency":
            code = ctx.state.primary_name("transactioncurrency", value.id) or ""
            return currency_name(code, language=user.ui_language)
        return ctx.state.primary_name(value.entity, value.id)
    return None


def _navigation_for(entity: EntityDef, attr: AttributeDef, value: Lookup) -> str:
    for nav in entity.navigation.values():
        if nav.lookup == attr.logical_name and nav.target == value.entity:
            return nav.name
    return attr.logical_name


# --- reading ---------------------------------------------------------------------------------------


def validate_select(entity: EntityDef, select: list[str] | None) -> None:
    for name in select or []:
        if entity.by_property(name) is None:
            # web-api-client-errors: 400 0x0 "Could not find a property named '…' on type '…'".
            raise errors.unknown_property(name, entity.type_name)


def validate_filter(entity: EntityDef, expr: FilterExpr | None) -> None:
    """Every property a $filter names must exist; query functions name logical names."""
    for path in filter_paths(expr) if expr is not None else []:
        if len(path) != 1 or _filter_attribute(entity, path[0]) is None:
            raise errors.unknown_property("/".join(path), entity.type_name)


def validate_orderby(entity: EntityDef, orderby: list[OrderItem]) -> None:
    for item in orderby:
        if entity.by_property(item.property) is None:
            raise errors.unknown_property(item.property, entity.type_name)


def validate_expand(state: OrgState, entity: EntityDef, expand: list[ExpandItem]) -> None:
    for item in expand:
        nav = entity.navigation.get(item.navigation)
        collection = entity.collections.get(item.navigation)
        if nav is None and collection is None:
            raise errors.unknown_property(item.navigation, entity.type_name)
        target = state.entities[nav.target if nav else collection.target]  # type: ignore[union-attr]
        if nav is not None and (item.filter or item.orderby or item.top is not None):
            # $filter/$orderby/$top only apply to collection-valued navigation properties.
            raise errors.bad_request(
                f"The query options $filter, $orderby and $top cannot be applied to the "
                f"single-valued navigation property '{item.navigation}'."
            )
        validate_select(target, item.select)
        validate_filter(target, item.filter)
        validate_orderby(target, item.orderby)
        validate_expand(state, target, item.expand)


def _filter_attribute(entity: EntityDef, name: str) -> AttributeDef | None:
    return entity.by_property(name) or entity.attributes.get(name)


def row_lookup(
    ctx: Ctx, entity: EntityDef, row: dict[str, Any]
) -> Callable[[tuple[str, ...]], Any]:
    """Property values of ``row`` for $filter/$orderby; secured columns read as null to users
    without read permission, so a filter cannot reveal them."""

    def lookup(path: tuple[str, ...]) -> Any:
        attr = _filter_attribute(entity, path[0])
        if attr is None or (attr.is_secured and not readable(ctx, entity, attr)):
            return None
        return json_value(row.get(attr.logical_name))

    return lookup


def _sort_key(value: Any) -> tuple[int, Any]:
    # SQL Server sorts NULL first in ascending order; strings by a case-insensitive collation.
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float | Decimal):
        return (1, Decimal(str(value)))
    return (2, str(value).lower())


def select_rows(
    ctx: Ctx,
    entity: EntityDef,
    rows: Iterable[dict[str, Any]],
    *,
    expr: FilterExpr | None,
    orderby: list[OrderItem],
) -> list[dict[str, Any]]:
    """The readable rows matching ``expr``, ordered by ``orderby`` then by primary key.

    Rows outside the caller's read depth are left out, not refused (query-data-web-api.md).
    Without $orderby the primary key orders them, which is also the tie-breaker that keeps paging
    stable (fetchxml/order-rows.md, "Ordering and paging": add a unique column to the order)."""
    depth = ctx.principal.depth(entity.privilege("Read"))
    env = FilterEnv(
        user_id=ctx.principal.user.systemuserid,
        business_unit_id=ctx.principal.user.business_unit_id,
    )
    found: list[dict[str, Any]] = []
    for row in rows:
        if not depth_covers(ctx.state, ctx.principal, entity, depth, row):
            continue
        if expr is not None and not evaluate_filter(expr, row_lookup(ctx, entity, row), env):
            continue
        found.append(row)
    found.sort(key=lambda r: str(r[entity.primary_id]))
    for item in reversed(orderby):
        attr = entity.by_property(item.property)
        assert attr is not None  # validated
        found.sort(
            key=lambda r, a=attr: _sort_key(json_value(r.get(a.logical_name))),  # type: ignore[misc]
            reverse=item.descending,
        )
    return found


def readable(ctx: Ctx, entity: EntityDef, attr: AttributeDef) -> bool:
    if not attr.is_secured:
        return True
    return ctx.principal.field_permission(ctx.state, entity.logical_name, attr.logical_name, "read")


def render_row(
    ctx: Ctx,
    entity: EntityDef,
    row: dict[str, Any],
    *,
    select: list[str] | None,
    expand: list[ExpandItem],
) -> dict[str, Any]:
    """One row as the Web API returns it (inside a collection or as a single entity)."""
    prefs = ctx.prefs
    out: dict[str, Any] = {"@odata.etag": f'W/"{row["versionnumber"]}"'}
    if select is None:
        attrs = [a for a in entity.attributes.values() if a.is_valid_for_read]
    else:
        attrs = [a for name in select if (a := entity.by_property(name)) is not None]
        if (
            any(a.attribute_type == "Money" for a in attrs)
            and "transactioncurrencyid" in entity.attributes
        ):
            currency = entity.attributes["transactioncurrencyid"]
            if currency not in attrs:
                attrs.append(currency)
    seen: set[str] = set()
    for attr in attrs:
        if attr.logical_name in seen or attr.logical_name == entity.primary_id:
            continue
        seen.add(attr.logical_name)
        name = attr.property_name
        # Secured columns read as null for users without a profile granting read
        # (column-level-security.md: only administrators or profile holders "can read … the value").
        value = row.get(attr.logical_name) if readable(ctx, entity, attr) else None
        if value is not None:
            if prefs.wants(FORMATTED):
                text = formatted_value(ctx, attr, value, row)
                if text is not None:
                    out[f"{name}@{FORMATTED}"] = text
            if attr.is_lookup and isinstance(value, Lookup):
                if prefs.wants(ASSOCIATED_NAV):
                    out[f"{name}@{ASSOCIATED_NAV}"] = _navigation_for(entity, attr, value)
                if prefs.wants(LOOKUP_LOGICAL_NAME):
                    out[f"{name}@{LOOKUP_LOGICAL_NAME}"] = value.entity
        out[name] = json_value(value)
    # "The primary key is always returned" (select-columns.md).
    out[entity.primary_id] = row[entity.primary_id]
    _expand_into(ctx, entity, row, expand, out)
    return out


def _expand_into(
    ctx: Ctx, entity: EntityDef, row: dict[str, Any], expand: list[ExpandItem], out: dict[str, Any]
) -> None:
    for item in expand:
        if item.navigation in entity.collections:
            out[item.navigation] = _expand_collection(ctx, entity, row, item)
            continue
        nav = entity.navigation[item.navigation]
        target = ctx.state.entities[nav.target]
        link = row.get(nav.lookup)
        related = None
        if isinstance(link, Lookup) and link.entity == nav.target:
            related = ctx.state.rows[nav.target].get(link.id)
        if related is None:
            out[item.navigation] = None
            continue
        require(ctx.state, ctx.principal, target, "Read", related, link.id if link else None)
        out[item.navigation] = render_row(
            ctx, target, related, select=item.select, expand=item.expand
        )


def _expand_collection(
    ctx: Ctx, entity: EntityDef, row: dict[str, Any], item: ExpandItem
) -> list[dict[str, Any]]:
    """A one-to-many expand: the related rows the caller may read, filtered, ordered and limited
    by the nested options (retrieve-entity-using-web-api.md, "Retrieve related rows by expanding
    collection-valued navigation properties")."""
    collection = entity.collections[item.navigation]
    target = ctx.state.entities[collection.target]
    require(ctx.state, ctx.principal, target, "Read")
    record_id = row[entity.primary_id]
    related = [
        other
        for other in ctx.state.rows[collection.target].values()
        if isinstance(link := other.get(collection.lookup), Lookup) and link.id == record_id
    ]
    chosen = select_rows(ctx, target, related, expr=item.filter, orderby=item.orderby)
    if item.top is not None:
        chosen = chosen[: item.top]
    return [render_row(ctx, target, r, select=item.select, expand=item.expand) for r in chosen]


def context_url(
    ctx: Ctx, entity: EntityDef, select: list[str] | None, expand: list[ExpandItem], *, single: bool
) -> str:
    columns = list(select or [])
    for item in expand:
        columns.append(item.navigation)
        if item.select:
            columns.append(f"{item.navigation}({','.join(item.select)})")
    projection = f"({','.join(columns)})" if columns else ""
    suffix = "/$entity" if single else ""
    return f"{ctx.state.org.api_base}$metadata#{entity.entity_set}{projection}{suffix}"


def numeric_kinds() -> tuple[str, ...]:
    return _NUMERIC
