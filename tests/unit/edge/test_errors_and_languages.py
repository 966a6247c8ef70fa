"""The HTTP edge with the real app on in-memory stores: one 500 path (localized page, problem+json,
logged with message, stack and correlation id, never a token), the error mapping, the message
catalogue, and language negotiation."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from functions.app import create_app
from functions.errors import STATUS
from functions.i18n import fmt_number, fmt_percent, negotiate
from functions.messages import MESSAGES
from shared.domain import errors as e
from shared.observability import JsonFormatter, correlation_id
from tests.support.world import World

SECRET = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJl"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container=World().container)

    @app.get("/api/boom")
    async def api_boom() -> None:
        raise RuntimeError(f"storage said something unexpected about {SECRET}")

    @app.get("/boom")
    async def page_boom() -> None:
        raise KeyError("an unexpected missing key")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://cockpit.example") as c:
        yield c


@pytest.mark.parametrize(
    ("language", "says"), [("en", "unexpected error"), ("de", "unerwarteter Fehler")]
)
async def test_a_failing_page_answers_a_localized_500_with_the_reference(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, language: str, says: str
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get(
            "/boom", headers={"Accept-Language": language, "Accept": "text/html"}
        )
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    reference = response.headers["x-correlation-id"]
    assert says in response.text and reference in response.text
    assert "Traceback" not in response.text and "KeyError" not in response.text
    assert response.headers["x-frame-options"] == "DENY"  # security headers on the 500 too
    [record] = [r for r in caplog.records if r.getMessage() == "unhandled exception"]
    assert record.exc_info is not None and record.exc_info[0] is KeyError


@pytest.mark.parametrize("language", ["en", "de"])
async def test_a_failing_api_route_answers_problem_json_and_logs_the_whole_exception(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, language: str
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get("/api/boom", headers={"Accept-Language": language})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (
        body["code"] == "internal_error"
        and body["correlation_id"] == response.headers["x-correlation-id"]
    )
    assert body["correlation_id"] in body["detail"]
    assert SECRET not in response.text and "RuntimeError" not in response.text
    [record] = [r for r in caplog.records if r.getMessage() == "unhandled exception"]
    entry = json.loads(_formatted_in_request(record, body["correlation_id"]))
    assert entry["correlation_id"] == body["correlation_id"]
    assert entry["error_type"] == "RuntimeError" and "storage said something" in entry["error"]
    assert "Traceback" in entry["stack"] and "api_boom" in entry["stack"]
    assert SECRET not in json.dumps(entry)  # redacted, even inside the exception's message


def _formatted_in_request(record: logging.LogRecord, cid: str) -> str:
    """The JSON line the app's handler writes for ``record`` (inside the request's context)."""
    token = correlation_id.set(cid)
    try:
        return JsonFormatter().format(record)
    finally:
        correlation_id.reset(token)


def test_every_error_code_has_a_message_in_both_languages() -> None:
    codes = {
        cls.code
        for cls in vars(e).values()
        if isinstance(cls, type) and issubclass(cls, e.CockpitError)
    }
    for code in codes:
        assert code in MESSAGES, code
    for key, entry in MESSAGES.items():
        assert entry.get("en") and entry.get("de"), key
        placeholders = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert placeholders["en"] == placeholders["de"], key


def test_every_error_class_maps_to_a_status() -> None:
    mapped = {cls for cls, _ in STATUS}
    for cls in vars(e).values():
        if isinstance(cls, type) and issubclass(cls, e.CockpitError) and cls is not e.CockpitError:
            assert any(issubclass(cls, m) for m in mapped), cls


@pytest.mark.parametrize(
    ("userlcid", "orglcid", "accept", "expected"),
    [
        (None, None, "en;q=0.1, de;q=0.9", "de"),
        (None, None, "fr-FR, de-CH;q=0.5, en;q=0.2", "de"),
        ("1031", None, "en", "de"),
        ("1033", "1031", "de", "en"),
        (None, "1031", "en", "de"),
        ("1036", None, "fr, en;q=0.5", "en"),
        (None, None, None, "en"),
        ("abc", None, "de", "de"),
    ],
)
def test_one_language_per_page(userlcid, orglcid, accept, expected) -> None:
    assert negotiate(userlcid=userlcid, orglcid=orglcid, accept_language=accept) == expected


def test_numbers_are_grouped_and_use_the_languages_decimal_mark() -> None:
    assert fmt_number(1234567.5, "de") == "1.234.567,5"
    assert fmt_number(1234567.5, "en") == "1,234,567.5"
    assert fmt_percent(11.1, "de") == "11,1\xa0%" and fmt_percent(11.1, "en") == "11.1%"


async def test_a_401_names_the_scheme_that_would_work(client: httpx.AsyncClient) -> None:
    # RFC 9110 §15.5.2: a 401 carries WWW-Authenticate; the API takes Entra bearer tokens.
    for path in ("/api/me", "/api/projects/contoso/00000000-0000-4000-8000-000000000001"):
        answer = await client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert answer.status_code == 401, path
        assert answer.headers["www-authenticate"] == 'Bearer realm="Opportunity Cockpit"'
        assert answer.json()["code"] in ("not_signed_in", "invalid_token")
