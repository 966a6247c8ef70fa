"""Dataverse error responses: the status, the ``0x…`` code and the message a real org returns.

Body shape (``{"error": {"code": "0x…", "message": "…"}}``) and the optional
``@Microsoft.PowerApps.CDS.*`` annotations follow
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
(MicrosoftDocs/powerapps-docs: powerapps-docs/developer/data-platform/webapi/compose-http-requests-handle-errors.md,
"Include more details with errors"). Codes and messages cite their sources where they are defined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --- codes -------------------------------------------------------------------------------------
# Hex codes from https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes
# (MicrosoftDocs/powerapps-docs: developer/data-platform/org-service/web-service-error-codes.md) unless
# noted otherwise.

# "<table> With Id = <guid> Does Not Exist" (troubleshoot/power-platform/power-apps/dataverse/client-errors).
OBJECT_DOES_NOT_EXIST = "0x80040217"
# "Principal user is missing <privilege> privilege" (client-errors; column-level-security.md tests it).
PRIVILEGE_DENIED = "0x80040220"
# "Principal with id = … does not have <X>Access right(s) for record …" (client-errors).
RECORD_ACCESS_DENIED = "0x80048306"
# CannotActOnBehalfOfAnotherUser: "User does not have the privilege to act on behalf another user."
CANNOT_ACT_ON_BEHALF = "0x8004A110"
# AttributePermissionReadIsMissing / AttributePermissionUpdateIsMissingDuringUpdate.
ATTRIBUTE_READ_MISSING = "0x8004F504"
ATTRIBUTE_UPDATE_MISSING = "0x8004F507"
# ConcurrencyVersionMismatch (-2147088254). The documented 412 example shows an empty code; newer
# orgs fill it in, and clients must match on the HTTP status either way.
CONCURRENCY_VERSION_MISMATCH = "0x80060882"
# DuplicateRecord (412 "A record with matching key values already exists.").
DUPLICATE_RECORD = "0x80040237"
# InvalidArgument.
INVALID_ARGUMENT = "0x80040203"
# "A validation error occurred." (execute-batch-operations-using-web-api.md example).
VALIDATION_ERROR = "0x80044331"
# Plug-in (InvalidPluginExecutionException) failures surface as 400 0x80040265
# (compose-http-requests-handle-errors.md, "Include more details with errors").
PLUGIN_ERROR = "0x80040265"
# Wrong entity set / segment (troubleshoot …/dataverse/web-api-client-errors).
RESOURCE_NOT_FOUND_FOR_SEGMENT = "0x8006088a"
# Unknown property / OData parse errors carry code 0x0 (web-api-client-errors).
ODATA_ERROR = "0x0"
# "The user is not a member of the organization." 403 (dual-write troubleshooting, MicrosoftDocs
# Dynamics-365-Unified-Operations-Public: "Live synchronization shows an error when you create a row").
USER_NOT_IN_ORG = "0x80072560"
# A disabled systemuser: "The user with SystemUserId=… is disabled. Disabled users cannot access the
# system." (troubleshoot …/dataverse/dataverse-plug-ins-errors). The hex code is UNCONFIRMED: no
# stored source pairs that message with a code, so the simulator uses UserDisabled-like 0x80040225.
USER_DISABLED = "0x80040225"
# Service protection limits (api-limits.md): requests, execution time, concurrency.
THROTTLE_REQUESTS = "0x80072322"
THROTTLE_EXECUTION_TIME = "0x80072321"
THROTTLE_CONCURRENCY = "0x80072326"

THROTTLE_MESSAGES = {
    THROTTLE_REQUESTS: "Number of requests exceeded the limit of {limit} over time window of "
    "{window} seconds.",
    THROTTLE_EXECUTION_TIME: "Combined execution time of incoming requests exceeded limit of "
    "1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent "
    "requests or reduce the duration of requests and try again later.",
    THROTTLE_CONCURRENCY: "Number of concurrent requests exceeded the limit of {limit}.",
}

# The closed-opportunity rejection (switch ``closed_opportunity_updates = "reject"``).
#
# Why this shape: Microsoft's docs do not say what the Web API does when another column of a won or
# lost opportunity is PATCHed. The opportunity reference says "Won and lost opportunities are
# read-only and can't be edited until they are reactivated" (that is the form), and community sources
# disagree about the API (xrmcoaches 2016: updates work; markcarrington.dev 2023: only Quote, Order,
# Invoice are locked). Organisations that do lock closed opportunities do it with a synchronous
# plug-in, and a plug-in's InvalidPluginExecutionException is what Dataverse documents: HTTP 400,
# code 0x80040265, the plug-in's message, and (when annotations are requested) the plug-in's
# OperationStatus / SubErrorCode. So the simulator plays exactly that plug-in, with a fixed
# SubErrorCode clients can match on. A plug-in picks its own SubErrorCode (any int); this number is
# the simulated plug-in's, not a platform code.
CLOSED_OPPORTUNITY_SUBERRORCODE = "4711"
CLOSED_OPPORTUNITY_MESSAGE = (
    "This opportunity is closed (won or lost) and is read-only. Reopen it before changing it."
)


@dataclass
class DataverseError(Exception):
    """An error answer: raised anywhere below a route and rendered by the app."""

    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    # Extra ``@Microsoft.PowerApps.CDS.ErrorDetails.*`` values (only sent when annotations asked).
    details: dict[str, str] = field(default_factory=dict)
    # 401s from Dataverse carry no JSON body, only the WWW-Authenticate challenge.
    empty_body: bool = False

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.code} {self.message}")

    def body(self, *, include_annotations: bool) -> dict[str, Any] | None:
        """The JSON body; the CDS annotations only when the client asked for them."""
        if self.empty_body:
            return None
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if include_annotations:
            error["@Microsoft.PowerApps.CDS.ErrorDetails.OperationStatus"] = self.details.get(
                "OperationStatus", "0"
            )
            if "SubErrorCode" in self.details:
                error["@Microsoft.PowerApps.CDS.ErrorDetails.SubErrorCode"] = self.details[
                    "SubErrorCode"
                ]
            error["@Microsoft.PowerApps.CDS.HelpLink"] = (
                "http://go.microsoft.com/fwlink/?LinkID=398563&error=Microsoft.Crm.CrmException%3a"
                f"{self.code.removeprefix('0x')}&client=platform"
            )
            error["@Microsoft.PowerApps.CDS.InnerError.Message"] = self.message
        return {"error": error}


def not_found(logical_name: str, record_id: str) -> DataverseError:
    # Message per perform-conditional-operations-using-web-api.md ("account With Id = … Does Not
    # Exist"); code per client-errors (0x80040217).
    return DataverseError(
        404, OBJECT_DOES_NOT_EXIST, f"{logical_name} With Id = {record_id} Does Not Exist"
    )


def unknown_property(name: str, type_name: str) -> DataverseError:
    # web-api-client-errors: 400 0x0 "Could not find a property named 'Name' on type '…'".
    return DataverseError(
        400, ODATA_ERROR, f"Could not find a property named '{name}' on type '{type_name}'."
    )


def bad_request(message: str, code: str = ODATA_ERROR) -> DataverseError:
    return DataverseError(400, code, message)


def segment_not_found(segment: str) -> DataverseError:
    # web-api-client-errors: 404 0x8006088a "Resource not found for the segment 'Account'."
    return DataverseError(
        404, RESOURCE_NOT_FOUND_FOR_SEGMENT, f"Resource not found for the segment '{segment}'."
    )
