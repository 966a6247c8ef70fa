"""Scope strings: which resource a request is for, which scopes it asks for, what is consented.

A v2 scope is ``{resource identifier}/{scope}``: ``api://<client id>/access_as_user``,
``<client id>/access_as_user`` or ``https://org.example/user_impersonation``; ``/.default`` means
"everything already consented for this resource". A scope without a resource prefix (``User.Read``)
belongs to Microsoft Graph. ``openid``, ``profile``, ``email`` and ``offline_access`` are the OIDC
reserved scopes.
https://learn.microsoft.com/entra/identity-platform/scopes-oidc
https://learn.microsoft.com/entra/identity-platform/permissions-consent-overview
"""

from __future__ import annotations

from dataclasses import dataclass

from devstack.entra.directory import App, Directory, ResourceServer
from devstack.entra.errors import EntraError

__all__ = ["RESERVED_SCOPES", "ResourceScopes", "ScopeRequest", "granted_scopes", "parse_scopes"]

RESERVED_SCOPES = ("openid", "profile", "email", "offline_access")
DEFAULT = ".default"
# Where an unprefixed scope goes in Entra; the simulator has no Graph, so it refuses it clearly.
GRAPH = "https://graph.microsoft.com"


@dataclass(frozen=True)
class ResourceScopes:
    """The scopes asked for one resource, with the identifier the client used to name it."""

    server: ResourceServer
    identifier: str
    names: tuple[str, ...]

    def qualified(self, names: tuple[str, ...]) -> str:
        """Scope names prefixed with the requested identifier, as the token response lists them."""
        prefix = self.identifier.rstrip("/")
        return " ".join(f"{prefix}/{name}" for name in names)


@dataclass(frozen=True)
class ScopeRequest:
    reserved: frozenset[str]
    resources: tuple[ResourceScopes, ...]

    @property
    def openid(self) -> bool:
        return "openid" in self.reserved

    @property
    def offline_access(self) -> bool:
        return "offline_access" in self.reserved

    @property
    def first(self) -> ResourceScopes | None:
        # With scopes for several resources, Entra issues the token for the first one.
        # https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
        # (Refresh the access token: scope)
        return self.resources[0] if self.resources else None


def parse_scopes(raw: str, directory: Directory, *, tenant_label: str) -> ScopeRequest:
    """Split a space-separated scope parameter; unknown resources and scopes raise EntraError."""
    reserved: set[str] = set()
    grouped: dict[str, tuple[ResourceServer, str, list[str]]] = {}
    for token in raw.split():
        if token.lower() in RESERVED_SCOPES:
            reserved.add(token.lower())
            continue
        if "/" not in token:
            raise EntraError.unknown_resource(
                f"{GRAPH} (scope '{token}'; the simulator does not simulate Microsoft Graph)",
                tenant_label,
            )
        identifier, name = token.rsplit("/", 1)
        server = directory.resource_server(identifier)
        if server is None:
            raise EntraError.unknown_resource(identifier, tenant_label)
        if name == DEFAULT:
            canonical = DEFAULT
        else:
            found = server.canonical_scope(name)
            if found is None:
                raise EntraError.invalid_scope(token)
            canonical = found
        entry = grouped.setdefault(server.consent_key, (server, identifier, []))
        if canonical not in entry[2]:
            entry[2].append(canonical)
    return ScopeRequest(
        reserved=frozenset(reserved),
        resources=tuple(
            ResourceScopes(server=server, identifier=identifier, names=tuple(names))
            for server, identifier, names in grouped.values()
        ),
    )


def granted_scopes(app: App, server: ResourceServer) -> tuple[str, ...]:
    """Delegated scopes ``app`` holds (admin-consented) on ``server``.

    An app may always ask for the scopes it exposes itself (its own API).
    """
    if server.app is not None and server.app.client_id == app.client_id:
        return server.scopes
    return tuple(
        permission.scope
        for permission in app.delegated_permissions
        if permission.resource.casefold() == server.consent_key.casefold()
        and permission.scope in server.scopes
    )


def consented(app: App, requested: ResourceScopes) -> tuple[str, ...] | None:
    """The scopes to put in ``scp``, or None when something asked for is not consented."""
    granted = granted_scopes(app, requested.server)
    named = [name for name in requested.names if name != DEFAULT]
    if any(name not in granted for name in named):
        return None
    if DEFAULT in requested.names:
        # ".default" expands to every consented scope; with none consented there is nothing to
        # issue, which Entra reports as missing consent.
        return granted or None
    return tuple(named)
