"""The demo CRM page over real HTTP: the Entra ID and Dataverse simulators and the demo page run as
child processes on free ports (ManagedProcess), with a fresh local CA; stopped after the session."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.process import ManagedProcess, free_ports
from devstack.tls import TlsFiles, make_tls_files
from tests.integration.crm_demo.helpers import REPO_ROOT, demo_process

SEED = REPO_ROOT / "devstack" / "seed" / "demo.json"


@dataclass(frozen=True)
class CrmWorld:
    tls: TlsFiles
    entra_url: str
    dataverse_url: str
    crm_url: str
    cockpit_url: str
    seed: dict[str, Any]
    logs: Path

    @property
    def org_url(self) -> str:
        return self.dataverse_url


@pytest.fixture(scope="session")
def crm_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrmWorld]:
    base = tmp_path_factory.mktemp("crm_demo")
    logs = base / "logs"
    tls = make_tls_files(base / "tls")
    entra_port, entra_http_port, dv_port, crm_port, cockpit_port = free_ports(5)
    entra_url = f"https://localhost:{entra_port}"
    dataverse_url = f"https://localhost:{dv_port}"
    # The cockpit itself is not needed here: the page only links to it (another site: localhost).
    cockpit_url = f"http://localhost:{cockpit_port}"
    processes = [
        ManagedProcess(
            name="entra-simulator",
            argv=[
                sys.executable,
                "-m",
                "devstack.entra",
                "--seed",
                str(SEED),
                "--host",
                "localhost",
                "--https-port",
                str(entra_port),
                "--http-port",
                str(entra_http_port),
                "--tls-cert",
                str(tls.server_cert),
                "--tls-key",
                str(tls.server_key),
                "--resource",
                f"dataverse={dataverse_url}",
            ],
            log_path=logs / "entra.log",
            cwd=REPO_ROOT,
            ready_url=f"{entra_url}/_sim/health",
            ca_file=tls.ca_cert,
        ),
        ManagedProcess(
            name="dataverse-simulator",
            argv=[
                sys.executable,
                "-m",
                "devstack.dataverse",
                "--seed",
                str(SEED),
                "--host",
                "localhost",
                "--port",
                str(dv_port),
                "--tls-cert",
                str(tls.server_cert),
                "--tls-key",
                str(tls.server_key),
                "--org",
                f"contoso={dataverse_url}",
                "--entra-url",
                entra_url,
                "--ca-file",
                str(tls.ca_cert),
            ],
            log_path=logs / "dataverse.log",
            cwd=REPO_ROOT,
            ready_url=f"{dataverse_url}/_sim/health",
            ca_file=tls.ca_cert,
        ),
        demo_process(
            port=crm_port,
            dataverse_url=dataverse_url,
            ca_file=tls.ca_cert,
            cockpit_url=cockpit_url,
            log_path=logs / "crm_demo.log",
        ),
    ]
    started: list[ManagedProcess] = []
    try:
        for process in processes:
            started.append(process)
            process.start(timeout=60)
        yield CrmWorld(
            tls=tls,
            entra_url=entra_url,
            dataverse_url=dataverse_url,
            crm_url=f"http://127.0.0.1:{crm_port}",
            cockpit_url=cockpit_url,
            seed=json.loads(SEED.read_text(encoding="utf-8")),
            logs=logs,
        )
    finally:
        for process in reversed(started):
            process.stop()
