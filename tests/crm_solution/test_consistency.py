"""The consistency checks catch a package whose parts disagree: each case breaks one thing in a
built zip and expects a problem naming it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from crm.solution import SolutionPackages
from crm.solution.consistency import managed_difference, package_problems
from tests.crm_solution.conftest import SOURCES, rewrite

Change = Callable[[dict[str, bytes]], dict[str, bytes]]


def edit(name: str, old: str, new: str, *, count: int = 1) -> Change:
    def change(entries: dict[str, bytes]) -> dict[str, bytes]:
        text = entries[name].decode()
        assert old in text, f"{old!r} not in {name}"
        return {**entries, name: text.replace(old, new, count).encode()}

    return change


def drop(predicate: Callable[[str], bool]) -> Change:
    return lambda entries: {k: v for k, v in entries.items() if not predicate(k)}


def add(name: str, content: bytes) -> Change:
    return lambda entries: {**entries, name: content}


def first_web_resource(entries: dict[str, bytes]) -> str:
    return next(n for n in entries if n.startswith("WebResources/"))


def tamper_web_resource(entries: dict[str, bytes]) -> dict[str, bytes]:
    name = first_web_resource(entries)
    return {**entries, name: entries[name] + b"\n// changed after the build\n"}


def move_content_types_last(entries: dict[str, bytes]) -> dict[str, bytes]:
    first = entries.pop("[Content_Types].xml")
    return {**entries, "[Content_Types].xml": first}


def reuse_tab_id_for_section(entries: dict[str, bytes]) -> dict[str, bytes]:
    text = entries["customizations.xml"].decode()
    tab_id = re.search(r'<tab [^>]*id="(\{[^}]+\})"', text)
    section_id = re.search(r'<section [^>]*id="(\{[^}]+\})"', text)
    assert tab_id and section_id
    return edit("customizations.xml", section_id.group(1), tab_id.group(1))(entries)


VAR = "environmentvariabledefinitions/cockpit_CockpitUrl/environmentvariabledefinition.xml"

CASES: list[tuple[str, Change, str]] = [
    (
        "missing customizations",
        drop(lambda n: n == "customizations.xml"),
        "customizations.xml is missing",
    ),
    ("content types not first", move_content_types_last, "must be the first entry"),
    ("stray entry", add("notes.txt", b"x"), "unexpected entry 'notes.txt'"),
    ("directory entry", add("WebResources/", b""), "not a plain relative file path"),
    (
        "web resource file missing",
        drop(lambda n: n.startswith("WebResources/cockpit_form")),
        "override for missing part",
    ),
    ("web resource changed", tamper_web_resource, "differs from its source"),
    (
        "override for nothing",
        edit("[Content_Types].xml", "/WebResources/cockpit_form", "/WebResources/cockpit_gone"),
        "override for missing part",
    ),
    (
        "web resource not a root component",
        edit("solution.xml", 'schemaName="cockpit_form.js"', 'schemaName="cockpit_other.js"'),
        "root components",
    ),
    (
        "variable folder and schemaname differ",
        edit(VAR, 'schemaname="cockpit_CockpitUrl"', 'schemaname="cockpit_Url"'),
        "holds schemaname 'cockpit_Url'",
    ),
    (
        "variable value shipped",
        add(
            "environmentvariabledefinitions/cockpit_CockpitUrl/environmentvariablevalues.json",
            b"{}",
        ),
        "unexpected entry",
    ),
    (
        "form library not in the package",
        edit(
            "customizations.xml",
            '<Library name="cockpit_form.js"',
            '<Library name="cockpit_gone.js"',
        ),
        "form library 'cockpit_gone.js'",
    ),
    (
        "command library not in the package",
        edit(
            "customizations.xml",
            "$webresource:cockpit_command.js",
            "$webresource:new_command.js",
            count=2,
        ),
        "command library 'new_command.js'",
    ),
    (
        "button runs an undefined command",
        edit(
            "customizations.xml",
            'Command="cockpit.opportunity.OpenCockpit.Form.Command"',
            'Command="cockpit.nothing"',
        ),
        "undefined command",
    ),
    (
        "missing enable rule",
        edit(
            "customizations.xml",
            '<EnableRule Id="cockpit.opportunity.OpenCockpit.SingleSelection.EnableRule">',
            '<EnableRule Id="cockpit.x">',
        ),
        "undefined enable rule",
    ),
    (
        "unprefixed ribbon id",
        edit(
            "customizations.xml",
            'Id="cockpit.opportunity.OpenCockpit.Form.CustomAction"',
            'Id="new.OpenCockpit"',
        ),
        "lacks the publisher prefix",
    ),
    (
        "unprefixed column",
        edit(
            "customizations.xml",
            'PhysicalName="cockpit_WinProbability"',
            'PhysicalName="new_WinProbability"',
        ),
        "column 'new_WinProbability' lacks the publisher prefix",
    ),
    (
        "control shows a column the package lacks",
        edit(
            "customizations.xml",
            'datafieldname="cockpit_winprobability"',
            'datafieldname="cockpit_other"',
        ),
        "not a column of the package",
    ),
    (
        "iframe sandboxed",
        edit("customizations.xml", "<Security>false</Security>", "<Security>true</Security>"),
        "restricts cross-frame scripting",
    ),
    (
        "German label missing",
        edit("customizations.xml", ' languagecode="1031"', ' languagecode="1033"'),
        "has languages",
    ),
    ("duplicate id", reuse_tab_id_for_section, "is used 2 times"),
    (
        "version mismatch",
        edit("customizations.xml", "<IntroducedVersion>1.0.0.0<", "<IntroducedVersion>0.9.0.0<"),
        "!= solution version",
    ),
    (
        "bad prefix",
        edit("solution.xml", "<CustomizationPrefix>cockpit<", "<CustomizationPrefix>mscrm_x<"),
        "publisher prefix",
    ),
]


@pytest.mark.parametrize(("label", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_broken_package_is_reported(
    packages: SolutionPackages, tmp_path: Path, label: str, change: Change, expected: str
) -> None:
    broken = rewrite(packages.managed, tmp_path / "broken.zip", change)
    problems = package_problems(broken, sources=SOURCES)
    assert any(expected in p for p in problems), (label, problems)


def test_managed_difference_notices_any_other_difference(
    packages: SolutionPackages, tmp_path: Path
) -> None:
    other = rewrite(
        packages.unmanaged,
        tmp_path / "other.zip",
        edit("customizations.xml", "<Language>1031</Language>", "<Language>1036</Language>"),
    )
    assert managed_difference(packages.managed, other) == ["customizations.xml differs"]
    flipped = rewrite(
        packages.unmanaged,
        tmp_path / "flip.zip",
        edit("solution.xml", "<Managed>0<", "<Managed>1<"),
    )
    assert "Managed flags are ('1', '1')" in managed_difference(packages.managed, flipped)[0]
