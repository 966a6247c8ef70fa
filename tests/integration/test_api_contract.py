"""The API is what ``/api/openapi.json`` says (docs/architecture.md, "The HTTP edge"): Schemathesis
runs every operation of the document against the real app (uvicorn, Azurite, the Entra ID and
Dataverse simulators) with all of its default checks, once as a browser session (cookie, CSRF
header, our Origin) and once as a bearer client (a token the CLI app obtained through MSAL).

Both identities are Ben, the seed's cockpit administrator, who may read and write every
opportunity in Dynamics: so every operation, the admin API included, can succeed, and a refusal is
the document's business rather than a missing right. Generation is derandomized with a fixed seed
and a small number of examples per operation, so a run is the same in CI and takes a couple of
minutes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from schemathesis import Case, Response
from schemathesis.checks import positive_data_acceptance

from devstack.stack import Stack
from functions.app import create_app
from functions.cookies import SESSION_COOKIE
from functions.schemas import EXAMPLE_OPPORTUNITY, EXAMPLE_ORG
from shared.domain.errors import InvalidInput
from shared.domain.keys import parse_guid
from shared.domain.solutions import builtin_solutions
from tests.integration.contract_rules import unstated_rule
from tests.support.browser import browser, cookie_value, sign_in
from tests.support.identities import cli_token
from tests.support.settings import explicit_settings
from tests.support.sims import Sims
from tests.support.stack import USERS, LiveApp, live_app

BEN = USERS["ben"]
B2B = next(s for s in builtin_solutions() if s.language == "en")
PROJECT = f"/api/projects/{EXAMPLE_ORG}/{EXAMPLE_OPPORTUNITY}"
DRAFT = f"/api/admin/solutions/{B2B.id}/draft"
# Per operation: examples of the document, boundary cases, then this many generated ones.
MAX_EXAMPLES = 10
# A generous bound per request and per example on a busy two-core machine.
REQUEST_TIMEOUT = 20
DEADLINE = timedelta(seconds=30)


@dataclass(frozen=True)
class Identity:
    name: str
    headers: dict[str, str]


# --- the app, the caller, the data the document's examples name --------------------------------


@pytest.fixture(scope="module")
def contract_app(stack: Stack) -> Iterator[LiveApp]:
    async def reset() -> None:
        async with Sims.connect(stack) as sims:
            await sims.entra("POST", "reset")
            await sims.dataverse("POST", "reset")

    asyncio.run(reset())  # the seed as it ships, before and after (the run changes records)
    with live_app(stack) as live:
        yield live
    asyncio.run(reset())


async def _session(app: LiveApp) -> Identity:
    async with browser() as client:
        response = await sign_in(client, app_url=app.url, username=BEN["username"])
        assert response.status_code == 200, response.text
        me = response.json()
        cookie = cookie_value(client, SESSION_COOKIE)
    assert me["is_admin"] is True and me["kind"] == "session"
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}", "X-Cockpit-CSRF": me["csrf_token"]}
    return Identity("session", headers | {"Origin": app.url})


async def _bearer(app: LiveApp, stack: Stack) -> Identity:
    identity = Identity("bearer", {"Authorization": f"Bearer {await cli_token(stack, BEN)}"})
    async with httpx.AsyncClient(headers=identity.headers) as client:
        me = (await client.get(f"{app.url}/api/me")).json()
    assert me["is_admin"] is True and me["kind"] == "bearer"
    return identity


def _seed(app: LiveApp, identity: Identity, *, project: bool = True, draft: bool = True) -> None:
    """The example opportunity's project with a solution and an evaluation; a draft of the
    example solution."""
    steps: list[tuple[str, str, dict[str, Any]]] = []
    if project:
        answers = {c.id: c.options[0].id for c in B2B.criteria}
        steps += [
            ("POST", "/api/launch", {"org": EXAMPLE_ORG, "opportunity_id": EXAMPLE_OPPORTUNITY}),
            ("PUT", f"{PROJECT}/solution", {"solution_id": B2B.id}),
            ("POST", f"{PROJECT}/evaluations", {"answers": answers}),
        ]
    if draft:
        steps.append(
            ("POST", "/api/admin/solutions/drafts", {"solution_id": B2B.id, "from_version": 1})
        )
    with httpx.Client(base_url=app.url, headers=identity.headers, timeout=30) as client:
        for method, path, body in steps:
            response = client.request(method, path, json=body)
            assert response.is_success, (path, response.text)


@pytest.fixture(scope="module")
def identities(stack: Stack, contract_app: LiveApp) -> dict[str, Identity]:
    async def both() -> dict[str, Identity]:
        return {
            "session": await _session(contract_app),
            "bearer": await _bearer(contract_app, stack),
        }

    return asyncio.run(both())


@pytest.fixture(scope="module", params=["session", "bearer"])
def identity(
    request: pytest.FixtureRequest, contract_app: LiveApp, identities: dict[str, Identity]
) -> Identity:
    chosen = identities[request.param]
    _seed(contract_app, chosen)  # again for the second caller: the first one's run changed things
    return chosen


# --- the document, and how Schemathesis runs it --------------------------------------------------

_CONFIG = {
    "seed": 17,
    "request-timeout": REQUEST_TIMEOUT,
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
        # The caller's credentials are the identity's; generated ones would replace them.
        "with-security-parameters": False,
    },
    "checks": {
        # A body over the limit is refused unread (413, RFC 9110 15.5.14): invalid or not, it is
        # rejected; the default list of rejection statuses does not name it.
        "negative_data_rejection": {
            "expected-statuses": [
                *("400", "401", "403", "404", "405", "406", "409", "413", "415", "422"),
                *("428", "429", "5xx"),
            ]
        }
    },
    "operations": [
        {
            # Monitoring endpoints: 503 with the report (documented) says a check failed — here
            # that the local Dynamics has no cockpit solution imported — not that the app broke.
            "include-path-regex": r"^/api/admin(/orgs/\{org\})?/health$",
            "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]}},
        }
    ],
}

# Loaded from the app itself at collection (Schemathesis parametrizes by operation); the test
# below proves that the app serves exactly this document.
DOCUMENT = create_app(settings=explicit_settings()).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict(_CONFIG))


def test_the_app_serves_the_document_under_test(contract_app: LiveApp) -> None:
    served = httpx.get(f"{contract_app.url}/api/openapi.json", timeout=30)
    assert served.status_code == 200 and served.json() == DOCUMENT
    operations = [op for path in DOCUMENT["paths"].values() for op in path]
    assert len(operations) == len(list(schema.get_all_operations())) >= 40


@schema.parametrize()
@hypothesis.settings(deadline=DEADLINE)
def test_every_operation_does_what_the_document_says(
    case: Case, contract_app: LiveApp, identity: Identity
) -> None:
    with requests.Session() as session:
        session.trust_env = False
        response = case.call(base_url=contract_app.url, session=session, headers=identity.headers)
        excluded = []
        positive = case.meta is not None and case.meta.generation.mode.is_positive
        broken = unstated_rule(case) if positive else None
        if broken is not None and response.status_code == 400:
            # Schema-valid, but against a rule JSON Schema cannot state: a 400 that names it is
            # the right answer, so for this case alone the acceptance of valid data is not checked.
            assert response.json()["code"] in broken.codes, (broken.rule, response.text)
            excluded.append(positive_data_acceptance)
        elif positive and response.status_code == 413:
            # The body limit is on the bytes sent, which no schema keyword states.
            sent = len(response.request.body or b"")
            assert sent > contract_app.container.settings.max_body_bytes, response.text
            excluded.append(positive_data_acceptance)
        case.validate_response(
            response,
            additional_checks=[allow_names_the_documented_methods],
            excluded_checks=excluded,
            headers=identity.headers,
            transport_kwargs={
                "base_url": contract_app.url,
                "session": session,
                "headers": identity.headers,
            },
        )
    _restore(case, response.status_code, contract_app, identity)


def allow_names_the_documented_methods(ctx: Any, response: Response, case: Case) -> None:
    """A 405 lists the methods of the path (RFC 9110, 15.5.6). Schemathesis's own checks accept an
    empty ``Allow``, so this one compares it with the document."""
    if response.status_code != 405:
        return
    values = response.headers.get("allow", [])
    allowed = {m.strip().lower() for value in values for m in value.split(",") if m.strip()}
    assert allowed == set(DOCUMENT["paths"][case.operation.path]), values


def _restore(case: Case, status: int, app: LiveApp, identity: Identity) -> None:
    """Put back what a successful DELETE of the examples removed, for the operations after it."""
    if case.method.upper() != "DELETE" or status != 204:
        return
    path = case.formatted_path
    project = case.path_parameters or {}
    if path.startswith("/api/projects/") and _same_record(project.get("opportunity_id")):
        _seed(app, identity, draft=False)
    elif path == DRAFT:
        _seed(app, identity, project=False)


def _same_record(value: object) -> bool:
    try:
        return parse_guid(str(value), what="id") == EXAMPLE_OPPORTUNITY
    except InvalidInput:
        return False
