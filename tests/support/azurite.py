"""A real Azurite for tests: in memory, on a free port."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.azurite import azurite_process, connection_string
from devstack.process import ManagedProcess, free_port


@dataclass
class AzuriteServer:
    port: int
    process: ManagedProcess

    @property
    def connection_string(self) -> str:
        return connection_string(self.port)

    def restart(self) -> None:
        self.process.stop()
        self.process.start(timeout=30)


@contextmanager
def running_azurite(log_dir: Path, *, port: int | None = None) -> Iterator[AzuriteServer]:
    port = port or free_port()
    process = azurite_process(port=port, log_path=log_dir / f"azurite-{port}.log", location=None)
    process.start(timeout=30)
    try:
        yield AzuriteServer(port=port, process=process)
    finally:
        process.stop()


def unique_prefix() -> str:
    """Table-name prefix unique to one test, so tests sharing an Azurite never see each other."""
    return "t" + uuid.uuid4().hex[:12]
