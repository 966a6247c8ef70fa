"""The start-up check the health page runs: the installed package, its version and its Cockpit URL
variable, judged by the package's own rules."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.crm_admin import InstalledSolution
from shared.domain.health import CheckStatus, judge_installation

HERE = "https://cockpit.contoso.com"


def variable(value: str | None) -> dict[str, Any]:
    values = [{"value": value}] if value is not None else []
    return {
        "value": [
            {
                "schemaname": "cockpit_CockpitUrl",
                "defaultvalue": None,
                "environmentvariabledefinition_environmentvariablevalue": values,
            }
        ]
    }


@pytest.mark.parametrize(
    ("found", "url", "status", "code"),
    [
        (
            InstalledSolution("OpportunityCockpit", "1.0.0.0", True),
            HERE,
            CheckStatus.OK,
            "health_solution_ok",
        ),
        (None, None, CheckStatus.FAILED, "health_solution_missing"),
        (
            InstalledSolution("OpportunityCockpit", "0.9.0.0", True),
            HERE,
            CheckStatus.FAILED,
            "health_install_solution_outdated",
        ),
        (
            InstalledSolution("OpportunityCockpit", "1.0.0.0", True),
            None,
            CheckStatus.FAILED,
            "health_install_url_not_set",
        ),
        (
            InstalledSolution("OpportunityCockpit", "1.0.0.0", True),
            "https://old.example",
            CheckStatus.FAILED,
            "health_install_url_mismatch",
        ),
    ],
)
def test_the_installation_is_judged_with_what_to_do(found, url, status, code) -> None:
    check = judge_installation(
        found,
        variable(url) if found else {"value": []},
        expected_version="1.0.0.0",
        cockpit_url=HERE,
    )
    assert (check.status, check.code) == (status, code)
    if status is not CheckStatus.OK:
        assert check.fix
