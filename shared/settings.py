"""The one place configuration is read. Nothing else in the code base touches ``os.environ``.

Every variable is prefixed ``COCKPIT_``. Nothing that names a deployment has a default — no URL,
tenant, client id, org, and above all no secret: the local stack (``devstack/``) and the tests pass
their values explicitly, so a new secret can never ship with a working dev value. Defaults are only
behaviour (timeouts, limits). When ``COCKPIT_ENV=azure`` (or the Functions host says we run in
Azure) dev-only mechanisms — the simulator's CA, client secrets, Azurite, localhost URLs,
in-process timers — are refused.

A missing or invalid value raises :class:`SettingsError` whose message is one readable line per
problem, naming the variable and what a valid value looks like.
"""

from __future__ import annotations

import uuid
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.domain.orgs import CrmOrg
from shared.settings_parts import (
    TABLE_PREFIX,
    CrmOrgSetting,
    SettingsError,
    ambiguous_org_names,
    env_name,
    expand_dev,
    format_error,
    origin,
    split_list,
)

__all__ = ["CrmOrgSetting", "Settings", "SettingsError", "load_settings"]


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

    public_base_url: str

    storage_connection_string: SecretStr | None = None
    storage_table_endpoint: str | None = None
    managed_identity_client_id: str | None = None
    table_prefix: str = "cockpit"

    entra_authority_host: str = "https://login.microsoftonline.com"
    entra_ca_bundle: Path | None = None
    tenant_ids: Annotated[list[uuid.UUID], NoDecode]
    client_id: str
    client_credential_mode: Literal["secret", "certificate", "managed_identity"] = "secret"
    client_secret: SecretStr | None = None
    client_certificate_path: Path | None = None
    client_certificate_password: SecretStr | None = None
    api_audiences: Annotated[list[str], NoDecode] = []
    api_required_scope: str = "access_as_user"
    # Client applications (their application ids) whose users may call the JSON API with a
    # bearer token; none by default.
    api_client_ids: Annotated[list[uuid.UUID], NoDecode] = []
    admin_role: str = "Cockpit.Admin"

    crm_orgs: list[CrmOrgSetting]
    # CRM origins that may frame the embed pages; none means the Cockpit tab cannot show.
    frame_ancestors: Annotated[list[str], NoDecode] = []

    token_cache_key: SecretStr
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
    # The first request for an org on an instance starts that org's health check in the background.
    startup_check: bool = True
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
        return split_list(value)

    @field_validator("tenant_ids")
    @classmethod
    def _non_empty(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if not value:
            raise ValueError("at least one tenant is required")
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [origin(item) for item in value]

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return origin(value)

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
        if not TABLE_PREFIX.fullmatch(value):
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
        elif ambiguous := ambiguous_org_names(self.orgs):
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
            raise ValueError(" | ".join(f"{env_name(f)} {msg}" for f, msg in problems))
        return self

    def _azure_problems(self) -> list[tuple[str, str]]:
        """Dev defaults and dev-only mechanisms are refused in Azure."""
        problems: list[tuple[str, str]] = []
        if self.env != "azure":
            problems.append(("env", "must be azure: WEBSITE_SITE_NAME says this runs in Azure"))
        local = ("localhost", "127.0.0.1")
        if any(urlsplit(o.url).hostname in local for o in self.crm_orgs):
            problems.append(("crm_orgs", "points at a local simulator, which is refused in Azure"))
        if urlsplit(self.entra_authority_host).hostname in local:
            problems.append(("entra_authority_host", "is a local simulator, refused in Azure"))
        if (  # with a table endpoint (managed identity) the connection string is not used
            self.storage_table_endpoint is None
            and self.storage_connection_string is not None
            and "devstoreaccount1" in expand_dev(self.storage_connection_string.get_secret_value())
        ):
            problems.append(("storage_connection_string", "is Azurite, refused in Azure"))
        if not self.frame_ancestors:
            problems.append(("frame_ancestors", "is required in Azure (the Dynamics origins)"))
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
    def cookie_secureorigin(self) -> str:
        return self.public_base_url

    def org(self, *, tenant_id: str, name: str) -> CrmOrg | None:
        for org in self.orgs:
            if org.tenant_id == tenant_id and org.name == name:
                return org
        return None


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment (``overrides`` win); raise :class:`SettingsError` with
    one readable line on any problem."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise SettingsError(f"Invalid configuration: {format_error(err)}") from None
