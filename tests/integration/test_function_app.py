"""The app as the Azure Functions host runs it: function_app.py's AsgiFunctionApp, called with a
``func.HttpRequest`` exactly like the Python worker does (the host itself cannot run here)."""

from __future__ import annotations

import importlib
import json
import sys
from types import SimpleNamespace

import azure.functions as func
import pytest

from tests.support.azurite import AzuriteServer, unique_prefix
from tests.support.settings import explicit_environment


@pytest.fixture
async def function_app_module(azurite: AzuriteServer, monkeypatch: pytest.MonkeyPatch):
    # Configuration reaches the app as app settings, i.e. environment variables.
    for name, value in explicit_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COCKPIT_STORAGE_CONNECTION_STRING", azurite.connection_string)
    monkeypatch.setenv("COCKPIT_TABLE_PREFIX", unique_prefix())
    sys.modules.pop("function_app", None)
    module = importlib.import_module("function_app")
    yield module
    # The worker shuts the ASGI app down when the host stops; do it here, in this loop, so the
    # storage client's connections are closed (and __del__ has nothing left to do).
    if module.app.startup_task_done:
        await module.app.middleware.notify_shutdown()
        module.app.startup_task_done = False
    sys.modules.pop("function_app", None)


def context() -> SimpleNamespace:
    return SimpleNamespace(
        invocation_id="0f5b1c2e-test-invocation",
        function_name="http_app_func",
        function_directory="/home/site/wwwroot",
        thread_local_storage=SimpleNamespace(invocation_id="0f5b1c2e-test-invocation"),
        trace_context=SimpleNamespace(trace_parent="", trace_state="", attributes={}),
        retry_context=None,
    )


def http_function(functions):
    # get_functions() may be called once per app (the worker indexes once; a second call reports
    # duplicate names), so tests pass the list around.
    return next(f for f in functions if f.get_bindings()[0].type == "httpTrigger")


async def test_one_anonymous_catch_all_http_function_and_the_timers(function_app_module) -> None:
    functions = function_app_module.app.get_functions()
    triggers = sorted(f.get_bindings()[0].type for f in functions)
    assert triggers == ["httpTrigger", "timerTrigger", "timerTrigger"]
    trigger = http_function(functions).get_bindings()[0]
    assert trigger.route == "/{*route}"
    assert str(trigger.auth_level).lower().endswith("anonymous")
    names = {f.get_function_name() for f in functions}
    assert {"writeback_retry", "expiry_cleanup"} <= names


async def test_healthz_through_the_functions_wrapper(function_app_module) -> None:
    fn = http_function(function_app_module.app.get_functions()).get_user_function()
    request = func.HttpRequest(
        method="GET",
        url="http://localhost:7071/healthz",
        headers={"x-correlation-id": "corr-123"},
        params={},
        body=b"",
    )
    response: func.HttpResponse = await fn(request, context())
    assert response.status_code == 200
    assert json.loads(response.get_body()) == {"status": "ok", "storage": "ok"}
    assert response.headers.get("x-correlation-id") == "corr-123"
    assert response.headers.get("x-frame-options") == "DENY"
