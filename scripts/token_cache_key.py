"""The key ring that encrypts per-user MSAL token caches, kept in Key Vault and rotated without
signing anyone out.

The secret's value is a JSON key ring (shared/adapters/crypto.py reads it)::

    {"keys": [{"id": "k20270105t093000", "key": "<base64>", "active_from": "<ISO 8601>"}, ...]}

- **create** (postprovision): a ring with one key, active at once. An existing secret is kept.
- **rotate** (``--rotate``): adds a new key that becomes active ``--activate-in-hours`` later
  (default 24: App Service re-reads Key Vault references at least daily, so every instance knows
  the key before any instance seals with it), keeps every older key that something still alive may
  have been sealed with, and drops a key once its successor has been active for
  ``--retire-after-hours`` (default 168, the longest session the app allows; every login re-seals
  the user's cache with the active key). Then it asks App Service to re-read the reference now.
  A secret from an earlier release (one bare base64 key) becomes the ring's ``legacy`` key.

Key material is generated here (``secrets.token_bytes``), written to a private temporary file and
handed to ``az keyvault secret set --file ... --output none``; the current ring is read with
``az keyvault secret show`` into memory only. Nothing is printed, put on a command line, or passed
as a template parameter or output.

Run by the postprovision hook, or by hand::

    python -m scripts.token_cache_key --vault <name> [--rotate] [--app <function app>
        --resource-group <rg> --subscription <id>]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from scripts.azcli import AzCliError, az, private_file, say

__all__ = [
    "DEFAULT_ACTIVATE_IN_HOURS",
    "DEFAULT_RETIRE_AFTER_HOURS",
    "ensure_token_cache_key",
    "main",
    "new_key",
    "next_ring",
    "refresh_key_vault_references",
]

CONTENT_TYPE = "application/json; AES-256-GCM key ring for the cockpit token caches"
DEFAULT_ACTIVATE_IN_HOURS = 24.0
# shared/settings.py caps COCKPIT_SESSION_ABSOLUTE_HOURS at 168: no session outlives this.
DEFAULT_RETIRE_AFTER_HOURS = 168.0
LEGACY_KEY_ID = "legacy"  # the name shared/adapters/crypto.py gives a bare key


def new_key() -> str:
    """32 random bytes, base64-encoded."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _entry(now: datetime, *, active_from: datetime) -> dict[str, str]:
    return {
        "id": "k" + now.strftime("%Y%m%dt%H%M%S") + secrets.token_hex(2),
        "key": new_key(),
        "active_from": active_from.isoformat(),
    }


def _parse(current: str) -> list[dict[str, str]]:
    """The entries of a stored ring; a bare key (earlier releases) becomes the legacy entry."""
    text = current.strip()
    if not text.startswith("{"):
        return [{"id": LEGACY_KEY_ID, "key": text, "active_from": "1970-01-01T00:00:00+00:00"}]
    entries: list[dict[str, str]] = json.loads(text)["keys"]
    return entries


def next_ring(
    current: str | None,
    *,
    now: datetime,
    activate_in: timedelta = timedelta(hours=DEFAULT_ACTIVATE_IN_HOURS),
    retire_after: timedelta = timedelta(hours=DEFAULT_RETIRE_AFTER_HOURS),
) -> tuple[str, list[str]]:
    """The ring after a rotation (or the first ring when ``current`` is None) and the ids retired.

    A key is retired only when the key that replaced it has been active for ``retire_after``:
    nothing sealed with it can still be needed then.
    """
    if current is None:
        return json.dumps({"keys": [_entry(now, active_from=now)]}), []
    entries = sorted(
        _parse(current), key=lambda e: datetime.fromisoformat(e["active_from"]), reverse=True
    )
    fresh = _entry(now, active_from=now + activate_in)
    kept: list[dict[str, str]] = []
    retired: list[str] = []
    # Each key's successor is the next newer one; the newest key's is the one added now.
    successor_active = datetime.fromisoformat(fresh["active_from"])
    for entry in entries:
        if successor_active + retire_after <= now:
            retired.append(entry["id"])
            continue
        kept.append(entry)
        successor_active = datetime.fromisoformat(entry["active_from"])
    return json.dumps({"keys": [fresh, *kept]}), retired


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
    activate_in: timedelta = timedelta(hours=DEFAULT_ACTIVATE_IN_HOURS),
    retire_after: timedelta = timedelta(hours=DEFAULT_RETIRE_AFTER_HOURS),
    now: datetime | None = None,
    attempts: int = 8,
    wait_seconds: float = 15.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Make sure secret ``name`` holds a key ring (and rotate it if asked); True when written."""

    def retry(action: Callable[[], str]) -> str:
        return _with_rbac_retry(action, attempts=attempts, wait_seconds=wait_seconds, sleep=sleep)

    def count() -> str:
        # `secret list` returns metadata only: no value crosses the wire here.
        query = f"length([?name=='{name}'])"
        return az(
            "keyvault", "secret", "list", "--vault-name", vault, "--query", query, "-o", "tsv"
        )

    exists = retry(count).strip() not in ("", "0")
    if exists and not rotate:
        say(f"  Token-cache key ring {name!r} already in Key Vault {vault}: kept.")
        return False
    current: str | None = None
    if exists:

        def show() -> str:
            return az(
                "keyvault", "secret", "show", "--vault-name", vault, "--name", name,
                "--query", "value", "--output", "tsv",
            )  # fmt: skip

        current = retry(show)
    ring, retired = next_ring(
        current, now=now or datetime.now(UTC), activate_in=activate_in, retire_after=retire_after
    )
    with private_file(ring) as path:
        retry(lambda: _store(vault=vault, name=name, path=str(path)))
    if not exists:
        say(f"  Token-cache key ring {name!r} created in Key Vault {vault} (value not shown).")
        return True
    hours = activate_in.total_seconds() / 3600
    say(
        f"  Token-cache key ring {name!r} rotated in Key Vault {vault} (values not shown): "
        f"the new key seals from {hours:g} h from now; retired: {', '.join(retired) or 'none'}."
    )
    return True


def _store(*, vault: str, name: str, path: str) -> str:
    return az(
        "keyvault", "secret", "set", "--vault-name", vault, "--name", name,
        "--file", path, "--encoding", "utf-8", "--content-type", CONTENT_TYPE,
        # `secret set` prints the stored secret, value included, unless told not to.
        "--output", "none",
    )  # fmt: skip


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


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    env: Mapping[str, str] = os.environ
    parser.add_argument("--vault", default=env.get("AZURE_KEY_VAULT_NAME"), help="Key Vault name")
    parser.add_argument("--name", default="cockpit-token-cache-key", help="secret name")
    parser.add_argument("--rotate", action="store_true", help="add a new key to the ring")
    parser.add_argument("--activate-in-hours", type=float, default=DEFAULT_ACTIVATE_IN_HOURS)
    parser.add_argument("--retire-after-hours", type=float, default=DEFAULT_RETIRE_AFTER_HOURS)
    parser.add_argument("--app", default=env.get("AZURE_FUNCTION_APP_NAME"), help="Function App")
    parser.add_argument("--resource-group", default=env.get("AZURE_RESOURCE_GROUP"))
    parser.add_argument("--subscription", default=env.get("AZURE_SUBSCRIPTION_ID"))
    args = parser.parse_args(argv)
    if not args.vault:
        parser.error("--vault is required (or AZURE_KEY_VAULT_NAME)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: create the ring, or with --rotate add a key; then refresh the reference."""
    args = _arguments(argv)
    written = ensure_token_cache_key(
        vault=args.vault,
        name=args.name,
        rotate=args.rotate,
        activate_in=timedelta(hours=args.activate_in_hours),
        retire_after=timedelta(hours=args.retire_after_hours),
    )
    if not written:
        return 0
    if args.app and args.resource_group and args.subscription:
        if refresh_key_vault_references(
            subscription_id=args.subscription, resource_group=args.resource_group, app_name=args.app
        ):
            say("  Key Vault references refreshed: the app reads the new ring now.")
        return 0
    say(
        "  Pass --app, --resource-group and --subscription (or run inside `azd env`) to make the "
        "app read the new ring now; otherwise App Service picks it up within 24 h."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
