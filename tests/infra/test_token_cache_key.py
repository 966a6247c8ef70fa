"""The token-cache key goes from the deployer's machine into Key Vault without ever being shown.

``scripts.token_cache_key`` runs for real (as a child process or in-process); ``az`` is the fake
from tests/infra/fake_az.py, which behaves like the real CLI where it matters (it *would* print the
secret if ``--output none`` were missing).
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.azcli import AzCliError
from scripts.token_cache_key import ensure_token_cache_key, refresh_key_vault_references
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


def test_key_is_created_in_key_vault_and_never_shown(fake_cli: FakeCli) -> None:
    result = _run_cli(fake_cli)

    assert result.returncode == 0, result.stderr
    value = _stored(fake_cli)
    assert len(base64.b64decode(value, validate=True)) == 32
    assert value not in result.stdout + result.stderr
    assert "value not shown" in result.stdout
    for argv in fake_cli.calls():
        assert value not in " ".join(argv), "the key reached a command line"
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


def test_rotate_replaces_the_key(fake_cli: FakeCli) -> None:
    assert _run_cli(fake_cli).returncode == 0
    first = _stored(fake_cli)

    rotated = _run_cli(fake_cli, "--rotate")

    assert rotated.returncode == 0
    assert _stored(fake_cli) != first
    assert _stored(fake_cli) not in rotated.stdout + rotated.stderr


def test_forbidden_while_the_role_propagates_is_retried(fake_cli: FakeCli) -> None:
    fake_cli.update(forbidden=2)
    waits: list[float] = []

    created = ensure_token_cache_key(vault=VAULT, name=NAME, wait_seconds=7.0, sleep=waits.append)

    assert created is True
    assert waits == [7.0, 7.0]
    assert len(base64.b64decode(_stored(fake_cli))) == 32


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
