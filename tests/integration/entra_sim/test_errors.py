"""Refusals, in Entra's shape: AADSTS codes, error strings, statuses, pages vs redirects."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.integration.entra_sim.helpers import (
    APPS,
    CLI_CALLBACK,
    COCKPIT_API,
    COCKPIT_CALLBACK,
    COCKPIT_ID,
    CONTOSO,
    USERS,
    EntraSim,
    auth_response,
    browser,
    forms,
    msal_app,
    pick_user,
    sign_in,
    start_flow,
    username,
)

TOKEN = f"/{CONTOSO}/oauth2/v2.0/token"
OBO = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize_url(sim: EntraSim, **params: str) -> str:
    query = {
        "client_id": COCKPIT_ID,
        "response_type": "code",
        "redirect_uri": COCKPIT_CALLBACK,
        "scope": f"openid profile offline_access {COCKPIT_API}",
        "state": "s-123",
        **params,
    }
    return f"{sim.http}/{CONTOSO}/oauth2/v2.0/authorize?{urlencode(query)}"


def _code(sim: EntraSim, client: httpx.Client, verifier: str, who: str = "anna") -> str:
    page = client.get(
        _authorize_url(sim, code_challenge=_challenge(verifier), code_challenge_method="S256")
    )
    return auth_response(pick_user(client, page, username(who)))["code"]


def _redeem(sim: EntraSim, code: str, verifier: str, **extra: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": COCKPIT_ID,
        "client_secret": APPS["cockpit"]["secret"],
        "code": code,
        "redirect_uri": COCKPIT_CALLBACK,
        "code_verifier": verifier,
        "scope": f"openid offline_access {COCKPIT_API}",
        **extra,
    }
    return sim.post(TOKEN, data=form)


def _assert_entra_error(
    response: httpx.Response, error: str, code: int, status: int = 400
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert body["error_codes"] == [code], body
    description = body["error_description"]
    assert description.startswith(f"AADSTS{code}: ")
    assert f"Trace ID: {body['trace_id']}" in description
    assert f"Correlation ID: {body['correlation_id']}" in description
    assert f"Timestamp: {body['timestamp']}" in description
    return body


def test_wrong_pkce_verifier_is_refused_and_does_not_burn_the_code(sim: EntraSim) -> None:
    app = msal_app(sim)
    flow = start_flow(app, [COCKPIT_API])
    with browser() as client:
        response = sign_in(client, flow["auth_uri"], username("anna"))
    tampered = dict(flow, code_verifier=secrets.token_urlsafe(32))
    result = app.acquire_token_by_auth_code_flow(tampered, response)
    assert result["error"] == "invalid_grant"
    assert result["error_codes"] == [501481]
    # The legitimate client, which has the verifier, can still redeem the code.
    good = app.acquire_token_by_auth_code_flow(flow, response)
    assert "access_token" in good, good


def test_replayed_code_and_error_shape(sim: EntraSim) -> None:
    verifier = secrets.token_urlsafe(48)
    with browser() as client:
        code = _code(sim, client, verifier)
    assert _redeem(sim, code, verifier).status_code == 200
    correlation = str(uuid.uuid4())
    replay = sim.post(
        TOKEN,
        data={
            "grant_type": "authorization_code",
            "client_id": COCKPIT_ID,
            "client_secret": APPS["cockpit"]["secret"],
            "code": code,
            "redirect_uri": COCKPIT_CALLBACK,
            "code_verifier": verifier,
        },
        headers={"client-request-id": correlation},
    )
    body = _assert_entra_error(replay, "invalid_grant", 54005)
    assert body["correlation_id"] == correlation  # the client's request id comes back
    assert replay.headers["cache-control"] == "no-store, no-cache"


def test_code_checks(sim: EntraSim) -> None:
    verifier = secrets.token_urlsafe(48)
    with browser() as client:
        code = _code(sim, client, verifier)
    _assert_entra_error(
        _redeem(sim, code, verifier, redirect_uri="http://localhost:5000/other"),
        "invalid_grant",
        50011,
    )
    _assert_entra_error(_redeem(sim, code, verifier[:-1] + "A"), "invalid_grant", 501481)
    _assert_entra_error(_redeem(sim, "not-a-code", verifier), "invalid_grant", 70000)
    wrong_tenant = sim.post(
        "/organizations/oauth2/v2.0/token",
        data={
            "grant_type": "authorization_code",
            "client_id": COCKPIT_ID,
            "client_secret": APPS["cockpit"]["secret"],
            "code": code,
            "redirect_uri": COCKPIT_CALLBACK,
            "code_verifier": verifier,
        },
    )
    _assert_entra_error(wrong_tenant, "invalid_grant", 700005)
    # Codes live about 10 minutes.
    sim.configure(clock_skew=601)
    _assert_entra_error(_redeem(sim, code, verifier), "invalid_grant", 70008)


def test_wrong_secret(sim: EntraSim) -> None:
    result = msal_app(sim, secret="not-the-secret").acquire_token_for_client(
        [f"{sim.org_url}/.default"]
    )
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    form = {"grant_type": "client_credentials", "scope": f"{sim.org_url}/.default"}
    basic_wrong = sim.post(TOKEN, data=form, auth=(COCKPIT_ID, "not-the-secret"))
    _assert_entra_error(basic_wrong, "invalid_client", 7000215, status=401)
    missing = sim.post(TOKEN, data={**form, "client_id": COCKPIT_ID})
    _assert_entra_error(missing, "invalid_client", 7000218, status=401)
    # client_secret_basic with the right secret works.
    assert (
        sim.post(TOKEN, data=form, auth=(COCKPIT_ID, APPS["cockpit"]["secret"])).status_code == 200
    )


def test_bad_redirect_uri_gets_an_error_page_not_a_redirect(sim: EntraSim) -> None:
    with browser() as client:
        evil = client.get(_authorize_url(sim, redirect_uri="https://evil.example/auth/callback"))
        case = client.get(_authorize_url(sim, redirect_uri="http://localhost:5000/Auth/callback"))
        # For localhost the port is ignored (RFC 8252); the path must still match exactly.
        other_port = client.get(
            _authorize_url(sim, redirect_uri="http://localhost:61234/auth/callback")
        )
        missing = client.get(_authorize_url(sim, redirect_uri=""))
    for page in (evil, case):
        assert page.status_code == 400
        assert "location" not in page.headers
        assert "AADSTS50011" in page.text
    assert other_port.status_code == 200
    assert missing.status_code == 400 and "AADSTS900971" in missing.text


def test_unknown_client(sim: EntraSim) -> None:
    stranger = str(uuid.uuid4())
    with browser() as client:
        page = client.get(_authorize_url(sim, client_id=stranger))
    assert page.status_code == 400 and "AADSTS700016" in page.text
    response = sim.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": stranger,
            "client_secret": "x",
            "scope": f"{sim.org_url}/.default",
        },
    )
    _assert_entra_error(response, "unauthorized_client", 700016)


def test_unknown_tenant(sim: EntraSim) -> None:
    stranger = str(uuid.uuid4())
    discovery = sim.get(f"/{stranger}/v2.0/.well-known/openid-configuration")
    _assert_entra_error(discovery, "invalid_tenant", 90002)
    with browser() as client:
        page = client.get(_authorize_url(sim).replace(CONTOSO, stranger))
    assert page.status_code == 400 and "AADSTS90002" in page.text


def test_prompt_none_without_session_is_login_required(sim: EntraSim) -> None:
    app = msal_app(sim)
    flow = start_flow(app, [COCKPIT_API], prompt="none")
    with browser() as client:
        response = client.get(flow["auth_uri"])
    assert response.status_code == 302
    answer = auth_response(response)
    assert answer["error"] == "login_required"
    assert answer["error_description"].startswith("AADSTS50058: ")
    assert answer["state"] == flow["state"]
    result = app.acquire_token_by_auth_code_flow(flow, answer)
    assert result["error"] == "login_required"


def test_prompt_none_for_another_user_is_login_required(sim: EntraSim) -> None:
    with browser() as client:
        sign_in(client, _authorize_url(sim), username("anna"))
        response = client.get(_authorize_url(sim, prompt="none", login_hint=username("ben")))
    assert auth_response(response)["error"] == "login_required"


def test_consent_required_for_unconsented_scope(sim: EntraSim) -> None:
    # The CLI app has consent for the cockpit API only, not for Dataverse.
    params = {
        "client_id": APPS["cli"]["client_id"],
        "redirect_uri": CLI_CALLBACK,
        "scope": f"openid {sim.org_url}/user_impersonation",
    }
    with browser() as client:
        interactive = auth_response(client.get(_authorize_url(sim, **params)))
        silent = auth_response(client.get(_authorize_url(sim, prompt="none", **params)))
    assert interactive["error"] == "consent_required"
    assert interactive["error_description"].startswith("AADSTS65001: ")
    assert silent["error"] == "interaction_required"
    assert silent["error_description"].startswith("AADSTS65001: ")


def test_cancel_on_the_sign_in_page(sim: EntraSim) -> None:
    with browser() as client:
        page = client.get(_authorize_url(sim))
        cancel = next(f for f in _forms(page.text) if f.get("action") == "cancel")
        response = client.post(str(page.url.copy_with(query=None)), data=cancel)
    answer = auth_response(response)
    assert answer["error"] == "access_denied" and answer["state"] == "s-123"


def _forms(html: str) -> list[dict[str, str]]:
    return [f.fields for f in forms(html)]


def test_stale_sign_in_page(sim: EntraSim) -> None:
    with browser() as client:
        page = client.get(_authorize_url(sim))
        form = _forms(page.text)[0]
        assert client.post(str(page.url.copy_with(query=None)), data=form).status_code == 302
        again = client.post(str(page.url.copy_with(query=None)), data=form)
    assert again.status_code == 400 and "AADSTS50089" in again.text


def _app_only_token(sim: EntraSim, scope: str) -> str:
    result = msal_app(sim, "cli").acquire_token_for_client([scope])
    token: str = result["access_token"]
    return token


def _cli_user_token(sim: EntraSim) -> str:
    cli = msal_app(sim, "cli")
    flow = start_flow(cli, [COCKPIT_API], redirect_uri=CLI_CALLBACK)
    with browser() as client:
        result = cli.acquire_token_by_auth_code_flow(
            flow, sign_in(client, flow["auth_uri"], username("anna"))
        )
    token: str = result["access_token"]
    return token


def test_obo_refuses_app_only_assertion(sim: EntraSim) -> None:
    assertion = _app_only_token(sim, f"api://{COCKPIT_ID}/.default")
    result = msal_app(sim).acquire_token_on_behalf_of(
        assertion, [f"{sim.org_url}/user_impersonation"]
    )
    assert result["error"] == "unauthorized_client"
    assert result["error_codes"] == [7000114]


def test_obo_refuses_assertion_for_another_audience(sim: EntraSim) -> None:
    assertion = _cli_user_token(sim)  # aud = the cockpit, presented by "Some other app"
    result = msal_app(sim, "other").acquire_token_on_behalf_of(
        assertion, [f"{sim.org_url}/user_impersonation"]
    )
    assert result["error"] == "invalid_grant"
    assert result["error_codes"] == [50013]
    assert "audience" in result["error_description"]


def test_obo_refuses_expired_and_foreign_assertions(sim: EntraSim) -> None:
    expired = sim.post("/_sim/mint", json={"claims": {"exp": 1_000_000_000}}).json()["token"]
    result = msal_app(sim).acquire_token_on_behalf_of(
        expired, [f"{sim.org_url}/user_impersonation"]
    )
    assert result["error_codes"] == [500133]
    foreign = sim.post(
        "/_sim/mint", json={"claims": {"iss": "https://login.microsoftonline.com/x/v2.0"}}
    ).json()["token"]
    result = msal_app(sim).acquire_token_on_behalf_of(
        foreign, [f"{sim.org_url}/user_impersonation"]
    )
    assert result["error_codes"] == [50013]
    # The middle tier needs consent for the downstream resource: "Some other app" has none.
    mine = sim.post("/_sim/mint", json={"claims": {"aud": APPS["other"]["client_id"]}}).json()[
        "token"
    ]
    result = msal_app(sim, "other").acquire_token_on_behalf_of(
        mine, [f"{sim.org_url}/user_impersonation"]
    )
    assert result["error"] == "invalid_grant" and result["error_codes"] == [65001]
    assert result["suberror"] == "consent_required"


def test_refresh_token_refused_after_revoke(sim: EntraSim) -> None:
    app = msal_app(sim)
    flow = start_flow(app, [COCKPIT_API])
    with browser() as client:
        app.acquire_token_by_auth_code_flow(
            flow, sign_in(client, flow["auth_uri"], username("anna"))
        )
        revoked = sim.post("/_sim/revoke", json={"oid": _oid("anna")}).json()
        assert revoked == {"oid": _oid("anna"), "revoked_refresh_tokens": 1, "ended_sessions": 1}
        # The simulator session is gone too: prompt=none now needs a sign-in.
        silent = client.get(_authorize_url(sim, prompt="none"))
    assert auth_response(silent)["error"] == "login_required"
    (account,) = app.get_accounts()
    result = app.acquire_token_silent_with_error([COCKPIT_API], account=account, force_refresh=True)
    assert result is not None
    assert result["error"] == "invalid_grant"
    assert result["error_codes"] == [50173]


def test_refresh_token_expires(sim: EntraSim) -> None:
    sim.configure(refresh_token_lifetime=60)
    app = msal_app(sim)
    flow = start_flow(app, [COCKPIT_API])
    with browser() as client:
        app.acquire_token_by_auth_code_flow(
            flow, sign_in(client, flow["auth_uri"], username("ben"))
        )
    sim.configure(clock_skew=61)
    (account,) = app.get_accounts()
    result = app.acquire_token_silent_with_error([COCKPIT_API], account=account, force_refresh=True)
    assert result is not None and result["error_codes"] == [700082]


def _oid(short: str) -> str:
    oid: str = USERS[short]["oid"]
    return oid


def test_client_credentials_scope_rules(sim: EntraSim) -> None:
    base = {
        "grant_type": "client_credentials",
        "client_id": COCKPIT_ID,
        "client_secret": APPS["cockpit"]["secret"],
    }
    named = sim.post(TOKEN, data={**base, "scope": f"{sim.org_url}/user_impersonation"})
    _assert_entra_error(named, "invalid_scope", 1002012)
    unknown = sim.post(TOKEN, data={**base, "scope": "https://unknown.example/.default"})
    _assert_entra_error(unknown, "invalid_resource", 500011)
    common = sim.post(
        "/organizations/oauth2/v2.0/token", data={**base, "scope": f"{sim.org_url}/.default"}
    )
    _assert_entra_error(common, "invalid_request", 50059)
    # The v1 form "{org}//.default" names the same resource.
    double = sim.post(TOKEN, data={**base, "scope": f"{sim.org_url}//.default"})
    assert double.status_code == 200, double.text


def test_malformed_token_requests_get_4xx(sim: EntraSim) -> None:
    _assert_entra_error(sim.get(TOKEN), "invalid_request", 900561, status=405)
    _assert_entra_error(sim.post(TOKEN, data={"client_id": COCKPIT_ID}), "invalid_request", 900144)
    _assert_entra_error(
        sim.post(TOKEN, data={"grant_type": "password"}), "unsupported_grant_type", 70003
    )
    _assert_entra_error(
        sim.post(TOKEN, json={"grant_type": "client_credentials"}), "invalid_request", 9002313
    )
    duplicate = sim.post(
        TOKEN,
        content=b"grant_type=client_credentials&grant_type=refresh_token",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    _assert_entra_error(duplicate, "invalid_request", 9002313)
    assert sim.get("/nothing/here").status_code == 404
    with sim.client() as client:
        assert client.delete("/_sim/config").status_code == 405
