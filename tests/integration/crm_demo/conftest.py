"""The demo CRM page over real HTTP: the Entra ID and Dataverse simulators and the demo page run as
child processes on free ports (ManagedProcess), with a fresh local CA; stopped after the session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.children import dataverse_process, entra_process
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
        entra_process(
            seed=SEED,
            https_port=entra_port,
            http_port=entra_http_port,
            tls=tls,
            dataverse_url=dataverse_url,
            log_path=logs / "entra.log",
        ),
        dataverse_process(
            seed=SEED,
            port=dv_port,
            tls=tls,
            org_name="contoso",
            entra_url=entra_url,
            log_path=logs / "dataverse.log",
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
