"""Cross-checks of a parsed seed directory and the resource servers it defines: every reference
resolves (roles, principals, delegated permissions, unique identifiers), so a broken seed fails at
start with a clear message instead of as a confusing AADSTS error in the middle of a test."""

from __future__ import annotations

from collections.abc import Mapping

from devstack.entra.directory import App, Directory, ExternalResource, ResourceServer, SeedError

__all__ = ["check_references", "resource_servers"]


def resource_servers(
    apps: Mapping[str, App], resources: Mapping[str, ExternalResource]
) -> tuple[ResourceServer, ...]:
    servers: list[ResourceServer] = []
    for app in apps.values():
        servers.append(
            ResourceServer(
                consent_key=app.client_id,
                display_name=app.display_name,
                app_id=app.client_id,
                # A client may name an API by its client id or by any App ID URI.
                identifiers=(app.client_id, *app.identifier_uris),
                scopes=app.exposed_scopes,
                token_version=app.access_token_version,
                app=app,
            )
        )
    for resource in resources.values():
        if resource.url is None:
            continue  # Not bound to a URL on this run, so nobody can ask for it.
        servers.append(
            ResourceServer(
                consent_key=resource.key,
                display_name=resource.display_name,
                app_id=resource.app_id,
                identifiers=(resource.url, *resource.more_urls),
                scopes=resource.scopes,
                # Dynamics CRM accepts v1 tokens only (iss sts.windows.net, appid, upn).
                token_version=1,
                external=resource,
            )
        )
    return tuple(servers)


def check_references(directory: Directory) -> None:
    for app in directory.apps.values():
        where = f"app {app.client_id} ({app.display_name})"
        role_values = {role.value for role in app.app_roles}
        for assignment in app.role_assignments:
            if assignment.role not in role_values:
                raise SeedError(f"{where}: role assignment names unknown role {assignment.role!r}")
            if (
                assignment.principal not in directory.users
                and directory.app_by_principal(assignment.principal) is None
            ):
                raise SeedError(
                    f"{where}: role assignment principal {assignment.principal} is neither a "
                    "seeded user nor an app's client id / service principal object id"
                )
        for permission in app.delegated_permissions:
            scopes = _scopes_of(directory, permission.resource)
            if scopes is None:
                raise SeedError(
                    f"{where}: delegated permission names unknown resource "
                    f"{permission.resource!r} (a 'resources' key or an app's client id)"
                )
            if permission.scope not in scopes:
                raise SeedError(
                    f"{where}: resource {permission.resource!r} exposes no scope "
                    f"{permission.scope!r} (it has: {', '.join(scopes) or 'none'})"
                )
    seen: dict[str, str] = {}
    for server in directory.resource_servers:
        for identifier in server.identifiers:
            key = identifier.rstrip("/").casefold()
            if key in seen and seen[key] != server.consent_key:
                raise SeedError(f"identifier {identifier!r} is used by two resources")
            seen[key] = server.consent_key


def _scopes_of(directory: Directory, resource: str) -> tuple[str, ...] | None:
    if resource in directory.resources:
        return directory.resources[resource].scopes
    app = directory.app(resource)
    return app.exposed_scopes if app is not None else None
