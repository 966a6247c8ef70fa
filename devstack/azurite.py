"""Azurite, the real Azure Table API, as a child of the stack.

Pinned to 3.35.0 (package.json + lock file): the last release that runs on Node 20. Telemetry is on
by default and tries to reach Application Insights, so ``--disableTelemetry`` is always passed.
"""

from __future__ import annotations

from pathlib import Path

from devstack.process import ManagedProcess

REPO_ROOT = Path(__file__).resolve().parent.parent
AZURITE_TABLE = REPO_ROOT / "node_modules" / ".bin" / "azurite-table"

# Azurite's well-known development account (documented by Microsoft; not a secret).
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def connection_string(port: int, host: str = "127.0.0.1") -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
        f"TableEndpoint=http://{host}:{port}/{DEV_ACCOUNT};"
    )


def azurite_process(*, port: int, log_path: Path, location: Path | None) -> ManagedProcess:
    """Azurite's table service on ``port``: on disk under ``location``, or in memory when None."""
    if not AZURITE_TABLE.exists():
        raise FileNotFoundError(f"{AZURITE_TABLE} is missing: run `make deps` (npm ci) first")
    argv = [
        "node",
        str(AZURITE_TABLE),
        "--tableHost",
        "127.0.0.1",
        "--tablePort",
        str(port),
        "--disableTelemetry",
        "--silent",
    ]
    if location is None:
        argv.append("--inMemoryPersistence")
    else:
        location.mkdir(parents=True, exist_ok=True)
        argv += ["--location", str(location)]
    return ManagedProcess(
        name="azurite",
        argv=argv,
        log_path=log_path,
        ready_port=("127.0.0.1", port),
    )
