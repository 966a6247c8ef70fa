"""The token-cache key ring goes from the deployer's machine into Key Vault without ever being
shown, and rotates without dropping a key anything alive may still need.

``scripts.token_cache_key`` runs for real (as a child process or in-process); ``az`` is the fake
from tests/infra/fake_az.py, which behaves like the real CLI where it matters (it *would* print the
secret if ``--output none`` were missing).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scripts.azcli import AzCliError
from scripts.token_cache_key import (
    ensure_token_cache_key,
    next_ring,
    refresh_key_vault_references,
)
from shared.adapters.crypto import SecretBox, parse_key_ring
from tests.infra.conftest import REPO_ROOT, FakeCli

VAULT = "kv-abc123"
NAME = "cockpit-token-cache-key"


def _run_cli(fake_cli: FakeCli, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.token_cache_key", "--vault", VAULT, "--name", NAME, *extra],
        cwd=REPO_ROOT,
        env=fake_cli.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _stored(fake_cli: FakeCli) -> str:
    value: str = fake_cli.state()["secrets"][VAULT][NAME]
    return value


def _keys(fake_cli: FakeCli) -> list[dict[str, str]]:
    keys: list[dict[str, str]] = json.loads(_stored(fake_cli))["keys"]
    return keys


def test_key_is_created_in_key_vault_and_never_shown(fake_cli: FakeCli) -> None:
    result = _run_cli(fake_cli)

    assert result.returncode == 0, result.stderr
    value = _stored(fake_cli)
    [entry] = _keys(fake_cli)
    assert len(base64.b64decode(entry["key"], validate=True)) == 32
    assert parse_key_ring(value).keys[0].name == entry["id"]  # the app reads what we wrote
    assert entry["key"] not in result.stdout + result.stderr
    assert "value not shown" in result.stdout
    for argv in fake_cli.calls():
        assert entry["key"] not in " ".join(argv), "the key reached a command line"
    [set_call] = [argv for argv in fake_cli.calls() if argv[:3] == ["keyvault", "secret", "set"]]
    assert set_call[set_call.index("--output") + 1] == "none"
    assert "--value" not in set_call
    # The private temporary file is gone.
    [file_used] = fake_cli.state()["secret_set_files"]
    assert not Path(file_used).exists()
    assert not Path(file_used).parent.exists()


def test_existing_key_is_kept(fake_cli: FakeCli) -> None:
    assert _run_cli(fake_cli).returncode == 0
    first = _stored(fake_cli)

    again = _run_cli(fake_cli)

    assert again.returncode == 0
    assert "kept" in again.stdout
    assert _stored(fake_cli) == first
    sets = [argv for argv in fake_cli.calls() if argv[:3] == ["keyvault", "secret", "set"]]
    assert len(sets) == 1


def test_rotate_adds_a_key_keeps_the_old_one_and_refreshes_the_reference(
    fake_cli: FakeCli,
) -> None:
    assert _run_cli(fake_cli).returncode == 0
    [first] = _keys(fake_cli)

    rotated = _run_cli(
        fake_cli,
        "--rotate",
        "--app",
        "func-api-abc",
        "--resource-group",
        "rg",
        "--subscription",
        "s",
    )

    assert rotated.returncode == 0, rotated.stderr
    new, old = _keys(fake_cli)
    assert old == first, "the old key stays: blobs sealed with it must still open"
    assert new["key"] != first["key"]
    assert datetime.fromisoformat(new["active_from"]) > datetime.now(UTC) + timedelta(hours=23)
    for entry in (new, old):
        assert entry["key"] not in rotated.stdout + rotated.stderr
    [refresh] = fake_cli.state()["arm_requests"]
    assert "/sites/func-api-abc/config/configreferences/appsettings/refresh" in refresh["url"]
    assert "refreshed" in rotated.stdout


def test_rotating_a_single_key_from_an_earlier_release_keeps_it_as_legacy(
    fake_cli: FakeCli,
) -> None:
    legacy = base64.b64encode(bytes(range(32))).decode()
    fake_cli.update(secrets={VAULT: {NAME: legacy}})
    old_box = SecretBox(base64.b64decode(legacy))
    sealed_before = old_box.seal(b"cache", associated="t:o")

    assert _run_cli(fake_cli, "--rotate").returncode == 0

    ring = parse_key_ring(_stored(fake_cli))
    assert [k.name for k in ring.keys][1:] == ["legacy"]
    assert SecretBox(ring).open(sealed_before, associated="t:o") == b"cache"


def test_an_emergency_rotation_drops_every_older_key_at_once() -> None:
    t0 = datetime(2027, 1, 1, tzinfo=UTC)
    ring, _ = next_ring(None, now=t0)
    [leaked] = [k["id"] for k in json.loads(ring)["keys"]]

    ring, retired = next_ring(
        ring, now=t0 + timedelta(days=1), activate_in=timedelta(0), retire_after=timedelta(0)
    )

    assert retired == [leaked]
    [fresh] = json.loads(ring)["keys"]
    assert datetime.fromisoformat(fresh["active_from"]) == t0 + timedelta(days=1)


def test_a_key_is_retired_only_after_its_successor_outlived_every_session() -> None:
    t0 = datetime(2027, 1, 1, tzinfo=UTC)
    ring, _ = next_ring(None, now=t0)
    ring, retired = next_ring(ring, now=t0 + timedelta(days=30))  # B active from day 31
    assert retired == []
    # Day 31 + 6 days: B has been active for less than the longest session: A stays.
    ring, retired = next_ring(ring, now=t0 + timedelta(days=37))  # C active from day 38
    assert retired == [] and len(json.loads(ring)["keys"]) == 3
    # Day 39: B active 8 days (> 7): A can no longer be needed; B stays (C active for 1 day).
    names = [k["id"] for k in json.loads(ring)["keys"]]
    ring, retired = next_ring(ring, now=t0 + timedelta(days=39))
    assert retired == [names[2]]
    assert [k["id"] for k in json.loads(ring)["keys"]][1:] == names[:2]


def test_forbidden_while_the_role_propagates_is_retried(fake_cli: FakeCli) -> None:
    fake_cli.update(forbidden=2)
    waits: list[float] = []

    created = ensure_token_cache_key(vault=VAULT, name=NAME, wait_seconds=7.0, sleep=waits.append)

    assert created is True
    assert waits == [7.0, 7.0]
    assert len(base64.b64decode(_keys(fake_cli)[0]["key"])) == 32


def test_forbidden_for_good_fails_with_the_cli_message(fake_cli: FakeCli) -> None:
    fake_cli.update(forbidden=99)
    waits: list[float] = []

    with pytest.raises(AzCliError, match="Forbidden"):
        ensure_token_cache_key(vault=VAULT, name=NAME, attempts=3, sleep=waits.append)

    assert len(waits) == 2
    assert (
        VAULT not in fake_cli.state().get("secrets", {}) or not fake_cli.state()["secrets"][VAULT]
    )


def test_references_are_refreshed_through_arm(fake_cli: FakeCli) -> None:
    refreshed = refresh_key_vault_references(
        subscription_id="sub-1", resource_group="rg-dev", app_name="func-api-abc"
    )

    assert refreshed is True
    [request] = fake_cli.state()["arm_requests"]
    assert request["method"] == "POST"
    assert request["url"] == (
        "https://management.azure.com/subscriptions/sub-1/resourceGroups/rg-dev/providers/"
        "Microsoft.Web/sites/func-api-abc/config/configreferences/appsettings/refresh"
        "?api-version=2022-03-01"
    )
