"""A TCP proxy tests put between the app and one dependency (Entra ID, Dataverse, Azure Storage) to
inject the faults a network really has. TLS passes through untouched (the bytes are forwarded),
so clients keep verifying the real certificate.

Modes, switchable at any time:
- ``pass``: forward both ways.
- ``hang``: accept and keep connections open, forward nothing (a frozen peer or a black hole).
- ``reset``: close every connection with a TCP reset, at once and on arrival.
- ``refuse``: stop listening; new connections are refused by the operating system.
It runs on its own thread and event loop, so it keeps forwarding while a test blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Literal

Mode = Literal["pass", "hang", "reset", "refuse"]


class FaultProxy:
    def __init__(self, *, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = _free_port()
        self.mode: Mode = "pass"
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # --- control (from the test's thread) ---------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def set_mode(self, mode: Mode) -> None:
        self._call(self._switch(mode))

    def stop(self) -> None:
        self._call(self._close_all(listening=True))
        self._call(self._cancel_pipes())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _cancel_pipes(self) -> None:
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _call(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)  # type: ignore[arg-type]

    # --- the proxy ----------------------------------------------------------------------------------
    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _switch(self, mode: Mode) -> None:
        self.mode = mode
        if mode in ("reset", "refuse"):
            await self._close_all(listening=mode == "refuse")
        if mode in ("pass", "hang", "reset") and self._server is None:
            await self._listen()

    async def _close_all(self, *, listening: bool) -> None:
        if listening and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            _reset(writer)
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "reset":
            _reset(writer)
            return
        self._writers.add(writer)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        self._writers.add(upstream_writer)
        await asyncio.gather(
            self._pipe(reader, upstream_writer),
            self._pipe(upstream_reader, writer),
            return_exceptions=True,
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                while self.mode == "hang":
                    await asyncio.sleep(0.05)  # hold the bytes: the peer seems frozen
                if self.mode != "pass":
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
            self._writers.discard(writer)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), as a crashed or firewalled peer does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(Exception):
        writer.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def fault_proxy(*, target_host: str, target_port: int) -> Iterator[FaultProxy]:
    proxy = FaultProxy(target_host=target_host, target_port=target_port).start()
    try:
        yield proxy
    finally:
        proxy.stop()
