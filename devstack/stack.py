"""The local stack: Azurite, the Entra ID simulator, the Dataverse simulator, the demo CRM page and
the cockpit app, each a child process; started in dependency order, stopped in reverse.

``make run`` uses it through ``python -m devstack``; the test suite uses the same class with free
ports, in-memory Azurite and (usually) the app served in-process so tests can count its calls.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devstack.azurite import azurite_process, connection_string
from devstack.children import crm_demo_process, dataverse_process, entra_process
from devstack.process import ManagedProcess, free_ports
from devstack.tls import TlsFiles, make_tls_files

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = REPO_ROOT / "devstack" / "seed" / "demo.json"


@dataclass(frozen=True)
class StackPorts:
    """Fixed, documented defaults for `make run` (each overridable, see devstack/__main__.py)."""

    app: int = 7071
    azurite: int = 10002
    entra: int = 7443  # https: discovery, JWKS, token endpoint (what MSAL calls)
    entra_http: int = 7440  # http: the browser-facing sign-in page
    dataverse: int = 7444  # https: the org URL
    crm: int = 7080  # http on 127.0.0.1: the demo Dynamics page (another site than localhost)

    @classmethod
    def free(cls) -> StackPorts:
        app, azurite, entra, entra_http, dataverse, crm = free_ports(6)
        return cls(
            app=app,
            azurite=azurite,
            entra=entra,
            entra_http=entra_http,
            dataverse=dataverse,
            crm=crm,
        )


@dataclass
class StackConfig:
    ports: StackPorts = field(default_factory=StackPorts)
    state_dir: Path = REPO_ROOT / ".devstack"
    seed: Path = DEFAULT_SEED
    persist_storage: bool = True  # disk under state_dir for `make run`; memory for tests
    org_name: str = "contoso"
    with_app: bool = True
    with_crm_demo: bool = True


@dataclass
class Stack:
    config: StackConfig
    processes: list[ManagedProcess] = field(default_factory=list)
    tls: TlsFiles | None = None

    @property
    def ca_cert(self) -> Path:
        """The local CA the https simulators' certificates chain to (after start())."""
        assert self.tls is not None, "the stack is not started"
        return self.tls.ca_cert

    # --- URLs -------------------------------------------------------------------------------------
    @property
    def app_url(self) -> str:
        return f"http://localhost:{self.config.ports.app}"

    @property
    def entra_url(self) -> str:
        return f"https://localhost:{self.config.ports.entra}"

    @property
    def entra_signin_url(self) -> str:
        return f"http://localhost:{self.config.ports.entra_http}"

    @property
    def dataverse_url(self) -> str:
        return f"https://localhost:{self.config.ports.dataverse}"

    @property
    def crm_url(self) -> str:
        return f"http://127.0.0.1:{self.config.ports.crm}"

    @property
    def storage_connection_string(self) -> str:
        return connection_string(self.config.ports.azurite)

    def seed_data(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.config.seed.read_text(encoding="utf-8"))
        return data

    def org_tenant(self) -> str:
        seed = self.seed_data()
        dataverse = seed["dataverse"]
        assert isinstance(dataverse, dict)
        for org in dataverse["orgs"]:
            if org["name"] == self.config.org_name:
                return str(org["tenant"])
        raise ValueError(f"org {self.config.org_name!r} is not in {self.config.seed}")

    def app_environment(self) -> dict[str, str]:
        """Environment for the cockpit app pointing at this stack."""
        assert self.tls is not None
        tenant = self.org_tenant()
        seed_tenants = self.seed_data()["tenants"]
        assert isinstance(seed_tenants, list)
        tenants = [str(t["id"]) for t in seed_tenants]
        return {
            "COCKPIT_ENV": "dev",
            "COCKPIT_PUBLIC_BASE_URL": self.app_url,
            "COCKPIT_STORAGE_CONNECTION_STRING": self.storage_connection_string,
            "COCKPIT_ENTRA_AUTHORITY_HOST": self.entra_url,
            "COCKPIT_ENTRA_CA_BUNDLE": str(self.tls.ca_cert),
            "COCKPIT_TENANT_IDS": ",".join(tenants),
            "COCKPIT_CRM_ORGS": json.dumps(
                [{"tenant_id": tenant, "name": self.config.org_name, "url": self.dataverse_url}]
            ),
            "COCKPIT_FRAME_ANCESTORS": self.crm_url,
        }

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        cfg = self.config
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        logs = cfg.state_dir / "logs"
        self.tls = make_tls_files(cfg.state_dir / "tls")
        try:
            self._start(
                azurite_process(
                    port=cfg.ports.azurite,
                    log_path=logs / "azurite.log",
                    location=cfg.state_dir / "azurite" if cfg.persist_storage else None,
                )
            )
            self._start(self._entra(logs))
            self._start(self._dataverse(logs))
            if cfg.with_crm_demo:
                self._start(self._crm_demo(logs))
            if cfg.with_app:
                self._start(self._app(logs))
        except BaseException:
            self.stop()
            raise

    def _start(self, process: ManagedProcess) -> None:
        self.processes.append(process)
        process.start(timeout=60)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def failed(self) -> list[ManagedProcess]:
        return [p for p in self.processes if not p.is_running()]

    # --- children ----------------------------------------------------------------------------
    def _python(self, *args: str) -> list[str]:
        return [sys.executable, *args]

    def _entra(self, logs: Path) -> ManagedProcess:
        assert self.tls is not None
        return entra_process(
            seed=self.config.seed,
            https_port=self.config.ports.entra,
            http_port=self.config.ports.entra_http,
            tls=self.tls,
            dataverse_url=self.dataverse_url,
            log_path=logs / "entra.log",
        )

    def _dataverse(self, logs: Path) -> ManagedProcess:
        assert self.tls is not None
        return dataverse_process(
            seed=self.config.seed,
            port=self.config.ports.dataverse,
            tls=self.tls,
            org_name=self.config.org_name,
            entra_url=self.entra_url,
            log_path=logs / "dataverse.log",
        )

    def _crm_demo(self, logs: Path) -> ManagedProcess:
        assert self.tls is not None
        return crm_demo_process(
            port=self.config.ports.crm,
            dataverse_url=self.dataverse_url,
            ca_file=self.tls.ca_cert,
            cockpit_url=self.app_url,
            log_path=logs / "crm_demo.log",
            org_name=self.config.org_name,
        )

    def _app(self, logs: Path) -> ManagedProcess:
        port = str(self.config.ports.app)
        return ManagedProcess(
            name="cockpit-app",
            argv=self._python("-m", "functions", "--host", "127.0.0.1", "--port", port),
            env=self.app_environment(),
            log_path=logs / "app.log",
            cwd=REPO_ROOT,
            ready_url=f"{self.app_url}/healthz",
        )
