"""An in-memory simulator over the demo seed with a hand-driven clock (no HTTP, no processes)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.entra.keys import KeyRing, SigningKey
from devstack.entra.seed import parse_directory
from devstack.entra.state import Simulator, Urls

SEED_PATH = Path(__file__).resolve().parents[3] / "devstack" / "seed" / "demo.json"
ORG = "https://org.example"


@dataclass
class Clock:
    now: float = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def demo_seed() -> dict[str, Any]:
    seed: dict[str, Any] = json.loads(SEED_PATH.read_text())
    return copy.deepcopy(seed)


COCKPIT_ID = "5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"
CLI_ID = "7c11e0a1-2b3c-4d5e-8f60-718293a4b508"


def app_of(seed: dict[str, Any], client_id: str) -> dict[str, Any]:
    """A seed app by client id (seed order may change; ids are stable)."""
    app: dict[str, Any] = next(a for a in seed["apps"] if a["client_id"] == client_id)
    return app


@pytest.fixture(scope="session")
def signing_keys() -> list[SigningKey]:
    # RSA generation is the slow part; three keys serve every test (rings are rebuilt per test).
    return [SigningKey.generate() for _ in range(3)]


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_simulator(seed: dict[str, Any], keys: list[SigningKey], clock: Clock) -> Simulator:
    return Simulator(
        directory=parse_directory(seed, resource_urls={"dataverse": ORG}),
        urls=Urls(host="localhost", https_port=7443, http_port=7440),
        keys=KeyRing(list(keys[:2])),
        wall_clock=clock,
    )


@pytest.fixture
def sim(signing_keys: list[SigningKey], clock: Clock) -> Simulator:
    return make_simulator(demo_seed(), signing_keys, clock)
