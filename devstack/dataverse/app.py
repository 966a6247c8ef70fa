"""The Dataverse simulator as an ASGI app: the Web API under ``/api/data/v9.x/`` and a control API
under ``/_sim/`` (control.py; no authentication — a test and demo backdoor, never part of Dataverse).

Per request on ``/api/data``: authenticate the bearer token (simulator.py) → resolve the
systemuser and any ``CallerObjectId`` impersonation → service protection limits (protection.py)
→ scripted faults (faults.py) → route (api.py) → log it. See README.md for every endpoint.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from devstack.dataverse import errors
from devstack.dataverse.api import ApiRequest, ApiResponse, WebApi, error_response
from devstack.dataverse.control import register_control
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.faults import LogEntry
from devstack.dataverse.odata import parse_prefer
from devstack.dataverse.protection import Ticket
from devstack.dataverse.responses import dumps
from devstack.dataverse.simulator import SimConfig, Simulator

API_VERSIONS = ("v9.0", "v9.1", "v9.2")
MAX_LOG = 200_000


class _ControlJSON(JSONResponse):
    """The control API's JSON, safe for rows holding a lone surrogate (see responses.dumps)."""

    def render(self, content: object) -> bytes:
        return dumps(content)


def create_app(config: SimConfig) -> FastAPI:
    """The simulator app for ``config``."""
    sim = Simulator(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await sim.close()

    app = FastAPI(
        title="Dataverse Web API simulator",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        default_response_class=_ControlJSON,
    )
    app.state.sim = sim
    register_control(app, sim)

    @app.api_route(
        "/api/data/{version}/{path:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"]
    )
    async def web_api(request: Request, version: str, path: str) -> Response:
        return await _serve_api(sim, request, version, path)

    @app.api_route("/api/data/{version}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def service_root(request: Request, version: str) -> Response:
        return await _serve_api(sim, request, version, "")

    return app


def _log_entry(sim: Simulator, request: Request, start: float) -> LogEntry:
    query = request.url.query
    entry = LogEntry(
        seq=sim.next_seq(),
        user=None,
        method=request.method,
        path=request.url.path + (f"?{query}" if query else ""),
        start=start,
        end=None,
        in_flight_at_start=0,
        client_request_id=request.headers.get("x-ms-client-request-id"),
        caller_object_id=request.headers.get("callerobjectid"),
    )
    sim.log.append(entry)
    if len(sim.log) > MAX_LOG:
        del sim.log[: len(sim.log) - MAX_LOG]
    return entry


async def _handle(
    sim: Simulator, request: Request, path: str, entry: LogEntry
) -> tuple[ApiResponse, Ticket | None]:
    """Authenticate, admit (service protection, then scripted faults), route."""
    state = sim.state_for_host(request.headers.get("host", ""))
    principal = await sim.authenticate(state, request)
    user_key = principal.caller.key
    entry.user = user_key
    admitted = sim.protection.admit(user_key, time.monotonic())
    if isinstance(admitted, DataverseError):
        raise admitted  # the documented limits answer at once
    entry.in_flight_at_start = sim.faults.enter(user_key)
    try:
        fault = sim.faults.decide(user_key, in_flight=entry.in_flight_at_start, now=entry.start)
        if fault is not None:
            raise fault  # scripted throttling and outages come back at once
        latency = sim.faults.settings.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        api_request = ApiRequest(
            method=request.method,
            path=path,
            query=parse_qsl(request.url.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
            prefer=request.headers.getlist("prefer"),
        )
        api = WebApi(state, principal, closed_opportunity_updates=sim.closed_opportunity_updates)
        return api.handle(api_request), admitted
    except BaseException:
        sim.protection.finish(admitted, time.monotonic())
        raise
    finally:
        # Leave before the response is written: the client cannot see the answer (and send the
        # next request in its slot) before this request stops counting as in flight.
        sim.faults.leave(user_key)


async def _serve_api(sim: Simulator, request: Request, version: str, path: str) -> Response:
    entry = _log_entry(sim, request, time.monotonic())
    extra: dict[str, str] = {}
    try:
        if version not in API_VERSIONS:
            raise errors.segment_not_found(version)
        response, ticket = await _handle(sim, request, path, entry)
        if ticket is not None:
            extra = sim.protection.finish(ticket, time.monotonic())
    except DataverseError as error:
        try:
            prefs = parse_prefer(request.headers.getlist("prefer"))
        except DataverseError:
            prefs = None
        response = error_response(error, prefs)
    entry.end = time.monotonic()
    entry.status = response.status
    entry.code = response.code
    retry_after = next((v for k, v in response.headers if k.lower() == "retry-after"), None)
    entry.retry_after = int(retry_after) if retry_after is not None else None
    out = Response(content=response.body or b"", status_code=response.status)
    for name, value in [*response.headers, *extra.items()]:
        out.headers.append(name, value)
    return out


__all__ = ["SimConfig", "Simulator", "create_app"]


__all__ = ["SimConfig", "Simulator", "create_app"]
