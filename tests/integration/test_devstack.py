"""`make run`'s stack runner as a person uses it: start, everything answers, Ctrl-C, nothing left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devstack.process import free_ports, port_is_open

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
