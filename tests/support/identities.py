"""Identities for calling the cockpit API in integration tests: a bearer token that the CLI app
(a non-browser client of the seed) obtains through the real auth-code flow with MSAL, unmodified."""

from __future__ import annotations

from typing import Any

import msal
import requests

from devstack.stack import Stack
from tests.support.browser import authorize_as, auto_post_form, browser, follow
from tests.support.stack import COCKPIT_APP, SEED

CLI_APP = next(a for a in SEED["apps"] if a["display_name"].startswith("Cockpit CLI"))


async def cli_token(stack: Stack, user: dict[str, Any]) -> str:
    """An access token for the cockpit API obtained by the CLI app through the real auth-code flow."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(stack.ca_cert)
    cli = msal.ConfidentialClientApplication(
        CLI_APP["client_id"],
        client_credential=CLI_APP["secret"],
        authority=f"{stack.entra_url}/{user['tenant']}",
        http_client=session,
        instance_discovery=False,
    )
    flow = cli.initiate_auth_code_flow(
        [f"api://{COCKPIT_APP['client_id']}/access_as_user"],
        redirect_uri="http://localhost/cli/callback",
        response_mode="form_post",
    )
    async with browser() as b:
        page = await follow(b, await b.get(flow["auth_uri"]))
        answer = auto_post_form((await authorize_as(b, page, user["username"])).text)
        assert answer is not None
    result = cli.acquire_token_by_auth_code_flow(flow, answer.fields)
    assert "access_token" in result, result
    return str(result["access_token"])
