"""One build of both packages per test session (the build is deterministic), plus functions that
rewrite a built zip with one fault so a check can be shown to catch it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from crm.solution import SolutionPackages, build_solution
from crm.solution.package import WEBRESOURCES_DIR
from crm.solution.spec import SPEC

SOURCES = {r.name: WEBRESOURCES_DIR / r.source for r in SPEC.web_resources}


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> SolutionPackages:
    return build_solution(tmp_path_factory.mktemp("dist"))


def read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def xml(path: Path, name: str) -> ET.Element:
    return ET.fromstring(read(path, name))


def rewrite(
    source: Path,
    target: Path,
    change: Callable[[dict[str, bytes]], dict[str, bytes]],
) -> Path:
    """Copy ``source`` to ``target`` with its entries passed through ``change`` (order kept for
    entries that stay; new ones go last)."""
    with zipfile.ZipFile(source) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(target, "w") as archive:
        for name, content in change(entries).items():
            archive.writestr(name, content)
    return target
