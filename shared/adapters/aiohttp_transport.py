"""The worker's outbound HTTP: httpx's API on aiohttp's wire (``httpx-aiohttp``,
https://github.com/karpetrosyan/httpx-aiohttp), and the Dataverse gateway's ``AiohttpWire`` straight
on the same aiohttp session; chosen by the composition root for speed
(``shared/composition/adapters.py`` and docs/dataverse-client-bench.md have the figures).

The package's ``AiohttpTransport`` is used as it is, with two things around it:

- **the session** it builds on first use: a ``TCPConnector`` sized from ``httpx.Limits``, the
  TLS context given (the dev CA or the default trust), proxies and CA bundles never taken from
  the environment, and no cookie jar (``DummyCookieJar``): Dataverse sets an affinity cookie
  that must not be shared between the users of a worker (api-limits, "Remove the affinity
  cookie"); the httpx client above keeps none either;
- **the errors**, mapped again to httpx's classes by what happened. httpx-aiohttp 0.2.0 maps
  every ``aiohttp.ClientConnectionError`` to ``httpx.ConnectTimeout`` (a refused connection, a
  reset or a server that hung up would read as timeouts) and lets a malformed answer's
  ``aiohttp.ClientResponseError`` through as it is, which ``except httpx.HTTPError`` never sees.
  Here: timeouts stay ``httpx.TimeoutException`` (connect, read), a failed connection
  (refused, DNS, TLS) is ``httpx.ConnectError``, a reset ``httpx.ReadError``, a server that
  closed without a (complete) answer or answered garbage ``httpx.RemoteProtocolError``, and any
  other aiohttp client error ``httpx.TransportError`` — while sending and while reading the body.

Telemetry: the session carries the ``aiohttp.TraceConfig`` the composition root hands over
(``shared/telemetry.py``, ``outbound_trace_configs``), so every request over it — through httpx's
API or the wire — is one dependency span.

Timeouts come from each request's ``httpx.Timeout``: connect → aiohttp ``sock_connect`` (TCP
and TLS handshake), read → ``sock_read`` (between bytes, headers included), pool → ``connect``
(waiting for a pooled connection plus connecting). aiohttp has no write timeout; the Dataverse
transport bounds each whole attempt itself. ``max_keepalive_connections`` has no aiohttp
equivalent: the connector keeps up to ``max_connections`` idle for ``keepalive_expiry``.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from shared.adapters.wire import Exchange

__all__ = ["AiohttpOutboundTransport", "AiohttpWire"]

# Most specific first: the first match names the failure.
_MAPPED: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),  # sock_read
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),  # sock_connect, connect
    (TimeoutError, httpx.TimeoutException),  # aiohttp's ServerTimeoutError subclasses it
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientConnectionError, httpx.ReadError),  # resets (ClientOSError) and the rest
    (aiohttp.ClientError, httpx.TransportError),
)


def _as_httpx_error(exc: BaseException, request: httpx.Request | None) -> BaseException:
    """The httpx exception for what ``exc`` (raised by aiohttp or by httpx-aiohttp's own mapping,
    which keeps aiohttp's as ``__cause__``) says happened; ``exc`` itself when nothing fits."""
    origin = _origin(exc)
    for aiohttp_class, httpx_class in _MAPPED:
        if isinstance(origin, aiohttp_class):
            if isinstance(exc, httpx_class):
                return exc  # the package already chose as precisely (ReadTimeout, ConnectTimeout)
            message = str(origin) or type(origin).__name__
            return httpx_class(message, request=request)
    return exc


def _origin(exc: BaseException) -> BaseException:
    """aiohttp's exception behind one of httpx-aiohttp's (it chains them), else ``exc``."""
    if isinstance(exc, httpx.TransportError) and exc.__cause__ is not None:
        return exc.__cause__
    return exc


@contextlib.contextmanager
def _httpx_errors(request: httpx.Request | None) -> Iterator[None]:
    try:
        yield
    except (httpx.TransportError, aiohttp.ClientError, TimeoutError) as exc:
        mapped = _as_httpx_error(exc, request)
        if mapped is exc:
            raise
        raise mapped from _origin(exc)


class _Body(httpx.AsyncByteStream):
    """The response body, with the same error mapping while it is read."""

    def __init__(self, inner: httpx.AsyncByteStream, request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors(self._request):
            async for chunk in self._inner:
                yield chunk

    async def aclose(self) -> None:
        with _httpx_errors(self._request):
            await self._inner.aclose()


class AiohttpOutboundTransport(AiohttpTransport):
    """``httpx_aiohttp.AiohttpTransport`` with the session and error mapping described above.
    The session is created on the first request (inside the running event loop) and closed by
    ``aclose`` (``httpx.AsyncClient.aclose``)."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool,
        limits: httpx.Limits,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self._trace_configs = list(trace_configs)
        super().__init__(verify=verify, trust_env=False, limits=limits, client=self._new_session)

    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,  # 0: unlimited, as httpx's None
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self.ssl_context,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            trace_configs=self._trace_configs or None,
        )

    def open_session(self) -> aiohttp.ClientSession:
        """The session, created on first use (inside the running event loop) — as the package's
        ``handle_async_request`` does, so httpx's API and the wire share one pool."""
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        return self.client

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The aiohttp session once the first request created it (tests, diagnostics)."""
        return self.client if isinstance(self.client, aiohttp.ClientSession) else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _httpx_errors(request):
            response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)  # the package's own stream
        response.stream = _Body(response.stream, request)
        return response


class AiohttpWire:
    """``shared.adapters.wire.Wire`` straight on an ``AiohttpOutboundTransport``'s session: no
    httpx request or response models in between, the same pool, TLS, cookie policy, telemetry
    and error mapping as the httpx client on that transport. Redirects are not followed; the
    answer is decompressed as aiohttp does (it offers gzip and deflate)."""

    def __init__(self, transport: AiohttpOutboundTransport, *, timeout: httpx.Timeout) -> None:
        self._transport = transport
        self._timeout = timeout

    @property
    def timeout(self) -> httpx.Timeout:
        return self._timeout

    async def exchange(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: httpx.Timeout,
    ) -> Exchange:
        session = self._transport.open_session()
        with _httpx_errors(None):
            async with session.request(
                method,
                url,
                headers=headers,
                data=content,
                allow_redirects=False,
                # The same mapping as the httpx path (connect → sock_connect, read → sock_read,
                # pool → connect); see the module's docstring.
                timeout=aiohttp.ClientTimeout(
                    sock_connect=timeout.connect, sock_read=timeout.read, connect=timeout.pool
                ),
            ) as response:
                body = await response.read()
        return Exchange(response.status, response.headers, body)
