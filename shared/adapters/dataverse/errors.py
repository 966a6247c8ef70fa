"""Dataverse error answers → the cockpit's domain error tree (``shared.domain.errors``).

Status codes and error codes per
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
(401/403/404/412/429 families) and the web-service error code list (hex codes below). The HTTP
status is matched as well as the code, because older answers often carry an empty ``code``
(e.g. the documented ``If-Match: *`` 404 and 412 examples). ``detail`` keeps status, code and the
server's message for logs; it never contains request headers or tokens.
"""

from __future__ import annotations

import json
from typing import Any

from shared.domain.errors import (
    CockpitError,
    CrmAccessDenied,
    CrmBusy,
    CrmConflict,
    CrmFieldSecured,
    CrmRecordClosed,
    CrmRecordNotFound,
    CrmRejected,
    CrmUnavailable,
    ReauthRequired,
)

OBJECT_DOES_NOT_EXIST = "0x80040217"
# Column security (web-service-error-codes.md): AttributePermissionReadIsMissing,
# AttributePermissionUpdateIsMissingDuringShare, AttributePermissionUpdateIsMissingDuringUpdate,
# AttributePrivilegeCreateIsMissing.
FIELD_SECURITY_CODES = frozenset({"0x8004F504", "0x8004F503", "0x8004F507", "0x8004F502"})
PLUGIN_ERROR = "0x80040265"
# The closed-opportunity rule as the Dataverse simulator plays it: a synchronous plug-in throwing
# InvalidPluginExecutionException with this SubErrorCode (devstack/dataverse/errors.py explains why
# the docs leave this open). Asked for with Prefer: odata.include-annotations="…ErrorDetails.*".
CLOSED_OPPORTUNITY_SUBERRORCODE = "4711"
SUBERRORCODE = "@Microsoft.PowerApps.CDS.ErrorDetails.SubErrorCode"


def parse_error_body(body: bytes) -> tuple[str, str, dict[str, Any]]:
    """(code, message, the whole ``error`` object) from a Dataverse error body, tolerating junk."""
    try:
        payload = json.loads(body) if body else {}
    except (ValueError, UnicodeDecodeError):
        return "", body[:200].decode("utf-8", "replace"), {}
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return "", "", {}
    return str(error.get("code") or ""), str(error.get("message") or ""), error


def domain_error(
    status: int, body: bytes, *, operation: str, retry_after: float | None = None
) -> CockpitError:
    """The domain error for a non-success answer to ``operation`` (e.g. "read opportunity")."""
    code, message, error = parse_error_body(body)
    # Codes are compared case-insensitively: Dataverse prints hex in either case.
    code_key = code.lower()
    detail = (
        f"{operation}: HTTP {status}"
        + (f" {code}" if code else "")
        + (f": {message[:300]}" if message else "")
    )
    if status == 401:
        return ReauthRequired(detail)
    if status == 429:
        return CrmBusy(detail, retry_after=retry_after)
    if status == 404 or code_key == OBJECT_DOES_NOT_EXIST:
        return CrmRecordNotFound(detail)
    if status == 403:
        if code_key in {c.lower() for c in FIELD_SECURITY_CODES}:
            return CrmFieldSecured(detail)
        # 0x80040220 missing privilege, 0x80048306 record access, 0x8004A110 cannot act on behalf
        # of another user, 0x80072560 not a member of the organization, disabled users …
        return CrmAccessDenied(detail)
    if status == 412:
        return CrmConflict(detail)
    if (
        status == 400
        and code_key == PLUGIN_ERROR
        and str(error.get(SUBERRORCODE, "")) == CLOSED_OPPORTUNITY_SUBERRORCODE
    ):
        return CrmRecordClosed(detail)
    if status >= 500:
        return CrmUnavailable(detail)
    return CrmRejected(detail)
