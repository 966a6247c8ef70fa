"""Authorize and token-endpoint logic in memory, with a hand-driven clock."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import jwt
import pytest

from devstack.entra.authorize import (
    NotRedirectable,
    Redirect,
    RedirectableError,
    issue_code,
    parse_authorize,
    session_fits,
)
from devstack.entra.errors import EntraError
from devstack.entra.grants import OBO_GRANT, TokenEndpoint
from devstack.entra.keys import SigningKey
from devstack.entra.state import Simulator
from devstack.entra.tokens import TokenMinter
from tests.unit.entra_sim.conftest import ORG, Clock, app_of, demo_seed, make_simulator

CONTOSO = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
FABRIKAM = "fab0c3d2-7e6a-4b1f-8c3d-2a9e5f7b4d02"
COCKPIT = "5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"
COCKPIT_SECRET = "dev-only-cockpit-secret-not-for-azure"
CLI = "7c11e0a1-2b3c-4d5e-8f60-718293a4b508"
CLI_SECRET = "dev-only-cli-secret"
ANNA = "a11ce000-0000-4000-8000-000000000001"
BEN = "a11ce000-0000-4000-8000-000000000002"
FRANK = "a11ce000-0000-4000-8000-000000000005"
CALLBACK = "http://localhost:8000/auth/callback"
VERIFIER = "v" * 43


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def params(**overrides: str) -> dict[str, str]:
    return {
        "client_id": COCKPIT,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": f"openid profile offline_access {ORG}/user_impersonation",
        "state": "st",
        "nonce": "n-1",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        **overrides,
    }


def code_for(sim: Simulator, oid: str = ANNA, tenant: str = CONTOSO, **overrides: str) -> str:
    request = parse_authorize(sim, tenant, params(**overrides))
    user = sim.directory.users[oid]
    session = sim.start_session(oid=oid, tid=user.tenant)
    return issue_code(sim, request, session).params["code"]


def token(sim: Simulator, tenant: str = CONTOSO, **form: str) -> dict[str, Any]:
    return TokenEndpoint(sim, TokenMinter(sim)).handle(
        tenant_segment=tenant, form=form, authorization=None
    )


def redeem(sim: Simulator, code: str, **extra: str) -> dict[str, Any]:
    form = {
        "grant_type": "authorization_code",
        "client_id": COCKPIT,
        "client_secret": COCKPIT_SECRET,
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
        "client_info": "1",
        **extra,
    }
    return token(sim, **form)


def refused(call: Any, *args: Any, **kwargs: Any) -> EntraError:
    with pytest.raises(EntraError) as caught:
        call(*args, **kwargs)
    return caught.value


def claims(value: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(value, options={"verify_signature": False})
    return decoded


def test_code_redemption_issues_the_documented_response(sim: Simulator) -> None:
    response = redeem(sim, code_for(sim))
    assert set(response) == {
        "token_type", "scope", "expires_in", "ext_expires_in", "access_token",
        "refresh_token", "id_token", "client_info",
    }  # fmt: skip
    assert response["scope"] == f"{ORG}/user_impersonation"
    id_claims = claims(response["id_token"])
    assert id_claims["nonce"] == "n-1" and "auth_time" not in id_claims
    access = claims(response["access_token"])
    assert access["given_name"] == "Anna" and access["family_name"] == "Adams"
    assert jwt.get_unverified_header(response["access_token"])["kid"] == sim.keys.current.kid


def test_plain_pkce_and_missing_verifier(sim: Simulator) -> None:
    code = code_for(sim, code_challenge=VERIFIER, code_challenge_method="plain")
    assert "access_token" in redeem(sim, code)
    code = code_for(sim)
    error = refused(
        token,
        sim,
        grant_type="authorization_code",
        client_id=COCKPIT,
        client_secret=COCKPIT_SECRET,
        code=code,
        redirect_uri=CALLBACK,
    )
    assert error.code == 900144 and "code_verifier" in error.message
    assert refused(redeem, sim, code, code_verifier="short").code == 501481


def test_code_lifetime(sim: Simulator, clock: Clock) -> None:
    code = code_for(sim)
    clock.now += 599
    assert "access_token" in redeem(sim, code)
    assert refused(redeem, sim, code).code == 54005
    late = code_for(sim)
    clock.now += 600
    assert refused(redeem, sim, late).code == 70008


def test_max_age_puts_auth_time_in_the_id_token(sim: Simulator, clock: Clock) -> None:
    code = code_for(sim, max_age="0")
    id_claims = claims(redeem(sim, code)["id_token"])
    assert id_claims["auth_time"] == int(clock.now)


def test_refresh_grants(sim: Simulator, clock: Clock) -> None:
    first = redeem(sim, code_for(sim))
    rt = first["refresh_token"]

    def refresh(value: str, **extra: str) -> dict[str, Any]:
        return token(
            sim,
            grant_type="refresh_token",
            client_id=COCKPIT,
            client_secret=COCKPIT_SECRET,
            refresh_token=value,
            **extra,
        )

    # Without scope: the original request again. The old RT stays valid after use (documented).
    again = refresh(rt)
    assert claims(again["access_token"])["aud"] == ORG
    assert again["refresh_token"] != rt
    assert "access_token" in refresh(rt, scope=f"openid api://{COCKPIT}/access_as_user")
    # Another client cannot use it; an unconsented resource is refused.
    other = refused(
        token,
        sim,
        grant_type="refresh_token",
        client_id=CLI,
        client_secret=CLI_SECRET,
        refresh_token=rt,
    )
    assert other.code == 70000
    cli_rt = token(
        sim,
        grant_type="authorization_code",
        client_id=CLI,
        client_secret=CLI_SECRET,
        code=code_for(
            sim,
            client_id=CLI,
            redirect_uri="http://localhost/cli/callback",
            scope=f"offline_access api://{COCKPIT}/access_as_user",
        ),
        redirect_uri="http://localhost/cli/callback",
        code_verifier=VERIFIER,
    )["refresh_token"]
    consent = refused(
        token,
        sim,
        grant_type="refresh_token",
        client_id=CLI,
        client_secret=CLI_SECRET,
        refresh_token=cli_rt,
        scope=f"{ORG}/user_impersonation",
    )
    assert consent.code == 65001 and consent.suberror == "consent_required"

    # Revocation covers tokens issued before it, not after.
    sim.revoke_user(ANNA)
    assert refused(refresh, rt).code == 50173
    clock.now += 1
    fresh = redeem(sim, code_for(sim))["refresh_token"]
    assert "access_token" in refresh(fresh)
    clock.now += sim.config.refresh_token_lifetime
    expired = refused(refresh, fresh)
    assert expired.code == 700082 and "inactive for 1.00:00:00" in expired.message


def test_client_credentials_roles_from_app_role_assignments(
    signing_keys: list[SigningKey], clock: Clock
) -> None:
    seed = demo_seed()
    cockpit = app_of(seed, COCKPIT)
    cli_sp = app_of(seed, CLI)["service_principal_object_id"]
    cockpit["app_roles"].append(
        {
            "value": "Cockpit.Jobs",
            "id": "1a2b3c4d-0000-4000-8000-00000000ad02",
            "display_name": "Background jobs",
            "allowed_member_types": ["Application"],
        }
    )
    cockpit["role_assignments"].append({"principal": cli_sp, "role": "Cockpit.Jobs"})
    # A user assignment to an Application-only role never reaches a token.
    cockpit["role_assignments"].append({"principal": ANNA, "role": "Cockpit.Jobs"})
    sim = make_simulator(seed, signing_keys, clock)
    app_token = token(
        sim,
        grant_type="client_credentials",
        client_id=CLI,
        client_secret=CLI_SECRET,
        scope=f"{COCKPIT}/.default",
    )
    assert set(app_token) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    app_claims = claims(app_token["access_token"])
    assert app_claims["roles"] == ["Cockpit.Jobs"]
    assert app_claims["sub"] == app_claims["oid"] == cli_sp
    user = redeem(sim, code_for(sim, scope=f"openid api://{COCKPIT}/access_as_user"))
    assert "roles" not in claims(user["access_token"])


def _obo(
    sim: Simulator, assertion: str, client: str = COCKPIT, secret: str = COCKPIT_SECRET
) -> dict[str, Any]:
    return token(
        sim,
        grant_type=OBO_GRANT,
        client_id=client,
        client_secret=secret,
        assertion=assertion,
        requested_token_use="on_behalf_of",
        scope=f"{ORG}/user_impersonation openid offline_access",
    )


def test_on_behalf_of_checks(sim: Simulator, clock: Clock) -> None:
    minter = TokenMinter(sim)
    server = sim.directory.resource_server(COCKPIT)
    assert server is not None
    user_claims = minter.user_access_claims(
        server=server,
        audience=COCKPIT,
        scp=("access_as_user",),
        user=sim.directory.users[ANNA],
        client=sim.directory.apps[CLI],
        session_id=None,
    )
    assertion = minter.sign(user_claims)
    answer = _obo(sim, assertion)
    assert claims(answer["access_token"])["oid"] == ANNA and "refresh_token" in answer

    # Signed by a key that is not (or no longer) published.
    rogue = SigningKey.generate()
    assert refused(_obo, sim, minter.sign(user_claims, key=rogue)).code == 50013
    # Tampered payload.
    head, _, sig = assertion.split(".")
    forged = claims(assertion) | {"oid": BEN}
    body = base64.urlsafe_b64encode(json.dumps(forged).encode())
    assert refused(_obo, sim, f"{head}.{body.rstrip(b'=').decode()}.{sig}").code == 50013
    assert refused(_obo, sim, "not a jwt").code == 50013
    assert refused(_obo, sim, minter.sign(user_claims | {"iss": 7, "sub": {}})).code == 50013
    # Expired by the simulator's clock.
    clock.now += sim.config.access_token_lifetime
    assert refused(_obo, sim, assertion).code == 500133
    clock.now -= sim.config.access_token_lifetime
    # A user who does not exist.
    ghost = minter.sign(user_claims | {"oid": "a11ce000-0000-4000-8000-0000000000ff"})
    assert refused(_obo, sim, ghost).code == 50034
    # App-only and ID tokens carry no scp: not exchangeable.
    app_only = minter.sign(
        minter.app_access_claims(
            server=server, audience=COCKPIT, client=sim.directory.apps[CLI], tid=CONTOSO
        )
    )
    assert refused(_obo, sim, app_only).error == "unauthorized_client"
    # Wrong requested_token_use.
    wrong_use = refused(
        token,
        sim,
        grant_type=OBO_GRANT,
        client_id=COCKPIT,
        client_secret=COCKPIT_SECRET,
        assertion=assertion,
        requested_token_use="something",
        scope=f"{ORG}/.default",
    )
    assert wrong_use.code == 90023


def test_authorize_validation(sim: Simulator) -> None:
    with pytest.raises(NotRedirectable) as page:
        parse_authorize(sim, CONTOSO, params(client_id="not-a-guid"))
    assert page.value.error.code == 700016
    with pytest.raises(NotRedirectable) as page:
        # The CLI app is single-tenant: /organizations is refused (AADSTS50194).
        parse_authorize(
            sim,
            "organizations",
            params(client_id=CLI, redirect_uri="http://localhost/cli/callback"),
        )
    assert page.value.error.code == 50194
    with pytest.raises(NotRedirectable) as page:
        parse_authorize(
            sim, FABRIKAM, params(client_id=CLI, redirect_uri="http://localhost/cli/callback")
        )
    assert page.value.error.code == 700016

    def redirected(**overrides: str) -> dict[str, str]:
        with pytest.raises(RedirectableError) as caught:
            parse_authorize(sim, CONTOSO, params(**overrides))
        return caught.value.redirect.params

    assert redirected(response_type="token")["error"] == "unsupported_response_type"
    assert redirected(response_type="")["error"] == "invalid_request"
    assert redirected(scope="")["error"] == "invalid_request"
    assert redirected(prompt="sometimes")["error"] == "invalid_request"
    assert redirected(prompt="none login")["error"] == "invalid_request"
    assert redirected(code_challenge="short")["error_description"].startswith("AADSTS501491")
    assert redirected(code_challenge="", code_challenge_method="S256")["error"] == "invalid_request"
    assert redirected(max_age="-5")["error"] == "invalid_request"
    assert redirected(scope="openid https://unknown.example/x")["error"] == "invalid_resource"
    mode = redirected(response_mode="weird")
    assert mode["error"] == "invalid_request" and mode["state"] == "st"


def test_sessions_fit_only_their_tenant_and_hint(sim: Simulator, clock: Clock) -> None:
    contoso = parse_authorize(sim, CONTOSO, params())
    frank = sim.start_session(oid=FRANK, tid=FABRIKAM)
    anna = sim.start_session(oid=ANNA, tid=CONTOSO)
    assert not session_fits(sim, contoso, frank)
    assert session_fits(sim, contoso, anna)
    assert not session_fits(
        sim, parse_authorize(sim, CONTOSO, params(login_hint="ben@contoso.example")), anna
    )
    aged = parse_authorize(sim, CONTOSO, params(max_age="60"))
    clock.now += 61
    assert not session_fits(sim, aged, anna)


def test_fragment_and_form_post_responses(sim: Simulator) -> None:
    session = sim.start_session(oid=ANNA, tid=CONTOSO)
    fragment = issue_code(
        sim, parse_authorize(sim, CONTOSO, params(response_mode="fragment")), session
    )
    assert fragment.location().startswith(f"{CALLBACK}#code=")
    # A redirect URI without a path comes back with a trailing slash; its own query is kept.
    assert Redirect("http://localhost:9000", "query", {"code": "c"}).location() == (
        "http://localhost:9000/?code=c"
    )
    assert Redirect("https://app.example/cb?x=1", "query", {"code": "c"}).location() == (
        "https://app.example/cb?x=1&code=c"
    )
