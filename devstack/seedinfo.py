"""What the stack runner reads from a seed file: the Dataverse orgs, the tenants, the cockpit's app
registration and its managed identity. Any seed of the documented shape works
(devstack/seed/README.md): orgs of any number and name, the cockpit app named by
``cockpit.client_id`` (default: the first app)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SeedProblem(ValueError):
    """The seed cannot run a stack; the message names the section and what is wrong."""


@dataclass(frozen=True)
class SeedOrg:
    name: str
    tenant: str
    lcid: int
    friendly_name: str


@dataclass(frozen=True)
class CockpitApp:
    client_id: str
    secret: str | None
    admin_role: str | None
    managed_identity_client_id: str | None
    # Other apps of the seed with a delegated permission on the cockpit's API: its bearer clients.
    api_clients: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedInfo:
    orgs: tuple[SeedOrg, ...]
    tenants: tuple[str, ...]
    cockpit: CockpitApp
    raw: dict[str, Any]


def _cockpit(raw: dict[str, Any]) -> CockpitApp:
    apps = raw.get("apps") or []
    if not apps:
        raise SeedProblem("the seed has no 'apps': the cockpit needs an app registration")
    wanted = str((raw.get("cockpit") or {}).get("client_id") or apps[0]["client_id"]).lower()
    app = next((a for a in apps if str(a.get("client_id", "")).lower() == wanted), None)
    if app is None:
        raise SeedProblem(f"cockpit.client_id {wanted} is not one of the seed's apps")
    trusted = {fic.get("subject") for fic in app.get("federated_identity_credentials", [])}
    identity = next(
        (m for m in raw.get("managed_identities", []) if m.get("principal_id") in trusted), None
    )
    clients = tuple(
        str(a["client_id"]).lower()
        for a in apps
        if any(
            str(p.get("resource", "")).lower() == wanted for p in a.get("delegated_permissions", [])
        )
    )
    return CockpitApp(
        client_id=wanted,
        secret=app.get("secret"),
        admin_role=(raw.get("cockpit") or {}).get("admin_role"),
        managed_identity_client_id=identity["client_id"] if identity else None,
        api_clients=clients,
    )


def read_seed_info(path: Path) -> SeedInfo:
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    orgs = tuple(
        SeedOrg(
            name=str(org["name"]),
            tenant=str(org["tenant"]).lower(),
            lcid=int(org.get("lcid", 1033)),
            friendly_name=str(org.get("friendly_name", org["name"])),
        )
        for org in (raw.get("dataverse") or {}).get("orgs", [])
    )
    if not orgs:
        raise SeedProblem("the seed's dataverse.orgs is empty: the stack needs at least one org")
    names = [o.name for o in orgs]
    if len(set(names)) != len(names):
        raise SeedProblem(f"dataverse.orgs repeats a name: {names}")
    tenants = tuple(str(t["id"]).lower() for t in raw.get("tenants", []))
    return SeedInfo(orgs=orgs, tenants=tenants, cockpit=_cockpit(raw), raw=raw)
