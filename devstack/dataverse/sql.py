"""``GET {set}?sql=SELECT …``: the read-only SQL query option of the Web API, as far as simulated.

Microsoft's Python client (PowerPlatform-Dataverse-Client, ``client.query.sql``) sends one SELECT
statement as the ``sql`` query option of the table's entity set and reads the usual collection
response (``value``, ``@odata.nextLink``). The simulator understands the common subset:

    SELECT [TOP n] col[, col…] FROM table [WHERE cond] [ORDER BY col [ASC|DESC][, …]]

with ``cond`` made of ``= <> != < <= > >=``, ``LIKE 'x%'`` / ``'%x'`` / ``'%x%'``, ``IS [NOT] NULL``,
``AND``/``OR``/``NOT`` and parentheses. Everything else (joins, aggregates, ``*``, sub-queries)
answers 400 rather than a wrong result. The server-side grammar and the response's column naming
for lookups are UNCONFIRMED (see README): columns come back under their Web API property names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from devstack.dataverse import errors
from devstack.dataverse.filters import FilterExpr, parse_filter
from devstack.dataverse.model import EntityDef
from devstack.dataverse.odata import OrderItem

_SELECT = re.compile(
    r"^\s*SELECT\s+(?:TOP\s+(?P<top>\d+)\s+)?(?P<cols>.+?)\s+FROM\s+(?P<table>[A-Za-z_]\w*)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?\s*$",
    re.I | re.S,
)
_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op><>|!=|<=|>=|=|<|>)|(?P<paren>[()])|"
    r"(?P<number>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][\w.]*))",
    re.S,
)
_OPS = {"=": "eq", "<>": "ne", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


@dataclass(frozen=True)
class SqlQuery:
    columns: list[str]
    top: int | None
    filter: FilterExpr | None
    orderby: list[OrderItem]


def _unsupported(sql: str) -> errors.DataverseError:
    return errors.bad_request(
        f"The SQL statement is not supported by the simulator: '{sql}'. See "
        "devstack/dataverse/README.md for the simulated subset."
    )


def parse_sql(sql: str, entity: EntityDef) -> SqlQuery:
    match = _SELECT.match(sql)
    if match is None or match["table"].lower() != entity.logical_name:
        raise _unsupported(sql)
    columns = [c.strip() for c in match["cols"].split(",")]
    if any(not re.fullmatch(r"[A-Za-z_]\w*", c) for c in columns):
        raise _unsupported(sql)
    orderby: list[OrderItem] = []
    for part in (match["order"] or "").split(",") if match["order"] else []:
        words = part.split()
        if (
            not words
            or len(words) > 2
            or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
        ):
            raise _unsupported(sql)
        orderby.append(OrderItem(_property(entity, words[0], sql), words[-1].lower() == "desc"))
    where = _where_to_filter(match["where"], sql) if match["where"] else None
    return SqlQuery(
        columns=[_property(entity, c, sql) for c in columns],
        top=int(match["top"]) if match["top"] else None,
        filter=parse_filter(where) if where else None,
        orderby=orderby,
    )


def _property(entity: EntityDef, column: str, sql: str) -> str:
    attr = entity.attributes.get(column.lower())
    if attr is None:
        raise errors.unknown_property(column, entity.type_name)
    return attr.property_name


def _where_to_filter(where: str, sql: str) -> str:
    """Translate the WHERE clause into the equivalent $filter text."""
    tokens = [(m.lastgroup or "", m.group(m.lastgroup or "")) for m in _TOKEN.finditer(where)]
    if "".join(text for _, text in tokens).replace(" ", "") != re.sub(r"\s+", "", where):
        raise _unsupported(sql)
    out: list[str] = []
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        upper = text.upper()
        if kind == "paren" or upper in ("AND", "OR", "NOT"):
            out.append(text.lower() if kind == "word" else text)
            index += 1
            continue
        if kind != "word" or index + 1 >= len(tokens):
            raise _unsupported(sql)
        out.append(_condition(text, tokens, index, sql))
        index += _condition_length(tokens, index)
    return " ".join(out)


def _condition_length(tokens: list[tuple[str, str]], index: int) -> int:
    following = tokens[index + 1][1].upper()
    if following == "IS":
        return 4 if index + 2 < len(tokens) and tokens[index + 2][1].upper() == "NOT" else 3
    return 3


def _condition(column: str, tokens: list[tuple[str, str]], index: int, sql: str) -> str:
    kind, text = tokens[index + 1]
    rest = tokens[index + 2 : index + 4]
    if text.upper() == "IS" and rest:
        negated = rest[0][1].upper() == "NOT"
        tail = rest[1][1] if negated and len(rest) > 1 else rest[0][1]
        if tail.upper() != "NULL":
            raise _unsupported(sql)
        return f"{column} {'ne' if negated else 'eq'} null"
    if not rest:
        raise _unsupported(sql)
    value_kind, value = rest[0]
    if text.upper() == "LIKE" and value_kind == "string":
        pattern = value[1:-1]
        core = pattern.strip("%")
        if "%" in core or "_" in core or not pattern:
            raise _unsupported(sql)
        quoted = "'" + core + "'"
        if pattern.startswith("%") and pattern.endswith("%"):
            return f"contains({column},{quoted})"
        if pattern.endswith("%"):
            return f"startswith({column},{quoted})"
        if pattern.startswith("%"):
            return f"endswith({column},{quoted})"
        return f"{column} eq {quoted}"
    if (
        kind != "op"
        or value_kind not in ("string", "number")
        and value.lower()
        not in (
            "true",
            "false",
            "null",
        )
    ):
        raise _unsupported(sql)
    return f"{column} {_OPS[text]} {value}"
