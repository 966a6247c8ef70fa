"""Reading the Bicep files the way the checks need them, on top of pycep-parser.

Bicep cannot be compiled here (the CLI downloads its binary), so the checks read pycep's parse tree.
Two quirks shape these helpers:

- pycep renders a literal ``'Disabled'`` and a reference to a symbol named ``Disabled`` the same
  way (a bare string). ``literal()`` therefore insists that a value is not also the name of a
  parameter, variable, resource or module in that file.
- conditional (``= if (...)``) and loop (``[for ...]``) resources wrap their body once more;
  ``body()`` unwraps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA = REPO_ROOT / "infra"


@dataclass(frozen=True)
class BicepFile:
    path: Path
    tree: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.path.relative_to(REPO_ROOT))

    @property
    def parameters(self) -> Mapping[str, Any]:
        found: Mapping[str, Any] = self.tree.get("parameters", {})
        return found

    @property
    def variables(self) -> Mapping[str, Any]:
        found: Mapping[str, Any] = self.tree.get("variables", {})
        return found

    @property
    def resources(self) -> Mapping[str, Any]:
        found: Mapping[str, Any] = self.tree.get("resources", {})
        return found

    @property
    def modules(self) -> Mapping[str, Any]:
        found: Mapping[str, Any] = self.tree.get("modules", {})
        return found

    @property
    def outputs(self) -> Mapping[str, Any]:
        found: Mapping[str, Any] = self.tree.get("outputs", {})
        return found

    def symbols(self) -> set[str]:
        return {*self.parameters, *self.variables, *self.resources, *self.modules}

    def resources_of_type(self, resource_type: str) -> dict[str, Mapping[str, Any]]:
        return {
            name: res
            for name, res in self.resources.items()
            if str(res["type"]).lower() == resource_type.lower()
        }

    def one(self, resource_type: str) -> tuple[str, Mapping[str, Any]]:
        found = self.resources_of_type(resource_type)
        assert len(found) == 1, f"{self.name}: expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def literal(self, value: object) -> object:
        """``value`` if it is a literal (not a symbol reference); fails the test otherwise."""
        if isinstance(value, str):
            assert value not in self.symbols(), (
                f"{self.name}: {value!r} is a reference to a symbol, expected a literal"
            )
            assert "${" not in value, f"{self.name}: {value!r} is interpolated, expected a literal"
        return value

    def param_default(self, name: str) -> object:
        assert name in self.parameters, f"{self.name}: no parameter {name!r}"
        return self.parameters[name]["default"]

    def allowed(self, name: str) -> list[object] | None:
        for decorator in self.parameters[name]["decorators"]:
            if decorator["type"] == "allowed":
                return list(decorator["argument"])
        return None

    def declared_resource_names(self) -> list[str]:
        """Symbolic names of every ``resource`` declaration, read from the source text."""
        text = self.path.read_text()
        return re.findall(r"^\s*resource\s+(\w+)\s+'", text, flags=re.MULTILINE)


def body(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``{name, properties, ...}`` body of a plain, conditional or loop resource/module."""
    config = resource["config"]
    if "loop_type" in config or ("condition" in config and "config" in config):
        return dict(config["config"])
    return dict(config)


def condition(resource: Mapping[str, Any]) -> object:
    config = resource["config"]
    return config.get("condition") if "config" in config else None


def strings(node: object) -> Iterator[str]:
    """Every string inside an expression tree: values, function names, accessor names.

    Dict *keys* are included too except for plain property maps; callers that must not see keys
    (app-setting names) pass the value only.
    """
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("type", "func_name"):
                yield str(value)
            yield from strings(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from strings(item)


def accessor_path(node: object) -> list[str]:
    """``a.b.c`` as ``['a', 'b', 'c']`` for a pycep property-accessor chain (else ``[]``)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, Mapping) and "operator" in node:
        op = node["operator"]
        if op.get("type") == "property_accessor":
            left = accessor_path(op["operands"]["operand_1"])
            right = accessor_path(op["operands"]["operand_2"])
            return left + right if left and right else []
    return []


@cache
def _parse(path: Path) -> Mapping[str, Any]:
    return BicepParser().parse(file_path=path)


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


def load(path: Path) -> BicepFile:
    return BicepFile(path=path, tree=_parse(path))


def load_rel(relative: str) -> BicepFile:
    return load(INFRA / relative)


def module_file(parent: BicepFile, module_name: str) -> BicepFile:
    detail = parent.modules[module_name]["detail"]
    return load((parent.path.parent / detail["path"]).resolve())
