"""The cockpit's Dynamics 365 solution as the server sees it: its names, its version, and a pure
judgement of what Dataverse reports about it (the start-up check; the admin health page shows it).

The names here are the single source for both sides: ``crm/solution`` builds the package with
them, and the check looks them up in an org. The project version lives in the repository's
``VERSION`` file; :func:`solution_version` turns it into Dataverse's four-part form.

The two Web API queries the check needs (v9.2, run as the app user or an admin; both are plain
reads of documented tables):

- ``GET solutions?$select=uniquename,version,ismanaged&$filter=uniquename eq 'OpportunityCockpit'``
  (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/solution)
- ``GET environmentvariabledefinitions?$select=schemaname,defaultvalue&$filter=schemaname eq
  'cockpit_CockpitUrl'&$expand=environmentvariabledefinition_environmentvariablevalue($select=value)``
  (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/environmentvariabledefinition;
  a value, when present, wins over the default value:
  https://learn.microsoft.com/power-apps/maker/data-platform/environmentvariables)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = [
    "COCKPIT_URL_VARIABLE",
    "ENVIRONMENT_VARIABLE_QUERY",
    "PUBLISHER_PREFIX",
    "SOLUTIONS_QUERY",
    "SOLUTION_UNIQUE_NAME",
    "Finding",
    "InstallationStatus",
    "assess_installation",
    "solution_version",
]

SOLUTION_UNIQUE_NAME = "OpportunityCockpit"
# Our publisher's customization prefix: every component we add carries it (cockpit_...).
PUBLISHER_PREFIX = "cockpit"
# The environment variable holding the cockpit URL, read by both web resources.
COCKPIT_URL_VARIABLE = f"{PUBLISHER_PREFIX}_CockpitUrl"
# The one-to-many relationship from a definition to its (at most one) value record.
VALUE_RELATIONSHIP = "environmentvariabledefinition_environmentvariablevalue"

SOLUTIONS_QUERY = (
    f"solutions?$select=uniquename,version,ismanaged&$filter=uniquename eq '{SOLUTION_UNIQUE_NAME}'"
)
ENVIRONMENT_VARIABLE_QUERY = (
    "environmentvariabledefinitions?$select=schemaname,defaultvalue"
    f"&$filter=schemaname eq '{COCKPIT_URL_VARIABLE}'"
    f"&$expand={VALUE_RELATIONSHIP}($select=value)"
)

_PROJECT_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_SOLUTION_VERSION = re.compile(r"^\d+(\.\d+){1,3}$")


def solution_version(project_version: str) -> str:
    """``1.4.2`` (the VERSION file) → ``1.4.2.0``: Dataverse versions are
    major.minor.build.revision (https://learn.microsoft.com/power-platform/alm/solution-concepts-alm)."""
    match = _PROJECT_VERSION.fullmatch(project_version.strip())
    if match is None:
        raise ValueError(f"project version {project_version!r} is not MAJOR.MINOR.PATCH")
    return ".".join((*match.groups(), "0"))


def _version_key(version: str) -> tuple[int, ...]:
    parts = [int(p) for p in version.split(".")]
    return tuple(parts + [0] * (4 - len(parts)))


def _origin_and_path(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}", parts.path.rstrip("/")


@dataclass(frozen=True)
class Finding:
    """One thing that is wrong (``error``) or worth a look (``warning``), with what to do."""

    code: str
    severity: Literal["error", "warning"]
    message: str


@dataclass(frozen=True)
class InstallationStatus:
    """What the check found. ``ok`` means the cockpit can run in this org as deployed."""

    installed: bool
    version: str | None
    managed: bool | None
    cockpit_url: str | None
    url_matches: bool
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


def _rows(answer: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    rows = answer.get("value", [])
    return [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []


def _effective_value(definition: Mapping[str, Any]) -> str | None:
    values = definition.get(VALUE_RELATIONSHIP) or []
    for row in values if isinstance(values, list) else []:
        value = row.get("value") if isinstance(row, Mapping) else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    default = definition.get("defaultvalue")
    return default.strip() if isinstance(default, str) and default.strip() else None


def _solution_findings(
    solution: Mapping[str, Any] | None, *, expected_version: str
) -> list[Finding]:
    if solution is None:
        return [
            Finding(
                "solution_missing",
                "error",
                f"The Dynamics solution {SOLUTION_UNIQUE_NAME} is not installed in this org. "
                f"Import the managed package {expected_version} (crm/SETUP.md, step 1).",
            )
        ]
    found: list[Finding] = []
    version = str(solution.get("version") or "")
    if not _SOLUTION_VERSION.fullmatch(version):
        found.append(Finding("version_unknown", "warning", f"Unreadable version {version!r}."))
    elif _version_key(version) < _version_key(expected_version):
        found.append(
            Finding(
                "solution_outdated",
                "error",
                f"Version {version} is installed; this cockpit needs {expected_version}. "
                "Import the newer managed package (it upgrades in place).",
            )
        )
    elif _version_key(version) > _version_key(expected_version):
        found.append(
            Finding(
                "solution_newer",
                "warning",
                f"Version {version} is installed, newer than this cockpit ({expected_version}). "
                "Deploy the matching cockpit version.",
            )
        )
    if solution.get("ismanaged") is False:
        found.append(
            Finding(
                "solution_unmanaged",
                "warning",
                "The solution is installed unmanaged. Outside development, import the managed "
                "package (Microsoft's ALM guidance: managed solutions in test and production).",
            )
        )
    return found


def _url_findings(
    definitions: Sequence[Mapping[str, Any]], *, cockpit_url: str
) -> tuple[str | None, bool, list[Finding]]:
    if not definitions:
        return None, False, []  # reported with the missing solution, which brings it
    value = _effective_value(definitions[0])
    if value is None:
        return (
            None,
            False,
            [
                Finding(
                    "url_not_set",
                    "error",
                    f"The environment variable {COCKPIT_URL_VARIABLE} has no value. Set it to "
                    f"{cockpit_url} (crm/SETUP.md, step 2).",
                )
            ],
        )
    actual, wanted = _origin_and_path(value), _origin_and_path(cockpit_url)
    if actual is not None and actual == wanted:
        return value, True, []
    return (
        value,
        False,
        [
            Finding(
                "url_mismatch",
                "error",
                f"The environment variable {COCKPIT_URL_VARIABLE} points at {value}, not at this "
                f"cockpit ({cockpit_url}). Change its value in the org (crm/SETUP.md, step 2).",
            )
        ],
    )


def assess_installation(
    *,
    solutions: Mapping[str, Any],
    variables: Mapping[str, Any],
    expected_version: str,
    cockpit_url: str,
) -> InstallationStatus:
    """Judge the answers to :data:`SOLUTIONS_QUERY` (``solutions``) and
    :data:`ENVIRONMENT_VARIABLE_QUERY` (``variables``), both the Web API's ``{"value": [...]}``
    bodies, against the solution version this deployment ships (``expected_version``, four parts)
    and its public base URL (``cockpit_url``). Pure: no I/O."""
    matching = [
        row
        for row in _rows(solutions)
        if str(row.get("uniquename", "")).lower() == SOLUTION_UNIQUE_NAME.lower()
    ]
    solution = matching[0] if matching else None
    findings = _solution_findings(solution, expected_version=expected_version)
    definitions = [
        row
        for row in _rows(variables)
        if str(row.get("schemaname", "")).lower() == COCKPIT_URL_VARIABLE.lower()
    ]
    url, url_matches, url_problems = _url_findings(definitions, cockpit_url=cockpit_url)
    if solution is not None and not definitions:
        url_problems.append(
            Finding(
                "variable_missing",
                "error",
                f"The environment variable {COCKPIT_URL_VARIABLE} is missing although the "
                "solution is installed. Re-import the managed package.",
            )
        )
    managed = solution.get("ismanaged") if solution is not None else None
    return InstallationStatus(
        installed=solution is not None,
        version=str(solution.get("version")) if solution is not None else None,
        managed=managed if isinstance(managed, bool) else None,
        cockpit_url=url,
        url_matches=url_matches,
        findings=tuple(findings + url_problems),
    )
