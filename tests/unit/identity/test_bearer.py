"""Bearer validation rules with our own keys and an httpx.MockTransport JWKS (no network)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.adapters.entra.bearer import BearerVerifier, JwksCache
from shared.domain.errors import Forbidden, NotSignedIn

HOST = "https://login.example"
TENANT = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
API = "5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"


class Keys:
    def __init__(self) -> None:
        self.private = {"k1": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
        self.fetches = 0

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        keys = []
        for kid, key in self.private.items():
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            jwk.update(kid=kid, use="sig")
            keys.append(jwk)
        return {"keys": keys}

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        return httpx.Response(200, json=self.jwks())

    def token(self, *, kid: str = "k1", **overrides) -> str:
        now = int(time.time())
        claims = {
            "iss": f"{HOST}/{TENANT}/v2.0",
            "aud": API,
            "tid": TENANT,
            "oid": "a11ce000-0000-4000-8000-000000000001",
            "scp": "access_as_user",
            "azp": CLIENT,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private[kid], algorithm="RS256", headers={"kid": kid})


CLIENT = "7c11e0a1-2b3c-4d5e-8f60-718293a4b508"
V1_CLIENT = "7c11e0a1-2b3c-4d5e-8f60-000000000001"


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def verifier(keys: Keys) -> BearerVerifier:
    client = httpx.AsyncClient(transport=httpx.MockTransport(keys.handler))
    return BearerVerifier(
        jwks=JwksCache(client=client, jwks_url=f"{HOST}/common/discovery/v2.0/keys"),
        authority_host=HOST,
        audiences=[API, f"api://{API}"],
        allowed_tenants=frozenset({TENANT}),
        required_scope="access_as_user",
        allowed_clients=frozenset({CLIENT.upper(), V1_CLIENT}),
    )


async def test_a_valid_token(verifier: BearerVerifier, keys: Keys) -> None:
    principal = await verifier.verify(keys.token())
    assert principal.kind == "bearer" and principal.tenant_id == TENANT
    assert (await verifier.verify(keys.token(aud=f"api://{API}"))).object_id.startswith("a11ce")


async def test_keys_are_fetched_once_and_reused(verifier: BearerVerifier, keys: Keys) -> None:
    for _ in range(5):
        await verifier.verify(keys.token())
    assert keys.fetches == 1


async def test_rotation_refetches_once(verifier: BearerVerifier, keys: Keys) -> None:
    await verifier.verify(keys.token())
    keys.private["k2"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    await verifier.verify(keys.token(kid="k2"))
    assert keys.fetches == 2


async def test_bogus_kids_cannot_make_us_hammer_the_keys_endpoint(
    verifier: BearerVerifier, keys: Keys
) -> None:
    await verifier.verify(keys.token())
    forger = Keys()
    for i in range(20):
        forger.private[f"bogus{i}"] = forger.private["k1"]
        with pytest.raises(NotSignedIn):
            await verifier.verify(forger.token(kid=f"bogus{i}"))
    assert keys.fetches == 2  # one refetch for the first unknown kid, then held off


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"exp": int(time.time()) - 3600}, NotSignedIn),
        ({"nbf": int(time.time()) + 3600}, NotSignedIn),
        ({"aud": "someone-else"}, NotSignedIn),
        ({"iss": f"{HOST}/{TENANT}/"}, NotSignedIn),
        (
            {
                "tid": "11111111-1111-1111-1111-111111111111",
                "iss": f"{HOST}/11111111-1111-1111-1111-111111111111/v2.0",
            },
            NotSignedIn,
        ),
        ({"tid": "not-a-guid"}, NotSignedIn),
        ({"oid": None}, NotSignedIn),
        ({"scp": None, "roles": ["Something.All"]}, Forbidden),
        ({"scp": "other_scope"}, Forbidden),
        ({"azp": "0e1a2b3c-4d5e-4f60-8a1b-2c3d4e5f6a07"}, Forbidden),  # a client not allowed
        ({"azp": None}, Forbidden),  # no client named at all
    ],
)
async def test_refusals(
    verifier: BearerVerifier, keys: Keys, overrides: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await verifier.verify(keys.token(**overrides))


async def test_clients_are_named_by_azp_or_by_appid_in_v1_tokens(
    verifier: BearerVerifier, keys: Keys
) -> None:
    assert (await verifier.verify(keys.token())).kind == "bearer"
    assert (await verifier.verify(keys.token(azp=None, appid=V1_CLIENT))).kind == "bearer"
    with pytest.raises(Forbidden) as info:
        await verifier.verify(keys.token(azp=None, appid=API))  # our own app id is no client
    assert info.value.code == "client_not_allowed"


async def test_leeway_tolerates_small_clock_skew(verifier: BearerVerifier, keys: Keys) -> None:
    now = int(time.time())
    await verifier.verify(keys.token(nbf=now + 30, iat=now + 30))  # within 60 s
    await verifier.verify(keys.token(exp=now - 30))
