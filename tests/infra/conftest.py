from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.infra.fake_graph import new_state

FAKE_AZ = Path(__file__).resolve().parent / "fake_az.py"
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FakeCli:
    """Fake ``az``/``azd`` on PATH, with their JSON state and an argv log."""

    bin_dir: Path
    state_path: Path
    log_path: Path

    def state(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.state_path.read_text())
        return loaded

    def update(self, **values: Any) -> None:
        state = self.state()
        state.update(values)
        self.state_path.write_text(json.dumps(state))

    def calls(self, program: str = "az") -> list[list[str]]:
        lines = self.log_path.read_text().splitlines() if self.log_path.exists() else []
        entries = [json.loads(line) for line in lines]
        return [e["argv"] for e in entries if e["program"] == program]

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a child process: the fakes first on PATH, nothing else from azd."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AZURE_", "COCKPIT_", "IDENTITY_"))
        }
        env.update(
            PATH=f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            FAKE_AZ_STATE=str(self.state_path),
            FAKE_AZ_LOG=str(self.log_path),
            PYTHONPATH=str(REPO_ROOT),
        )
        env.update(extra)
        return env


@pytest.fixture
def fake_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCli]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("az", "azd"):
        wrapper = bin_dir / program
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_AZ}" {program} "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    cli = FakeCli(bin_dir=bin_dir, state_path=tmp_path / "state.json", log_path=tmp_path / "az.log")
    cli.state_path.write_text(
        json.dumps(
            {
                "tenant": "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01",
                "user": "a11ce000-0000-4000-8000-000000000002",
                "token": "eyJ0eXAiOiJKV1QifQ.fake-dataverse-token.sig",
                "graph": new_state(),
            }
        )
    )
    # In-process calls (scripts run `az` via subprocess) see the same fakes.
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_AZ_STATE", str(cli.state_path))
    monkeypatch.setenv("FAKE_AZ_LOG", str(cli.log_path))
    yield cli
