"""Builds the managed and the unmanaged solution zip from source.

Zip layout as Dataverse exports it: ``[Content_Types].xml``, ``solution.xml``,
``customizations.xml`` at the root, web resources under ``WebResources/``, each environment
variable under ``environmentvariabledefinitions/<schema name>/``. File names follow the export
convention ``<UniqueName>_<version with underscores>[_managed].zip``.

Builds are reproducible: fixed entry order and timestamps, so the same source gives the same
bytes (a changed package always means a changed source).
"""

from __future__ import annotations

import dataclasses
import io
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from crm.solution.customizations import customizations, variable_definition, web_resource_file
from crm.solution.manifest import content_types, solution_manifest
from crm.solution.spec import SPEC, SolutionSpec
from crm.solution.xmlnodes import to_bytes
from shared.domain.dynamics_solution import solution_version

__all__ = [
    "REPO_ROOT",
    "SolutionPackages",
    "build_solution",
    "package_entries",
    "project_version",
    "solution_zip",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
WEBRESOURCES_DIR = REPO_ROOT / "crm" / "webresources"
VERSION_FILE = REPO_ROOT / "VERSION"
# The earliest timestamp a zip entry can carry; any fixed value makes builds reproducible.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class SolutionPackages:
    """Paths of the two zips ``build_solution`` wrote, and the solution version inside them."""

    managed: Path
    unmanaged: Path
    version: str


def project_version(path: Path = VERSION_FILE) -> str:
    """The project's version (MAJOR.MINOR.PATCH) from the repository's VERSION file."""
    return path.read_text(encoding="utf-8").strip()


def _spec_for(target_form_id: str | None) -> SolutionSpec:
    if not target_form_id:
        return SPEC
    try:
        form_id = str(uuid.UUID(target_form_id.strip().strip("{}")))
    except ValueError:
        raise ValueError(f"the form id {target_form_id!r} is not a GUID") from None
    form = dataclasses.replace(SPEC.form, target_form_id=form_id)
    return dataclasses.replace(SPEC, form=form)


def package_entries(
    spec: SolutionSpec, *, version: str, managed: bool, webresources_dir: Path
) -> list[tuple[str, bytes]]:
    """Every zip entry (path, content) of one package, in the order they are written."""
    resources = [
        (web_resource_file(r), (webresources_dir / r.source).read_bytes())
        for r in spec.web_resources
    ]
    variable_path = (
        f"environmentvariabledefinitions/{spec.variable.schema_name}/"
        "environmentvariabledefinition.xml"
    )
    return [
        ("[Content_Types].xml", to_bytes(content_types(path for path, _ in resources))),
        ("solution.xml", to_bytes(solution_manifest(spec, version=version, managed=managed))),
        ("customizations.xml", to_bytes(customizations(spec, version=version))),
        *resources,
        (variable_path, to_bytes(variable_definition(spec.variable, version=version))),
    ]


def _zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def _write_zip(path: Path, entries: list[tuple[str, bytes]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    temporary.write_bytes(_zip_bytes(entries))
    # Replace atomically: a reader never sees half a package.
    temporary.replace(path)


def solution_zip(
    *,
    managed: bool = True,
    project_version_text: str | None = None,
    target_form_id: str | None = None,
    webresources_dir: Path = WEBRESOURCES_DIR,
) -> bytes:
    """One package as bytes, without touching the disk: what ``ImportSolution`` takes as
    ``CustomizationFile`` (base64 of these bytes). Same content as :func:`build_solution` writes."""
    version = solution_version(project_version_text or project_version())
    entries = package_entries(
        _spec_for(target_form_id),
        version=version,
        managed=managed,
        webresources_dir=webresources_dir,
    )
    return _zip_bytes(entries)


def build_solution(
    out_dir: Path,
    *,
    project_version_text: str | None = None,
    target_form_id: str | None = None,
    webresources_dir: Path = WEBRESOURCES_DIR,
) -> SolutionPackages:
    """Write the managed and unmanaged zips into ``out_dir`` and return their paths.

    ``project_version_text`` defaults to the VERSION file; ``target_form_id`` replaces the Sales
    "Opportunity" main form as the form that gets the Cockpit tab; ``webresources_dir`` is where
    the two scripts are read from (byte for byte).
    """
    version = solution_version(project_version_text or project_version())
    spec = _spec_for(target_form_id)
    stem = f"{spec.unique_name}_{version.replace('.', '_')}"
    paths = {True: out_dir / f"{stem}_managed.zip", False: out_dir / f"{stem}.zip"}
    for managed, path in paths.items():
        entries = package_entries(
            spec, version=version, managed=managed, webresources_dir=webresources_dir
        )
        _write_zip(path, entries)
    return SolutionPackages(managed=paths[True], unmanaged=paths[False], version=version)
