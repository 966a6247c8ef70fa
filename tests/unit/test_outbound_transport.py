"""The worker's outbound HTTP on aiohttp (``shared/adapters/aiohttp_transport.py``), both ways in
— the httpx client and the Dataverse gateway's wire: the default unless a test injects a
transport (then both go through it), per-request timeouts raised as httpx's, every network
failure as an ``httpx.TransportError`` the Dataverse transport reports as ``crm_unreachable``, no
cookie kept between requests, one pool, and nothing left open once the container is closed.
Against real sockets on this machine (threads, so the servers keep going while a test awaits)."""

from __future__ import annotations

import gc
import socket
import struct
import threading
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import httpx
import pytest

from shared.adapters.aiohttp_transport import AiohttpOutboundTransport, AiohttpWire
from shared.adapters.dataverse import DataverseGateway, RetryPolicy
from shared.adapters.wire import HttpxWire
from shared.bootstrap import Container, build_container
from shared.domain.crm import CrmCaller
from shared.domain.errors import CrmUnavailable
from shared.domain.orgs import CrmOrg
from tests.support.settings import CONTOSO, explicit_settings

OPPORTUNITY = "0b5c4d3e-2f1a-4b6c-8d7e-9f0a1b2c3d4e"


@contextmanager
def raw_server(behave: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server that hands every connection to ``behave`` and closes it at the end."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            behave(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def silent(conn: socket.socket) -> None:
    """Accepts and never answers (a frozen Dataverse, or a black hole)."""


def reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _answer(raw: bytes) -> Callable[[socket.socket], None]:
    def behave(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(raw)
        conn.close()

    return behave


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def worker(**overrides: object) -> AsyncIterator[Container]:
    container = build_container(explicit_settings(**overrides))
    try:
        yield container
    finally:
        await container.aclose()


def _transport(container: Container) -> AiohttpOutboundTransport:
    transport = container.http._transport
    assert isinstance(transport, AiohttpOutboundTransport)
    return transport


async def _via_httpx(container: Container, url: str, timeout: httpx.Timeout | None = None) -> bytes:
    response = await container.http.get(url, timeout=timeout or container.http.timeout)
    return response.content


async def _via_wire(container: Container, url: str, timeout: httpx.Timeout | None = None) -> bytes:
    wire = container.outbound.wire
    assert isinstance(wire, AiohttpWire)
    answer = await wire.exchange(
        "GET", url, headers={}, content=None, timeout=timeout or wire.timeout
    )
    return answer.body


Get = Callable[..., Awaitable[bytes]]
BOTH_WAYS = pytest.mark.parametrize("get", [_via_httpx, _via_wire], ids=["httpx", "wire"])


async def test_the_worker_client_runs_on_aiohttp_unless_a_transport_is_injected() -> None:
    async with worker(http_pool_size=3) as container:
        transport = _transport(container)
        with raw_server(_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) as url:
            response = await container.http.get(url)
            assert response.status_code == 200 and response.text == "ok"
            session = transport.session
            assert await _via_wire(container, url) == b"ok"
        # One pool: the wire sends on the session the httpx client created.
        assert transport.session is session
        assert session is not None and isinstance(session.connector, aiohttp.TCPConnector)
        assert session.connector.limit == 6  # twice COCKPIT_HTTP_POOL_SIZE

    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    injected = httpx.MockTransport(answer)
    container = build_container(explicit_settings(), outbound_transport=injected)
    assert container.http._transport is injected
    assert (await container.http.get("https://contoso.example/x")).status_code == 204
    wire = container.outbound.wire
    assert isinstance(wire, HttpxWire)  # the gateway goes through the injected transport too
    timeout = wire.timeout
    assert (await wire.exchange("GET", "https://contoso.example/y", headers={}, content=None,
                                timeout=timeout)).status == 204  # fmt: skip
    assert seen == ["https://contoso.example/x", "https://contoso.example/y"]
    await container.aclose()


@BOTH_WAYS
async def test_a_hanging_server_times_out_as_httpx_and_the_gateway_says_unreachable(
    get: Get,
) -> None:
    async def token(resource: str) -> str:
        return "never-checked"

    async with worker(dataverse_timeout_seconds=0.3) as container:
        with raw_server(silent) as url:
            started = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                await get(container, url)
            assert time.monotonic() - started < 2

            # A per-request timeout reaches aiohttp too: TLS to a peer that never answers the
            # handshake is a connect timeout (the client's own connect timeout is 5 s).
            started = time.monotonic()
            with pytest.raises(httpx.ConnectTimeout):
                https = url.replace("http:", "https:")
                await get(container, https, httpx.Timeout(0.3))
            assert time.monotonic() - started < 2

            gateway = DataverseGateway(
                wire=container.outbound.wire,
                policy=RetryPolicy(max_attempts=1, deadline_seconds=10),
            )
            org = CrmOrg(tenant_id=CONTOSO, name="frozen", url=url)
            with pytest.raises(CrmUnavailable) as caught:
                await gateway.check_read(
                    org=org, opportunity_id=OPPORTUNITY, caller=CrmCaller(key="k", token=token)
                )
    # httpx's timeout, not the attempt's deadline: the transport saw httpx.TimeoutException.
    assert caught.value.code == "crm_unreachable" and "ReadTimeout" in caught.value.detail


@pytest.mark.parametrize(
    ("behave", "expected"),
    [
        (reset, httpx.NetworkError),  # ReadError, or ConnectError when the connect itself is reset
        (_answer(b""), httpx.RemoteProtocolError),  # hung up without an answer
        (_answer(b"garbage\r\n\r\n"), httpx.RemoteProtocolError),
        (_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ncut"), httpx.RemoteProtocolError),
    ],
    ids=["reset", "hung-up", "garbage", "truncated-body"],
)
@BOTH_WAYS
async def test_network_failures_are_httpx_transport_errors(
    behave: Callable[[socket.socket], None], expected: type[httpx.TransportError], get: Get
) -> None:
    async with worker() as container:
        with raw_server(behave) as url, pytest.raises(expected):
            await get(container, url)
        with pytest.raises(httpx.ConnectError):  # refused
            await get(container, f"http://127.0.0.1:{_free_port()}/")


class _AffinityCookie(BaseHTTPRequestHandler):
    """Sets Dataverse's affinity cookie on every answer and says whether one came back."""

    def do_GET(self) -> None:
        body = b"cookie" if self.headers.get("Cookie") else b"none"
        self.send_response(200)
        self.send_header("Set-Cookie", "ARRAffinity=web-server-7; Path=/; HttpOnly")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@BOTH_WAYS
async def test_no_cookie_is_kept_between_requests(get: Get) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AffinityCookie)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        async with worker() as container:
            url = f"http://127.0.0.1:{server.server_address[1]}/api/data/v9.2/"
            answers = [await get(container, url) for _ in range(3)]
            assert answers == [b"none", b"none", b"none"]
            assert not container.http.cookies
            session = _transport(container).session
            assert session is not None and isinstance(session.cookie_jar, aiohttp.DummyCookieJar)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_closing_the_container_closes_the_session_and_leaves_nothing_open() -> None:
    async with worker() as unused:
        assert _transport(unused).session is None  # created on the first request only

    async def use_and_close() -> aiohttp.ClientSession:
        async with worker() as container:
            with raw_server(_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")) as url:
                await container.http.get(url)
            session = _transport(container).session
            assert session is not None and not session.closed
        return session

    gc.collect()  # whatever earlier tests left, before counting
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        session = await use_and_close()
        assert session.closed and session.connector is None
        del session
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], caught
