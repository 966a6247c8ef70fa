"""The cockpit's error tree. Every failure a user can meet is one of these; the HTTP edge maps each
class to a status and a readable message (``functions/errors.py``), so no handler invents its own.

Hierarchy::

    CockpitError                      base; ``code`` names the message shown to people
    ├── InvalidInput                  400  the request itself is wrong (bad id, bad answers, bad key)
    │   └── InvalidKey                400  a value cannot be a storage key (``/ \\ # ?``, control chars)
    ├── NotSignedIn                   401  no (valid) session or bearer token
    │   └── SignInFailed              401  Entra or the callback refused this sign-in attempt
    ├── ReauthRequired                401  signed in, but a CRM token can no longer be obtained silently
    ├── Forbidden                     403  signed in, but not allowed (tenant, org, admin role, CSRF)
    │   ├── NoAccess                  403  Dynamics does not let this user see the opportunity
    │   └── ReadOnlyAccess            403  Dynamics lets this user see, not change, the opportunity
    ├── NotFound                      404  no such project / solution / setting
    ├── Conflict                      409  someone else changed the record first (ETag mismatch)
    │   └── StateConflict             409  well-formed, but does not fit what is stored now (an
    │                                      answer not in the project's solution, no solution chosen
    │                                      yet, a draft with problems, a body naming another record)
    ├── ConfigurationInvalid          409  an admin setting no longer fits the CRM (field gone, range)
    ├── PayloadTooLarge               413  the request body is over the documented limit
    ├── StorageUnavailable            503  Azure Tables did not answer
    ├── IdentityUnavailable           503  Entra ID did not answer (token endpoint, keys)
    └── CrmError                           Dataverse said no, or did not answer
        ├── CrmRecordNotFound         404  the opportunity was deleted (404 / 0x80040217)
        ├── CrmAccessDenied           403  the user lacks a privilege (403 / 0x80040220, 0x80048306)
        │   └── CrmFieldSecured       403  column security blocks the field
        ├── CrmRecordClosed           409  the opportunity is won/lost and the policy forbids writing
        ├── CrmConflict               409  the record changed in CRM since it was read (412)
        ├── CrmRejected               422  CRM refused the request as invalid (400, e.g. unknown column)
        ├── CrmBusy                   503  service protection limits (429) outlasted our retries
        └── CrmUnavailable            503  5xx, timeouts, connection errors after retries

``NoAccess`` and ``ReadOnlyAccess`` are the access rule's answers (``shared/services/access.py``):
their message is the same whether or not the opportunity has a cockpit project, so a refusal never
reveals one. ``ReauthRequired`` is raised by both the token provider (silent acquisition failed) and the CRM
gateway (Dataverse answered 401).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "CockpitError",
    "ConfigurationInvalid",
    "Conflict",
    "CrmAccessDenied",
    "CrmBusy",
    "CrmConflict",
    "CrmError",
    "CrmFieldSecured",
    "CrmRecordClosed",
    "CrmRecordNotFound",
    "CrmRejected",
    "CrmUnavailable",
    "Forbidden",
    "InvalidInput",
    "IdentityUnavailable",
    "InvalidKey",
    "NoAccess",
    "NotFound",
    "NotSignedIn",
    "PayloadTooLarge",
    "ReadOnlyAccess",
    "ReauthRequired",
    "SignInFailed",
    "StateConflict",
    "StorageUnavailable",
]


class CockpitError(Exception):
    """Base class. ``code`` selects the user-facing message; ``detail`` is for logs and developers
    (never shown raw to reps); ``params`` fill placeholders in the message."""

    code: str = "error"

    def __init__(
        self,
        detail: str = "",
        *,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail or self.__class__.__name__)
        self.detail = detail
        if code is not None:
            self.code = code
        self.params: dict[str, object] = dict(params or {})


class InvalidInput(CockpitError):
    code = "invalid_input"


class InvalidKey(InvalidInput):
    code = "invalid_key"


class NotSignedIn(CockpitError):
    code = "not_signed_in"


class SignInFailed(NotSignedIn):
    """``error`` carries Entra's error code (``access_denied``, ``invalid_grant`` …) for logs."""

    code = "sign_in_failed"

    def __init__(self, detail: str = "", *, error: str = "", code: str | None = None) -> None:
        super().__init__(detail, code=code, params={"error": error or "unknown"})
        self.error = error


class ReauthRequired(CockpitError):
    code = "reauth_required"


class Forbidden(CockpitError):
    code = "forbidden"


class NoAccess(Forbidden):
    code = "no_access"


class ReadOnlyAccess(Forbidden):
    code = "read_only_access"


class NotFound(CockpitError):
    code = "not_found"


class Conflict(CockpitError):
    code = "conflict"


class StateConflict(Conflict):
    """A request the schema allows that the current state refuses (RFC 9110, 409 Conflict): the
    caller can fix it by looking at that state again — unlike :class:`InvalidInput`, which no state
    makes acceptable."""

    code = "state_conflict"


class ConfigurationInvalid(CockpitError):
    code = "configuration_invalid"


class PayloadTooLarge(CockpitError):
    code = "payload_too_large"


class StorageUnavailable(CockpitError):
    code = "storage_unavailable"


class IdentityUnavailable(CockpitError):
    code = "identity_unavailable"


class CrmError(CockpitError):
    code = "crm_error"


class CrmRecordNotFound(CrmError):
    code = "crm_not_found"


class CrmAccessDenied(CrmError):
    code = "crm_access_denied"


class CrmFieldSecured(CrmAccessDenied):
    code = "crm_field_secured"


class CrmRecordClosed(CrmError):
    code = "crm_record_closed"


class CrmConflict(CrmError):
    code = "crm_conflict"


class CrmRejected(CrmError):
    code = "crm_rejected"


class CrmBusy(CrmError):
    """Throttled. ``retry_after`` (seconds) is what Dataverse last asked us to wait."""

    code = "crm_busy"

    def __init__(
        self,
        detail: str = "",
        *,
        retry_after: float | None = None,
        code: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(detail, code=code, params=params)
        self.retry_after = retry_after


class CrmUnavailable(CrmError):
    code = "crm_unavailable"
