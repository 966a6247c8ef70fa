"""The simulator's directory as typed values: tenants, users, app registrations (with app roles,
role assignments and admin-consented permissions), external resources, the resource servers tokens
are issued for, and ``Directory``, which looks them all up by id.

``seed`` builds a ``Directory`` from the seed file and ``seed_checks`` cross-checks it; both raise
``SeedError`` for a broken seed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "MULTI_TENANT_ALIASES",
    "App",
    "AppRole",
    "DelegatedPermission",
    "Directory",
    "ExternalResource",
    "ResourceServer",
    "RoleAssignment",
    "SeedError",
    "Tenant",
    "User",
    "is_guid",
]

# Tenant aliases Entra accepts in the authority path instead of a tenant id.
# https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc (table of {tenant} values)
MULTI_TENANT_ALIASES = ("organizations", "common")


class SeedError(ValueError):
    """The seed file is unreadable or inconsistent; the message says where."""


def is_guid(value: str) -> bool:
    """True for a canonical GUID string (what Entra uses for tenant, object and client ids)."""
    try:
        return str(uuid.UUID(value)) == value.lower()
    except (ValueError, AttributeError, TypeError):
        return False


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    domain: str


@dataclass(frozen=True)
class User:
    oid: str
    tenant: str
    name: str
    username: str


@dataclass(frozen=True)
class AppRole:
    value: str
    id: str
    display_name: str
    allowed_member_types: tuple[str, ...]


@dataclass(frozen=True)
class RoleAssignment:
    """``principal`` is a user's oid, or an app's client id / service principal object id."""

    principal: str
    role: str


@dataclass(frozen=True)
class DelegatedPermission:
    """Admin-consented delegated permission: ``resource`` is a resource key or an API's client id."""

    resource: str
    scope: str


@dataclass(frozen=True)
class App:
    client_id: str
    tenant: str
    display_name: str
    secret: str | None
    redirect_uris: tuple[str, ...]
    identifier_uris: tuple[str, ...]
    exposed_scopes: tuple[str, ...]
    app_roles: tuple[AppRole, ...]
    role_assignments: tuple[RoleAssignment, ...]
    delegated_permissions: tuple[DelegatedPermission, ...]
    multi_tenant: bool
    service_principal_object_id: str
    access_token_version: int

    @property
    def is_public_client(self) -> bool:
        # A registration without a secret is treated as a public client (no client auth).
        return self.secret is None

    def roles_for(self, principals: Sequence[str], *, member_type: str) -> list[str]:
        """App-role values assigned to any of ``principals`` for roles open to ``member_type``."""
        allowed = {
            role.value for role in self.app_roles if member_type in role.allowed_member_types
        }
        wanted = set(principals)
        values: list[str] = []
        for assignment in self.role_assignments:
            if assignment.principal in wanted and assignment.role in allowed:
                if assignment.role not in values:
                    values.append(assignment.role)
        return values


@dataclass(frozen=True)
class ExternalResource:
    """A first-party resource such as Dataverse; ``url`` comes from ``--resource KEY=URL``."""

    key: str
    app_id: str
    display_name: str
    scopes: tuple[str, ...]
    url: str | None
    # Further URLs of the same resource: every Dataverse org is its own audience of the one
    # Dynamics CRM resource.
    more_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceServer:
    """Anything a token can be issued for: an API app from the seed or an external resource.

    ``consent_key`` is what ``delegated_permissions[].resource`` names: the seed key for external
    resources ("dataverse"), the client id for API apps.
    """

    consent_key: str
    display_name: str
    app_id: str
    identifiers: tuple[str, ...]
    scopes: tuple[str, ...]
    token_version: int
    app: App | None = None
    external: ExternalResource | None = None

    def matches(self, identifier: str) -> bool:
        # App ID URIs and GUIDs are compared case-insensitively; a trailing slash is not
        # significant (``https://org//.default`` is the v1-resource form of ``https://org/.default``).
        wanted = identifier.rstrip("/").casefold()
        return any(known.rstrip("/").casefold() == wanted for known in self.identifiers)

    def canonical_scope(self, name: str) -> str | None:
        for scope in self.scopes:
            if scope.casefold() == name.casefold():
                return scope
        return None

    def audience(self, requested_identifier: str) -> str:
        """The ``aud`` claim for a token requested with ``requested_identifier``.

        v2 tokens always carry the API's client id; v1 tokens carry the identifier the client
        asked for (client id or App ID URI); an external resource's audience is its URL exactly,
        without a trailing slash (as Dataverse expects).
        https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference (aud)
        """
        if self.external is not None and self.external.url is not None:
            wanted = requested_identifier.rstrip("/").casefold()
            urls = (self.external.url, *self.external.more_urls)
            return next((u for u in urls if u.casefold() == wanted), self.external.url)
        if self.token_version == 2:
            return self.app_id
        for known in self.identifiers:
            if known.rstrip("/").casefold() == requested_identifier.rstrip("/").casefold():
                return known
        return self.app_id


@dataclass(frozen=True)
class Directory:
    """Everything the simulator knows about identities, looked up by id."""

    tenants: Mapping[str, Tenant]
    users: Mapping[str, User]
    apps: Mapping[str, App]
    resources: Mapping[str, ExternalResource]
    resource_servers: tuple[ResourceServer, ...] = field(default=())

    def tenant(self, segment: str) -> Tenant | None:
        """A tenant by GUID or by its domain name (Entra accepts both in the path)."""
        lowered = segment.lower()
        if lowered in self.tenants:
            return self.tenants[lowered]
        for tenant in self.tenants.values():
            if tenant.domain.lower() == lowered:
                return tenant
        return None

    def users_of(self, tenant_id: str | None) -> list[User]:
        return [u for u in self.users.values() if tenant_id is None or u.tenant == tenant_id]

    def app(self, client_id: str) -> App | None:
        return self.apps.get(client_id.lower())

    def resource_server(self, identifier: str) -> ResourceServer | None:
        for server in self.resource_servers:
            if server.matches(identifier):
                return server
        return None

    def resource_server_by_key(self, consent_key: str) -> ResourceServer | None:
        for server in self.resource_servers:
            if server.consent_key.casefold() == consent_key.casefold():
                return server
        return None

    def app_by_principal(self, principal: str) -> App | None:
        """The app whose client id or service principal object id is ``principal``."""
        for app in self.apps.values():
            if principal.lower() in (app.client_id, app.service_principal_object_id):
                return app
        return None
