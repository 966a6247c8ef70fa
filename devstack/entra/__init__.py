"""Entra ID simulator: the Microsoft identity platform (v2) as MSAL and azure-identity see it.

Run it with ``python -m devstack.entra`` (see ``devstack/entra/README.md``); tests start it as a
subprocess. The package is layered: ``directory`` (tenants, users, apps; read from the seed file
by ``seed``), ``keys``, ``state`` (clock, codes, tokens, sessions), ``scopes``, ``tokens``
(claims), ``authorize`` and ``grants`` (protocol logic), the HTTP handlers (``protocol_routes``,
``browser_routes``, ``workload``, ``control_api``, with ``request_log`` and ``http_helpers``),
``app`` (assembles them), ``server`` (uvicorn).
"""

from devstack.entra.app import SESSION_COOKIE, build_apps
from devstack.entra.keys import KeyRing, SigningKey
from devstack.entra.seed import Directory, SeedError, load_directory, parse_directory
from devstack.entra.state import SimConfig, Simulator, Urls

__all__ = [
    "SESSION_COOKIE",
    "Directory",
    "KeyRing",
    "SeedError",
    "SigningKey",
    "SimConfig",
    "Simulator",
    "Urls",
    "build_apps",
    "load_directory",
    "parse_directory",
]
