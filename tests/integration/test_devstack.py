"""`make run`'s stack runner as a person and a service manager use it: start, everything answers,
Ctrl-C / SIGTERM (twice) / SIGHUP / SIGKILL, nothing left; and a stack from another seed (two
orgs with other names, another app registration) that signs users in."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from devstack.process import free_ports, port_is_open
from devstack.stack import Stack, StackConfig, StackPorts
from tests.support.browser import browser, sign_in

REPO = Path(__file__).resolve().parents[2]


def _children_of(pid: int) -> set[int]:
    """All descendants of ``pid`` (from /proc), so the test can prove none survive."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == parent and int(entry.name) not in found:
                found.add(int(entry.name))
                frontier.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and ") Z " not in stat.read_text()  # zombies are gone for our purpose


def test_run_starts_the_whole_stack_and_ctrl_c_leaves_nothing_behind(tmp_path: Path) -> None:
    names = ("APP", "AZURITE", "ENTRA", "ENTRA_HTTP", "DATAVERSE", "CRM")
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    env = dict(os.environ)
    env.update({f"DEVSTACK_{k}_PORT": str(v) for k, v in ports.items()})
    log = (tmp_path / "run.log").open("wb")
    runner = subprocess.Popen(
        [sys.executable, "-m", "devstack"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        health = None
        while time.monotonic() < deadline and runner.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://localhost:{ports['APP']}/healthz", timeout=2
                ) as r:
                    health = r.status
                    break
            except OSError:
                time.sleep(0.2)
        assert health == 200, (tmp_path / "run.log").read_text()[-3000:]
        # The URLs are printed right after the last child answers.
        while (
            "Press Ctrl-C" not in (tmp_path / "run.log").read_text() and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        output = (tmp_path / "run.log").read_text()
        assert f"http://127.0.0.1:{ports['CRM']}/" in output  # the place to start is printed
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['CRM']}/", timeout=5) as r:
            assert r.status == 200
        children = _children_of(runner.pid)
        assert len(children) >= 5  # azurite, two simulators, demo page, app
    finally:
        runner.send_signal(signal.SIGINT)  # what Ctrl-C sends
        runner.wait(timeout=60)
        log.close()
    assert runner.returncode == 0
    assert "Stopped; all ports are free." in (tmp_path / "run.log").read_text()
    assert not [pid for pid in children if _alive(pid)]
    assert not [name for name, port in ports.items() if port_is_open("127.0.0.1", port)]


def _start_runner(tmp_path: Path) -> tuple[subprocess.Popen[bytes], dict[str, int], Path]:
    """``python -m devstack`` on free ports, in its own process group (as under make or a
    service manager); returns once the app answers and the URLs are printed."""
    names = ("APP", "AZURITE", "ENTRA", "ENTRA_HTTP", "DATAVERSE", "CRM")
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    env = dict(os.environ)
    env.update({f"DEVSTACK_{k}_PORT": str(v) for k, v in ports.items()})
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        runner = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while "Press Ctrl-C" not in log_path.read_text() and time.monotonic() < deadline:
        assert runner.poll() is None, log_path.read_text()[-3000:]
        time.sleep(0.1)
    assert "Press Ctrl-C" in log_path.read_text(), log_path.read_text()[-3000:]
    return runner, ports, log_path


def _nothing_left(children: set[int], ports: dict[str, int], *, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = [pid for pid in children if _alive(pid)]
        busy = [name for name, port in ports.items() if port_is_open("127.0.0.1", port)]
        if not alive and not busy:
            return
        time.sleep(0.1)
    assert not alive, f"processes left: {alive}"
    assert not busy, f"ports left open: {busy}"


def test_a_service_manager_stop_and_makes_second_sigterm_leave_nothing(tmp_path: Path) -> None:
    runner, ports, log_path = _start_runner(tmp_path)
    children = _children_of(runner.pid)
    try:
        assert len(children) >= 5
        # systemd (KillMode=control-group) signals the whole group, and make forwards the
        # signal to its child once more: two SIGTERMs close together, then one during the stop.
        os.killpg(runner.pid, signal.SIGTERM)
        os.killpg(runner.pid, signal.SIGTERM)
        time.sleep(0.2)
        os.killpg(runner.pid, signal.SIGTERM)
        assert runner.wait(timeout=60) == 0
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    assert "Stopped; all ports are free." in log_path.read_text()
    _nothing_left(children, ports, within=5)


def test_a_closing_terminal_sighup_stops_everything(tmp_path: Path) -> None:
    runner, ports, log_path = _start_runner(tmp_path)
    children = _children_of(runner.pid)
    try:
        # A terminal that closes sends SIGHUP to its foreground process group.
        os.killpg(runner.pid, signal.SIGHUP)
        os.killpg(runner.pid, signal.SIGHUP)
        assert runner.wait(timeout=60) == 0
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    _nothing_left(children, ports, within=5)


def test_children_die_with_the_runner_even_on_sigkill(tmp_path: Path) -> None:
    runner, ports, _ = _start_runner(tmp_path)
    children = _children_of(runner.pid)
    assert len(children) >= 5
    runner.kill()  # SIGKILL: the runner cannot clean up; PR_SET_PDEATHSIG must
    runner.wait()
    _nothing_left(children, ports, within=10)


def test_run_refuses_ports_in_use_with_a_readable_message(tmp_path: Path) -> None:
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    env = dict(os.environ, DEVSTACK_APP_PORT=str(busy.getsockname()[1]))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "devstack"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        busy.close()
    assert result.returncode == 2
    assert "Ports already in use" in result.stderr and "DEVSTACK_APP_PORT" in result.stderr


NORTHWIND = "4e000000-0000-4000-8000-0000000000a1"
WOODGROVE = "4e000000-0000-4000-8000-0000000000b2"
OWN_APP = "4e000000-0000-4000-8000-0000000000c3"


def _people() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """One Entra user and Dataverse user per tenant of the two-org seed."""
    people = [
        ("a1", NORTHWIND, "Nora Nord", "nora@northwind.example"),
        ("b2", WOODGROVE, "Will Wood", "will@woodgrove.example"),
    ]
    users: list[dict[str, object]] = [
        {"oid": f"4e000000-0000-4000-8000-0000000001{k}", "tenant": t, "name": n, "username": u}
        for k, t, n, u in people
    ]
    systemusers: list[dict[str, object]] = [
        {
            "systemuserid": f"4e000000-0000-4000-8000-0000000002{k}",
            "fullname": n,
            "azureactivedirectoryobjectid": f"4e000000-0000-4000-8000-0000000001{k}",
            "privileges": {"prvReadOpportunity": "Organization", "prvWriteOpportunity": "User"},
        }
        for k, _, n, _ in people
    ]
    return users, systemusers


def _two_org_seed(path: Path) -> Path:
    """A seed unlike the demo: two tenants, two orgs (neither named contoso, one German), and
    its own cockpit app registration (another client id and secret)."""
    demo = json.loads((REPO / "devstack" / "seed" / "demo.json").read_text(encoding="utf-8"))
    users, systemusers = _people()
    seed = {
        "tenants": [
            {"id": NORTHWIND, "name": "Northwind", "domain": "northwind.example"},
            {"id": WOODGROVE, "name": "Woodgrove", "domain": "woodgrove.example"},
        ],
        "users": users,
        "apps": [
            {
                **demo["apps"][0],
                "client_id": OWN_APP,
                "tenant": NORTHWIND,
                "display_name": "Northwind Cockpit",
                "secret": "northwind-cockpit-secret",
                "identifier_uris": [f"api://{OWN_APP}"],
                "role_assignments": [],
                "federated_identity_credentials": [],
                "service_principal_object_id": "4e000000-0000-4000-8000-0000000000d4",
            }
        ],
        "resources": demo["resources"],
        "dataverse": {
            "orgs": [
                {
                    "name": "northwind-vertrieb",
                    "tenant": NORTHWIND,
                    "lcid": 1031,
                    "currency": "EUR",
                },
                {"name": "woodgrove-sales", "tenant": WOODGROVE, "lcid": 1033, "currency": "USD"},
            ],
            "systemusers": systemusers,
            "accounts": demo["dataverse"]["accounts"][:2],
            "contacts": [],
            "opportunities": [
                {
                    **o,
                    "_ownerid_value": systemusers[0]["systemuserid"],
                    "_parentcontactid_value": None,
                }
                for o in demo["dataverse"]["opportunities"][:2]
            ],
            "metadata": demo["dataverse"]["metadata"],
        },
    }
    path.write_text(json.dumps(seed), encoding="utf-8")
    return path


async def test_a_seed_with_two_orgs_and_its_own_app_runs_and_signs_in(tmp_path: Path) -> None:
    seed = _two_org_seed(tmp_path / "two-orgs.json")
    stack = Stack(
        StackConfig(
            ports=StackPorts.free(),
            state_dir=tmp_path / "state",
            seed=seed,
            persist_storage=False,
        )
    )
    stack.start()
    try:
        env = stack.app_environment()
        orgs = json.loads(env["COCKPIT_CRM_ORGS"])
        assert [o["name"] for o in orgs] == ["northwind-vertrieb", "woodgrove-sales"]
        assert [o["tenant_id"] for o in orgs] == [NORTHWIND, WOODGROVE]
        assert env["COCKPIT_CLIENT_ID"] == OWN_APP
        assert env["COCKPIT_CLIENT_SECRET"] == "northwind-cockpit-secret"
        assert set(env["COCKPIT_TENANT_IDS"].split(",")) == {NORTHWIND, WOODGROVE}
        places = stack.plan()
        async with browser() as client:
            for user in ("nora@northwind.example", "will@woodgrove.example"):
                me = await sign_in(client, app_url=stack.app_url, username=user)
                assert me.status_code == 200, me.text[:500]
                client.cookies.clear()
                client.browser_jar.clear()  # type: ignore[attr-defined]
            german = await client.get(f"{places[0].crm_url}/")
            english = await client.get(f"{places[1].crm_url}/")
        assert german.status_code == 200 and "Verkaufschancen" in german.text
        assert english.status_code == 200 and "Opportunities" in english.text
    finally:
        stack.stop()
    assert not [
        p
        for p in (*[pl.dataverse_port for pl in places], stack.config.ports.app)
        if port_is_open("127.0.0.1", p)
    ]


@pytest.mark.parametrize("mode", ["certificate", "managed_identity"])
async def test_production_credential_modes_sign_in_locally(tmp_path: Path, mode: str) -> None:
    """COCKPIT_CLIENT_CREDENTIAL_MODE=certificate / managed_identity against the simulators: the
    code redemption authenticates with a client assertion (a certificate, or the managed
    identity's token under the app's federated credential) and the user gets in."""
    stack = Stack(
        StackConfig(
            ports=StackPorts.free(),
            state_dir=tmp_path / "state",
            persist_storage=False,
            with_crm_demo=False,
            credential_mode=mode,  # type: ignore[arg-type]
        )
    )
    stack.start()
    try:
        env = stack.app_environment()
        assert env["COCKPIT_CLIENT_CREDENTIAL_MODE"] == mode and "COCKPIT_CLIENT_SECRET" not in env
        async with browser() as client:
            me = await sign_in(client, app_url=stack.app_url, username="anna@contoso.example")
        assert me.status_code == 200, me.text[:500]
        log = (stack.config.state_dir / "logs" / "entra.log").read_text()
        assert "Traceback" not in log
    finally:
        stack.stop()


def test_a_solution_given_to_the_stack_is_imported_and_shown(tmp_path: Path) -> None:
    from tests.integration.dataverse_sim.solution_zip import COCKPIT_URL, solution_zip

    package = tmp_path / "cockpit_managed.zip"
    package.write_bytes(solution_zip())
    stack = Stack(
        StackConfig(
            ports=StackPorts.free(),
            state_dir=tmp_path / "state",
            persist_storage=False,
            with_app=False,
            solution=package,
        )
    )
    stack.start()
    try:
        form = (
            urllib.request.urlopen(
                f"{stack.crm_url}/main.aspx?etn=opportunity&id=0aa00000-0000-4000-8000-000000000001"
                "&pagetype=entityrecord",
                timeout=10,
            )
            .read()
            .decode()
        )
        app_url = stack.app_url
    finally:
        stack.stop()
    assert 'id="open-cockpit"' in form and 'id="tab-cockpit"' in form
    # The stack plays the deployment: it points the package's Cockpit URL variable at this stack's
    # app (the admin's second setup step), whatever value the package brought.
    # The form script gets that URL from the variable and points the tab's IFRAME at it.
    config = json.loads(
        form.split('id="crm-demo-config" type="application/json">')[1].split("<")[0]
    )
    assert config["cockpitUrl"] == app_url and COCKPIT_URL != app_url
