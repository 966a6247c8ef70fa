"""The per-org health check's verdicts: pure judgements of what the service layer found, each a
✔/✘ with what to do in words an administrator understands (docs/architecture.md, "Admin console").

A check never says more than its codes: ``code`` names the finding and ``fix`` the remedy (both are
message keys, shown in the reader's language), ``params`` fill them in. A check that could not be
asked (Dynamics unreachable, a prerequisite failed) says so instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.domain.crm import FieldInfo
from shared.domain.crm_admin import COCKPIT_SOLUTION, ApplicationUser, InstalledSolution
from shared.domain.dynamics_solution import assess_installation
from shared.domain.writeback import check_target_field


class CheckStatus(StrEnum):
    OK = "ok"
    WARNING = "warning"  # works, but worth a look (a secured column, an unmanaged solution)
    FAILED = "failed"
    SKIPPED = "skipped"  # not asked: something it depends on failed


# Display order; also the ids the page and the API use.
CHECK_IDS = (
    "dynamics_solution",
    "target_exists",
    "target_numeric",
    "target_range",
    "target_updatable",
    "target_secured",
    "app_token",
    "app_user",
    "app_impersonate",
    "app_write",
    "storage",
    "tables",
    "token_cache_key",
)
TARGET_CHECKS = CHECK_IDS[1:6]


@dataclass(frozen=True)
class Check:
    id: str
    status: CheckStatus
    code: str
    fix: str | None = None
    params: Mapping[str, str | int] = field(default_factory=dict)


def ok(check_id: str, code: str, **params: str | int) -> Check:
    return Check(check_id, CheckStatus.OK, code, None, params)


def failed(check_id: str, code: str, fix: str, **params: str | int) -> Check:
    return Check(check_id, CheckStatus.FAILED, code, fix, params)


def warning(check_id: str, code: str, fix: str, **params: str | int) -> Check:
    return Check(check_id, CheckStatus.WARNING, code, fix, params)


def skipped(check_id: str, because: str) -> Check:
    return Check(check_id, CheckStatus.SKIPPED, "health_skipped", None, {"because": because})


def not_asked(check_id: str, error_code: str) -> Check:
    """The question could not be put (Dynamics, Entra or storage did not answer)."""
    return Check(
        check_id, CheckStatus.FAILED, "health_cannot_check", "fix_try_again", {"error": error_code}
    )


@dataclass(frozen=True)
class HealthReport:
    tenant_id: str
    org: str
    at: datetime
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return not any(c.status is CheckStatus.FAILED for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status is CheckStatus.FAILED]

    def by_id(self) -> dict[str, Check]:
        return {c.id: c for c in self.checks}


# --- verdicts -------------------------------------------------------------------------------------

_VERSION = re.compile(r"^\d+(\.\d+){1,3}$")


def judge_installation(
    found: InstalledSolution | None,
    variables: Mapping[str, Any],
    *,
    expected_version: str,
    cockpit_url: str,
) -> Check:
    """The whole installation as :func:`assess_installation` judges it (the package's version,
    managed, the Cockpit URL variable); the first finding names what to do."""
    if found is None:
        return judge_solution(None)
    rows = [{"uniquename": found.unique_name, "version": found.version, "ismanaged": found.managed}]
    status = assess_installation(
        solutions={"value": rows},
        variables=variables,
        expected_version=expected_version,
        cockpit_url=cockpit_url,
    )
    if not status.findings:
        return judge_solution(found)
    first = status.findings[0]
    build = failed if first.severity == "error" else warning
    return build(
        "dynamics_solution",
        f"health_install_{first.code}",
        f"fix_install_{first.code}",
        solution=COCKPIT_SOLUTION,
        version=found.version,
        expected=expected_version,
        url=status.cockpit_url or "",
        cockpit=cockpit_url,
    )


def judge_solution(found: InstalledSolution | None) -> Check:
    """The cockpit's Dynamics solution: installed, and with which version."""
    if found is None:
        return failed(
            "dynamics_solution",
            "health_solution_missing",
            "fix_solution_import",
            solution=COCKPIT_SOLUTION,
        )
    if not _VERSION.fullmatch(found.version):
        return warning(
            "dynamics_solution",
            "health_solution_version_unreadable",
            "fix_solution_import",
            solution=COCKPIT_SOLUTION,
            version=found.version,
        )
    if found.managed is False:
        return warning(
            "dynamics_solution",
            "health_solution_unmanaged",
            "fix_solution_managed",
            solution=COCKPIT_SOLUTION,
            version=found.version,
        )
    return ok(
        "dynamics_solution", "health_solution_ok", solution=COCKPIT_SOLUTION, version=found.version
    )


def judge_target(field_name: str, info: FieldInfo | None) -> list[Check]:
    """The configured target column: exists, numeric, holds 0–100, updatable; secured or not."""
    if info is None:
        return [
            failed("target_exists", "health_target_missing", "fix_target_choose", field=field_name),
            *(skipped(c, "target_exists") for c in TARGET_CHECKS[1:]),
        ]
    verdict = check_target_field(info)
    refusals = {r.code: r for r in verdict.refusals}
    shown = {"field": info.display_name, "name": info.logical_name, "type": info.attribute_type}
    checks = [ok("target_exists", "health_target_exists", **shown)]
    if "not_numeric" in refusals or "money_not_allowed" in refusals:
        code = "health_target_money" if "money_not_allowed" in refusals else "health_target_type"
        checks.append(failed("target_numeric", code, "fix_target_choose", **shown))
        checks.append(skipped("target_range", "target_numeric"))
    else:
        checks.append(ok("target_numeric", "health_target_numeric", **shown))
        range_refusal = refusals.get("range_excludes_probability")
        if range_refusal is not None:
            bounds = {k: str(v) for k, v in range_refusal.params.items()}
            checks.append(
                failed("target_range", "health_target_range", "fix_target_range", **shown, **bounds)
            )
        else:
            checks.append(ok("target_range", "health_target_range_ok", **shown))
    if "not_updatable" in refusals:
        checks.append(
            failed("target_updatable", "health_target_readonly", "fix_target_choose", **shown)
        )
    else:
        checks.append(ok("target_updatable", "health_target_updatable", **shown))
    if info.is_secured:
        checks.append(
            warning("target_secured", "health_target_secured", "fix_target_secured", **shown)
        )
    else:
        checks.append(ok("target_secured", "health_target_not_secured", **shown))
    return checks


def judge_app_user(app_id: str, user: ApplicationUser | None) -> Check:
    """The application user background work runs as: exists and is enabled."""
    if user is None:
        return failed("app_user", "health_app_user_missing", "fix_app_user_create", app_id=app_id)
    if user.disabled:
        return failed("app_user", "health_app_user_disabled", "fix_app_user_enable", app_id=app_id)
    return ok("app_user", "health_app_user_ok", app_id=app_id)


def judge_write_access(rights: frozenset[str]) -> Check:
    """``RetrievePrincipalAccess`` of the application user on an opportunity."""
    if "WriteAccess" in rights:
        return ok("app_write", "health_app_write_ok")
    if "ReadAccess" in rights:
        return failed("app_write", "health_app_write_missing", "fix_app_write")
    return failed("app_write", "health_app_read_missing", "fix_app_write")
