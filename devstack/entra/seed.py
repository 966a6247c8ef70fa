"""Reading the seed file into the simulator's directory (the types live in ``directory``).

The seed is the same JSON file the rest of the stack reads (``devstack/seed/demo.json``); this
module reads only the ``tenants``, ``users``, ``apps`` and ``resources`` sections and checks that
they fit together (every reference resolves, ``seed_checks``), so a broken seed fails at start with
a clear message instead of as a confusing AADSTS error in the middle of a test.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# The directory types are re-exported: code and tests import them from here too.
from devstack.entra.directory import (
    MULTI_TENANT_ALIASES,
    App,
    AppRole,
    DelegatedPermission,
    Directory,
    ExternalResource,
    ResourceServer,
    RoleAssignment,
    SeedError,
    Tenant,
    User,
    is_guid,
)
from devstack.entra.seed_checks import check_references, resource_servers

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
    "load_directory",
    "parse_directory",
]


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
