"""The AES-256 key that encrypts per-user MSAL token caches, created straight into Key Vault.

The key is generated here (``secrets.token_bytes``), written to a private temporary file and
handed to ``az keyvault secret set --file ... --output none``: it is never printed, never put on a
command line, never a template parameter or output. The app reads it through the Key Vault
reference in COCKPIT_TOKEN_CACHE_KEY. An existing key is kept (rotating it would make every stored
token cache unreadable, i.e. sign everyone out); rotate on purpose with ``--rotate``.

Run by the postprovision hook, or by hand::

    python -m scripts.token_cache_key --vault <name> --name cockpit-token-cache-key [--rotate]
"""

from __future__ import annotations

import argparse
import base64
import secrets
import time
from collections.abc import Callable, Sequence

from scripts.azcli import AzCliError, az, private_file, say

__all__ = ["ensure_token_cache_key", "main", "new_key", "refresh_key_vault_references"]

CONTENT_TYPE = "base64; AES-256-GCM key for the cockpit token caches"


def new_key() -> str:
    """32 random bytes, base64-encoded (what COCKPIT_TOKEN_CACHE_KEY must decode to)."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _forbidden(error: AzCliError) -> bool:
    return "Forbidden" in error.stderr or "403" in error.stderr


def _with_rbac_retry(
    action: Callable[[], str], *, attempts: int, wait_seconds: float, sleep: Callable[[float], None]
) -> str:
    """Role assignments made by the same deployment take minutes to reach Key Vault's data
    plane; a 403 right after provisioning is expected, so wait and retry a few times."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except AzCliError as error:
            if not _forbidden(error) or attempt == attempts:
                raise
            say(
                f"  Key Vault still says Forbidden (role assignment propagating); retry {attempt}/{attempts - 1}"
            )
            sleep(wait_seconds)
    raise AssertionError("unreachable")


def ensure_token_cache_key(
    *,
    vault: str,
    name: str,
    rotate: bool = False,
    attempts: int = 8,
    wait_seconds: float = 15.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Make sure secret ``name`` exists in ``vault``; True when a new key was stored."""

    def count() -> str:
        # `secret list` returns metadata only: the value never even crosses the wire here.
        return az(
            "keyvault",
            "secret",
            "list",
            "--vault-name",
            vault,
            "--query",
            f"length([?name=='{name}'])",
            "--output",
            "tsv",
        )

    exists = _with_rbac_retry(
        count, attempts=attempts, wait_seconds=wait_seconds, sleep=sleep
    ).strip() not in ("", "0")
    if exists and not rotate:
        say(f"  Token-cache key {name!r} already in Key Vault {vault}: kept.")
        return False

    with private_file(new_key()) as path:

        def store() -> str:
            return az(
                "keyvault",
                "secret",
                "set",
                "--vault-name",
                vault,
                "--name",
                name,
                "--file",
                str(path),
                "--encoding",
                "utf-8",
                "--content-type",
                CONTENT_TYPE,
                # `secret set` prints the stored secret, value included, unless told not to.
                "--output",
                "none",
            )

        _with_rbac_retry(store, attempts=attempts, wait_seconds=wait_seconds, sleep=sleep)
    say(
        f"  Token-cache key {'rotated' if exists else 'created'} in Key Vault {vault} (value not shown)."
    )
    return True


def refresh_key_vault_references(
    *, subscription_id: str, resource_group: str, app_name: str
) -> bool:
    """Ask App Service to resolve the app's Key Vault references now instead of within 24 h.

    https://learn.microsoft.com/azure/app-service/app-service-key-vault-references#rotation
    ("make an authenticated POST request to .../config/configreferences/appsettings/refresh").
    Best effort: the key is already stored; failing here only delays its pick-up.
    """
    url = (
        f"https://management.azure.com/subscriptions/{subscription_id}/resourceGroups/"
        f"{resource_group}/providers/Microsoft.Web/sites/{app_name}"
        "/config/configreferences/appsettings/refresh?api-version=2022-03-01"
    )
    try:
        az("rest", "--method", "POST", "--url", url, "--output", "none")
    except AzCliError as error:
        say(
            f"  Could not refresh Key Vault references now ({error}); App Service retries within 24 h."
        )
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: create (or with --rotate, replace) the key."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vault", required=True, help="Key Vault name (AZURE_KEY_VAULT_NAME)")
    parser.add_argument("--name", default="cockpit-token-cache-key", help="secret name")
    parser.add_argument("--rotate", action="store_true", help="replace an existing key")
    args = parser.parse_args(argv)
    ensure_token_cache_key(vault=args.vault, name=args.name, rotate=args.rotate)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
