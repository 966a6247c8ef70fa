"""Run the simulator: two uvicorn servers (https and http) on one asyncio loop, one process.

uvicorn's own signal capture is per server and re-raises the signal after shutdown; with two
servers in one process the simulator installs one SIGTERM/SIGINT handler instead that stops both,
so SIGTERM ends the process cleanly with exit status 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

__all__ = ["ServerOptions", "serve"]


@dataclass(frozen=True)
class ServerOptions:
    bind: str
    https_port: int
    http_port: int
    tls_cert: Path
    tls_key: Path


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # Signals are handled once for both servers in serve().
        yield


def _config(app: ASGIApp, *, bind: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=bind,
        port=port,
        lifespan="off",
        log_level="warning",
        # Access logs would print authorize query strings; nothing of the sort is logged.
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )


async def serve(https_app: ASGIApp, http_app: ASGIApp, options: ServerOptions) -> bool:
    """Serve until SIGTERM/SIGINT; False if a server could not start."""
    http_config = _config(http_app, bind=options.bind, port=options.http_port)
    https_config = _config(https_app, bind=options.bind, port=options.https_port)
    https_config.ssl_certfile = str(options.tls_cert)
    https_config.ssl_keyfile = str(options.tls_key)
    http_server, https_server = _Server(http_config), _Server(https_config)

    loop = asyncio.get_running_loop()

    def stop() -> None:
        http_server.should_exit = True
        https_server.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)

    # The http page server starts first: once the https health endpoint answers, both are up.
    http_task = asyncio.create_task(http_server.serve())
    if not await _started(http_server, http_task):
        return False
    https_task = asyncio.create_task(https_server.serve())
    if not await _started(https_server, https_task):
        http_server.should_exit = True
        await http_task
        return False
    await asyncio.gather(http_task, https_task)
    return True


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> bool:
    while not server.started:
        if task.done():
            with contextlib.suppress(SystemExit):
                await task  # uvicorn exits through sys.exit(1) when it cannot bind
            return False
        await asyncio.sleep(0.01)
    return True
