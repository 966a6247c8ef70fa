"""Requests and responses of the Web API below the HTTP layer, and the JSON they carry.

Bodies are ``application/json; odata.metadata=minimal`` with ``OData-Version: 4.0``
(compose-http-requests-handle-errors.md). Error bodies come from errors.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from devstack.dataverse import errors, records
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.model import OrgState
from devstack.dataverse.odata import Preferences
from devstack.dataverse.records import Ctx
from devstack.dataverse.security import Principal

JSON_TYPE = "application/json; odata.metadata=minimal"


@dataclass
class ApiRequest:
    method: str
    path: str  # below /api/data/v9.2/, e.g. "opportunities(…)"
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    prefer: list[str] = field(default_factory=list)

    def option(self, name: str) -> str | None:
        values = [v for k, v in self.query if k == name]
        if len(values) > 1:
            raise errors.bad_request(f"The query parameter '{name}' is specified more than once.")
        return values[0] if values else None


@dataclass
class ApiResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None = None
    code: str | None = None  # the Dataverse error code, for the request log


def dumps(value: Any) -> bytes:
    def default(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            return records.json_value(obj)
        raise TypeError(f"not JSON serialisable: {type(obj).__name__}")

    text = json.dumps(value, ensure_ascii=False, default=default)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone UTF-16 surrogate (e.g. a name written as "\\ud800") cannot be UTF-8. Dataverse
        # stores such strings (nvarchar holds UTF-16 code units); the simulator answers with the
        # JSON escape "\\ud800" (valid JSON text, RFC 8259 §7) instead of failing with a 500.
        # What bytes Dataverse itself sends here is UNCONFIRMED (see README).
        return json.dumps(value, ensure_ascii=True, default=default).encode("ascii")


def json_response(
    status: int,
    payload: Any,
    *,
    headers: list[tuple[str, str]] | None = None,
    prefs: Preferences | None = None,
) -> ApiResponse:
    out = [("Content-Type", JSON_TYPE), ("OData-Version", "4.0")]
    if prefs is not None and prefs.annotations:
        joined = ",".join(prefs.annotations)
        out.append(("Preference-Applied", f'odata.include-annotations="{joined}"'))
    out.extend(headers or [])
    return ApiResponse(status, out, dumps(payload))


def error_response(error: DataverseError, prefs: Preferences | None) -> ApiResponse:
    wants_details = prefs is not None and prefs.wants(
        "Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus"
    )
    body = error.body(include_annotations=wants_details)
    headers = [("OData-Version", "4.0")] + list(error.headers.items())
    if body is None:
        return ApiResponse(error.status, headers, None, error.code or None)
    return ApiResponse(
        error.status, [("Content-Type", JSON_TYPE)] + headers, dumps(body), error.code
    )


def json_body(request: ApiRequest) -> dict[str, Any]:
    try:
        # Decimal keeps the exact digits a client sent (money and decimal columns).
        value = json.loads(request.body or b"{}", parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"Error reading the request body as JSON: {exc}.") from exc
    if not isinstance(value, dict):
        raise errors.bad_request("The request body must be a JSON object.")
    return value


def no_content(headers: list[tuple[str, str]] | None = None) -> ApiResponse:
    return ApiResponse(204, [("OData-Version", "4.0"), *(headers or [])])


class ApiBase:
    """What every part of the Web API works on: one org, one principal, one request at a time.
    The parts (query.py, writes.py, …) are mixins of ``api.WebApi``."""

    state: OrgState
    principal: Principal
    closed_opportunity_updates: str

    def handle(self, request: ApiRequest) -> ApiResponse:
        raise NotImplementedError

    def ctx(self, prefs: Preferences) -> Ctx:
        return Ctx(self.state, self.principal, prefs, self.closed_opportunity_updates)

    @staticmethod
    def allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise DataverseError(
                405, "0x80060888", f"The HTTP method '{method}' is not allowed here."
            )
