"""The local stack for integration tests: Azurite + Entra ID simulator + Dataverse simulator as
child processes on free ports, and the cockpit app served in-process by uvicorn on a free port
(real HTTP), so tests can reach into its container to count storage operations."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from devstack.process import free_port
from devstack.stack import Stack, StackConfig, StackPorts
from functions.app import create_app
from shared.bootstrap import Container, build_container
from shared.settings import Settings, load_settings
from tests.support.azurite import unique_prefix

T = TypeVar("T")

SEED = json.loads(
    (Path(__file__).resolve().parents[2] / "devstack" / "seed" / "demo.json").read_text()
)
CONTOSO = SEED["tenants"][0]["id"]
FABRIKAM = SEED["tenants"][1]["id"]
COCKPIT_APP = SEED["apps"][0]
USERS = {u["username"].split("@")[0]: u for u in SEED["users"]}


@contextmanager
def running_stack(
    state_dir: Path,
    *,
    with_crm_demo: bool = False,
    with_app: bool = False,
    solution: Path | None = None,
) -> Iterator[Stack]:
    """The stack on free ports with in-memory Azurite. ``with_app`` runs the cockpit as a child
    process exactly like ``make run`` does; otherwise tests serve it in-process (``live_app``) on
    ``stack.config.ports.app``, the port the demo CRM page points its button and iframe at."""
    stack = Stack(
        StackConfig(
            ports=StackPorts.free(),
            state_dir=state_dir,
            persist_storage=False,
            with_app=with_app,
            with_crm_demo=with_crm_demo,
            solution=solution,
        )
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def stack_settings(stack: Stack, *, app_port: int, **overrides: Any) -> Settings:
    env = stack.app_environment()
    values: dict[str, Any] = {k.removeprefix("COCKPIT_").lower(): v for k, v in env.items()}
    values["crm_orgs"] = json.loads(values["crm_orgs"])
    values["public_base_url"] = f"http://localhost:{app_port}"
    values["table_prefix"] = unique_prefix()
    # Off unless a test asks: its background requests would land in every call count.
    values["startup_check"] = False
    values.update(overrides)
    return load_settings(**values)


@dataclass
class LiveApp:
    url: str
    container: Container
    server: uvicorn.Server
    thread: threading.Thread
    loop: asyncio.AbstractEventLoop

    async def call(self, make: Callable[[Container], Coroutine[Any, Any, T]]) -> T:
        """Run a coroutine on the app's own event loop (its clients are bound to it)."""
        future = asyncio.run_coroutine_threadsafe(make(self.container), self.loop)
        return await asyncio.wrap_future(future)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@contextmanager
def live_app(stack: Stack, *, port: int | None = None, **overrides: Any) -> Iterator[LiveApp]:
    port = port or free_port()
    container_overrides = overrides.pop("container_overrides", {})
    settings = stack_settings(stack, app_port=port, **overrides)
    container = build_container(settings, **container_overrides)
    app = create_app(container=container)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    loop_holder: dict[str, asyncio.AbstractEventLoop] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        loop_holder["loop"] = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.serve())
            loop.run_until_complete(container.aclose())
        finally:
            loop.close()

    thread = threading.Thread(target=run, name=f"cockpit-app-{port}", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the app failed to start")
        threading.Event().wait(0.02)
    live = LiveApp(
        url=f"http://localhost:{port}",
        container=container,
        server=server,
        thread=thread,
        loop=loop_holder["loop"],
    )
    try:
        yield live
    finally:
        live.stop()
