"""MSAL's HTTP session and the httpx client: bounded in time, pools sized to the instance's
concurrency (COCKPIT_HTTP_POOL_SIZE, perInstanceConcurrency in infra/app/function.bicep)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import requests

from shared.adapters.aiohttp_transport import AiohttpOutboundTransport
from shared.adapters.entra.msal_adapter import BoundedSession, MsalIdentityProvider
from shared.bootstrap import build_container
from tests.support.settings import explicit_settings


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers; closes them after a few seconds."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        held: list[socket.socket] = []
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                continue
        for conn in held:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    listener.close()


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(0.05)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_hanging_identity_provider_times_out_instead_of_holding_the_request(
    silent_server: str,
) -> None:
    session = BoundedSession(timeout_seconds=0.3, pool_size=4)

    with pytest.raises(requests.exceptions.ReadTimeout):
        session.get(f"{silent_server}/common/oauth2/v2.0/token")
    assert session.bounds == (0.3, 0.3)


def _burst(session: requests.Session, url: str, n: int) -> None:
    with ThreadPoolExecutor(max_workers=n) as pool:
        for response in pool.map(lambda _: session.get(url), range(n)):
            assert response.status_code == 200


def test_the_pool_holds_every_concurrent_request(
    slow_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="urllib3.connectionpool")
    # requests' default pool (10) overflows at 32 at once: the warning the issue reported.
    _burst(requests.Session(), slow_server, 32)
    assert any("Connection pool is full" in r.getMessage() for r in caplog.records)
    caplog.clear()

    _burst(BoundedSession(timeout_seconds=5, pool_size=32), slow_server, 32)

    assert not [r for r in caplog.records if "Connection pool is full" in r.getMessage()]


def test_the_container_sizes_both_clients_from_settings() -> None:
    settings = explicit_settings(http_pool_size=24, entra_timeout_seconds=4.0)
    container = build_container(settings)

    identity = container.identity
    assert isinstance(identity, MsalIdentityProvider)
    session = identity._http
    assert isinstance(session, BoundedSession)
    assert session.bounds == (3.05, 4.0)
    assert session.get_adapter("https://login.microsoftonline.com")._pool_maxsize == 24  # type: ignore[attr-defined]
    transport = container.http._transport
    assert isinstance(transport, AiohttpOutboundTransport)
    assert transport.limits == httpx.Limits(max_connections=48, max_keepalive_connections=24)


def test_pool_size_is_validated() -> None:
    from shared.settings import SettingsError

    with pytest.raises(SettingsError, match="COCKPIT_HTTP_POOL_SIZE"):
        explicit_settings(http_pool_size=0)
