"""Thin, typed wrappers around the Azure CLI (``az``) and the Azure Developer CLI (``azd``).

Why the CLI and not SDKs: the hooks must run on a fresh machine where only ``az``/``azd`` and a
Python interpreter exist, with the deployer's own sign-in (``az login``).

Rules kept here so every caller gets them for free:
- arguments are passed as a list (no shell), so nothing is re-interpreted;
- ``--only-show-errors`` keeps warnings out of parsed output;
- a secret never goes into argv (other local users can read a process's arguments); secrets are
  handed over in a private temporary file instead (``private_file``);
- error messages carry az's stderr, which names the failing request but holds no token.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "AzCliError",
    "Graph",
    "NotFound",
    "az",
    "azd_env_set",
    "flag",
    "private_file",
    "require_env",
    "say",
]

GRAPH_ROOT = "https://graph.microsoft.com/v1.0"


class AzCliError(RuntimeError):
    """``az`` (or ``azd``) exited non-zero; the message is its stderr, trimmed."""

    def __init__(self, command: str, stderr: str) -> None:
        super().__init__(f"`{command}` failed: {stderr.strip() or 'no error text'}")
        self.stderr = stderr


class NotFound(AzCliError):
    """The request reached the service, which answered 404 / ResourceNotFound."""


def say(message: str) -> None:
    """Progress for the person running ``azd up`` (hooks run with ``interactive: true``)."""
    sys.stdout.write(f"{message}\n")
    sys.stdout.flush()


def require_env(name: str, hint: str = "") -> str:
    """A value azd put into the hook's environment, or a clear error naming how to set it."""
    value = os.environ.get(name, "").strip()
    if not value:
        extra = f" {hint}" if hint else ""
        raise SystemExit(f"{name} is not set.{extra}")
    return value


def flag(name: str, default: bool) -> bool:
    """A yes/no switch from the azd environment (``azd env set NAME true``)."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in ("1", "true", "yes", "on")


def _executable(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"`{name}` is not on PATH; install it first (see docs/deploy.md).")
    return found


def _run(program: str, args: Sequence[str]) -> str:
    argv = [_executable(program), *args]
    if program == "az" and "--only-show-errors" not in args:
        argv.append("--only-show-errors")
    completed = subprocess.run(  # fixed program, argument list, no shell
        argv, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        # Only the verb is echoed back, never the arguments (they may hold ids a user did not
        # expect in a CI log; no secret is ever an argument, but keep the habit).
        command = f"{program} {' '.join(args[:2])}"
        stderr = completed.stderr
        if _looks_not_found(stderr):
            raise NotFound(command, stderr)
        raise AzCliError(command, stderr)
    return completed.stdout


def _looks_not_found(stderr: str) -> bool:
    markers = ("Request_ResourceNotFound", "ResourceNotFound", "Not Found(", "(NotFound)")
    return any(marker in stderr for marker in markers)


def az(*args: str) -> str:
    """Run ``az`` and return its stdout."""
    return _run("az", args)


def azd_env_set(name: str, value: str) -> None:
    """Store a value in the current azd environment (``.azure/<env>/.env``); never a secret."""
    _run("azd", ["env", "set", name, value])


@contextmanager
def private_file(content: str) -> Iterator[Path]:
    """A file only this user can read, holding ``content``, deleted on exit.

    Used to hand a secret to ``az`` (``--file``) without putting it on the command line.
    """
    directory = Path(tempfile.mkdtemp(prefix="cockpit-"))  # mkdtemp: mode 0700
    path = directory / "value"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        yield path
    finally:
        path.unlink(missing_ok=True)
        directory.rmdir()


class Graph:
    """Microsoft Graph v1.0 through ``az rest`` (it acquires the token for the signed-in user)."""

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request; return the parsed JSON body (``None`` for 204). 404 raises NotFound."""
        url = path if path.startswith("https://") else f"{GRAPH_ROOT}{path}"
        args = ["rest", "--method", method.upper(), "--url", url]
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        args += ["--headers", *[f"{key}={value}" for key, value in all_headers.items()]]
        if body is not None:
            args += ["--body", json.dumps(body)]
        out = az(*args)
        return json.loads(out) if out.strip() else None
