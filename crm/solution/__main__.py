"""``python -m crm.solution [--out dist] [--form-id GUID]``: build both packages, then check them
(Microsoft's schemas and the package's own consistency); a problem fails the build."""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from crm.solution.checks import package_schema_errors
from crm.solution.consistency import managed_difference, package_problems
from crm.solution.package import REPO_ROOT, WEBRESOURCES_DIR, build_solution
from crm.solution.spec import SPEC


def _problems(paths: Sequence[Path], *, managed: Path, unmanaged: Path) -> list[str]:
    sources = {r.name: WEBRESOURCES_DIR / r.source for r in SPEC.web_resources}
    problems: list[str] = []
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            customizations = archive.read("customizations.xml")
        problems += [f"{path.name}: {p}" for p in package_schema_errors(customizations)]
        problems += [f"{path.name}: {p}" for p in package_problems(path, sources=sources)]
    problems += managed_difference(managed, unmanaged)
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crm.solution", description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "dist")
    parser.add_argument(
        "--form-id",
        default=None,
        help="id of the opportunity main form that gets the Cockpit tab "
        "(default: the Dynamics 365 Sales 'Opportunity' form)",
    )
    args = parser.parse_args(argv)
    try:
        packages = build_solution(args.out, target_form_id=args.form_id or None)
    except ValueError as error:
        parser.error(str(error))
    paths = [packages.managed, packages.unmanaged]
    problems = _problems(paths, managed=packages.managed, unmanaged=packages.unmanaged)
    if problems:
        sys.stderr.write("The solution package is not valid:\n")
        sys.stderr.writelines(f"  {p}\n" for p in problems)
        return 1
    sys.stdout.write(f"Solution {SPEC.unique_name} {packages.version} (checked):\n")
    sys.stdout.writelines(f"  {path}\n" for path in paths)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
