"""Pieces of the one :class:`shared.settings.Settings` class: the org entry, value parsers, the
rules for orgs, and the readable one-line error format (``COCKPIT_X is missing (expected …)``)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError, field_validator

from shared.domain.orgs import CrmOrg

TABLE_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,40}$")

# What a valid value looks like, per variable, for the one-line error messages.
EXPECTED: dict[str, str] = {
    "env": '"dev" or "azure"',
    "public_base_url": "the cockpit's external base URL, e.g. https://cockpit.contoso.com",
    "storage_connection_string": "an Azure Storage connection string, e.g. UseDevelopmentStorage=true",
    "storage_table_endpoint": "https://<account>.table.core.windows.net",
    "managed_identity_client_id": "the user-assigned managed identity's client id (a GUID)",
    "table_prefix": "letters and digits starting with a letter, e.g. cockpit",
    "entra_authority_host": "https://login.microsoftonline.com",
    "entra_ca_bundle": "a path to a PEM file (dev stack only)",
    "tenant_ids": "a comma-separated list of tenant GUIDs",
    "client_id": "the app registration's application (client) id, a GUID",
    "client_credential_mode": '"secret", "certificate" or "managed_identity"',
    "client_secret": "the app registration's client secret (dev only)",
    "client_certificate_path": "a path to a PEM or PFX certificate with its private key",
    "client_certificate_password": "the certificate's password, if any",
    "api_audiences": "comma-separated audiences of our API, e.g. <client id>,api://<client id>",
    "api_required_scope": "the delegated scope our API requires, e.g. access_as_user",
    "api_client_ids": "comma-separated application (client) ids allowed to call the API",
    "admin_role": "an app role value, e.g. Cockpit.Admin",
    "crm_orgs": (
        '[{"tenant_id": "<GUID>", "name": "contoso", "url": "https://contoso.crm4.dynamics.com", '
        '"unique_name": "org1a2b3c4d" (optional), "url_name": "contoso" (optional)}]'
    ),
    "frame_ancestors": "space/comma-separated CRM origins, e.g. https://contoso.crm4.dynamics.com",
    "token_cache_key": "a base64 32-byte key or a key ring from scripts/token_cache_key.py",
    "session_idle_minutes": "a whole number of minutes between 5 and 1440",
    "session_absolute_hours": "a whole number of hours between 1 and 168",
    "log_level": "DEBUG, INFO, WARNING or ERROR",
}


class SettingsError(Exception):
    """Configuration is missing or invalid; ``str(err)`` is readable as is."""


class CrmOrgSetting(BaseModel):
    """One configured Dataverse environment.

    ``unique_name`` and ``url_name`` are optional (older configurations have only ``name``);
    ``scripts/dataverse_setup.py`` reads both from Dataverse (``RetrieveCurrentOrganization``).
    """

    tenant_id: uuid.UUID
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    url: str
    # Unique names are letters, digits and underscores (e.g. "org1a2b3c4d", "contoso_dev");
    # URL names are DNS labels. Both are compared case-insensitively (CrmOrg.answers_to).
    unique_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$")
    url_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")

    @field_validator("url")
    @classmethod
    def _https_origin(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError("must be an https origin such as https://contoso.crm4.dynamics.com")
        return f"https://{parts.netloc}"


def split_list(value: object) -> object:
    if isinstance(value, str):
        return [item for item in re.split(r"[\s,]+", value.strip()) if item]
    return value


def origin(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin like https://contoso.crm4.dynamics.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{value!r} must be an origin only (scheme://host[:port])")
    return f"{parts.scheme}://{parts.netloc}"


def ambiguous_org_names(orgs: tuple[CrmOrg, ...]) -> set[str]:
    """Names (name, unique name or URL name) that more than one org of a tenant answers to: an
    ``orgname`` must select exactly one org."""
    seen: dict[tuple[str, str], int] = {}
    for org in orgs:
        for identifier in org.identifiers:
            key = (org.tenant_id, identifier)
            seen[key] = seen.get(key, 0) + 1
    return {identifier for (_, identifier), count in seen.items() if count > 1}


def expand_dev(conn: str) -> str:
    return "devstoreaccount1" if conn.strip().lower().startswith("usedevelopmentstorage") else conn


def env_name(field: str) -> str:
    if field in ("website_site_name", "applicationinsights_connection_string"):
        return field.upper()
    return f"COCKPIT_{field.upper()}"


def format_error(error: ValidationError) -> str:
    lines: list[str] = []
    for item in error.errors(include_url=False):
        loc = item.get("loc", ())
        field = str(loc[0]) if loc else ""
        message = str(item.get("msg", "is invalid"))
        if not field:
            # Model-level rule: the message already names variables.
            lines.append(message.removeprefix("Value error, "))
            continue
        message = message.removeprefix("Value error, ")
        where = env_name(field)
        for part in loc[1:]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}"
        expected = EXPECTED.get(field)
        hint = f" (expected {expected})" if expected else ""
        if item.get("type") == "missing":
            lines.append(f"{where} is missing{hint}")
        else:
            lines.append(f"{where}: {message}{hint}")
    return "; ".join(lines)
