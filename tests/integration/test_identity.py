"""Sign-in as a backend-for-frontend, over real HTTP: the cockpit app (uvicorn), Azurite, and the
Entra ID simulator driven like a browser; MSAL unmodified. Every attack is its own test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.stack import Stack
from functions.cookies import LOGIN_COOKIE_PREFIX, SESSION_COOKIE
from shared.domain.errors import ReauthRequired
from shared.domain.identity import Principal
from tests.support.browser import (
    authorize_as,
    auto_post_form,
    browser,
    cookie_or_none,
    cookie_value,
    follow,
    set_cookie,
    sign_in,
)
from tests.support.clock import MovableClock
from tests.support.identities import cli_token
from tests.support.sims import Sims
from tests.support.stack import COCKPIT_APP, CONTOSO, FABRIKAM, SEED, USERS, LiveApp, live_app

ANNA = USERS["anna"]
BEN = USERS["ben"]
FRANK = USERS["frank"]
OTHER_APP = next(a for a in SEED["apps"] if a["display_name"] == "Some other app")


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app(stack: Stack, clock: MovableClock) -> Iterator[LiveApp]:
    # Only Contoso is allowed here, so Fabrikam users and tokens are "tenant not allow-listed".
    with live_app(stack, tenant_ids=CONTOSO, container_overrides={"clock": clock}) as live:
        yield live


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with browser() as c:
        yield c


def jwt_claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


async def signed_in(client: httpx.AsyncClient, app: LiveApp, user: dict) -> dict:
    response = await sign_in(client, app_url=app.url, username=user["username"])
    assert response.status_code == 200, response.text
    return response.json()


async def principal_of(app: LiveApp, client: httpx.AsyncClient) -> Principal:
    session_id = cookie_value(client, SESSION_COOKIE)
    assert session_id
    return await app.call(lambda c: c.auth.resolve_session(session_id))


# --- the happy path ----------------------------------------------------------------------------------


async def test_a_seeded_user_signs_in_like_a_browser_and_gets_a_dataverse_token(
    app: LiveApp, client: httpx.AsyncClient, stack: Stack
) -> None:
    start = await client.get(f"{app.url}/auth/login", params={"next": "/api/me"})
    assert start.status_code == 302
    authorize = urlsplit(start.headers["location"])
    query = parse_qs(authorize.query)
    # MSAL did PKCE (S256), state and nonce; we asked for the Dataverse delegated scope.
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] and query["nonce"]
    assert f"{stack.dataverse_url}/user_impersonation" in query["scope"][0]

    page = await follow(client, start)
    answer = await authorize_as(client, page, ANNA["username"])
    form = auto_post_form(answer.text)  # response_mode=form_post: the code never sits in a URL
    assert form is not None and form.action == f"{app.url}/auth/callback"
    assert set(form.fields) >= {"code", "state"}
    callback = await client.post(form.action, data=form.fields)
    assert callback.status_code == 303 and callback.headers["location"] == "/api/me"

    cookie = next(
        v
        for k, v in callback.headers.multi_items()
        if k == "set-cookie" and v.startswith(SESSION_COOKIE)
    )
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path", "samesite", "max-age"} <= attributes
    assert (
        "samesite=none" in cookie.lower()
        and "path=/" in cookie.lower()
        and "domain" not in cookie.lower()
    )
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert len(base64.urlsafe_b64decode(session_id + "==")) == 32  # an opaque 256-bit id

    me = (await client.get(f"{app.url}/api/me")).json()
    assert me["tenant_id"] == CONTOSO and me["object_id"] == ANNA["oid"]
    assert me["kind"] == "session" and me["is_admin"] is False and me["csrf_token"]

    principal = await principal_of(app, client)
    org = app.container.settings.orgs[0]
    token = await app.call(lambda c: c.auth.crm_token(principal, org))
    claims = jwt_claims(token)
    assert claims["aud"] == stack.dataverse_url
    assert claims["oid"] == ANNA["oid"] and claims["scp"] == "user_impersonation"


async def test_token_cache_is_encrypted_at_rest_and_sessions_store_no_cookie(
    app: LiveApp, client: httpx.AsyncClient
) -> None:
    await signed_in(client, app, ANNA)
    session_id = cookie_value(client, SESSION_COOKIE)
    tables = app.container.tables

    async def dump(c):
        rows = {}
        for logical in ("token_caches", "sessions"):
            rows[logical] = [dict(e) async for e in tables.client(logical).list_entities()]
        return rows

    rows = await app.call(dump)
    cache_row = next(r for r in rows["token_caches"] if r["RowKey"] == ANNA["oid"])
    blob = bytes(cache_row["Cache"])
    assert b"refresh_token" not in blob.lower() and b"secret" not in blob.lower()
    assert b"RefreshToken" not in blob and b"eyJ" not in blob  # no readable JWTs either
    everything = json.dumps(rows, default=str)
    assert session_id not in everything  # only the session id's hash is stored


async def test_a_valid_session_with_a_cached_token_costs_no_token_call_and_two_reads(
    app: LiveApp, client: httpx.AsyncClient, sims: Sims
) -> None:
    await signed_in(client, app, ANNA)
    session_id = cookie_value(client, SESSION_COOKIE)
    org = app.container.settings.orgs[0]
    principal = await principal_of(app, client)
    await app.call(lambda c: c.auth.crm_token(principal, org))  # warm: AT now in the user's cache

    await sims.entra("DELETE", "requests")
    app.container.storage_counter.reset()

    async def one_request(c):
        # Exactly what a request does: resolve the session, then get a CRM token (twice, as a page
        # making two CRM calls would — the per-request caller memoises it).
        p = await c.auth.resolve_session(session_id)
        caller = c.auth.caller(p, org)
        await caller.token(org.url)
        await caller.token(org.url)

    await app.call(one_request)
    counts = app.container.storage_counter.snapshot()
    sessions = app.container.tables.name("sessions")
    caches = app.container.tables.name("token_caches")
    assert counts.get((sessions, "GET"), 0) <= 1
    assert counts.get((caches, "GET"), 0) <= 1
    assert sum(counts.values()) <= 2, counts
    assert await sims.token_endpoint_calls() == 0
    # MSAL's discovery documents come from the shared http cache, not the network, too.
    assert await sims.entra_requests() == []


async def test_roles_make_an_admin(app: LiveApp, client: httpx.AsyncClient) -> None:
    me = await signed_in(client, app, BEN)
    assert me["is_admin"] is True and "Cockpit.Admin" in me["roles"]
    response = await client.get(f"{app.url}/api/admin/orgs")
    assert response.status_code == 200
    assert response.json() == [{"name": "contoso", "url": app.container.settings.orgs[0].url}]


async def test_non_admins_get_403_on_admin_routes(app: LiveApp, client: httpx.AsyncClient) -> None:
    await signed_in(client, app, ANNA)
    response = await client.get(f"{app.url}/api/admin/orgs")
    assert response.status_code == 403
    assert response.json()["code"] == "admin_only"


async def test_logout_revokes_the_server_side_session(
    app: LiveApp, client: httpx.AsyncClient
) -> None:
    me = await signed_in(client, app, ANNA)
    old_cookie = cookie_value(client, SESSION_COOKIE)
    response = await client.post(
        f"{app.url}/auth/logout", headers={"Origin": app.url, "X-Cockpit-CSRF": me["csrf_token"]}
    )
    assert response.status_code == 204
    # The old cookie value, replayed by anyone who kept it, is worthless now.
    async with browser() as replay:
        set_cookie(replay, SESSION_COOKIE, old_cookie)
        assert (await replay.get(f"{app.url}/api/me")).status_code == 401
    assert (await client.get(f"{app.url}/api/me")).status_code == 401


async def test_api_says_reauth_when_silent_acquisition_fails(
    app: LiveApp, client: httpx.AsyncClient, sims: Sims
) -> None:
    await signed_in(client, app, ANNA)
    principal = await principal_of(app, client)
    org = app.container.settings.orgs[0]
    # Short-lived access tokens make MSAL refresh; the refresh token was revoked in Entra.
    await sims.entra("POST", "revoke", json={"oid": ANNA["oid"]})
    try:
        await sims.entra("POST", "config", json={"access_token_lifetime": 60})

        # The cached AT from sign-in lived 1 h; force expiry by dropping it from the cache.
        async def drop_access_tokens(c):
            stored = await c.token_caches.get(tenant_id=CONTOSO, object_id=ANNA["oid"])
            cache = json.loads(stored[0])
            cache["AccessToken"] = {}
            await c.token_caches.put(
                tenant_id=CONTOSO, object_id=ANNA["oid"], cache=json.dumps(cache), etag=stored[1]
            )

        await app.call(drop_access_tokens)
        with pytest.raises(ReauthRequired):
            await app.call(lambda c: c.auth.crm_token(principal, org))
    finally:
        await sims.entra("POST", "config", json={"access_token_lifetime": 3600})


# --- bearer clients -----------------------------------------------------------------------------------


async def test_bearer_client_gets_me_and_a_dataverse_token_on_behalf_of_the_user(
    app: LiveApp, sims: Sims, stack: Stack
) -> None:
    token = await cli_token(stack, ANNA)
    async with httpx.AsyncClient() as c:
        response = await c.get(f"{app.url}/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["kind"] == "bearer" and me["object_id"] == ANNA["oid"] and me["csrf_token"] is None

    principal = await app.call(lambda c: c.bearer.verify(token))
    org = app.container.settings.orgs[0]
    await sims.entra("DELETE", "requests")
    dv_token = await app.call(lambda c: c.auth.crm_token(principal, org))
    assert jwt_claims(dv_token)["aud"] == stack.dataverse_url
    assert jwt_claims(dv_token)["oid"] == ANNA["oid"]
    # Cached per user assertion: the second request costs no token call.
    await app.call(lambda c: c.auth.crm_token(principal, org))
    calls = await sims.entra_requests(endpoint="token")
    assert [c["grant_type"] for c in calls] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]


async def test_bearer_validation_survives_key_rotation(
    app: LiveApp, sims: Sims, stack: Stack
) -> None:
    before = await sims.mint({})
    async with httpx.AsyncClient() as c:
        assert (
            await c.get(f"{app.url}/api/me", headers={"Authorization": f"Bearer {before}"})
        ).status_code == 200
        await sims.entra("POST", "rotate-keys")
        after = await sims.mint({})
        assert jwt.get_unverified_header(after)["kid"] != jwt.get_unverified_header(before)["kid"]
        assert (
            await c.get(f"{app.url}/api/me", headers={"Authorization": f"Bearer {after}"})
        ).status_code == 200
        # The previous key is still published, so tokens signed before the rotation still work.
        assert (
            await c.get(f"{app.url}/api/me", headers={"Authorization": f"Bearer {before}"})
        ).status_code == 200


# --- attacks on bearer tokens: each must be rejected ---------------------------------------------------


async def bearer_status(app: LiveApp, token: str) -> tuple[int, dict]:
    async with httpx.AsyncClient() as c:
        response = await c.get(f"{app.url}/api/me", headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json()


def _forge(claims: dict, header: dict, key) -> str:
    return jwt.encode(claims, key, algorithm=header.get("alg", "RS256"), headers=header)


async def test_attack_forged_signature(app: LiveApp, sims: Sims) -> None:
    genuine = await sims.mint({})
    own_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = _forge(jwt_claims(genuine), jwt.get_unverified_header(genuine), own_key)
    assert (await bearer_status(app, forged))[0] == 401


async def test_attack_alg_none(app: LiveApp, sims: Sims) -> None:
    claims = jwt_claims(await sims.mint({}))
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "typ": "JWT", "kid": "x"}).encode()
    ).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    assert (await bearer_status(app, f"{header.decode()}.{body.decode()}."))[0] == 401


async def test_attack_hs256_signed_with_the_public_key(
    app: LiveApp, sims: Sims, stack: Stack
) -> None:
    genuine = await sims.mint({})
    kid = jwt.get_unverified_header(genuine)["kid"]
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=str(stack.ca_cert))) as c:
        jwks = (await c.get(f"{stack.entra_url}/common/discovery/v2.0/keys")).json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    public_key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Sign with HMAC using the public key bytes as the secret (the classic key-confusion attack).
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode()
    ).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(jwt_claims(genuine)).encode()).rstrip(b"=")
    signing_input = header + b"." + body
    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    ).rstrip(b"=")
    assert (await bearer_status(app, (signing_input + b"." + signature).decode()))[0] == 401


async def test_attack_expired_token(app: LiveApp, sims: Sims) -> None:
    now = int(time.time())
    token = await sims.mint({"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600})
    assert (await bearer_status(app, token))[0] == 401


async def test_attack_not_yet_valid_token(app: LiveApp, sims: Sims) -> None:
    now = int(time.time())
    token = await sims.mint({"iat": now, "nbf": now + 3600, "exp": now + 7200})
    assert (await bearer_status(app, token))[0] == 401


async def test_attack_wrong_audience(app: LiveApp, sims: Sims) -> None:
    token = await sims.mint({"aud": "https://graph.microsoft.com"})
    assert (await bearer_status(app, token))[0] == 401


async def test_attack_wrong_issuer(app: LiveApp, sims: Sims) -> None:
    token = await sims.mint({"iss": f"https://sts.windows.net/{CONTOSO}/"})
    assert (await bearer_status(app, token))[0] == 401


async def test_attack_tenant_not_allow_listed(app: LiveApp, sims: Sims, stack: Stack) -> None:
    token = await sims.mint(
        {"tid": FABRIKAM, "oid": FRANK["oid"], "iss": f"{stack.entra_url}/{FABRIKAM}/v2.0"}
    )
    assert (await bearer_status(app, token))[0] == 401


async def test_attack_missing_scope(app: LiveApp, sims: Sims) -> None:
    status, body = await bearer_status(app, await sims.mint({"scp": None}))
    assert status == 403 and body["code"] == "insufficient_scope"


async def test_attack_token_minted_for_another_app(app: LiveApp, sims: Sims) -> None:
    token = await sims.mint({"aud": OTHER_APP["client_id"]})
    assert (await bearer_status(app, token))[0] == 401


async def test_attack_token_requested_by_a_client_app_that_is_not_allowed(
    app: LiveApp, sims: Sims
) -> None:
    """A valid token for our API, but asked for by some other app a user consented to."""
    for claims in ({"azp": OTHER_APP["client_id"]}, {"azp": None, "appid": OTHER_APP["client_id"]}):
        status, body = await bearer_status(app, await sims.mint(claims))
        assert status == 403 and body["code"] == "client_not_allowed"


async def test_attack_malformed_authorization_header(app: LiveApp) -> None:
    async with httpx.AsyncClient() as c:
        for value in ("Basic YWJjOmRlZg==", "Bearer", "Bearer not.a.jwt"):
            response = await c.get(f"{app.url}/api/me", headers={"Authorization": value})
            assert response.status_code == 401, value


# --- attacks on sessions and the sign-in ---------------------------------------------------------------


async def test_attack_tampered_session_cookie(app: LiveApp, client: httpx.AsyncClient) -> None:
    await signed_in(client, app, ANNA)
    real = cookie_value(client, SESSION_COOKIE)
    tampered = real[:-2] + ("AA" if not real.endswith("AA") else "BB")
    async with browser() as other:
        set_cookie(other, SESSION_COOKIE, tampered)
        assert (await other.get(f"{app.url}/api/me")).status_code == 401


async def test_attack_forged_session_cookie(app: LiveApp) -> None:
    async with browser() as other:
        set_cookie(other, SESSION_COOKIE, base64.urlsafe_b64encode(b"x" * 32).decode())
        response = await other.get(f"{app.url}/api/me")
    assert response.status_code == 401 and response.json()["reauth"] is True


async def test_attack_expired_session_cookie(
    app: LiveApp, client: httpx.AsyncClient, clock: MovableClock
) -> None:
    await signed_in(client, app, ANNA)
    clock.offset = timedelta(minutes=app.container.settings.session_idle_minutes + 1)
    assert (await client.get(f"{app.url}/api/me")).status_code == 401
    clock.offset = timedelta(hours=app.container.settings.session_absolute_hours + 1)
    assert (await client.get(f"{app.url}/api/me")).status_code == 401


async def test_sessions_slide_but_never_beyond_the_absolute_limit(
    app: LiveApp, client: httpx.AsyncClient, clock: MovableClock
) -> None:
    await signed_in(client, app, ANNA)
    idle = app.container.settings.session_idle_minutes
    # Active every half idle window: stays signed in until the absolute limit.
    for step in range(1, 5):
        clock.offset = timedelta(minutes=idle * step / 2)
        assert (await client.get(f"{app.url}/api/me")).status_code == 200


async def test_attack_replayed_state(app: LiveApp, client: httpx.AsyncClient) -> None:
    start = await client.get(f"{app.url}/auth/login", params={"next": "/api/me"})
    page = await follow(client, start)
    answer = auto_post_form((await authorize_as(client, page, ANNA["username"])).text)
    assert answer is not None
    first = await client.post(answer.action, data=answer.fields)
    assert first.status_code == 303
    replay = await client.post(answer.action, data=answer.fields)
    assert replay.status_code == 400
    assert "expired or was already used" in replay.text


async def test_attack_wrong_pkce_verifier(app: LiveApp, client: httpx.AsyncClient) -> None:
    """An attacker who steals a victim's authorization code redeems it through their own sign-in
    (own state, own PKCE verifier): Entra refuses the verifier, no session is created."""
    victim_start = await client.get(f"{app.url}/auth/login", params={"next": "/"})
    page = await follow(client, victim_start)
    answer = auto_post_form((await authorize_as(client, page, ANNA["username"])).text)
    assert answer is not None
    stolen_code = answer.fields["code"]

    async with browser() as attacker:
        own = await attacker.get(f"{app.url}/auth/login", params={"next": "/"})
        own_state = parse_qs(urlsplit(own.headers["location"]).query)["state"][0]
        response = await attacker.get(
            f"{app.url}/auth/callback", params={"code": stolen_code, "state": own_state}
        )
        assert response.status_code == 401
        assert "did not complete" in response.text
        assert cookie_or_none(attacker, SESSION_COOKIE) is None


async def test_attack_login_csrf_callback_from_another_browser(
    app: LiveApp, client: httpx.AsyncClient
) -> None:
    """The attacker signs in as themselves and sends the victim their callback URL."""
    start = await client.get(f"{app.url}/auth/login", params={"next": "/"})
    page = await follow(client, start)
    answer = auto_post_form((await authorize_as(client, page, ANNA["username"])).text)
    assert answer is not None
    async with browser() as victim:
        response = await victim.post(answer.action, data=answer.fields)
        assert response.status_code == 403
        assert cookie_or_none(victim, SESSION_COOKIE) is None


@pytest.mark.parametrize(
    "target", ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"]
)
async def test_attack_open_redirect_via_next(
    app: LiveApp, client: httpx.AsyncClient, target: str
) -> None:
    response = await client.get(f"{app.url}/auth/login", params={"next": target})
    assert response.status_code == 400
    jar = client.browser_jar  # type: ignore[attr-defined]
    assert not any(c.name.startswith(LOGIN_COOKIE_PREFIX) for c in jar)


async def test_attack_old_cookie_after_logout(app: LiveApp, client: httpx.AsyncClient) -> None:
    me = await signed_in(client, app, ANNA)
    old = cookie_value(client, SESSION_COOKIE)
    await client.post(
        f"{app.url}/auth/logout", headers={"Origin": app.url, "X-Cockpit-CSRF": me["csrf_token"]}
    )
    async with browser() as b:
        set_cookie(b, SESSION_COOKIE, old)
        assert (await b.get(f"{app.url}/api/me")).status_code == 401


async def test_attack_missing_csrf_token(app: LiveApp, client: httpx.AsyncClient) -> None:
    await signed_in(client, app, ANNA)
    response = await client.post(f"{app.url}/auth/logout", headers={"Origin": app.url})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    assert (await client.get(f"{app.url}/api/me")).status_code == 200  # nothing happened


async def test_attack_wrong_csrf_token(app: LiveApp, client: httpx.AsyncClient) -> None:
    await signed_in(client, app, ANNA)
    response = await client.post(
        f"{app.url}/auth/logout", headers={"Origin": app.url, "X-Cockpit-CSRF": "guess"}
    )
    assert response.status_code == 403
    assert (await client.get(f"{app.url}/api/me")).status_code == 200


async def test_attack_foreign_origin(app: LiveApp, client: httpx.AsyncClient) -> None:
    me = await signed_in(client, app, ANNA)
    for origin in ("https://evil.example", "http://127.0.0.1:7080", None):
        headers = {"X-Cockpit-CSRF": me["csrf_token"]}
        if origin:
            headers["Origin"] = origin
        response = await client.post(f"{app.url}/auth/logout", headers=headers)
        assert response.status_code == 403, origin
    assert (await client.get(f"{app.url}/api/me")).status_code == 200


async def test_a_user_of_a_tenant_not_allowed_is_not_even_offered(
    app: LiveApp, client: httpx.AsyncClient
) -> None:
    """With one allowed tenant the cockpit signs in through that tenant's own authority, so Entra
    itself refuses other tenants' users (the post-sign-in tid check is unit-tested)."""
    page = await follow(client, await client.get(f"{app.url}/auth/login", params={"next": "/"}))
    assert ANNA["username"] in page.text
    assert FRANK["username"] not in page.text


async def test_pages_send_people_to_sign_in_and_back(
    app: LiveApp, client: httpx.AsyncClient
) -> None:
    response = await client.get(f"{app.url}/auth/signed-out")
    assert response.status_code == 200
    me = await client.get(f"{app.url}/api/me")
    assert me.status_code == 401 and me.json()["reauth"] is True


# --- logs ----------------------------------------------------------------------------------------------


async def test_no_token_cookie_or_secret_is_logged(
    app: LiveApp,
    client: httpx.AsyncClient,
    sims: Sims,
    stack: Stack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    me = await signed_in(client, app, ANNA)
    session_id = cookie_value(client, SESSION_COOKIE)
    principal = await principal_of(app, client)
    org = app.container.settings.orgs[0]
    dv_token = await app.call(lambda c: c.auth.crm_token(principal, org))
    bearer = await cli_token(stack, ANNA)
    async with httpx.AsyncClient() as c:
        await c.get(f"{app.url}/api/me", headers={"Authorization": f"Bearer {bearer}"})
    await client.post(
        f"{app.url}/auth/logout", headers={"Origin": app.url, "X-Cockpit-CSRF": "wrong"}
    )
    await client.post(
        f"{app.url}/auth/logout", headers={"Origin": app.url, "X-Cockpit-CSRF": me["csrf_token"]}
    )

    logged = "\n".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert logged, "expected the app to log something"
    stored = await app.call(lambda c: c.token_caches.get(tenant_id=CONTOSO, object_id=ANNA["oid"]))
    assert stored is not None
    refresh_tokens = [rt["secret"] for rt in json.loads(stored[0])["RefreshToken"].values()]
    secrets_ = [
        session_id,
        me["csrf_token"],
        dv_token,
        bearer,
        COCKPIT_APP["secret"],
        *refresh_tokens,
    ]
    for secret in secrets_:
        assert secret and secret not in logged
    assert "eyJ" not in logged
