"""azure-identity, unmodified: ``ClientSecretCredential`` and ``OnBehalfOfCredential``."""

from __future__ import annotations

from azure.identity import ClientSecretCredential, OnBehalfOfCredential

from tests.integration.entra_sim.helpers import (
    APPS,
    CLI_CALLBACK,
    COCKPIT_API,
    COCKPIT_ID,
    CONTOSO,
    USERS,
    EntraSim,
    browser,
    claims_of,
    msal_app,
    sign_in,
    start_flow,
    username,
)


def test_client_secret_credential(sim: EntraSim) -> None:
    credential = ClientSecretCredential(
        CONTOSO,
        COCKPIT_ID,
        APPS["cockpit"]["secret"],
        authority=sim.https,
        connection_verify=str(sim.ca),
        disable_instance_discovery=True,
    )
    with credential:
        token = credential.get_token(f"{sim.org_url}/.default")
        claims = sim.verify(token.token, audience=sim.org_url)
        assert claims["idtyp"] == "app"
        assert claims["appid"] == COCKPIT_ID
        assert claims["tid"] == CONTOSO
        assert token.expires_on == claims["exp"]
        # azure-identity caches the token: the second call does not reach the simulator.
        credential.get_token(f"{sim.org_url}/.default")
    assert sim.token_requests("client_credentials") == 1


def test_on_behalf_of_credential(sim: EntraSim) -> None:
    cli = msal_app(sim, "cli")
    flow = start_flow(cli, [COCKPIT_API], redirect_uri=CLI_CALLBACK)
    with browser() as client:
        result = cli.acquire_token_by_auth_code_flow(
            flow, sign_in(client, flow["auth_uri"], username("ben"))
        )
    credential = OnBehalfOfCredential(
        CONTOSO,
        COCKPIT_ID,
        client_secret=APPS["cockpit"]["secret"],
        user_assertion=result["access_token"],
        authority=sim.https,
        connection_verify=str(sim.ca),
        disable_instance_discovery=True,
    )
    with credential:
        token = credential.get_token(f"{sim.org_url}/.default")
    claims = sim.verify(token.token, audience=sim.org_url)
    assert claims["oid"] == USERS["ben"]["oid"]
    assert claims["appid"] == COCKPIT_ID
    # ".default" expands to every consented scope of the resource.
    assert claims["scp"] == "user_impersonation"
    assert claims_of(token.token)["ver"] == "1.0"
    assert sim.token_requests("urn:ietf:params:oauth:grant-type:jwt-bearer") == 1
