"""How each child of the local stack is started: one description per child, used by the stack
runner (``make run``) and by every test that starts a simulator, so they always run the same way."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from devstack.process import ManagedProcess
from devstack.tls import TlsFiles

REPO_ROOT = Path(__file__).resolve().parent.parent


def entra_argv(
    *,
    seed: Path,
    https_port: int,
    http_port: int,
    tls: TlsFiles,
    dataverse_url: str | Sequence[str],
    identity_header: str | None = None,
    app_certificates: Sequence[tuple[str, Path]] = (),
) -> list[str]:
    """``dataverse_url`` may name several orgs: each org URL is an audience of Dynamics CRM."""
    urls = [dataverse_url] if isinstance(dataverse_url, str) else list(dataverse_url)
    extra: list[str] = []
    for url in urls[1:]:
        extra += ["--resource", f"dataverse={url}"]
    for client_id, pem in app_certificates:
        extra += ["--app-certificate", f"{client_id}={pem}"]
    if identity_header is not None:
        extra += ["--identity-header", identity_header]
    return [
        sys.executable,
        "-m",
        "devstack.entra",
        "--seed",
        str(seed),
        "--host",
        "localhost",
        "--https-port",
        str(https_port),
        "--http-port",
        str(http_port),
        "--tls-cert",
        str(tls.server_cert),
        "--tls-key",
        str(tls.server_key),
        "--resource",
        f"dataverse={urls[0]}",
        *extra,
    ]


def entra_process(
    *,
    seed: Path,
    https_port: int,
    http_port: int,
    tls: TlsFiles,
    dataverse_url: str | Sequence[str],
    log_path: Path,
    identity_header: str | None = None,
    app_certificates: Sequence[tuple[str, Path]] = (),
) -> ManagedProcess:
    """The Entra ID simulator: https on ``https_port`` (what MSAL calls), its sign-in page (and
    the managed-identity endpoint) on plain http ``http_port``; ``dataverse_url`` is the audience
    of Dataverse tokens (one per org)."""
    return ManagedProcess(
        name="entra-simulator",
        argv=entra_argv(
            seed=seed,
            https_port=https_port,
            http_port=http_port,
            tls=tls,
            dataverse_url=dataverse_url,
            identity_header=identity_header,
            app_certificates=app_certificates,
        ),
        log_path=log_path,
        cwd=REPO_ROOT,
        ready_url=f"https://localhost:{https_port}/_sim/health",
        ca_file=tls.ca_cert,
    )


def dataverse_argv(
    *, seed: Path, port: int, tls: TlsFiles, org_name: str, org_url: str, entra_url: str
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "devstack.dataverse",
        "--seed",
        str(seed),
        "--host",
        "localhost",
        "--port",
        str(port),
        "--tls-cert",
        str(tls.server_cert),
        "--tls-key",
        str(tls.server_key),
        "--org",
        f"{org_name}={org_url}",
        "--entra-url",
        entra_url,
        "--ca-file",
        str(tls.ca_cert),
    ]


def dataverse_process(
    *,
    seed: Path,
    port: int,
    tls: TlsFiles,
    org_name: str,
    entra_url: str,
    log_path: Path,
) -> ManagedProcess:
    """The Dataverse simulator; its base URL ``https://localhost:{port}`` is the org URL."""
    org_url = f"https://localhost:{port}"
    return ManagedProcess(
        name="dataverse-simulator",
        argv=dataverse_argv(
            seed=seed, port=port, tls=tls, org_name=org_name, org_url=org_url, entra_url=entra_url
        ),
        log_path=log_path,
        cwd=REPO_ROOT,
        ready_url=f"{org_url}/_sim/health",
        ca_file=tls.ca_cert,
    )


def crm_demo_process(
    *,
    port: int,
    dataverse_url: str,
    ca_file: Path,
    cockpit_url: str,
    log_path: Path,
    org_name: str = "contoso",
    org_lcid: int = 1033,
    from_solution: bool = False,
) -> ManagedProcess:
    """The demo Dynamics page on 127.0.0.1 (another site than the cockpit on localhost), in the
    org's base language (``org_lcid``) until a user picks another."""
    return ManagedProcess(
        name="demo-crm-page",
        argv=[
            sys.executable,
            "-m",
            "devstack.crm_demo",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dataverse-url",
            dataverse_url,
            "--ca-file",
            str(ca_file),
            "--cockpit-url",
            cockpit_url,
            "--org",
            org_name,
            "--org-lcid",
            str(org_lcid),
            *(["--from-solution"] if from_solution else []),
        ],
        log_path=log_path,
        cwd=REPO_ROOT,
        ready_url=f"http://127.0.0.1:{port}/healthz",
    )
