"""A stand-in for the ``az`` and ``azd`` executables, for the hook-script tests.

Installed on PATH by the tests as ``az``/``azd`` wrappers that run this file with the program name
first. State (Key Vault secrets, the fake Graph, tokens, azd environment) lives in the JSON file
named by FAKE_AZ_STATE; every invocation's argv is appended to FAKE_AZ_LOG (JSON lines) so tests
can prove that no secret ever appeared on a command line.

Behaviour mirrors the real CLI where the scripts depend on it:
- ``az keyvault secret set`` prints the whole secret bundle, **value included**, unless
  ``--output none`` (https://learn.microsoft.com/cli/azure/keyvault/secret#az-keyvault-secret-set);
  ``--file`` content is stored as-is;
- a Key Vault call without a data-plane role fails with ``(Forbidden) ... ForbiddenByRbac``
  (what Key Vault answers while a new role assignment propagates);
- ``az rest`` prints the response body; HTTP errors go to stderr as ``ERROR: Not Found({...})``
  with exit code 1 (https://learn.microsoft.com/cli/azure/reference-index#az-rest);
- ``--only-show-errors`` is accepted everywhere.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.infra.fake_graph import FakeGraph, GraphError  # noqa: E402

REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}


def _option(args: list[str], name: str) -> str | None:
    if name in args:
        index = args.index(name)
        return args[index + 1] if index + 1 < len(args) else ""
    return None


def _values(args: list[str], name: str) -> list[str]:
    """All values after ``name`` up to the next ``--option``."""
    if name not in args:
        return []
    rest = args[args.index(name) + 1 :]
    values = []
    for item in rest:
        if item.startswith("--"):
            break
        values.append(item)
    return values


def _fail(message: str, code: int = 1) -> int:
    sys.stderr.write(message + "\n")
    return code


def _keyvault(state: dict[str, Any], args: list[str]) -> int:
    if state.get("forbidden", 0) > 0:
        state["forbidden"] -= 1
        return _fail(
            "ERROR: (Forbidden) Caller is not authorized to perform action on resource.\n"
            'Code: Forbidden\nInner error: {"code": "ForbiddenByRbac"}'
        )
    vault = _option(args, "--vault-name") or ""
    secrets = state.setdefault("secrets", {}).setdefault(vault, {})
    if args[:2] == ["secret", "list"]:
        query = _option(args, "--query") or ""
        match = re.fullmatch(r"length\(\[\?name=='([^']+)'\]\)", query)
        if not match:
            return _fail(f"fake az: unsupported query {query!r}", 2)
        sys.stdout.write(f"{1 if match.group(1) in secrets else 0}\n")
        return 0
    if args[:2] == ["secret", "show"]:
        name = _option(args, "--name") or ""
        if name not in secrets:
            return _fail(f"ERROR: (SecretNotFound) A secret with (name/id) {name} was not found")
        if _option(args, "--query") != "value":
            return _fail("fake az: only `--query value` is supported for secret show", 2)
        sys.stdout.write(secrets[name] + "\n")
        return 0
    if args[:2] == ["secret", "set"]:
        name = _option(args, "--name") or ""
        file = _option(args, "--file")
        value = Path(file).read_text(encoding="utf-8") if file else _option(args, "--value")
        if value is None:
            return _fail("ERROR: one of --value/--file is required", 2)
        secrets[name] = value
        state.setdefault("secret_set_files", []).append(file)
        if _option(args, "--output") != "none":
            sys.stdout.write(
                json.dumps(
                    {"id": f"https://{vault}.vault.azure.net/secrets/{name}/1", "value": value}
                )
                + "\n"
            )
        return 0
    return _fail(f"fake az: unsupported keyvault command {args}", 2)


def _rest(state: dict[str, Any], args: list[str]) -> int:
    method = _option(args, "--method") or "GET"
    url = _option(args, "--url") or ""
    headers = dict(item.split("=", 1) for item in _values(args, "--headers"))
    raw_body = _option(args, "--body")
    body = json.loads(raw_body) if raw_body else None
    if url.startswith("https://management.azure.com/"):
        state.setdefault("arm_requests", []).append({"method": method, "url": url})
        return 0
    graph = FakeGraph(state["graph"])
    try:
        answer = graph.request(method, url, body, headers)
    except GraphError as error:
        return _fail(f"ERROR: {REASONS.get(error.status, 'Error')}({json.dumps(error.body())})")
    if answer is not None and _option(args, "--output") != "none":
        sys.stdout.write(json.dumps(answer) + "\n")
    return 0


def _az(state: dict[str, Any], args: list[str]) -> int:
    if args[:1] == ["keyvault"]:
        return _keyvault(state, args[1:])
    if args[:1] == ["rest"]:
        return _rest(state, args)
    if args[:2] == ["account", "show"]:
        if not state.get("tenant"):
            return _fail("ERROR: Please run 'az login' to setup account.")
        sys.stdout.write(state["tenant"] + "\n")
        return 0
    if args[:2] == ["account", "get-access-token"]:
        sys.stdout.write(state["token"] + "\n")
        return 0
    if args[:3] == ["ad", "signed-in-user", "show"]:
        sys.stdout.write(state.get("user", "") + "\n")
        return 0
    return _fail(f"fake az: unsupported command {args}", 2)


def _azd(state: dict[str, Any], args: list[str]) -> int:
    if args[:2] == ["env", "set"] and len(args) == 4:
        state.setdefault("azd_env", {})[args[2]] = args[3]
        return 0
    return _fail(f"fake azd: unsupported command {args}", 2)


def main() -> int:
    program, *args = sys.argv[1:]
    args = [a for a in args if a != "--only-show-errors"]
    state_path = Path(os.environ["FAKE_AZ_STATE"])
    with Path(os.environ["FAKE_AZ_LOG"]).open("a", encoding="utf-8") as log:
        log.write(json.dumps({"program": program, "argv": args}) + "\n")
    state = json.loads(state_path.read_text())
    code = _az(state, args) if program == "az" else _azd(state, args)
    state_path.write_text(json.dumps(state))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
