"""The HTTP edge (FastAPI routers, pages) and the timer functions. Handlers parse input, call one
service from ``shared.services`` and map domain errors; they hold no business logic and do no I/O
of their own."""
