"""What the app exports to Azure Monitor, read from in-memory exporters: the request with its
dimensions, its storage, Dataverse (httpx) and Entra (requests) dependencies, logs, exceptions with
their stack, the metrics the alerts use — and that no token, cookie, name or e-mail leaves.

The real app and storage adapters run against Azurite; Entra and Dataverse are fakes, plus a
real httpx call (the Dataverse client) and a real requests call (MSAL's session) to local stand-ins.
OpenTelemetry's providers are process-wide and can be set once: this module configures them once
and shuts everything down at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import _logs, trace
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from functions.app import create_app
from functions.cookies import SESSION_COOKIE
from shared.adapters.aiohttp_transport import AiohttpOutboundTransport
from shared.adapters.entra.msal_adapter import BoundedSession
from shared.bootstrap import Container, build_container
from shared.domain.identity import Session, hash_secret, new_csrf_token, new_session_id
from shared.domain.projects import Project, ProjectKey
from shared.telemetry import (
    METRIC_OUTBOX_OLDEST_AGE,
    METRIC_TOKEN_REQUESTS,
    METRIC_WRITEBACK_OUTCOMES,
    configure_telemetry,
    record_outbox_backlog,
    record_token_request,
    record_writeback_outcome,
    shutdown_telemetry,
)
from tests.support.azurite import AzuriteServer, running_azurite, unique_prefix
from tests.support.fakes import FakeCrm, FakeIdentity, opportunity
from tests.support.settings import explicit_environment, explicit_settings

REPO = Path(__file__).resolve().parents[2]
TENANT = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbm5hIn0.c2lnbmF0dXJlLXZhbHVl"
EMAIL = "anna.adams@contoso.com"
# Personal data the fakes hand the app (tests/support/fakes.py: owner and account names).
NAMES = ("Anna Adams", "Contoso Pharmaceuticals")


@dataclass
class Exported:
    spans: InMemorySpanExporter
    logs: InMemoryLogRecordExporter
    metrics: InMemoryMetricReader

    def flush(self) -> None:
        trace.get_tracer_provider().force_flush()  # type: ignore[attr-defined]
        _logs.get_logger_provider().force_flush()  # type: ignore[attr-defined]

    def everything(self) -> str:
        """Every exported value, as text: what a reader of Application Insights could see."""
        self.flush()
        parts: list[Any] = []
        for span in self.spans.get_finished_spans():
            parts += [span.name, dict(span.attributes or {}), span.status.description]
            parts += [(e.name, dict(e.attributes or {})) for e in span.events]
        for item in self.logs.get_finished_logs():
            parts += [item.log_record.body, dict(item.log_record.attributes or {})]
        return json.dumps(parts, default=str)


@pytest.fixture(scope="module")
def exported() -> Iterator[Exported]:
    found = Exported(InMemorySpanExporter(), InMemoryLogRecordExporter(), InMemoryMetricReader())
    assert configure_telemetry(
        explicit_settings(),
        span_exporter=found.spans,
        log_exporter=found.logs,
        metric_reader=found.metrics,
    )
    yield found
    shutdown_telemetry()


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteServer]:
    with running_azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


@dataclass
class World:
    container: Container
    client: httpx.AsyncClient
    session_id: str
    opportunity: str


@pytest.fixture
async def world(exported: Exported, azurite: AzuriteServer) -> AsyncIterator[World]:
    settings = explicit_settings(
        storage_connection_string=azurite.connection_string, table_prefix=unique_prefix()
    )
    crm = FakeCrm()
    container = build_container(settings, crm=crm, identity=FakeIdentity())
    app = create_app(container=container)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError(f"token {JWT} of {EMAIL} rejected")

    now = datetime.now(UTC)
    session_id = new_session_id()
    await container.sessions.create(
        Session(
            id_hash=hash_secret(session_id), tenant_id=TENANT, object_id="o-123",
            roles=frozenset(), home_account_id=f"o-123.{TENANT}", csrf_token=new_csrf_token(),
            created_at=now, last_seen_at=now, expires_at=now + timedelta(hours=1),
        )
    )  # fmt: skip
    await container.token_caches.put(tenant_id=TENANT, object_id="o-123", cache="{}", etag=None)
    opp = str(uuid.uuid4())
    crm.opportunities[opp] = opportunity(opp)
    key = ProjectKey.parse(tenant_id=TENANT, org="contoso", opportunity_id=opp)
    await container.projects.create_or_open(
        Project(key=key, project_id=uuid.uuid4().hex, name="p", created_at=now, created_by="o-123")
    )
    exported.spans.clear()
    exported.logs.clear()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://cockpit.test") as client:
        client.cookies.set(SESSION_COOKIE, session_id, domain="cockpit.test")
        yield World(container, client, session_id, opp)
    await container.aclose()


async def test_a_request_carries_its_dimensions_and_its_storage_calls(
    world: World, exported: Exported
) -> None:
    response = await world.client.get(
        f"/api/projects/contoso/{world.opportunity}?login_hint={EMAIL}",
        headers={"x-correlation-id": "corr-telemetry-1"},
    )
    assert response.status_code == 200, response.text
    exported.flush()

    spans = exported.spans.get_finished_spans()
    [request] = [s for s in spans if s.kind == SpanKind.SERVER]
    attributes = dict(request.attributes or {})
    assert {k: v for k, v in attributes.items() if k.startswith("cockpit.")} == {
        "cockpit.correlation_id": "corr-telemetry-1",
        "cockpit.tenant_id": TENANT,
        "cockpit.org": "contoso",
        "cockpit.operation": "get_project",
        "cockpit.outcome": "ok",
    }
    assert attributes["http.route"] == "/api/projects/{org}/{opportunity_id}"
    assert attributes["url.query"] == "login_hint=REDACTED"
    storage = [
        s
        for s in spans
        if s.context.trace_id == request.context.trace_id and s.kind == SpanKind.CLIENT
    ]
    assert storage, "no storage dependency in the request's trace"
    assert all("127.0.0.1" in str(dict(s.attributes or {})) for s in storage)
    [line] = [r for r in exported.logs.get_finished_logs() if r.log_record.body == "request"]
    assert dict(line.log_record.attributes or {})["cockpit.correlation_id"] == "corr-telemetry-1"
    assert dict(line.log_record.attributes or {})["cockpit.tenant_id"] == TENANT
    assert line.log_record.trace_id == request.context.trace_id


async def test_nothing_personal_or_secret_leaves(world: World, exported: Exported) -> None:
    await world.client.get(
        f"/api/projects/contoso/{world.opportunity}?login_hint={EMAIL}",
        headers={"authorization": f"Bearer {JWT}", "x-correlation-id": "c2"},
    )
    await world.client.get("/boom")

    text = exported.everything()

    assert "get_project" in text and "boom" in text  # the requests are there ...
    for secret in (world.session_id, JWT, EMAIL, *NAMES):
        assert secret not in text, f"{secret!r} was exported"  # ... their data is not
    assert SESSION_COOKIE not in text


async def test_an_unhandled_exception_is_exported_with_its_stack(
    world: World, exported: Exported
) -> None:
    response = await world.client.get("/boom", headers={"x-correlation-id": "corr-boom"})
    assert response.status_code == 500
    exported.flush()

    [server] = [s for s in exported.spans.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert dict(server.attributes or {})["cockpit.outcome"] == "server_error"
    errors = [
        dict(r.log_record.attributes or {})
        for r in exported.logs.get_finished_logs()
        if (r.log_record.attributes or {}).get("exception.type") == "RuntimeError"
    ]
    ours = [e for e in errors if e.get("cockpit.correlation_id") == "corr-boom"]
    assert ours, errors
    stack = str(ours[0]["exception.stacktrace"])
    assert "Traceback" in stack and "in boom" in stack
    assert ours[0]["exception.message"] == "token [redacted] of [redacted-email] rejected"


class _Upstream(BaseHTTPRequestHandler):
    """A stand-in for Dataverse (GET) and Entra's token endpoint (POST); keeps the trace context
    each GET carried."""

    traceparents: list[str | None] = []

    def _answer(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.traceparents.append(self.headers.get("traceparent"))
        self._answer({"name": NAMES[0]})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer({"access_token": JWT, "expires_in": 3600})

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


async def test_dataverse_and_entra_calls_are_dependencies_without_their_secrets(
    world: World, exported: Exported, upstream: str
) -> None:
    # The app's own httpx client (Entra keys, probes), the Dataverse gateway's wire and MSAL's
    # session class. The first two share an aiohttp session, which the global httpx
    # instrumentation does not see: the container traces the session.
    assert isinstance(world.container.http._transport, AiohttpOutboundTransport)
    _Upstream.traceparents.clear()
    keys_url = f"{upstream}/common/discovery/v2.0/keys?appid=abc"
    await world.container.http.get(keys_url)
    dataverse_url = f"{upstream}/api/data/v9.2/opportunities(1)?$select=name"
    wire = world.container.outbound.wire
    answer = await wire.exchange(
        "GET",
        dataverse_url,
        headers={"Authorization": f"Bearer {JWT}"},
        content=None,
        timeout=wire.timeout,
    )
    assert answer.status == 200
    token_url = f"{upstream}/{TENANT}/oauth2/v2.0/token"
    BoundedSession(timeout_seconds=5, pool_size=2).post(
        token_url, data={"client_assertion": JWT, "code": "auth-code-value"}
    )
    exported.flush()

    # httpx and requests instrumentations still write the older HTTP semantic conventions
    # (http.url, http.method, http.status_code) unless OTEL_SEMCONV_STABILITY_OPT_IN says
    # otherwise; azure-core writes the stable ones. The exporter maps both.
    clients: dict[str, dict[str, Any]] = {}
    spans = 0
    for span in exported.spans.get_finished_spans():
        attributes = dict(span.attributes or {})
        if span.kind == SpanKind.CLIENT:
            url = str(attributes.get("url.full") or attributes.get("http.url"))
            spans += url.startswith(upstream)
            clients[url] = attributes
    assert f"{upstream}/common/discovery/v2.0/keys?appid=REDACTED" in clients
    dataverse = clients[f"{upstream}/api/data/v9.2/opportunities(1)?$select=REDACTED"]
    assert dataverse["http.method"] == "GET" and dataverse["http.status_code"] == 200
    # One span per request (not one from httpx's instrumentation and one from the session), and
    # the trace context went out with each.
    assert spans == len([u for u in clients if u.startswith(upstream)]) == 3
    assert len(_Upstream.traceparents) == 2 and all(_Upstream.traceparents)
    token = clients[token_url]
    assert (token.get("http.request.method") or token.get("http.method")) == "POST"
    assert (token.get("http.response.status_code") or token.get("http.status_code")) == 200
    text = exported.everything()
    assert JWT not in text and "auth-code-value" not in text and NAMES[0] not in text


def test_the_metrics_the_alerts_read(exported: Exported) -> None:
    record_writeback_outcome(outcome="failed", background=True, org="contoso")
    record_writeback_outcome(outcome="written", background=False)
    record_outbox_backlog(pending=3, oldest_age_seconds=2400.0)
    record_token_request(flow="client_credentials", outcome="failed")

    data = exported.metrics.get_metrics_data()
    assert data is not None
    points: dict[str, list[tuple[dict[str, Any], Any]]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "value", None)
                    points.setdefault(metric.name, []).append((dict(point.attributes or {}), value))
    assert ({"cockpit.outcome": "failed", "cockpit.mode": "background", "cockpit.org": "contoso"},
            1) in points[METRIC_WRITEBACK_OUTCOMES]  # fmt: skip
    assert points[METRIC_OUTBOX_OLDEST_AGE] == [({}, 2400.0)]
    assert ({"cockpit.flow": "client_credentials", "cockpit.outcome": "failed"}, 1) in points[
        METRIC_TOKEN_REQUESTS
    ]


def test_telemetry_stays_off_and_unimported_without_a_connection_string() -> None:
    probe = (
        "import sys, function_app\n"
        "heavy = [m for m in sys.modules if m.startswith(('opentelemetry.sdk', 'azure.monitor',"
        " 'opentelemetry.instrumentation'))]\n"
        "print(heavy)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), **explicit_environment()}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"
