"""Settings for tests. The app has no defaults for anything that names a deployment (URLs,
tenants, client, orgs, secrets), so tests — like the local stack — pass every value explicitly."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.settings import Settings, load_settings

CONTOSO = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
CLIENT_ID = "5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"
ORG_URL = "https://contoso.crm4.dynamics.com"

# A complete, valid configuration that points nowhere real; each test overrides what it needs.
EXPLICIT: dict[str, Any] = {
    "public_base_url": "https://cockpit.example",
    "storage_connection_string": "UseDevelopmentStorage=true",
    "tenant_ids": CONTOSO,
    "client_id": CLIENT_ID,
    "client_secret": "test-only-secret",
    "crm_orgs": [{"tenant_id": CONTOSO, "name": "contoso", "url": ORG_URL}],
    "frame_ancestors": ORG_URL,
    "token_cache_key": base64.b64encode(b"k" * 32).decode(),
    # Off: its background requests would land in every call count; the tests of the start-up
    # check itself turn it on.
    "startup_check": False,
}


def explicit_settings(**overrides: Any) -> Settings:
    return load_settings(**{**EXPLICIT, **overrides})


def explicit_environment() -> dict[str, str]:
    """:data:`EXPLICIT` as the process environment the Functions host would give the app."""
    env = {}
    for name, value in EXPLICIT.items():
        env[f"COCKPIT_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env
