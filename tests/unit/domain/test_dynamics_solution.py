"""The start-up check's judgement of what Dataverse reports about our solution."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.dynamics_solution import (
    COCKPIT_URL_VARIABLE,
    ENVIRONMENT_VARIABLE_QUERY,
    SOLUTION_UNIQUE_NAME,
    SOLUTIONS_QUERY,
    assess_installation,
    solution_version,
)

URL = "https://cockpit.contoso.com"


def solutions(version: str = "1.0.0.0", *, managed: bool = True) -> dict[str, Any]:
    return {
        "value": [{"uniquename": SOLUTION_UNIQUE_NAME, "version": version, "ismanaged": managed}]
    }


def variables(value: str | None = URL, default: str | None = None) -> dict[str, Any]:
    values = [] if value is None else [{"value": value}]
    return {
        "value": [
            {
                "schemaname": COCKPIT_URL_VARIABLE,
                "defaultvalue": default,
                "environmentvariabledefinition_environmentvariablevalue": values,
            }
        ]
    }


def check(sol: dict[str, Any], var: dict[str, Any], *, expected: str = "1.0.0.0") -> Any:
    return assess_installation(
        solutions=sol, variables=var, expected_version=expected, cockpit_url=URL
    )


def codes(status: Any) -> list[str]:
    return [f.code for f in status.findings]


def test_installed_current_managed_and_pointing_here_is_ok() -> None:
    status = check(solutions(), variables())
    assert status.ok and status.installed and status.managed is True
    assert status.version == "1.0.0.0" and status.url_matches
    assert status.findings == ()


def test_url_comparison_ignores_case_of_host_and_a_trailing_slash() -> None:
    assert check(solutions(), variables("HTTPS://Cockpit.Contoso.com/")).url_matches


@pytest.mark.parametrize(
    "value",
    [
        "https://cockpit.fabrikam.com",
        "http://cockpit.contoso.com",
        "https://cockpit.contoso.com:8443",
    ],
)
def test_a_variable_pointing_elsewhere_is_an_error_naming_both_urls(value: str) -> None:
    status = check(solutions(), variables(value))
    assert not status.ok and codes(status) == ["url_mismatch"]
    assert value in status.findings[0].message and URL in status.findings[0].message


def test_no_solution_says_to_import_it() -> None:
    status = check({"value": []}, {"value": []})
    assert not status.installed and not status.ok
    assert codes(status) == ["solution_missing"]
    assert "Import the managed package 1.0.0.0" in status.findings[0].message


def test_an_older_version_must_be_upgraded_a_newer_one_is_a_warning() -> None:
    older = check(solutions("0.9.5.0"), variables())
    assert not older.ok and codes(older) == ["solution_outdated"]
    newer = check(solutions("1.0.1.0"), variables())
    assert newer.ok and codes(newer) == ["solution_newer"]
    # Versions compare numerically, not as text.
    assert codes(check(solutions("1.0.0.10"), variables(), expected="1.0.0.9")) == [
        "solution_newer"
    ]


def test_unmanaged_install_is_a_warning_with_the_alm_advice() -> None:
    status = check(solutions(managed=False), variables())
    assert status.ok and codes(status) == ["solution_unmanaged"]
    assert "managed" in status.findings[0].message


def test_value_wins_over_default_and_default_is_used_without_a_value() -> None:
    assert check(solutions(), variables(URL, default="https://old.example")).url_matches
    assert check(solutions(), variables(None, default=URL)).url_matches


def test_no_value_and_no_default_says_to_set_it() -> None:
    status = check(solutions(), variables(None))
    assert not status.ok and codes(status) == ["url_not_set"]
    assert status.cockpit_url is None


def test_solution_without_its_variable_is_reported() -> None:
    assert codes(check(solutions(), {"value": []})) == ["variable_missing"]


def test_rows_for_other_solutions_are_ignored() -> None:
    other = {"value": [{"uniquename": "SomethingElse", "version": "9.9.9.9", "ismanaged": True}]}
    assert codes(check(other, variables())) == ["solution_missing"]


def test_the_documented_queries_name_our_solution_and_variable() -> None:
    assert f"uniquename eq '{SOLUTION_UNIQUE_NAME}'" in SOLUTIONS_QUERY
    assert f"schemaname eq '{COCKPIT_URL_VARIABLE}'" in ENVIRONMENT_VARIABLE_QUERY
    assert "environmentvariabledefinition_environmentvariablevalue($select=value)" in (
        ENVIRONMENT_VARIABLE_QUERY
    )


def test_project_version_becomes_four_parts() -> None:
    assert solution_version("1.4.2") == "1.4.2.0"
    assert solution_version(" 10.0.3\n") == "10.0.3.0"
    for bad in ("1.4", "1.4.2.0", "v1.4.2", ""):
        with pytest.raises(ValueError, match="MAJOR.MINOR.PATCH"):
            solution_version(bad)
