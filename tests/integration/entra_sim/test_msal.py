"""MSAL Python, unmodified, against the simulator: only the authority and the CA trust differ."""

from __future__ import annotations

import hashlib
import time

import msal

from tests.integration.entra_sim.helpers import (
    APPS,
    CLI_CALLBACK,
    COCKPIT_API,
    COCKPIT_ID,
    CONTOSO,
    USERS,
    EntraSim,
    auth_response,
    browser,
    claims_of,
    forms,
    msal_app,
    sign_in,
    start_flow,
    username,
)


def _signed_in(sim: EntraSim, who: str = "ben") -> msal.ConfidentialClientApplication:
    app = msal_app(sim)
    flow = start_flow(app, [f"{sim.org_url}/user_impersonation"])
    with browser() as client:
        response = sign_in(client, flow["auth_uri"], username(who))
    result = app.acquire_token_by_auth_code_flow(flow, response)
    assert "access_token" in result, result
    return app


def test_auth_code_flow_issues_tokens_msal_accepts(sim: EntraSim) -> None:
    app = msal_app(sim)
    flow = start_flow(app, [f"{sim.org_url}/user_impersonation"], login_hint=username("ben"))
    # The authorize endpoint is the plain-http page (no certificate warning for a person).
    assert flow["auth_uri"].startswith(f"{sim.http}/{CONTOSO}/oauth2/v2.0/authorize?")
    with browser() as client:
        page = client.get(flow["auth_uri"])
        assert page.status_code == 200
        assert page.headers["x-frame-options"] == "DENY"
        # login_hint preselects (highlights) the hinted user.
        assert 'class="user hinted"' in page.text
        assert f'data-username="{username("ben")}"' in page.text
        response = sign_in(client, flow["auth_uri"], username("ben"))
        assert "entra_sim_session" in client.cookies

    assert set(response) >= {"code", "state", "session_state", "client_info"}
    result = app.acquire_token_by_auth_code_flow(flow, response)
    assert "error" not in result, result

    ben = USERS["ben"]
    id_claims = result["id_token_claims"]
    assert id_claims["aud"] == COCKPIT_ID
    assert id_claims["iss"] == f"{sim.https}/{CONTOSO}/v2.0"
    assert id_claims["tid"] == CONTOSO
    assert id_claims["oid"] == ben["oid"]
    assert id_claims["name"] == ben["name"]
    assert id_claims["preferred_username"] == ben["username"]
    assert id_claims["roles"] == ["Cockpit.Admin"]
    assert id_claims["ver"] == "2.0"
    # MSAL sends sha256(nonce) and checks it came back; the simulator echoes it.
    assert id_claims["nonce"] == hashlib.sha256(flow["nonce"].encode()).hexdigest()

    access = claims_of(result["access_token"])
    assert access["aud"] == sim.org_url
    assert access["iss"] == f"https://sts.windows.net/{CONTOSO}/"
    assert access["ver"] == "1.0"
    assert access["scp"] == "user_impersonation"
    assert access["appid"] == COCKPIT_ID
    assert access["upn"] == ben["username"]
    assert access["oid"] == ben["oid"]
    assert "roles" not in access  # Dataverse roles live in Dataverse, not in the token
    assert result["scope"] == f"{sim.org_url}/user_impersonation"
    assert result["refresh_token"]

    (account,) = app.get_accounts()
    assert account["home_account_id"] == f"{ben['oid']}.{CONTOSO}"
    assert account["username"] == ben["username"]


def test_form_post_response_mode(sim: EntraSim) -> None:
    app = msal_app(sim)
    flow = start_flow(app, [COCKPIT_API], response_mode="form_post")
    with browser() as client:
        page = client.get(flow["auth_uri"])
        posted = client.post(
            str(page.url.copy_with(query=None)),
            data=next(f for f in _user_forms(page.text) if f["oid"] == USERS["anna"]["oid"]),
        )
    # form_post: a page that posts code and state to the redirect URI, not a redirect.
    assert posted.status_code == 200
    assert f'action="{flow["redirect_uri"]}"' in posted.text
    result = app.acquire_token_by_auth_code_flow(flow, auth_response(posted))
    assert claims_of(result["access_token"])["aud"] == COCKPIT_ID


def _user_forms(html: str) -> list[dict[str, str]]:
    return [f.fields for f in forms(html) if "oid" in f.fields]


def test_silent_from_cache_then_refresh_grant(sim: EntraSim) -> None:
    app = _signed_in(sim, "anna")
    (account,) = app.get_accounts()
    scopes = [f"{sim.org_url}/user_impersonation"]
    before = sim.token_requests()

    cached = app.acquire_token_silent(scopes, account=account)
    assert cached["token_source"] == "cache"
    assert sim.token_requests() == before  # nothing on the wire

    refreshed = app.acquire_token_silent(scopes, account=account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider"
    assert sim.token_requests("refresh_token") == 1
    assert claims_of(refreshed["access_token"])["oid"] == USERS["anna"]["oid"]


def test_refresh_token_rotates_and_is_multi_resource(sim: EntraSim) -> None:
    app = _signed_in(sim, "ben")
    (account,) = app.get_accounts()
    first_rt = next(iter(app.token_cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN)))

    # A token for the cockpit's own API from the refresh token issued for Dataverse.
    api = app.acquire_token_silent([COCKPIT_API], account=account)
    assert api["token_source"] == "identity_provider"
    claims = claims_of(api["access_token"])
    assert claims["aud"] == COCKPIT_ID
    assert claims["iss"] == f"{sim.https}/{CONTOSO}/v2.0"
    assert claims["ver"] == "2.0"
    assert claims["scp"] == "access_as_user"
    assert claims["azp"] == COCKPIT_ID
    assert claims["azpacr"] == "1"
    assert claims["roles"] == ["Cockpit.Admin"]
    assert claims["preferred_username"] == USERS["ben"]["username"]
    assert len(claims["sub"]) == 43 and claims["sub"] != claims["oid"]

    second_rt = next(iter(app.token_cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN)))
    assert second_rt["secret"] != first_rt["secret"]  # a new RT with each response


def test_dataverse_token_via_silent_for_user_impersonation(sim: EntraSim) -> None:
    # Signed in for the cockpit API only; the Dataverse token comes later, silently.
    app = msal_app(sim)
    flow = start_flow(app, [COCKPIT_API])
    with browser() as client:
        result = app.acquire_token_by_auth_code_flow(
            flow, sign_in(client, flow["auth_uri"], username("chris"))
        )
    assert claims_of(result["access_token"])["aud"] == COCKPIT_ID
    (account,) = app.get_accounts()
    dataverse = app.acquire_token_silent([f"{sim.org_url}/user_impersonation"], account=account)
    claims = claims_of(dataverse["access_token"])
    assert claims["aud"] == sim.org_url  # exactly the org URL, no trailing slash
    assert claims["scp"] == "user_impersonation"
    assert claims["unique_name"] == USERS["chris"]["username"]


def test_client_credentials(sim: EntraSim) -> None:
    app = msal_app(sim)
    result = app.acquire_token_for_client([f"{sim.org_url}/.default"])
    assert result["token_source"] == "identity_provider"
    claims = sim.verify(result["access_token"], audience=sim.org_url)
    assert claims["idtyp"] == "app"
    assert claims["appid"] == COCKPIT_ID
    assert claims["oid"] == APPS["cockpit"]["service_principal_object_id"]
    assert claims["ver"] == "1.0"
    assert "scp" not in claims
    assert "refresh_token" not in result and "id_token" not in result

    again = app.acquire_token_for_client([f"{sim.org_url}/.default"])
    assert again["token_source"] == "cache"
    assert sim.token_requests("client_credentials") == 1

    api = msal_app(sim, "cli").acquire_token_for_client([f"api://{COCKPIT_ID}/.default"])
    api_claims = claims_of(api["access_token"])
    assert api_claims["aud"] == COCKPIT_ID
    assert api_claims["ver"] == "2.0"
    assert api_claims["azp"] == APPS["cli"]["client_id"]
    assert api_claims["idtyp"] == "app"
    assert "roles" not in api_claims  # no app-role assignment for the CLI app in the seed


def _cli_user_token(sim: EntraSim, who: str = "anna") -> str:
    """A user's access token for the cockpit API, as the CLI (a client of that API) gets it."""
    cli = msal_app(sim, "cli")
    flow = start_flow(cli, [COCKPIT_API], redirect_uri=CLI_CALLBACK)
    with browser() as client:
        result = cli.acquire_token_by_auth_code_flow(
            flow, sign_in(client, flow["auth_uri"], username(who))
        )
    token: str = result["access_token"]
    claims = claims_of(token)
    assert claims["aud"] == COCKPIT_ID and claims["azp"] == APPS["cli"]["client_id"]
    return token


def test_on_behalf_of(sim: EntraSim) -> None:
    assertion = _cli_user_token(sim, "anna")
    cockpit = msal_app(sim)
    result = cockpit.acquire_token_on_behalf_of(assertion, [f"{sim.org_url}/user_impersonation"])
    assert "error" not in result, result
    claims = sim.verify(result["access_token"], audience=sim.org_url)
    assert claims["oid"] == USERS["anna"]["oid"]
    assert claims["appid"] == COCKPIT_ID  # the middle tier is now the client
    assert claims["scp"] == "user_impersonation"
    # MSAL asks for openid/profile/offline_access, so (like Entra) an ID token and RT come too.
    assert result["id_token_claims"]["aud"] == COCKPIT_ID
    assert result["refresh_token"]


def test_prompt_none_with_session_issues_code_silently(sim: EntraSim) -> None:
    app = msal_app(sim)
    scopes = [f"{sim.org_url}/user_impersonation"]
    with browser() as client:
        first = start_flow(app, scopes)
        app.acquire_token_by_auth_code_flow(
            first, sign_in(client, first["auth_uri"], username("ben"))
        )
        silent = start_flow(app, scopes, prompt="none")
        response = client.get(silent["auth_uri"])
    assert response.status_code == 302  # no page: straight back to the app
    result = app.acquire_token_by_auth_code_flow(silent, auth_response(response))
    assert result["id_token_claims"]["oid"] == USERS["ben"]["oid"]


def test_session_signs_in_again_without_a_page(sim: EntraSim) -> None:
    """Without prompt, an existing simulator session answers at once (Entra's SSO)."""
    app = msal_app(sim)
    scopes = [COCKPIT_API]
    with browser() as client:
        first = start_flow(app, scopes)
        sign_in(client, first["auth_uri"], username("anna"))
        again = start_flow(app, scopes)
        assert client.get(again["auth_uri"]).status_code == 302
        forced = start_flow(app, scopes, prompt="select_account")
        page = client.get(forced["auth_uri"])
    assert page.status_code == 200
    assert "Currently signed in as anna@contoso.example" in page.text


def test_multi_tenant_app_signs_in_another_tenants_user(sim: EntraSim) -> None:
    app = msal.ConfidentialClientApplication(
        COCKPIT_ID,
        client_credential=APPS["cockpit"]["secret"],
        authority=f"{sim.https}/organizations",
        http_client=msal_app(sim).http_client,
        instance_discovery=False,
    )
    flow = start_flow(app, [COCKPIT_API])
    with browser() as client:
        page = client.get(flow["auth_uri"])
        # organizations lists every seeded user, Fabrikam's too.
        assert username("frank") in page.text and username("anna") in page.text
        response = sign_in(client, flow["auth_uri"], username("frank"))
    result = app.acquire_token_by_auth_code_flow(flow, response)
    claims = claims_of(result["access_token"])
    assert claims["tid"] == USERS["frank"]["tenant"]
    assert claims["iss"] == f"{sim.https}/{USERS['frank']['tenant']}/v2.0"
    discovery = sim.get("/organizations/v2.0/.well-known/openid-configuration").json()
    assert discovery["issuer"].replace("{tenantid}", claims["tid"]) == claims["iss"]


def test_tokens_expire_per_configured_lifetime(sim: EntraSim) -> None:
    sim.configure(access_token_lifetime=600, id_token_lifetime=300)
    app = msal_app(sim)
    flow = start_flow(app, [COCKPIT_API])
    with browser() as client:
        result = app.acquire_token_by_auth_code_flow(
            flow, sign_in(client, flow["auth_uri"], username("anna"))
        )
    access = claims_of(result["access_token"])
    assert access["exp"] - access["iat"] == 600
    assert result["expires_in"] == 600
    id_claims = result["id_token_claims"]
    assert id_claims["exp"] - id_claims["iat"] == 300

    # MSAL treats a token with < 5 minutes left as expired, so the next silent call refreshes.
    sim.configure(access_token_lifetime=120)
    (account,) = app.get_accounts()
    short = app.acquire_token_silent([f"{sim.org_url}/user_impersonation"], account=account)
    assert short["expires_in"] == 120
    again = app.acquire_token_silent([f"{sim.org_url}/user_impersonation"], account=account)
    assert again["token_source"] == "identity_provider"
    assert sim.token_requests("refresh_token") == 2


def test_clock_skew_mints_expired_tokens(sim: EntraSim) -> None:
    sim.configure(clock_skew=-7200)
    token = msal_app(sim).acquire_token_for_client([f"{sim.org_url}/.default"])["access_token"]
    claims = claims_of(token)
    assert claims["exp"] < time.time()  # already expired by real time
