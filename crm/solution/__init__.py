"""The Opportunity Cockpit's Dynamics 365 solution, built from source (``make solution``).

``build_solution(out_dir, *, project_version_text=None, target_form_id=None,
webresources_dir=...)`` writes ``<UniqueName>_<version>_managed.zip`` and ``<UniqueName>_<version>.zip``
into ``out_dir`` and returns their paths (:class:`SolutionPackages`);
``solution_zip(*, managed=True, ...)`` returns one package's bytes (for ``ImportSolution``).
"""

from crm.solution.package import SolutionPackages, build_solution, solution_zip

__all__ = ["SolutionPackages", "build_solution", "solution_zip"]
