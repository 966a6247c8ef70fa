"""azure.yaml wiring, hook scripts that parse, and a static check that no script shows a secret."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.infra.conftest import REPO_ROOT

SCRIPTS = REPO_ROOT / "scripts"
SHELL_SCRIPTS = sorted(SCRIPTS.glob("*.sh"))
PYTHON_SCRIPTS = sorted(SCRIPTS.glob("*.py"))
SECRETISH = re.compile(
    r"(?i)(secret|password|passwd|token|assertion|credential|\bkey\b|_key\b|\bvalue\b)"
)


def _azure_yaml() -> dict[str, object]:
    document: dict[str, object] = yaml.safe_load((REPO_ROOT / "azure.yaml").read_text())
    return document


def test_azure_yaml_points_at_the_bicep_infra() -> None:
    config = _azure_yaml()
    assert re.fullmatch(r"[a-z0-9-]+", str(config["name"]))
    assert config["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    assert (REPO_ROOT / "infra" / "main.bicep").is_file()
    assert (REPO_ROOT / "infra" / "main.parameters.json").is_file()


@pytest.mark.parametrize("hook", ["preprovision", "postprovision"])
def test_azure_yaml_runs_each_hook_on_posix_and_windows(hook: str) -> None:
    hooks = _azure_yaml()["hooks"]
    assert isinstance(hooks, dict)
    posix, windows = hooks[hook]["posix"], hooks[hook]["windows"]
    assert posix["shell"] == "sh"
    script = REPO_ROOT / posix["run"]
    assert script.is_file() and os.access(script, os.X_OK)
    assert f"-m scripts.hooks {hook}" in script.read_text()
    assert windows == {
        "shell": "pwsh",
        "run": f"python -m scripts.hooks {hook}",
        "interactive": True,
        "continueOnError": False,
    }
    # Interactive: the deployer must see the remaining steps; a failure stops `azd up`.
    assert posix["interactive"] is True and posix["continueOnError"] is False


@pytest.mark.parametrize("shell", ["bash", "sh"])
@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_hook_scripts_parse(shell: str, script: Path) -> None:
    # azd runs `shell: sh` hooks with sh: the scripts must be POSIX, and bash -n must pass too.
    executable = shutil.which(shell)
    assert executable is not None, f"{shell} is needed to check the hook scripts"
    result = subprocess.run(
        [executable, "-n", str(script)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- no script shows a secret (static) -----------------------------------------------------------------


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_never_trace_or_echo_secrets(script: Path) -> None:
    text = script.read_text()
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert not re.search(r"set\s+-[a-z]*x|set\s+-o\s+xtrace", code), "tracing would log values"
    for line in code.splitlines():
        if re.search(r"\b(echo|printf)\b", line):
            assert not SECRETISH.search(line), f"{script.name}: {line.strip()}"
    assert "az keyvault secret show" not in code


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


@pytest.mark.parametrize("script", PYTHON_SCRIPTS, ids=lambda p: p.name)
def test_python_scripts_never_output_a_secret(script: Path) -> None:
    tree = ast.parse(script.read_text())
    for call in _calls(tree):
        name = _name(call)
        assert name != "print", f"{script.name}: use say() (stdout) so output stays reviewable"
        if name in ("say", "write", "SystemExit", "AzCliError", "DataverseError", "SetupError"):
            # Whatever is interpolated into output or error text must not be secret-named.
            for node in ast.walk(call):
                if isinstance(node, ast.FormattedValue):
                    expression = ast.unparse(node.value)
                    assert not SECRETISH.search(expression), (
                        f"{script.name}:{call.lineno} interpolates {expression!r} into output"
                    )
    text = script.read_text()
    assert "--value" not in text, "secrets go to az through --file, never on the command line"
    for forbidden in ("addPassword", "passwordCredentials", "client_secret", "keyCredentials"):
        assert forbidden not in text, f"{script.name}: no client secret or certificate is created"


def test_key_vault_writes_suppress_az_output() -> None:
    tree = ast.parse((SCRIPTS / "token_cache_key.py").read_text())
    writes = [
        call
        for call in _calls(tree)
        if _name(call) == "az"
        and [a.value for a in call.args[:3] if isinstance(a, ast.Constant)]
        == ["keyvault", "secret", "set"]
    ]
    assert writes, "the key is written with az keyvault secret set"
    for call in writes:
        args = [a.value for a in call.args if isinstance(a, ast.Constant)]
        # `secret set` echoes the stored value unless its output is suppressed.
        assert args[args.index("--output") + 1] == "none"
        assert "--file" in args


def test_tokens_are_only_captured_never_shown() -> None:
    source = (SCRIPTS / "dataverse_setup.py").read_text()
    tree = ast.parse(source)
    token_uses = [
        node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id == "token"
    ]
    # Assigned once from `az account get-access-token`, used once to build the transport, and
    # read once inside it for the Authorization header.
    contexts = sorted(type(node.ctx).__name__ for node in token_uses)
    assert contexts == ["Load", "Load", "Store"]
    assert 'f"Bearer {token}"' in source
