"""Every text the admin console can show exists in English and German: the keys built from codes
(draft problems, health findings and fixes, log outcomes, bulk states) are found in the code that
makes them, so a new code without a text fails here, not in front of an administrator."""

from __future__ import annotations

import re
from pathlib import Path

from functions.messages import MESSAGES
from functions.presenters_admin import CSV_COLUMNS
from shared.domain.admin_log import LogLevel, LogOutcome
from shared.domain.bulk import COUNT_KEYS, BulkStatus
from shared.domain.health import CHECK_IDS

ROOT = Path(__file__).resolve().parents[2]


def source(*paths: str) -> str:
    return "\n".join((ROOT / p).read_text(encoding="utf-8") for p in paths)


# What the start-up check can find besides a missing package (shared/domain/dynamics_solution.py).
INSTALL_FINDINGS = (
    "solution_outdated",
    "solution_newer",
    "solution_unmanaged",
    "version_unknown",
    "url_not_set",
    "url_mismatch",
    "variable_missing",
)


def keys() -> set[str]:
    found = {f"check_{c}" for c in CHECK_IDS}
    found |= {f"log_{o.value}" for o in LogOutcome} | {f"log_level_{v.value}" for v in LogLevel}
    found |= {f"bulk_status_{s.value}" for s in BulkStatus} | {
        f"bulk_count_{k}" for k in COUNT_KEYS
    }
    found |= {f"retry_{r}" for r in ("written", "settled", "retrying", "dropped")}
    found |= {f"designer_colour_{c}" for c in ("green", "amber", "red")} | set(CSV_COLUMNS)
    found |= {f"health_install_{c}" for c in INSTALL_FINDINGS}
    found |= {f"fix_install_{c}" for c in INSTALL_FINDINGS}
    found.add("model_updated")
    designer = source("shared/domain/designer.py")
    found |= {f"problem_{c}" for c in re.findall(r'Problem\(\s*[^,]+,\s*"([a-z_]+)"', designer)}
    health = source("shared/domain/health.py", "shared/services/health.py")
    found |= set(re.findall(r'"((?:health|fix)_[a-z_]+)"', health))
    found |= {f"skip_{r}" for r in re.findall(r'skipped\(\s*"[a-z_]+",\s*"([a-z_]+)"', health)}
    services = source(
        "shared/services/designer.py",
        "shared/services/bulk.py",
        "shared/services/writeback_log.py",
        "shared/adapters/tables/designs.py",
        "shared/adapters/tables/admin_state.py",
        "shared/domain/admin_log.py",
        "functions/api_admin_ops.py",
        "functions/api_designer.py",
        "shared/services/model_quality.py",
    )
    found |= set(re.findall(r'code="([a-z_]+)"', services))
    return found


def test_every_admin_text_exists_in_both_languages() -> None:
    wanted = keys()
    assert len(wanted) > 140  # the search above really found the codes
    missing = sorted(k for k in wanted if k not in MESSAGES)
    assert missing == []
    incomplete = sorted(k for k in wanted if set(MESSAGES[k]) != {"en", "de"})
    assert incomplete == []
    same = sorted(
        k for k in wanted if MESSAGES[k]["en"] == MESSAGES[k]["de"] and len(MESSAGES[k]["en"]) > 12
    )
    assert same == []  # a German text is a translation, not a copy
