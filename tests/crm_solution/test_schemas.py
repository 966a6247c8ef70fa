"""The built customizations.xml against Microsoft's schemas: the whole file against
CustomizationsSolution.xsd, the form against FormXml.xsd, the ribbon against RibbonCore.xsd; and
proof that the checks catch real mistakes."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET

import pytest

from crm.solution import SolutionPackages
from crm.solution.checks import (
    SCHEMA_DIR,
    customizations_errors,
    form_errors,
    package_schema_errors,
    ribbon_errors,
)
from tests.crm_solution.conftest import read


def customizations(packages: SolutionPackages) -> bytes:
    return read(packages.managed, "customizations.xml")


def test_customizations_xml_is_valid_against_customizations_solution_xsd(
    packages: SolutionPackages,
) -> None:
    for path in (packages.managed, packages.unmanaged):
        assert customizations_errors(read(path, "customizations.xml")) == []


def test_the_form_is_valid_against_formxml_xsd(packages: SolutionPackages) -> None:
    root = ET.fromstring(customizations(packages))
    [form] = root.iterfind("./Entities/Entity/FormXml/forms/systemform/form")
    assert form_errors(form) == []


def test_the_ribbon_is_valid_against_ribboncore_xsd(packages: SolutionPackages) -> None:
    root = ET.fromstring(customizations(packages))
    [ribbon] = root.iterfind("./Entities/Entity/RibbonDiffXml")
    assert ribbon_errors(ribbon) == []


# Each mistake: (what is replaced, by what, a word the error must contain).
MISTAKES = [
    ('level="Basic"', 'level="User"', "RolePrivilege"),
    ("<Accuracy>1</Accuracy>", "<Accuracy>one</Accuracy>", "Accuracy"),
    ("<PassParameters>true", "<PassParameters>yes", "PassParameters"),
    ('Value="PrimaryControl"', 'Value="PrimaryKontrol"', "CrmParameter"),
    ('width="100%"', 'width="101%"', "width"),
    ("<IntroducedVersion>1.0.0.0<", "<IntroducedVersion>one<", "IntroducedVersion"),
    ('solutionaction="Added"', 'solutionaction="Appended"', "solutionactionType"),
    (
        "<WebResourceType>3</WebResourceType>",
        "<WebResourceKind>3</WebResourceKind>",
        "WebResourceKind",
    ),
    (
        '<SelectionCountRule AppliesTo="SelectedEntity"',
        '<SelectionCountRule Applies="x"',
        "Applies",
    ),
    ("<Type>decimal</Type>", "<Type>decimals</Type>", "Type"),
]


@pytest.mark.parametrize(("old", "new", "named"), MISTAKES)
def test_a_mistake_in_any_part_is_reported(
    packages: SolutionPackages, old: str, new: str, named: str
) -> None:
    text = customizations(packages).decode()
    assert old in text, "the mistake must change something"
    problems = package_schema_errors(text.replace(old, new, 1).encode())
    assert problems and any(named in p for p in problems), problems


def test_dotnet_anchors_are_honoured_but_a_bad_version_still_fails(
    packages: SolutionPackages,
) -> None:
    text = customizations(packages).decode()
    # 1.0.0.0 passes VersionType ("^…$" read as anchors); five parts fail it either way.
    assert "<IntroducedVersion>1.0.0.0</IntroducedVersion>" in text
    broken = text.replace("<IntroducedVersion>1.0.0.0<", "<IntroducedVersion>1.0.0.0.0<", 1)
    assert any("IntroducedVersion" in p for p in package_schema_errors(broken.encode()))


def test_schema_files_are_microsofts_unchanged_copies() -> None:
    provenance = (SCHEMA_DIR / "PROVENANCE.md").read_text()
    listed = dict(
        (name, digest)
        for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+\.xsd)$", provenance, re.M)
    )
    on_disk = {p.name for p in SCHEMA_DIR.glob("*.xsd")}
    assert set(listed) == on_disk and len(on_disk) == 8
    for name, digest in listed.items():
        assert hashlib.sha256((SCHEMA_DIR / name).read_bytes()).hexdigest() == digest, name
