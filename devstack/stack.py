"""The local stack: Azurite, the Entra ID simulator, one Dataverse simulator and one demo CRM page
per org of the seed, and the cockpit app, each a child process; started in dependency order,
stopped in reverse.

Everything about the world comes from the seed (devstack/seedinfo.py): the orgs (any number, any
names), the tenants and the cockpit's app registration. ``make run`` uses this class through
``python -m devstack``; the test suite uses it with free ports, in-memory Azurite and (usually)
the app served in-process so tests can count its calls.
"""

from __future__ import annotations

import base64
import json
import secrets
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from devstack.azurite import azurite_process, connection_string
from devstack.children import crm_demo_process, dataverse_process, entra_process
from devstack.process import (
    ManagedProcess,
    free_ports,
    import_solution,
    set_environment_variable,
)
from devstack.seedinfo import SeedInfo, SeedOrg, read_seed_info
from devstack.tls import ClientCertificate, TlsFiles, make_client_certificate, make_tls_files

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SEED = REPO_ROOT / "devstack" / "seed" / "demo.json"
CredentialMode = Literal["secret", "certificate", "managed_identity"]


@dataclass(frozen=True)
class StackPorts:
    """Fixed, documented defaults for `make run` (each overridable, see devstack/__main__.py).
    ``dataverse`` and ``crm`` are the first org's; further orgs get free ports at start."""

    app: int = 7071
    azurite: int = 10002
    entra: int = 7443  # https: discovery, JWKS, token endpoint (what MSAL calls)
    entra_http: int = 7440  # http: the browser-facing sign-in page, managed-identity endpoint
    dataverse: int = 7444  # https: the (first) org URL
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
    with_app: bool = True
    with_crm_demo: bool = True
    # How the cockpit proves itself to Entra ID (COCKPIT_CLIENT_CREDENTIAL_MODE).
    credential_mode: CredentialMode = "secret"
    # A solution package (zip) imported into every org at start; the demo CRM pages then show the
    # command, the Cockpit tab and its column only from it (crm_demo --from-solution).
    solution: Path | None = None


@dataclass(frozen=True)
class OrgPlace:
    """Where one seeded org runs: its Dataverse simulator (the org URL) and its demo CRM page."""

    org: SeedOrg
    dataverse_port: int
    crm_port: int

    @property
    def url(self) -> str:
        return f"https://localhost:{self.dataverse_port}"

    @property
    def crm_url(self) -> str:
        return f"http://127.0.0.1:{self.crm_port}"


@dataclass
class Stack:
    config: StackConfig
    processes: list[ManagedProcess] = field(default_factory=list)
    tls: TlsFiles | None = None
    places: list[OrgPlace] = field(default_factory=list)
    client_certificate: ClientCertificate | None = None
    identity_header: str | None = None

    def __post_init__(self) -> None:
        self.seed_info: SeedInfo = read_seed_info(self.config.seed)

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
        """The first org's URL."""
        return f"https://localhost:{self.config.ports.dataverse}"

    @property
    def crm_url(self) -> str:
        """The first org's demo CRM page."""
        return f"http://127.0.0.1:{self.config.ports.crm}"

    @property
    def storage_connection_string(self) -> str:
        return connection_string(self.config.ports.azurite)

    def seed_data(self) -> dict[str, object]:
        return self.seed_info.raw

    def org_tenant(self) -> str:
        return self.seed_info.orgs[0].tenant

    def plan(self) -> list[OrgPlace]:
        """Ports for every org: the configured ones for the first, free ones for the rest."""
        if not self.places:
            orgs = self.seed_info.orgs
            extra = free_ports(2 * (len(orgs) - 1)) if len(orgs) > 1 else []
            ports = self.config.ports
            pairs = [(ports.dataverse, ports.crm)] + list(zip(extra[::2], extra[1::2], strict=True))
            self.places = [
                OrgPlace(org, dv, crm) for org, (dv, crm) in zip(orgs, pairs, strict=True)
            ]
        return self.places

    def app_environment(self) -> dict[str, str]:
        """Environment for the cockpit app pointing at this stack (see README, "Running against
        your own data", for what each variable means)."""
        assert self.tls is not None
        cockpit = self.seed_info.cockpit
        env = {
            "COCKPIT_ENV": "dev",
            "COCKPIT_PUBLIC_BASE_URL": self.app_url,
            "COCKPIT_STORAGE_CONNECTION_STRING": self.storage_connection_string,
            "COCKPIT_ENTRA_AUTHORITY_HOST": self.entra_url,
            "COCKPIT_ENTRA_CA_BUNDLE": str(self.tls.ca_cert),
            "COCKPIT_TENANT_IDS": ",".join(self.seed_info.tenants),
            "COCKPIT_CLIENT_ID": cockpit.client_id,
            "COCKPIT_CRM_ORGS": json.dumps(
                [{"tenant_id": p.org.tenant, "name": p.org.name, "url": p.url} for p in self.plan()]
            ),
            "COCKPIT_FRAME_ANCESTORS": " ".join(p.crm_url for p in self.plan()),
            "COCKPIT_CLIENT_CREDENTIAL_MODE": self.config.credential_mode,
            # No Functions host here: the app runs the timer functions itself.
            "COCKPIT_LOCAL_TIMERS": "true",
            "COCKPIT_TOKEN_CACHE_KEY": self.token_cache_key(),
        }
        if cockpit.admin_role:
            env["COCKPIT_ADMIN_ROLE"] = cockpit.admin_role
        if cockpit.api_clients:
            env["COCKPIT_API_CLIENT_IDS"] = ",".join(cockpit.api_clients)
        env.update(self._credential_environment())
        return env

    def install_solution(self, org_url: str) -> None:
        """What an admin does (crm/SETUP.md): import the package, point its Cockpit URL variable
        at this deployment."""
        assert self.config.solution is not None and self.tls is not None
        import_solution(org_url, self.config.solution, ca_file=self.tls.ca_cert)
        with zipfile.ZipFile(self.config.solution) as package:
            variables = [
                name.split("/")[1]
                for name in package.namelist()
                if name.startswith("environmentvariabledefinitions/") and name.count("/") == 2
            ]
        for schema_name in sorted(set(variables)):  # the cockpit's package has one: its URL
            set_environment_variable(org_url, schema_name, self.app_url, ca_file=self.tls.ca_cert)

    def token_cache_key(self) -> str:
        """The stack's own random key for sealing token caches, kept beside Azurite's data so a
        restarted ``make run`` still opens the caches it sealed (the app has no default key)."""
        path = self.config.state_dir / "token-cache.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(base64.b64encode(secrets.token_bytes(32)).decode(), encoding="ascii")
            path.chmod(0o600)
        return path.read_text(encoding="ascii").strip()

    def _credential_environment(self) -> dict[str, str]:
        mode = self.config.credential_mode
        cockpit = self.seed_info.cockpit
        if mode == "secret":
            return {"COCKPIT_CLIENT_SECRET": cockpit.secret or ""}
        if mode == "certificate":
            assert self.client_certificate is not None
            return {
                "COCKPIT_CLIENT_CERTIFICATE_PATH": str(self.client_certificate.key_and_certificate)
            }
        assert self.identity_header is not None and cockpit.managed_identity_client_id
        # What App Service / Functions set for a process with a managed identity; the Entra ID
        # simulator's http listener plays the local identity endpoint.
        return {
            "COCKPIT_MANAGED_IDENTITY_CLIENT_ID": cockpit.managed_identity_client_id,
            "IDENTITY_ENDPOINT": f"{self.entra_signin_url}/msi/token",
            "IDENTITY_HEADER": self.identity_header,
        }

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        cfg = self.config
        cfg.state_dir.mkdir(parents=True, exist_ok=True)
        logs = cfg.state_dir / "logs"
        self.tls = make_tls_files(cfg.state_dir / "tls")
        self._prepare_credentials()
        try:
            self._start(
                azurite_process(
                    port=cfg.ports.azurite,
                    log_path=logs / "azurite.log",
                    location=cfg.state_dir / "azurite" if cfg.persist_storage else None,
                )
            )
            self._start(self._entra(logs))
            for place in self.plan():
                self._start(self._dataverse(place, logs))
                if cfg.solution is not None:
                    self.install_solution(place.url)
            if cfg.with_crm_demo:
                for place in self.plan():
                    self._start(self._crm_demo(place, logs))
            if cfg.with_app:
                self._start(self._app(logs))
        except BaseException:
            self.stop()
            raise

    def _prepare_credentials(self) -> None:
        mode = self.config.credential_mode
        if mode == "certificate":
            directory = self.config.state_dir / "credentials"
            self.client_certificate = make_client_certificate(directory)
        elif mode == "managed_identity":
            if not self.seed_info.cockpit.managed_identity_client_id:
                raise ValueError(
                    "credential mode managed_identity needs a managed identity in the seed that "
                    "the cockpit app trusts (apps[].federated_identity_credentials, "
                    "managed_identities[])"
                )
            self.identity_header = secrets.token_urlsafe(24)

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
    def _entra(self, logs: Path) -> ManagedProcess:
        assert self.tls is not None
        certificates = (
            [(self.seed_info.cockpit.client_id, self.client_certificate.certificate)]
            if self.client_certificate
            else []
        )
        return entra_process(
            seed=self.config.seed,
            https_port=self.config.ports.entra,
            http_port=self.config.ports.entra_http,
            tls=self.tls,
            dataverse_url=[p.url for p in self.plan()],
            log_path=logs / "entra.log",
            identity_header=self.identity_header,
            app_certificates=certificates,
        )

    def _dataverse(self, place: OrgPlace, logs: Path) -> ManagedProcess:
        assert self.tls is not None
        return dataverse_process(
            seed=self.config.seed,
            port=place.dataverse_port,
            tls=self.tls,
            org_name=place.org.name,
            entra_url=self.entra_url,
            log_path=logs / f"dataverse-{place.org.name}.log",
        )

    def _crm_demo(self, place: OrgPlace, logs: Path) -> ManagedProcess:
        assert self.tls is not None
        return crm_demo_process(
            port=place.crm_port,
            dataverse_url=place.url,
            ca_file=self.tls.ca_cert,
            cockpit_url=self.app_url,
            log_path=logs / f"crm_demo-{place.org.name}.log",
            org_name=place.org.name,
            org_lcid=place.org.lcid,
            from_solution=self.config.solution is not None,
        )

    def _app(self, logs: Path) -> ManagedProcess:
        port = str(self.config.ports.app)
        return ManagedProcess(
            name="cockpit-app",
            argv=[sys.executable, "-m", "functions", "--host", "127.0.0.1", "--port", port],
            env=self.app_environment(),
            log_path=logs / "app.log",
            cwd=REPO_ROOT,
            ready_url=f"{self.app_url}/healthz",
        )
