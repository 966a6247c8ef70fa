"""One Entra ID simulator per test session: a subprocess on free ports with a fresh local CA.

Each test starts from a reset simulator (sessions, codes, refresh tokens, settings, request log);
signing keys survive resets, so key-rotation tests only rely on what they rotate themselves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.children import entra_argv
from devstack.process import ManagedProcess, free_ports
from devstack.tls import TlsFiles, make_tls_files
from tests.integration.entra_sim.helpers import REPO_ROOT, SEED_PATH, EntraSim

_STARTUPS: list[float] = []
# The managed-identity endpoint's secret for this test session (App Service's IDENTITY_HEADER).
IDENTITY_HEADER = "entra-sim-tests-identity-header"


def simulator_argv(*, https_port: int, http_port: int, tls_dir: Path, org_url: str) -> list[str]:
    tls = TlsFiles(
        ca_cert=tls_dir / "ca.pem",
        server_cert=tls_dir / "server.pem",
        server_key=tls_dir / "server.key",
    )
    return entra_argv(
        seed=SEED_PATH,
        https_port=https_port,
        http_port=http_port,
        tls=tls,
        dataverse_url=org_url,
        identity_header=IDENTITY_HEADER,
    )


@pytest.fixture(scope="session")
def entra_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EntraSim]:
    base = tmp_path_factory.mktemp("entra_sim")
    tls = make_tls_files(base / "tls")
    https_port, http_port, org_port = free_ports(3)
    org_url = f"https://localhost:{org_port}"
    log = base / "entra.log"
    process = ManagedProcess(
        name="entra-simulator",
        argv=simulator_argv(
            https_port=https_port,
            http_port=http_port,
            tls_dir=tls.server_cert.parent,
            org_url=org_url,
        ),
        log_path=log,
        cwd=REPO_ROOT,
        ready_url=f"https://localhost:{https_port}/_sim/health",
        ca_file=tls.ca_cert,
    )
    started = time.perf_counter()
    process.start(timeout=60)
    startup = time.perf_counter() - started  # reported, never asserted
    _STARTUPS.append(startup)
    try:
        yield EntraSim(
            https=f"https://localhost:{https_port}",
            http=f"http://localhost:{http_port}",
            ca=tls.ca_cert,
            org_url=org_url,
            log=log,
            startup_seconds=startup,
        )
    finally:
        process.stop()


@pytest.fixture
def sim(entra_sim: EntraSim) -> EntraSim:
    response = entra_sim.post("/_sim/reset")
    assert response.status_code == 200, response.text
    return entra_sim


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for seconds in _STARTUPS:
        terminalreporter.write_line(f"entra simulator: ready {seconds:.2f} s after spawn")
