"""OpenTelemetry to Azure Monitor: requests, dependencies, logs and the cockpit's own metrics, with
the dimensions an operator filters on and nothing personal or secret (docs/operations.md).

On only when APPLICATIONINSIGHTS_CONNECTION_STRING is set (Azure; never the local stack). The SDK,
the exporters and the instrumentations are imported when it is switched on, never at import of
``function_app``: a cold instance pays for them once, during start-up, and only in Azure.

- **Requests**: FastAPI's own server spans (fastapi 0.165 creates them once a tracer provider is
  set). :class:`TelemetryMiddleware` adds the dimensions below to each one; services add theirs
  with :func:`annotate_request`.
- **Dependencies**: Dataverse, Entra key fetches and probes (the worker's aiohttp session,
  :func:`outbound_trace_configs`), Entra token calls (MSAL's requests session), Azure Tables
  (azure-core's native OpenTelemetry tracing).
- **Logs**: every record of the root logger, with the request's dimensions and the ``fields`` a
  log call passes (as ``cockpit.<name>``); exceptions with their stack trace.
- **Metrics** the alerts in infra/app/alerts.bicep read: :func:`record_writeback_outcome`,
  :func:`record_outbox_backlog`, :func:`record_token_request`.

Dimensions: ``cockpit.correlation_id``, ``.tenant_id``, ``.org``, ``.operation`` (the route's
name), ``.outcome``. Everything leaves through ``scrub_attributes`` (shared/observability.py).

Exporters: ``azure-monitor-opentelemetry-exporter``, the distro's own, set up directly (the distro
pins an older opentelemetry-api than FastAPI 0.165 needs, docs/operations.md).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import parse_qsl

from shared.observability import correlation_id, scrub_attributes, scrub_text

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk._logs import LogRecordProcessor
    from opentelemetry.sdk._logs.export import LogRecordExporter
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.trace.export import SpanExporter
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from shared.settings import Settings

__all__ = [
    "METRIC_OUTBOX_OLDEST_AGE",
    "METRIC_OUTBOX_PENDING",
    "METRIC_TOKEN_REQUESTS",
    "METRIC_WRITEBACK_OUTCOMES",
    "TelemetryMiddleware",
    "annotate_request",
    "current_dimensions",
    "configure_telemetry",
    "install_telemetry",
    "record_outbox_backlog",
    "record_token_request",
    "record_writeback_outcome",
    "outbound_trace_configs",
    "shutdown_telemetry",
]

METRIC_WRITEBACK_OUTCOMES = "cockpit.writeback.outcomes"
METRIC_OUTBOX_OLDEST_AGE = "cockpit.outbox.oldest_age"
METRIC_OUTBOX_PENDING = "cockpit.outbox.pending"
METRIC_TOKEN_REQUESTS = "cockpit.token.requests"
DIM_CORRELATION_ID = "cockpit.correlation_id"
DIM_TENANT_ID = "cockpit.tenant_id"
DIM_ORG = "cockpit.org"
DIM_OPERATION = "cockpit.operation"
DIM_OUTCOME = "cockpit.outcome"

WritebackOutcome = Literal["written", "queued", "conflict", "failed", "skipped"]
TokenFlow = Literal["auth_code", "silent", "on_behalf_of", "client_credentials"]
TokenOutcome = Literal["ok", "reauth", "failed"]


# --- request dimensions --------------------------------------------------------------------------
@dataclass
class _Request:
    scope: Scope
    extra: dict[str, str] = field(default_factory=dict)
    answered_cid: str = ""  # the x-correlation-id of the response, once sent

    def dimensions(self) -> dict[str, str]:
        # Read when asked: routing, the principal and the correlation id arrive on the way in.
        found: dict[str, str] = {}
        cid = correlation_id.get()
        if cid != "-" or self.answered_cid:
            found[DIM_CORRELATION_ID] = cid if cid != "-" else self.answered_cid
        principal = (self.scope.get("state") or {}).get("principal")
        if tenant := getattr(principal, "tenant_id", None):
            found[DIM_TENANT_ID] = str(tenant)
        query = dict(parse_qsl(self.scope.get("query_string", b"").decode("latin-1")))
        if org := (self.scope.get("path_params") or {}).get("org") or query.get("orgname"):
            found[DIM_ORG] = str(org)[:64]
        if operation := getattr(self.scope.get("route"), "name", None):
            found[DIM_OPERATION] = str(operation)
        found.update(self.extra)
        return found


_current: contextvars.ContextVar[_Request | None] = contextvars.ContextVar(
    "cockpit_telemetry_request", default=None
)


def current_dimensions() -> dict[str, str]:
    """The dimensions of the request being served (just the correlation id outside one)."""
    return (_current.get() or _Request({})).dimensions()


def annotate_request(
    *, org: str | None = None, operation: str | None = None, outcome: str | None = None
) -> None:
    """Add or override dimensions of the current request (no-op outside a request).

    ``outcome`` names what happened in the cockpit's terms (e.g. ``crm_busy``, ``queued``);
    without it the middleware derives ok / client_error / server_error from the status.
    """
    request = _current.get()
    if request is None:
        return
    for key, value in ((DIM_ORG, org), (DIM_OPERATION, operation), (DIM_OUTCOME, outcome)):
        if value:
            request.extra[key] = value[:64]


class TelemetryMiddleware:
    """Makes the request's dimensions available to every log line of the request and puts them on
    FastAPI's server span once the response status is known. Installed outermost by
    :func:`install_telemetry` (the scope it keeps is the one routing and auth fill in)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from opentelemetry import trace

        span = trace.get_current_span()
        request = _Request(scope)
        token = _current.set(request)
        status, done = 500, False

        def finish() -> None:  # before the last body message: FastAPI ends its span on it
            nonlocal done
            if not done:
                done = True
                dimensions = request.dimensions()
                dimensions.setdefault(DIM_OUTCOME, _outcome(status))
                span.set_attributes(dimensions)

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for key, value in message.get("headers", []):
                    if key == b"x-correlation-id":
                        request.answered_cid = value.decode("latin-1")[:64]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finish()
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            finish()
            _current.reset(token)


def _outcome(status: int) -> str:  # the default when no service said more
    return "server_error" if status >= 500 else "client_error" if status >= 400 else "ok"


# --- metrics ------------------------------------------------------------------------------------
_instruments: dict[str, Any] = {}


def _instrument(kind: str, name: str, unit: str, description: str) -> Any:
    found = _instruments.get(name)
    if found is None:
        from opentelemetry import metrics

        meter = metrics.get_meter("cockpit")
        found = getattr(meter, f"create_{kind}")(name, unit=unit, description=description)
        _instruments[name] = found
    return found


def record_writeback_outcome(
    *, outcome: WritebackOutcome, background: bool, org: str | None = None
) -> None:
    """One write-back attempt ended: ``failed`` means final (the alert fires on it)."""
    counter = _instrument("counter", METRIC_WRITEBACK_OUTCOMES, "{attempt}", "Write-back attempts")
    attributes = {DIM_OUTCOME: outcome, "cockpit.mode": "background" if background else "user"}
    counter.add(1, {**attributes, **({DIM_ORG: org} if org else {})})


def record_outbox_backlog(*, pending: int, oldest_age_seconds: float) -> None:
    """After each outbox pass: how many write-backs wait, and how long the oldest has waited."""
    _instrument("gauge", METRIC_OUTBOX_PENDING, "{item}", "Queued write-backs").set(pending)
    _instrument("gauge", METRIC_OUTBOX_OLDEST_AGE, "s", "Age of the oldest queued write-back").set(
        max(0.0, oldest_age_seconds)
    )


def record_token_request(*, flow: TokenFlow, outcome: TokenOutcome) -> None:
    """One token request to Entra ID: ``reauth`` is a user who must sign in again (normal),
    ``failed`` is Entra refusing the app or failing (the alert fires on it)."""
    counter = _instrument("counter", METRIC_TOKEN_REQUESTS, "{request}", "Entra token requests")
    counter.add(1, {"cockpit.flow": flow, DIM_OUTCOME: outcome})


# --- set-up -------------------------------------------------------------------------------------
@dataclass
class _Installed:  # what shutdown_telemetry() undoes
    providers: tuple[Any, ...]
    handler: logging.Handler
    undo: list[Any]


_installed: list[_Installed] = []


def install_telemetry(app: FastAPI, settings: Settings) -> bool:
    """``create_app``'s one line: configure the process (once) and add the request dimensions.
    Call it after the other middleware is added, so this one sits outermost."""
    if not configure_telemetry(settings):
        return False
    app.add_middleware(TelemetryMiddleware)
    return True


def configure_telemetry(
    settings: Settings,
    *,
    span_exporter: SpanExporter | None = None,
    log_exporter: LogRecordExporter | None = None,
    metric_reader: MetricReader | None = None,
) -> bool:
    """Set the process-wide providers, exporters and instrumentations; False when telemetry is
    off (no connection string and no exporters given). Tests pass in-memory exporters."""
    if _installed:
        return True
    secret = settings.applicationinsights_connection_string
    if secret is None and span_exporter is None:
        return False
    from opentelemetry import _logs, metrics, trace
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from shared.observability import OtelLogHandler, use_stderr_logs

    if span_exporter is None or log_exporter is None or metric_reader is None:
        assert secret is not None
        span_exporter, log_exporter, metric_reader = _azure_exporters(
            secret.get_secret_value(), settings.managed_identity_client_id
        )
    # service.name becomes cloud_RoleName in Application Insights.
    resource = Resource.create({"service.name": "opportunity-cockpit"})
    tracer_provider = TracerProvider(resource=resource)
    scrubbed = cast("SpanExporter", _ScrubbingSpanExporter(span_exporter))
    tracer_provider.add_span_processor(BatchSpanProcessor(scrubbed))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(cast("LogRecordProcessor", _ScrubbingLogProcessor()))
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))
    meter_provider = MeterProvider(resource=resource, metric_readers=[metric_reader])
    trace.set_tracer_provider(tracer_provider)
    _logs.set_logger_provider(logger_provider)
    metrics.set_meter_provider(meter_provider)
    handler = OtelLogHandler(logger_provider)
    logging.getLogger().addHandler(handler)
    if secret is not None:
        # In Azure the host copies stderr into telemetry too: one copy of each line is enough.
        use_stderr_logs(False)
    _installed.append(
        _Installed(
            providers=(tracer_provider, logger_provider, meter_provider),
            handler=handler,
            undo=_instrument_libraries(tracer_provider),
        )
    )
    return True


def _azure_exporters(
    connection_string: str, identity_client_id: str | None
) -> tuple[SpanExporter, LogRecordExporter, MetricReader]:
    from azure.monitor.opentelemetry.exporter import (
        AzureMonitorLogExporter,
        AzureMonitorMetricExporter,
        AzureMonitorTraceExporter,
    )
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    # Application Insights accepts only Entra-authenticated telemetry (DisableLocalAuth in
    # infra/app/monitoring.bicep): send it as the app's user-assigned identity.
    # https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
    options: dict[str, Any] = {"connection_string": connection_string}
    if identity_client_id:
        from azure.identity import ManagedIdentityCredential

        options["credential"] = ManagedIdentityCredential(client_id=identity_client_id)
    metric_exporter = AzureMonitorMetricExporter(**options)
    return (
        AzureMonitorTraceExporter(**options),
        AzureMonitorLogExporter(**options),
        PeriodicExportingMetricReader(metric_exporter, export_interval_millis=60_000),
    )


def _instrument_libraries(tracer_provider: Any) -> list[Any]:
    """Dependencies: httpx (Dataverse, Entra keys), requests (MSAL), azure-core (Tables)."""
    from azure.core.settings import settings as azure_settings
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    instrumentors: list[Any] = [HTTPXClientInstrumentor(), RequestsInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=tracer_provider)
    # azure-core >= 1.31 traces with OpenTelemetry itself once tracing is enabled.
    azure_settings.tracing_enabled = True
    return instrumentors


def outbound_trace_configs() -> list[Any]:
    """Dependencies for the worker's outbound HTTP (Dataverse, Entra keys, readiness probes),
    traced at its wire: one ``aiohttp.TraceConfig`` for the session that both the httpx client and
    the Dataverse gateway's wire send over (shared/adapters/aiohttp_transport.py) — httpx's
    instrumentation would see only the former. The spans carry what httpx's instrumentation writes
    (``http.method``, ``http.url``, ``http.status_code``; scrubbed at the exporter like every span)
    and the trace context goes out in ``traceparent``. Empty while telemetry is off; the
    composition root builds its session on first use, after ``create_app`` configured telemetry."""
    if not _installed:
        return []
    import aiohttp
    from opentelemetry import propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode

    tracer = _installed[-1].providers[0].get_tracer("opportunity-cockpit.outbound")

    async def started(_: Any, context: Any, params: Any) -> None:
        attributes = {"http.method": params.method, "http.url": str(params.url)}
        span = tracer.start_span(params.method, kind=SpanKind.CLIENT, attributes=attributes)
        context.span = span
        propagate.inject(params.headers, context=trace.set_span_in_context(span))

    async def answered(_: Any, context: Any, params: Any) -> None:
        status = params.response.status
        context.span.set_attribute("http.status_code", status)
        if status >= 400:
            context.span.set_status(Status(StatusCode.ERROR))
        context.span.end()

    async def failed(_: Any, context: Any, params: Any) -> None:
        context.span.record_exception(params.exception)
        context.span.set_status(Status(StatusCode.ERROR, type(params.exception).__name__))
        context.span.end()

    config = aiohttp.TraceConfig()
    config.on_request_start.append(started)
    config.on_request_end.append(answered)
    config.on_request_exception.append(failed)
    return [config]


def shutdown_telemetry() -> None:
    """Flush and stop everything :func:`configure_telemetry` started (tests; process exit).

    OpenTelemetry's global providers cannot be replaced once set, so a process configures once."""
    from azure.core.settings import settings as azure_settings

    from shared.observability import use_stderr_logs

    while _installed:
        installed = _installed.pop()
        for instrumentor in installed.undo:
            instrumentor.uninstrument()
        azure_settings.tracing_enabled = False
        logging.getLogger().removeHandler(installed.handler)
        for provider in installed.providers:
            provider.shutdown()
        use_stderr_logs(True)
    _instruments.clear()


# --- scrubbing at the exporters (duck-typed: the SDK's base classes stay unimported) ------------
class _ScrubbingSpanExporter:
    """Rebuilds each finished span with scrubbed attributes, events and status before export:
    instrumentations add attributes after a span starts, so this is the one complete place."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[Any]) -> Any:
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.trace import Status

        def clean(span: Any) -> Any:
            status = Status(span.status.status_code, scrub_text(span.status.description or ""))
            return ReadableSpan(
                name=span.name, context=span.context, parent=span.parent,
                resource=span.resource, attributes=scrub_attributes(span.attributes),
                events=[
                    Event(e.name, scrub_attributes(e.attributes), e.timestamp) for e in span.events
                ],
                links=span.links, kind=span.kind, status=status, start_time=span.start_time,
                end_time=span.end_time, instrumentation_scope=span.instrumentation_scope,
            )  # fmt: skip

        return self._inner.export([clean(span) for span in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)


class _ScrubbingLogProcessor:
    """Runs before the exporting processor: our records and the libraries' (FastAPI logs
    exceptions with their messages) leave scrubbed."""

    def on_emit(self, log_record: Any) -> None:
        record = log_record.log_record
        record.attributes = scrub_attributes(record.attributes)
        if isinstance(record.body, str):
            record.body = scrub_text(record.body)

    def shutdown(self) -> None:  # nothing buffered here
        return None

    def force_flush(self, timeout_millis: int = 30_000) -> bool:  # nothing buffered here
        return True
