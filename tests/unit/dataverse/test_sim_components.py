"""Dataverse simulator building blocks, without processes: OData parsing, formatting, token
validation with test-owned keys, fault injection and the server-side $batch format."""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.dataverse import batch as sim_batch
from devstack.dataverse.auth import JwksCache, TokenError, TokenVerifier
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.faults import FaultInjector, FaultSettings, RequestBudget
from devstack.dataverse.formatting import format_date, format_money, format_number
from devstack.dataverse.odata import (
    evaluate_filter,
    parse_expand,
    parse_filter,
    parse_key,
    parse_prefer,
)

TID = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
ORG = "https://localhost:7444"


# --- OData ---------------------------------------------------------------------------------------


def test_filter_with_enum_literal_and_precedence() -> None:
    expr = parse_filter(
        "AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'Integer' or "
        "AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'Money' and IsValidForUpdate eq true"
    )
    item: dict[str, Any] = {"AttributeType": "Money", "IsValidForUpdate": False}
    assert evaluate_filter(expr, lambda p: item[p[0]]) is False  # and binds tighter than or
    item["AttributeType"] = "Integer"
    assert evaluate_filter(expr, lambda p: item[p[0]]) is True


def test_filter_paths_guids_parentheses_and_not() -> None:
    expr = parse_filter(
        "not (AttributeTypeName/Value eq 'StringType') and opportunityid eq 0AA00000-0000-4000-8000-000000000001"
    )
    values = {
        ("AttributeTypeName", "Value"): "IntegerType",
        ("opportunityid",): "0aa00000-0000-4000-8000-000000000001",
    }
    assert evaluate_filter(expr, lambda p: values[p]) is True


@pytest.mark.parametrize("text", ["a eq", "a foo 1", "(a eq 1", "a eq 1 b", "eq 1", "a eq 'x"])
def test_bad_filters_are_400(text: str) -> None:
    with pytest.raises(DataverseError) as caught:
        parse_filter(text)
    assert caught.value.status == 400


def test_expand_with_nested_select() -> None:
    items = parse_expand("parentaccountid($select=name,accountid),ownerid($select=fullname)")
    assert [(i.navigation, i.select) for i in items] == [
        ("parentaccountid", ["name", "accountid"]),
        ("ownerid", ["fullname"]),
    ]


def test_keys() -> None:
    assert (
        parse_key("0AA00000-0000-4000-8000-000000000001") == "0aa00000-0000-4000-8000-000000000001"
    )
    assert parse_key("msdyn_entityid='a,b',msdyn_entitytype='opportunity'") == {
        "msdyn_entityid": "a,b",
        "msdyn_entitytype": "opportunity",
    }


def test_prefer_header_with_quoted_annotation_list() -> None:
    prefs = parse_prefer(
        [
            'odata.include-annotations="OData.Community.Display.V1.FormattedValue,Microsoft.PowerApps.CDS.ErrorDetails.*"',
            "return=representation, odata.continue-on-error",
        ]
    )
    assert prefs.return_representation and prefs.continue_on_error
    assert prefs.wants("OData.Community.Display.V1.FormattedValue")
    assert prefs.wants("Microsoft.PowerApps.CDS.ErrorDetails.SubErrorCode")
    assert not prefs.wants("Microsoft.Dynamics.CRM.lookuplogicalname")
    assert parse_prefer(['odata.include-annotations="*"']).wants("anything")


# --- formatting ------------------------------------------------------------------------------------


def test_formatted_values_per_locale() -> None:
    assert format_money(Decimal(120000), currency="EUR", locale=1033) == "€120,000.00"
    assert format_money(Decimal(120000), currency="EUR", locale=1031) == "120.000,00 €"
    assert format_money(Decimal("-5.5"), currency="USD", locale=1033) == "-$5.50"
    assert format_date(date(2027, 3, 31), locale=1033) == "3/31/2027"
    assert format_date(date(2027, 3, 31), locale=1031) == "31.03.2027"
    assert format_number(Decimal("1234.5"), places=2, locale=1031) == "1.234,50"


# --- tokens ----------------------------------------------------------------------------------------


class Keys:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []
        self.private: dict[str, Any] = {}
        self.fetches = 0

    def add(self, kid: str) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update(kid=kid, use="sig")
        self.published.append(jwk)
        self.private[kid] = key

    async def fetch(self) -> dict[str, Any]:
        self.fetches += 1
        return {"keys": list(self.published)}

    def token(self, kid: str = "k1", **overrides: Any) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": ORG,
            "iss": f"https://sts.windows.net/{TID}/",
            "tid": TID,
            "ver": "1.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "appid": "5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05",
            "oid": "a11ce000-0000-4000-8000-000000000001",
            "scp": "user_impersonation",
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def keys() -> Keys:
    k = Keys()
    k.add("k1")
    return k


async def test_valid_delegated_and_app_tokens(keys: Keys) -> None:
    verifier = TokenVerifier(JwksCache(keys.fetch))
    user = await verifier.verify(keys.token(), audience=ORG, tenant_id=TID)
    assert user.delegated and user.object_id == "a11ce000-0000-4000-8000-000000000001"
    app = await verifier.verify(keys.token(scp=None, idtyp="app"), audience=ORG, tenant_id=TID)
    assert not app.delegated and app.app_id == "5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"
    assert keys.fetches == 1  # cached


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "https://other.example"},
        {"aud": ORG + "/"},
        {"exp": int(time.time()) - 3600},
        {"nbf": int(time.time()) + 3600},
        {"iss": "https://login.microsoftonline.com/other/v2.0"},
        {
            "tid": "fab0c3d2-7e6a-4b1f-8c3d-2a9e5f7b4d02",
            "iss": "https://sts.windows.net/fab0c3d2-7e6a-4b1f-8c3d-2a9e5f7b4d02/",
        },
        {"scp": "access_as_user"},
        {"exp": None},
    ],
)
async def test_invalid_tokens_are_refused(keys: Keys, overrides: dict[str, Any]) -> None:
    verifier = TokenVerifier(JwksCache(keys.fetch))
    with pytest.raises(TokenError):
        await verifier.verify(keys.token(**overrides), audience=ORG, tenant_id=TID)


async def test_unsigned_or_symmetric_tokens_are_refused(keys: Keys) -> None:
    verifier = TokenVerifier(JwksCache(keys.fetch))
    hs = jwt.encode(
        {"aud": ORG},
        "secret-secret-secret-secret-secret!",
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    for token in (hs, "not.a.jwt", ""):
        with pytest.raises(TokenError):
            await verifier.verify(token, audience=ORG, tenant_id=TID)


async def test_unknown_kid_triggers_one_refetch_after_rotation(keys: Keys) -> None:
    verifier = TokenVerifier(JwksCache(keys.fetch))
    await verifier.verify(keys.token(), audience=ORG, tenant_id=TID)
    keys.add("k2")
    await verifier.verify(keys.token("k2"), audience=ORG, tenant_id=TID)
    assert keys.fetches == 2
    with pytest.raises(TokenError):
        other = Keys()
        other.add("k3")
        await verifier.verify(other.token("k3"), audience=ORG, tenant_id=TID)
    assert keys.fetches == 3


# --- faults ----------------------------------------------------------------------------------------


def test_concurrency_limit_answers_0x80072326() -> None:
    faults = FaultInjector()
    faults.configure(FaultSettings(concurrency_limit=2, retry_after=3))
    assert faults.decide("u", in_flight=2, now=0) is None
    error = faults.decide("u", in_flight=3, now=0)
    assert error is not None and (error.status, error.code) == (429, "0x80072326")
    assert error.headers == {"Retry-After": "3"}
    assert "limit of 2" in error.message


def test_request_budget_is_a_sliding_window() -> None:
    faults = FaultInjector()
    faults.configure(
        FaultSettings(user_request_budget=RequestBudget(requests=2, window_seconds=10))
    )
    assert faults.decide("u", in_flight=1, now=0) is None
    assert faults.decide("u", in_flight=1, now=1) is None
    throttled = faults.decide("u", in_flight=1, now=2)
    assert throttled is not None and throttled.code == "0x80072322"
    assert throttled.headers["Retry-After"] == "8"
    assert faults.decide("other", in_flight=1, now=2) is None  # per user
    assert faults.decide("u", in_flight=1, now=10.5) is None


def test_seeded_faults_are_reproducible() -> None:
    def run() -> list[int]:
        faults = FaultInjector()
        faults.configure(FaultSettings(throttle_rate=0.3, unavailable_rate=0.2, seed=42))
        out = []
        for _ in range(50):
            error = faults.decide("u", in_flight=1, now=0)
            out.append(error.status if error else 200)
        return out

    first = run()
    assert first == run()
    assert {200, 429, 503} <= set(first)


def test_fault_settings_refuse_nonsense() -> None:
    from pydantic import ValidationError

    for bad in (
        {"throttle_rate": 1.5},
        {"unavailable_status": 404},
        {"throttle_code": "0x1"},
        {"nope": 1},
    ):
        with pytest.raises(ValidationError):
            FaultSettings.model_validate(bad)


# --- $batch (server side) --------------------------------------------------------------------------

DOC_REQUEST = """--batch_22975cad-7f57-410d-be15-6363209367ea
Content-Type: multipart/mixed; boundary="changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a"

--changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

POST /api/data/v9.2/tasks HTTP/1.1
Content-Type: application/json; type=entry

{
  "subject": "Task 1 in batch"
}
--changeset_246e6bfe-89a4-4c77-b293-7a433f082e8a--

--batch_22975cad-7f57-410d-be15-6363209367ea
Content-Type: application/http
Content-Transfer-Encoding: binary

GET /api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)/Account_Tasks?$select=subject HTTP/1.1


--batch_22975cad-7f57-410d-be15-6363209367ea--
"""


def test_parses_the_documented_batch_request() -> None:
    items = sim_batch.parse_batch(
        'multipart/mixed; boundary="batch_22975cad-7f57-410d-be15-6363209367ea"',
        DOC_REQUEST.encode(),
    )
    assert isinstance(items[0], sim_batch.ChangeSet)
    post = items[0].requests[0]
    assert (post.method, post.url, post.content_id) == ("POST", "/api/data/v9.2/tasks", "1")
    assert json.loads(post.body) == {"subject": "Task 1 in batch"}
    assert isinstance(items[1], sim_batch.SubRequest) and items[1].method == "GET"


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/json", b"{}"),
        (
            "multipart/mixed; boundary=b",
            b"--b\r\nContent-Type: application/http\r\n\r\nGET x HTTP/1.1\r\n",
        ),
        (
            "multipart/mixed; boundary=b",
            b"--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\n\r\n"
            b"GET /x HTTP/1.1\r\n\r\n--c--\r\n--b--\r\n",
        ),
    ],
)
def test_bad_batches_are_400(content_type: str, body: bytes) -> None:
    with pytest.raises(DataverseError) as caught:
        sim_batch.parse_batch(content_type, body)
    assert caught.value.status == 400
