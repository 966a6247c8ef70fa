"""``/api/openapi.json`` as the API really behaves (docs/architecture.md, "The HTTP edge").

Routes declare their success model and the error answers of what they do (``problem_responses``);
this module adds what the edge (``functions/deps.py``, the middleware) does for every operation,
so no route can forget it: how a caller signs in (a session cookie, plus the CSRF header on a
change; or a bearer token), 401 (no caller) and 503 (sessions live in storage, bearer keys come
from Entra ID) always, 400 where the operation takes parameters or a body (request validation),
403 (CSRF) and 413 (the body limit) where it changes state. FastAPI's default 422 validation
answer is dropped: bad input is 400 (the error tree's ``InvalidInput``), and a 422 left in the
document is Dynamics refusing a request (``CrmRejected``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from functions.cookies import SESSION_COOKIE
from functions.errors import problem_responses
from functions.schemas import Problem
from shared.domain.solutions import Solution

_UNSAFE = {"post", "put", "patch", "delete"}
_REF = "#/components/schemas/{model}"
_SECURITY_SCHEMES = {
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The session of the cockpit's own pages (sign in at /auth/login).",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Cockpit-CSRF",
        "description": "The session's CSRF token (GET /api/me); with the session on every request "
        "that changes state, sent from the cockpit's own Origin.",
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An Entra ID access token for the cockpit's API (scope access_as_user).",
    },
}


def build_document(app: FastAPI) -> dict[str, Any]:
    limit = app.state.settings.max_body_bytes
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=(
            "Sign in with the session of the cockpit's own pages (and, on a change, its CSRF token "
            "in X-Cockpit-CSRF from the cockpit's Origin) or with a bearer token. Every error is "
            "a problem details object (RFC 9457) with a stable `code`. Integers are written "
            f"without a fraction (1, not 1.0). A request body has at most {limit} bytes."
        ),
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    components["Problem"] = Problem.model_json_schema(ref_template=_REF)
    solution = Solution.model_json_schema(ref_template=_REF)
    components.update(solution.pop("$defs", {}))
    components["Solution"] = solution
    schema["components"]["securitySchemes"] = _SECURITY_SCHEMES
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if path.startswith("/api/"):
                _add_edge_answers(method, operation)
    return schema


def _add_edge_answers(method: str, operation: dict[str, Any]) -> None:
    changes = method in _UNSAFE
    operation["security"] = [{"session": [], "csrf": []} if changes else {"session": []}]
    operation["security"].append({"bearer": []})
    responses: dict[str, Any] = operation.setdefault("responses", {})
    default_422 = responses.get("422", {}).get("content", {}).get("application/json", {})
    if default_422.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
        del responses["422"]
    statuses = [401, 503]
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.append(400)
    if changes:
        statuses += [403, 413]
    for status, answer in problem_responses(*statuses).items():
        existing = responses.setdefault(str(status), answer)
        if existing is not answer:  # e.g. a health report on 503: a problem may answer, too
            existing.setdefault("content", {}).update(answer["content"])
            for name, header in answer.get("headers", {}).items():
                existing.setdefault("headers", {}).setdefault(name, header)
