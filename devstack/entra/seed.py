"""The simulator's directory: tenants, users, app registrations and resources from a seed file.

The seed is the same JSON file the rest of the stack reads (``devstack/seed/demo.json``); this
module reads only the ``tenants``, ``users``, ``apps`` and ``resources`` sections and checks that
they fit together (every reference resolves), so a broken seed fails at start with a clear
message instead of as a confusing AADSTS error in the middle of a test.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
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
    "load_directory",
    "parse_directory",
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


def _urls(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def load_directory(path: Path, *, resource_urls: Mapping[str, str | Sequence[str]]) -> Directory:
    """Read ``path`` and build the directory; ``resource_urls`` binds resource keys to URLs."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SeedError(f"cannot read seed file {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise SeedError(f"seed file {path} is not valid JSON: {exc}") from exc
    return parse_directory(raw, resource_urls=resource_urls)


def parse_directory(raw: Any, *, resource_urls: Mapping[str, str | Sequence[str]]) -> Directory:
    """Build and cross-check the directory from an already parsed seed document."""
    if not isinstance(raw, dict):
        raise SeedError("the seed must be a JSON object")
    tenants = _parse_tenants(_list(raw, "tenants"))
    users = _parse_users(_list(raw, "users"), tenants)
    resources = _parse_resources(raw.get("resources", []), resource_urls)
    apps = _parse_apps(_list(raw, "apps"), tenants)
    # Imported here: seed_checks builds on the dataclasses of this module.
    from devstack.entra.seed_checks import check_references, resource_servers

    servers = resource_servers(apps, resources)
    directory = Directory(
        tenants=tenants,
        users=users,
        apps=apps,
        resources=resources,
        resource_servers=servers,
    )
    check_references(directory)
    return directory


def _list(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    if not isinstance(value, list):
        raise SeedError(f"seed section '{key}' must be a list")
    return value


def _str(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SeedError(f"{where}: '{key}' must be a non-empty string")
    return value


def _guid(item: Mapping[str, Any], key: str, where: str) -> str:
    value = _str(item, key, where)
    if not is_guid(value.lower()):
        raise SeedError(f"{where}: '{key}' must be a GUID, got {value!r}")
    return value.lower()


def _str_list(item: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SeedError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(value)


def _object(item: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(item, dict):
        raise SeedError(f"{where} must be a JSON object")
    return item


def _parse_tenants(items: list[Any]) -> dict[str, Tenant]:
    tenants: dict[str, Tenant] = {}
    for index, item in enumerate(items):
        where = f"tenants[{index}]"
        obj = _object(item, where)
        tenant = Tenant(
            id=_guid(obj, "id", where),
            name=_str(obj, "name", where),
            domain=_str(obj, "domain", where),
        )
        if tenant.id in tenants:
            raise SeedError(f"{where}: duplicate tenant id {tenant.id}")
        tenants[tenant.id] = tenant
    if not tenants:
        raise SeedError("the seed must define at least one tenant")
    return tenants


def _parse_users(items: list[Any], tenants: Mapping[str, Tenant]) -> dict[str, User]:
    users: dict[str, User] = {}
    for index, item in enumerate(items):
        where = f"users[{index}]"
        obj = _object(item, where)
        user = User(
            oid=_guid(obj, "oid", where),
            tenant=_guid(obj, "tenant", where),
            name=_str(obj, "name", where),
            username=_str(obj, "username", where),
        )
        if user.tenant not in tenants:
            raise SeedError(f"{where}: tenant {user.tenant} is not in 'tenants'")
        if user.oid in users:
            raise SeedError(f"{where}: duplicate user oid {user.oid}")
        users[user.oid] = user
    return users


def _parse_resources(
    items: Any, urls: Mapping[str, str | Sequence[str]]
) -> dict[str, ExternalResource]:
    if not isinstance(items, list):
        raise SeedError("seed section 'resources' must be a list")
    resources: dict[str, ExternalResource] = {}
    for index, item in enumerate(items):
        where = f"resources[{index}]"
        obj = _object(item, where)
        key = _str(obj, "key", where)
        resources[key] = ExternalResource(
            key=key,
            app_id=_guid(obj, "app_id", where),
            display_name=_str(obj, "display_name", where),
            scopes=_str_list(obj, "scopes", where),
            url=bound[0] if (bound := _urls(urls.get(key))) else None,
            more_urls=tuple(bound[1:]),
        )
    unknown = sorted(set(urls) - set(resources))
    if unknown:
        raise SeedError(
            f"--resource names {', '.join(unknown)}, but the seed's 'resources' section has "
            f"only: {', '.join(sorted(resources)) or '(none)'}"
        )
    return resources


def _parse_apps(items: list[Any], tenants: Mapping[str, Tenant]) -> dict[str, App]:
    apps: dict[str, App] = {}
    for index, item in enumerate(items):
        where = f"apps[{index}]"
        obj = _object(item, where)
        secret = obj.get("secret")
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise SeedError(f"{where}: 'secret' must be a non-empty string or null")
        version = obj.get("access_token_version", 1)
        if version not in (1, 2, None):
            raise SeedError(f"{where}: 'access_token_version' must be 1, 2 or null")
        app = App(
            client_id=_guid(obj, "client_id", where),
            tenant=_guid(obj, "tenant", where),
            display_name=_str(obj, "display_name", where),
            secret=secret,
            redirect_uris=_str_list(obj, "redirect_uris", where),
            identifier_uris=_str_list(obj, "identifier_uris", where),
            exposed_scopes=_str_list(obj, "exposed_scopes", where),
            app_roles=tuple(
                _parse_role(role, f"{where}.app_roles[{i}]")
                for i, role in enumerate(_list_of(obj, "app_roles", where))
            ),
            role_assignments=tuple(
                RoleAssignment(
                    principal=_guid(
                        _object(a, f"{where}.role_assignments[{i}]"), "principal", where
                    ),
                    role=_str(_object(a, f"{where}.role_assignments[{i}]"), "role", where),
                )
                for i, a in enumerate(_list_of(obj, "role_assignments", where))
            ),
            delegated_permissions=tuple(
                DelegatedPermission(
                    resource=_str(
                        _object(p, f"{where}.delegated_permissions[{i}]"), "resource", where
                    ),
                    scope=_str(_object(p, f"{where}.delegated_permissions[{i}]"), "scope", where),
                )
                for i, p in enumerate(_list_of(obj, "delegated_permissions", where))
            ),
            multi_tenant=bool(obj.get("multi_tenant", False)),
            service_principal_object_id=_guid(obj, "service_principal_object_id", where),
            # Entra's default when accessTokenAcceptedVersion is null is v1.
            # https://learn.microsoft.com/entra/identity-platform/access-tokens (token formats)
            access_token_version=int(version or 1),
        )
        if app.tenant not in tenants:
            raise SeedError(f"{where}: tenant {app.tenant} is not in 'tenants'")
        if app.client_id in apps:
            raise SeedError(f"{where}: duplicate client_id {app.client_id}")
        for uri in app.redirect_uris:
            parts = urlsplit(uri)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise SeedError(f"{where}: redirect URI {uri!r} must be an absolute http(s) URL")
        apps[app.client_id] = app
    return apps


def _list_of(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise SeedError(f"{where}: '{key}' must be a list")
    return value


def _parse_role(item: Any, where: str) -> AppRole:
    obj = _object(item, where)
    return AppRole(
        value=_str(obj, "value", where),
        id=_guid(obj, "id", where),
        display_name=_str(obj, "display_name", where),
        allowed_member_types=_str_list(obj, "allowed_member_types", where),
    )
