"""The zips `make solution` writes: layout, content types, byte-identical web resources, the
managed/unmanaged difference, reproducibility, the version from VERSION, the form override."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from crm.solution import SolutionPackages, build_solution, solution_zip
from crm.solution.__main__ import main
from crm.solution.consistency import managed_difference, package_problems
from crm.solution.package import REPO_ROOT, project_version
from crm.solution.spec import SALES_OPPORTUNITY_FORM_ID, SPEC
from shared.domain.dynamics_solution import solution_version
from tests.crm_solution.conftest import SOURCES, read, xml

CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def test_both_packages_are_named_and_versioned_like_dataverse_exports(
    packages: SolutionPackages,
) -> None:
    version = solution_version((REPO_ROOT / "VERSION").read_text())
    assert packages.version == version
    stem = f"OpportunityCockpit_{version.replace('.', '_')}"
    assert packages.managed.name == f"{stem}_managed.zip"
    assert packages.unmanaged.name == f"{stem}.zip"
    assert xml(packages.managed, "solution.xml").findtext("./SolutionManifest/Version") == version


def test_zip_layout(packages: SolutionPackages) -> None:
    with zipfile.ZipFile(packages.managed) as archive:
        names = archive.namelist()
        assert archive.testzip() is None
    assert names[:3] == ["[Content_Types].xml", "solution.xml", "customizations.xml"]
    assert sorted(n for n in names if n.startswith("WebResources/")) == sorted(
        f"WebResources/{r.name.replace('.', '')}{r.id}" for r in SPEC.web_resources
    )
    assert names[-1] == (
        "environmentvariabledefinitions/cockpit_CockpitUrl/environmentvariabledefinition.xml"
    )
    assert len(names) == 6


def test_content_types_cover_every_part(packages: SolutionPackages) -> None:
    types = xml(packages.managed, "[Content_Types].xml")
    assert types.tag == f"{CT}Types"
    assert [d.attrib for d in types.iter(f"{CT}Default")] == [
        {"Extension": "xml", "ContentType": "application/octet-stream"}
    ]
    overrides = {o.get("PartName") for o in types.iter(f"{CT}Override")}
    with zipfile.ZipFile(packages.managed) as archive:
        extensionless = {f"/{n}" for n in archive.namelist() if "." not in Path(n).name}
    assert overrides == extensionless and len(overrides) == 2


def test_web_resources_in_the_zip_equal_the_sources(packages: SolutionPackages) -> None:
    root = xml(packages.managed, "customizations.xml")
    for resource in root.iterfind("./WebResources/WebResource"):
        name = resource.findtext("Name")
        content = read(packages.managed, resource.findtext("FileName", "").lstrip("/"))
        assert content == SOURCES[str(name)].read_bytes(), name


def test_managed_and_unmanaged_differ_only_in_the_managed_flag(
    packages: SolutionPackages,
) -> None:
    assert managed_difference(packages.managed, packages.unmanaged) == []
    flags = [
        xml(p, "solution.xml").findtext("./SolutionManifest/Managed")
        for p in (packages.managed, packages.unmanaged)
    ]
    assert flags == ["1", "0"]


def test_both_packages_pass_every_consistency_check(packages: SolutionPackages) -> None:
    assert package_problems(packages.managed, sources=SOURCES) == []
    assert package_problems(packages.unmanaged, sources=SOURCES) == []


def test_builds_are_reproducible(packages: SolutionPackages, tmp_path: Path) -> None:
    again = build_solution(tmp_path)
    for first, second in ((packages.managed, again.managed), (packages.unmanaged, again.unmanaged)):
        assert (
            hashlib.sha256(first.read_bytes()).digest()
            == hashlib.sha256(second.read_bytes()).digest()
        )


def test_the_version_follows_the_project_version(tmp_path: Path) -> None:
    built = build_solution(tmp_path, project_version_text="2.3.4")
    assert built.version == "2.3.4.0" and built.managed.name.endswith("_2_3_4_0_managed.zip")
    versions = {
        node.text for node in xml(built.managed, "customizations.xml").iter("IntroducedVersion")
    }
    assert versions == {"2.3.4.0"}
    assert project_version() == (REPO_ROOT / "VERSION").read_text().strip()


def test_another_form_can_receive_the_tab(tmp_path: Path) -> None:
    other = "0B5E64D4-3C1F-4A44-9A2B-111111111111"
    built = build_solution(tmp_path, target_form_id="{" + other + "}")
    form_ids = [n.text for n in xml(built.managed, "customizations.xml").iter("formid")]
    assert form_ids == ["{" + other.lower() + "}"]
    assert SALES_OPPORTUNITY_FORM_ID not in read(built.managed, "solution.xml").decode()
    with pytest.raises(ValueError, match="not a GUID"):
        build_solution(tmp_path, target_form_id="opportunity main form")


def test_the_command_line_builds_checks_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    stem = "OpportunityCockpit_" + solution_version(project_version()).replace(".", "_")
    assert "(checked)" in out and str(tmp_path / f"{stem}_managed.zip") in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{stem}.zip", f"{stem}_managed.zip"]


def test_the_command_line_refuses_a_bad_form_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path), "--form-id", "nonsense"])
    assert exit_info.value.code == 2
    assert "not a GUID" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_no_partial_files_are_left(packages: SolutionPackages) -> None:
    assert not list(packages.managed.parent.glob("*.partial"))
    ET.fromstring(read(packages.managed, "solution.xml"))  # well-formed


def test_in_memory_package_equals_the_written_one(packages: SolutionPackages) -> None:
    assert solution_zip(managed=True) == packages.managed.read_bytes()
    assert solution_zip(managed=False) == packages.unmanaged.read_bytes()
