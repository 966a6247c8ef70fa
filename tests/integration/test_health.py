"""/healthz against a real Azurite that goes away and comes back."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.support.app import make_app, make_settings
from tests.support.azurite import running_azurite


async def get_health(app) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        # A liveness guard, not a timing assertion: the endpoint bounds itself at 1.5 s.
        return await asyncio.wait_for(client.get("/healthz"), timeout=20)


async def test_health_follows_storage_down_and_back(tmp_path) -> None:
    with running_azurite(tmp_path) as azurite:
        app, container = make_app(
            make_settings(storage_connection_string=azurite.connection_string)
        )
        ok = await get_health(app)
        assert ok.status_code == 200
        assert ok.json()["status"] == "ok"

        azurite.process.stop()
        down = await get_health(app)
        assert down.status_code == 503
        body = down.json()
        assert body["status"] == "unavailable"
        assert "storage" in body["storage"] and "Traceback" not in down.text

        azurite.process.start(timeout=30)
        back = await get_health(app)
        assert back.status_code == 200
        await container.aclose()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never answers (a hung storage endpoint)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


async def test_health_answers_503_when_storage_hangs(silent_port: int) -> None:
    from devstack.azurite import connection_string

    app, container = make_app(
        make_settings(storage_connection_string=connection_string(silent_port))
    )
    response = await get_health(app)
    assert response.status_code == 503
    assert response.json()["storage"] == "storage did not answer within 1.5 s"
    await container.aclose()
