"""The built-in solutions as JSON data (one file per solution), read lazily by
:func:`shared.domain.solutions.builtin_solutions`. Nothing here runs at import."""
