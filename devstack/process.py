"""Child processes of the local stack: start, wait until they answer, stop without orphans.

Every child runs in its own process group so that stopping it also stops whatever it spawned
(npm wrappers, reloaders), and the port is free again when ``stop`` returns.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now (tests use these so parallel runs never collide)."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct free ports. All sockets stay open until every port is chosen: closing
    one before asking for the next would let the kernel hand out the same port twice."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_is_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class ProcessFailed(RuntimeError):
    """A child exited or did not answer in time; the message carries the tail of its log."""


@dataclass
class ManagedProcess:
    """One child of the stack.

    ``ready_url`` (an http(s) URL answering any status) or ``ready_port`` says when it is up.
    """

    name: str
    argv: Sequence[str]
    log_path: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    ready_url: str | None = None
    ready_port: tuple[str, int] | None = None
    ca_file: Path | None = None
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, *, timeout: float = 30.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self._proc = subprocess.Popen(
            list(self.argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=self.cwd,
            start_new_session=True,  # own process group: stop() kills the whole tree
            preexec_fn=_die_with_parent(os.getpid()),
        )
        log.close()
        self.wait_ready(timeout=timeout)

    def wait_ready(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise ProcessFailed(
                    f"{self.name} exited with {self._proc.returncode}:\n{self.log_tail()}"
                )
            if self._answers():
                return
            time.sleep(0.05)
        self.stop()
        raise ProcessFailed(
            f"{self.name} did not answer within {timeout:.0f} s:\n{self.log_tail()}"
        )

    def _answers(self) -> bool:
        if self.ready_port is not None:
            return port_is_open(*self.ready_port)
        if self.ready_url is None:
            return True
        context = ssl.create_default_context(cafile=str(self.ca_file)) if self.ca_file else None
        try:
            with urllib.request.urlopen(self.ready_url, timeout=0.5, context=context):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer means the server is up
        except (OSError, ValueError):
            return False

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, *, grace: float = 5.0) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            _signal_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=grace)
        # Children that outlived the leader (same group) go too.
        _signal_group(proc.pid, signal.SIGKILL)
        self._proc = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


# prctl(2): PR_SET_PDEATHSIG delivers a signal to this process when the thread that forked it
# exits — even when the runner is killed with SIGKILL and cannot clean up. Linux only.
_PR_SET_PDEATHSIG = 1
_PRCTL: Callable[..., int] | None
try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: children are still stopped by stop()
    _PRCTL = None


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child die with the process that started it (no orphans
    when the runner is killed), or None where prctl does not exist."""
    prctl = _PRCTL
    if prctl is None:
        return None

    def arrange() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return arrange


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def import_solution(org_url: str, package: Path, *, ca_file: Path) -> None:
    """Import a solution zip into a Dataverse simulator org, as an admin does in the maker portal
    (the simulator's control API; the Web API's ImportSolution needs an admin's token)."""
    request = urllib.request.Request(
        f"{org_url}/_sim/solutions/import",
        data=package.read_bytes(),
        method="POST",
        headers={"Content-Type": "application/zip"},
    )
    context = ssl.create_default_context(cafile=str(ca_file))
    try:
        with urllib.request.urlopen(request, timeout=30, context=context):
            return
    except urllib.error.HTTPError as exc:
        raise ProcessFailed(
            f"Importing {package} into {org_url} failed: {exc.read().decode(errors='replace')}"
        ) from exc


def set_environment_variable(org_url: str, schema_name: str, value: str, *, ca_file: Path) -> None:
    """Give an imported environment variable its value for this environment — the admin's second
    setup step (crm/SETUP.md), which scripts/dataverse_setup.py does against a real org: the
    existing value row is changed, or one is created."""
    context = ssl.create_default_context(cafile=str(ca_file))

    def rows(entity_set: str) -> list[dict[str, object]]:
        with urllib.request.urlopen(
            f"{org_url}/_sim/records/{entity_set}", timeout=30, context=context
        ) as answer:
            body = json.loads(answer.read())
        found = body.get("value", body) if isinstance(body, dict) else body
        return [r for r in found if isinstance(r, dict)]

    existing = next(
        (r for r in rows("environmentvariablevalues") if r.get("schemaname") == schema_name), None
    )
    if existing is not None:
        request = urllib.request.Request(
            f"{org_url}/_sim/records/environmentvariablevalues/{existing['environmentvariablevalueid']}",
            data=json.dumps({"value": value}).encode(),
            method="PATCH",
            headers={"Content-Type": "application/json"},
        )
    else:
        definition = next(
            r for r in rows("environmentvariabledefinitions") if r.get("schemaname") == schema_name
        )
        row = {
            "schemaname": schema_name,
            "value": value,
            "_environmentvariabledefinitionid_value": definition["environmentvariabledefinitionid"],
        }
        request = urllib.request.Request(
            f"{org_url}/_sim/records/environmentvariablevalues",
            data=json.dumps({"rows": [row]}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
    try:
        with urllib.request.urlopen(request, timeout=30, context=context):
            return
    except urllib.error.HTTPError as exc:
        raise ProcessFailed(
            f"Setting {schema_name} in {org_url} failed: {exc.read().decode(errors='replace')}"
        ) from exc
