"""The one place configuration is read. Nothing else in the code base touches ``os.environ``.

Every variable is prefixed ``COCKPIT_``. Defaults describe the local dev stack (``make run``) and are
explicit about it; when ``COCKPIT_ENV=azure`` (or the Functions host says we run in Azure) any value
still at its dev default is refused, so a deployment can never silently run on the demo secret,
Azurite or the simulator.

A missing or invalid value raises :class:`SettingsError` whose message is one readable line per
problem, naming the variable and what a valid value looks like.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.domain.orgs import CrmOrg

__all__ = ["CrmOrgSetting", "Settings", "SettingsError", "load_settings"]

# --- dev-stack defaults (all of them refused when running in Azure) ---------------------------
DEV_TENANT_ID = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"  # "Contoso" in devstack/seed/demo.json
DEV_CLIENT_ID = "5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"
DEV_CLIENT_SECRET = "dev-only-cockpit-secret-not-for-azure"  # noqa: S105 - simulator seed value
DEV_AUTHORITY_HOST = "https://localhost:7443"
DEV_PUBLIC_BASE_URL = "http://localhost:7071"
DEV_STORAGE = "UseDevelopmentStorage=true"
DEV_CRM_ORGS = (
    f'[{{"tenant_id": "{DEV_TENANT_ID}", "name": "contoso", "url": "https://localhost:7444"}}]'
)
DEV_FRAME_ANCESTORS = "http://127.0.0.1:7080"
# 32 bytes of zeros: obviously not a key, and refused outside dev.
DEV_TOKEN_CACHE_KEY = base64.b64encode(bytes(32)).decode()

_TABLE_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,40}$")

# What a valid value looks like, per variable, for the one-line error messages.
_EXPECTED: dict[str, str] = {
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


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item for item in re.split(r"[\s,]+", value.strip()) if item]
    return value


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an origin like https://contoso.crm4.dynamics.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{value!r} must be an origin only (scheme://host[:port])")
    return f"{parts.scheme}://{parts.netloc}"


class Settings(BaseSettings):
    """All configuration. Construct through :func:`load_settings` for readable errors."""

    model_config = SettingsConfigDict(
        env_prefix="COCKPIT_",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    env: Literal["dev", "azure"] = "dev"
    # Set by the Functions host on App Service/Flex; when present we are in Azure, whatever
    # COCKPIT_ENV says (a forgotten COCKPIT_ENV must not enable dev defaults in production).
    website_site_name: str | None = Field(
        default=None, validation_alias=AliasChoices("WEBSITE_SITE_NAME")
    )

    public_base_url: str = DEV_PUBLIC_BASE_URL

    storage_connection_string: SecretStr | None = SecretStr(DEV_STORAGE)
    storage_table_endpoint: str | None = None
    managed_identity_client_id: str | None = None
    table_prefix: str = "cockpit"

    entra_authority_host: str = DEV_AUTHORITY_HOST
    entra_ca_bundle: Path | None = None
    tenant_ids: Annotated[list[uuid.UUID], NoDecode] = [uuid.UUID(DEV_TENANT_ID)]
    client_id: str = DEV_CLIENT_ID
    client_credential_mode: Literal["secret", "certificate", "managed_identity"] = "secret"
    client_secret: SecretStr | None = SecretStr(DEV_CLIENT_SECRET)
    client_certificate_path: Path | None = None
    client_certificate_password: SecretStr | None = None
    api_audiences: Annotated[list[str], NoDecode] = []
    api_required_scope: str = "access_as_user"
    # Client applications (their application ids) whose users may call the JSON API with a
    # bearer token; none by default.
    api_client_ids: Annotated[list[uuid.UUID], NoDecode] = []
    admin_role: str = "Cockpit.Admin"

    crm_orgs: list[CrmOrgSetting] = Field(
        default_factory=lambda: [CrmOrgSetting.model_validate(o) for o in json.loads(DEV_CRM_ORGS)]
    )
    frame_ancestors: Annotated[list[str], NoDecode] = [DEV_FRAME_ANCESTORS]

    token_cache_key: SecretStr = SecretStr(DEV_TOKEN_CACHE_KEY)
    session_idle_minutes: int = Field(default=60, ge=5, le=1440)
    session_absolute_hours: int = Field(default=12, ge=1, le=168)

    # Dataverse client behaviour (see shared/adapters/dataverse for why each exists).
    dataverse_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    dataverse_max_attempts: int = Field(default=5, ge=1, le=10)
    dataverse_retry_after_cap_seconds: float = Field(default=30.0, gt=0, le=300)
    dataverse_deadline_seconds: float = Field(default=60.0, gt=0, le=300)
    dataverse_per_user_concurrency: int = Field(default=8, ge=1, le=32)
    # A rep waits at most this long for Dynamics; then the evaluation is kept and written in the
    # background, and the page says so (no request waits for the full deadline).
    dataverse_interactive_budget_seconds: float = Field(default=8.0, gt=0, le=60)
    # The background leaves a fresh write-back alone this long: the request is still writing it.
    writeback_grace_seconds: float = Field(default=120.0, ge=0, le=3600)
    # The local stack runs the timer functions in-process (in Azure the Functions host does).
    local_timers: bool = False
    # Request bodies above this answer 413 (the largest legitimate body is a published solution).
    max_body_bytes: int = Field(default=262_144, ge=1024, le=4_194_304)

    # MSAL's and httpx's pools = requests per instance (docs/deploy.md); each MSAL call bounded.
    http_pool_size: int = Field(default=16, ge=1, le=1000)
    entra_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Telemetry (shared/telemetry.py) is on only when Azure sets this; never a default.
    applicationinsights_connection_string: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("APPLICATIONINSIGHTS_CONNECTION_STRING")
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # --- field rules -------------------------------------------------------------------------
    @field_validator(
        "tenant_ids", "api_audiences", "api_client_ids", "frame_ancestors", mode="before"
    )
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("tenant_ids")
    @classmethod
    def _non_empty(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if not value:
            raise ValueError("at least one tenant is required")
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [_origin(item) for item in value]

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _origin(value)

    @field_validator("entra_authority_host")
    @classmethod
    def _authority(cls, value: str) -> str:
        parts = urlsplit(value)
        # MSAL refuses http authorities; so do we, with a better message.
        if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError("must be an https host URL such as https://login.microsoftonline.com")
        return f"https://{parts.netloc}"

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        return str(uuid.UUID(value))

    @field_validator("table_prefix")
    @classmethod
    def _table_prefix(cls, value: str) -> str:
        if not _TABLE_PREFIX.fullmatch(value):
            raise ValueError("must be letters and digits starting with a letter")
        return value

    @field_validator("token_cache_key")
    @classmethod
    def _aes_key(cls, value: SecretStr) -> SecretStr:
        from shared.adapters.crypto import parse_key_ring  # a key or a ring; no cryptography import

        parse_key_ring(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems: list[tuple[str, str]] = []
        orgs_tenants = {str(o.tenant_id) for o in self.crm_orgs}
        unknown = orgs_tenants - {str(t) for t in self.tenant_ids}
        if unknown:
            problems.append(
                ("crm_orgs", f"names tenants not in COCKPIT_TENANT_IDS: {sorted(unknown)}")
            )
        names = [(str(o.tenant_id), o.name) for o in self.crm_orgs]
        if len(names) != len(set(names)):
            problems.append(("crm_orgs", "lists the same org name twice for one tenant"))
        elif ambiguous := _ambiguous_org_names(self.orgs):
            problems.append(
                ("crm_orgs", f"gives two orgs of one tenant the same name: {sorted(ambiguous)}")
            )
        if self.storage_connection_string is None and self.storage_table_endpoint is None:
            problems.append(
                ("storage_connection_string", "or COCKPIT_STORAGE_TABLE_ENDPOINT is required")
            )
        if self.client_credential_mode == "secret" and self.client_secret is None:
            problems.append(
                ("client_secret", "is required when COCKPIT_CLIENT_CREDENTIAL_MODE=secret")
            )
        if self.client_credential_mode == "certificate" and self.client_certificate_path is None:
            problems.append(
                (
                    "client_certificate_path",
                    "is required when COCKPIT_CLIENT_CREDENTIAL_MODE=certificate",
                )
            )
        if (
            self.client_credential_mode == "managed_identity"
            and not self.managed_identity_client_id
        ):
            problems.append(
                (
                    "managed_identity_client_id",
                    "is required when COCKPIT_CLIENT_CREDENTIAL_MODE=managed_identity",
                )
            )
        if self.in_azure:
            problems += self._azure_problems()
        if problems:
            raise ValueError(" | ".join(f"{_env_name(f)} {msg}" for f, msg in problems))
        return self

    def _azure_problems(self) -> list[tuple[str, str]]:
        """Dev defaults and dev-only mechanisms are refused in Azure."""
        problems: list[tuple[str, str]] = []
        if self.env != "azure":
            problems.append(("env", "must be azure: WEBSITE_SITE_NAME says this runs in Azure"))
        dev_values: list[tuple[str, bool]] = [
            ("public_base_url", self.public_base_url == DEV_PUBLIC_BASE_URL),
            ("entra_authority_host", self.entra_authority_host == DEV_AUTHORITY_HOST),
            ("client_id", self.client_id == DEV_CLIENT_ID),
            ("tenant_ids", [str(t) for t in self.tenant_ids] == [DEV_TENANT_ID]),
            ("token_cache_key", self.token_cache_key.get_secret_value() == DEV_TOKEN_CACHE_KEY),
            ("frame_ancestors", self.frame_ancestors == [DEV_FRAME_ANCESTORS]),
            (
                "crm_orgs",
                any(urlsplit(o.url).hostname in ("localhost", "127.0.0.1") for o in self.crm_orgs),
            ),
            (
                # With a table endpoint (managed identity) the connection string is not used.
                "storage_connection_string",
                self.storage_table_endpoint is None
                and self.storage_connection_string is not None
                and "devstoreaccount1"
                in _expand_dev(self.storage_connection_string.get_secret_value()),
            ),
        ]
        for name, is_dev in dev_values:
            if is_dev:
                problems.append(
                    (name, "still has its dev-stack default, which is refused in Azure")
                )
        if self.entra_ca_bundle is not None:
            problems.append(
                ("entra_ca_bundle", "is for the local simulator only and refused in Azure")
            )
        if self.local_timers:
            problems.append(("local_timers", "is for the local stack only: the host runs timers"))
        if not self.public_base_url.startswith("https://"):
            problems.append(("public_base_url", "must be https in Azure"))
        if self.client_credential_mode == "secret":
            problems.append(
                (
                    "client_credential_mode",
                    "secret is refused in Azure: use managed_identity or certificate",
                )
            )
        if self.storage_table_endpoint is None:
            problems.append(
                ("storage_table_endpoint", "is required in Azure (managed identity access)")
            )
        if not self.managed_identity_client_id:
            # Deterministic identity in production; DefaultAzureCredential is for a developer's
            # own login only (it could silently fall back to another credential).
            problems.append(
                ("managed_identity_client_id", "is required in Azure (the user-assigned identity)")
            )
        return problems

    # --- derived values ------------------------------------------------------------------------
    @property
    def in_azure(self) -> bool:
        return self.env == "azure" or self.website_site_name is not None

    @cached_property
    def orgs(self) -> tuple[CrmOrg, ...]:
        return tuple(
            CrmOrg(
                tenant_id=str(o.tenant_id),
                name=o.name,
                url=o.url,
                unique_name=o.unique_name,
                url_name=o.url_name,
            )
            for o in self.crm_orgs
        )

    @property
    def allowed_tenants(self) -> frozenset[str]:
        return frozenset(str(t) for t in self.tenant_ids)

    @property
    def audiences(self) -> list[str]:
        return self.api_audiences or [self.client_id, f"api://{self.client_id}"]

    @property
    def cookie_secure_origin(self) -> str:
        return self.public_base_url

    def org(self, *, tenant_id: str, name: str) -> CrmOrg | None:
        for org in self.orgs:
            if org.tenant_id == tenant_id and org.name == name:
                return org
        return None


def _ambiguous_org_names(orgs: tuple[CrmOrg, ...]) -> set[str]:
    """Names (name, unique name or URL name) that more than one org of a tenant answers to: an
    ``orgname`` must select exactly one org."""
    seen: dict[tuple[str, str], int] = {}
    for org in orgs:
        for identifier in org.identifiers:
            key = (org.tenant_id, identifier)
            seen[key] = seen.get(key, 0) + 1
    return {identifier for (_, identifier), count in seen.items() if count > 1}


def _expand_dev(conn: str) -> str:
    return "devstoreaccount1" if conn.strip().lower().startswith("usedevelopmentstorage") else conn


def _env_name(field: str) -> str:
    if field in ("website_site_name", "applicationinsights_connection_string"):
        return field.upper()
    return f"COCKPIT_{field.upper()}"


def _format(error: ValidationError) -> str:
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
        where = _env_name(field)
        for part in loc[1:]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}"
        expected = _EXPECTED.get(field)
        hint = f" (expected {expected})" if expected else ""
        if item.get("type") == "missing":
            lines.append(f"{where} is missing{hint}")
        else:
            lines.append(f"{where}: {message}{hint}")
    return "; ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (``overrides`` win); raise :class:`SettingsError` with
    one readable line on any problem."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise SettingsError(f"Invalid configuration: {_format(err)}") from None
