"""Discovery, JWKS and key rotation, the /_sim control API, sign-out, process behaviour."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import jwt
import pytest

from devstack.process import free_port, free_ports, port_is_open
from devstack.tls import make_tls_files
from tests.integration.entra_sim.conftest import simulator_argv
from tests.integration.entra_sim.helpers import (
    APPS,
    COCKPIT_API,
    COCKPIT_CALLBACK,
    COCKPIT_ID,
    CONTOSO,
    REPO_ROOT,
    USERS,
    EntraSim,
    browser,
    claims_of,
    msal_app,
    sign_in,
    start_flow,
    username,
)


def test_v2_discovery_for_a_tenant(sim: EntraSim) -> None:
    response = sim.get(f"/{CONTOSO}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    assert doc["issuer"] == f"{sim.https}/{CONTOSO}/v2.0"
    assert doc["authorization_endpoint"] == f"{sim.http}/{CONTOSO}/oauth2/v2.0/authorize"
    assert doc["token_endpoint"] == f"{sim.https}/{CONTOSO}/oauth2/v2.0/token"
    assert doc["jwks_uri"] == f"{sim.https}/{CONTOSO}/discovery/v2.0/keys"
    assert doc["end_session_endpoint"] == f"{sim.http}/{CONTOSO}/oauth2/v2.0/logout"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["response_modes_supported"] == ["query", "fragment", "form_post"]
    assert "code" in doc["response_types_supported"]
    assert doc["subject_types_supported"] == ["pairwise"]
    # A tenant's domain name works as well as its id.
    by_domain = sim.get("/contoso.example/v2.0/.well-known/openid-configuration").json()
    assert by_domain["issuer"] == doc["issuer"]


@pytest.mark.parametrize("alias", ["organizations", "common"])
def test_multi_tenant_discovery_has_the_issuer_template(sim: EntraSim, alias: str) -> None:
    doc = sim.get(f"/{alias}/v2.0/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"{sim.https}/{{tenantid}}/v2.0"
    assert doc["token_endpoint"] == f"{sim.https}/{alias}/oauth2/v2.0/token"
    v1 = sim.get(f"/{alias}/.well-known/openid-configuration").json()
    assert v1["issuer"] == "https://sts.windows.net/{tenantid}/"


def test_v1_discovery(sim: EntraSim) -> None:
    doc = sim.get(f"/{CONTOSO}/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"https://sts.windows.net/{CONTOSO}/"
    assert doc["jwks_uri"] == f"{sim.https}/common/discovery/keys"


def test_jwks_publishes_two_keys_with_issuer(sim: EntraSim) -> None:
    v2 = sim.get("/common/discovery/v2.0/keys").json()["keys"]
    v1 = sim.get("/common/discovery/keys").json()["keys"]
    assert len(v2) == 2
    assert [k["kid"] for k in v1] == [k["kid"] for k in v2]
    for key in v2:
        assert key["kty"] == "RSA" and key["use"] == "sig" and key["e"] == "AQAB"
        assert key["kid"] == key["x5t"]
        assert key["issuer"] == f"{sim.https}/{{tenantid}}/v2.0"
        assert key["x5c"]
    assert all("issuer" not in key for key in v1)
    assert sim.get(f"/{CONTOSO}/discovery/v2.0/keys").json()["keys"] == v2


def test_tokens_verify_with_pyjwkclient(sim: EntraSim) -> None:
    token = msal_app(sim).acquire_token_for_client([f"api://{COCKPIT_ID}/.default"])["access_token"]
    client = jwt.PyJWKClient(
        f"{sim.https}/{CONTOSO}/discovery/v2.0/keys",
        ssl_context=ssl.create_default_context(cafile=str(sim.ca)),
    )
    key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=COCKPIT_ID,
        issuer=f"{sim.https}/{CONTOSO}/v2.0",
    )
    assert jwt.get_unverified_header(token)["typ"] == "JWT"
    assert claims["tid"] == CONTOSO


def test_key_rotation(sim: EntraSim) -> None:
    app = msal_app(sim)
    before = app.acquire_token_for_client([f"{sim.org_url}/.default"])["access_token"]
    old_kid = jwt.get_unverified_header(before)["kid"]
    assert jwt.get_unverified_header(before)["x5t"] == old_kid  # v1 tokens carry x5t too

    rotated = sim.post("/_sim/rotate-keys").json()
    assert rotated["current_kid"] != old_kid
    assert rotated["published_kids"] == [old_kid, rotated["current_kid"]]
    # The old token still verifies: its key is still published.
    assert sim.verify(before, audience=sim.org_url)["appid"] == COCKPIT_ID
    after = msal_app(sim).acquire_token_for_client([f"{sim.org_url}/.default"])["access_token"]
    assert jwt.get_unverified_header(after)["kid"] == rotated["current_kid"]

    sim.post("/_sim/rotate-keys")
    with pytest.raises(KeyError):
        sim.verify(before, audience=sim.org_url)  # dropped at the second rotation
    assert sim.verify(after, audience=sim.org_url)["appid"] == COCKPIT_ID


def test_config_rejects_bad_values(sim: EntraSim) -> None:
    assert sim.get("/_sim/config").json() == {
        "access_token_lifetime": 3600,
        "id_token_lifetime": 3600,
        "refresh_token_lifetime": 86400,
        "clock_skew": 0,
    }
    for body in (
        {"access_token_lifetime": 0},
        {"access_token_lifetime": "60"},
        {"access_token_lifetime": True},
        {"unknown": 1},
    ):
        response = sim.post("/_sim/config", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"] == "invalid_request"
    assert sim.post("/_sim/config", content=b"{not json").status_code == 400
    assert sim.get("/_sim/config").json()["access_token_lifetime"] == 3600


def test_request_log_counts_and_never_holds_secrets(sim: EntraSim) -> None:
    app = msal_app(sim)
    flow = start_flow(app, [COCKPIT_API])
    with browser() as client:
        answer = sign_in(client, flow["auth_uri"], username("anna"))
    result = app.acquire_token_by_auth_code_flow(flow, answer)
    app.acquire_token_for_client([f"{sim.org_url}/.default"])

    log = sim.requests_log()
    kinds = [entry["endpoint"] for entry in log]
    assert kinds.count("discovery") == 1  # MSAL's tenant discovery at construction
    assert kinds.count("authorize") == 2  # the page, then the sign-in post
    grants = [e["grant_type"] for e in log if e["endpoint"] == "token"]
    assert grants == ["authorization_code", "client_credentials"]
    token_entry = next(e for e in log if e["grant_type"] == "authorization_code")
    assert token_entry["client_id"] == COCKPIT_ID and token_entry["status"] == 200
    assert COCKPIT_API in token_entry["scope"]
    dumped = json.dumps(log)
    for secret in (
        APPS["cockpit"]["secret"],
        answer["code"],
        result["access_token"],
        result["refresh_token"],
        flow["code_verifier"],
    ):
        assert secret not in dumped

    assert sim.requests_log(endpoint="token", grant_type="client_credentials")[0]["status"] == 200
    with sim.client() as client:
        cleared = client.delete("/_sim/requests").json()
    assert cleared == {"cleared": len(log)}  # /_sim calls themselves are not logged
    assert sim.requests_log() == []


def test_request_log_records_errors(sim: EntraSim) -> None:
    msal_app(sim, secret="wrong").acquire_token_for_client([f"{sim.org_url}/.default"])
    (entry,) = sim.requests_log(endpoint="token")
    assert entry["status"] == 401
    assert entry["error"] == "invalid_client" and entry["error_code"] == 7000215


def test_mint(sim: EntraSim) -> None:
    default = sim.post("/_sim/mint", json={}).json()
    claims = sim.verify(default["token"], audience=COCKPIT_ID)
    assert claims["iss"] == f"{sim.https}/{CONTOSO}/v2.0"
    assert claims["scp"] == "access_as_user"
    assert claims["azp"] == APPS["cli"]["client_id"]
    assert claims["ver"] == "2.0"

    custom = sim.post(
        "/_sim/mint",
        json={"claims": {"aud": "api://someone-else", "roles": None, "scp": None, "iss": 7}},
    ).json()
    got = claims_of(custom["token"])
    assert got["aud"] == "api://someone-else" and got["iss"] == 7  # anything goes, even types
    assert "scp" not in got and "roles" not in got

    id_token = claims_of(sim.post("/_sim/mint", json={"kind": "id"}).json()["token"])
    assert id_token["aud"] == COCKPIT_ID and "scp" not in id_token

    published = [k["kid"] for k in sim.jwks()["keys"]]
    older = sim.post("/_sim/mint", json={"kid": published[0]}).json()
    assert jwt.get_unverified_header(older["token"])["kid"] == published[0]
    assert sim.post("/_sim/mint", json={"kid": "nope"}).status_code == 400
    assert sim.post("/_sim/mint", json={"kind": "refresh"}).status_code == 400
    assert sim.post("/_sim/mint", json={"claims": []}).status_code == 400


def test_revoke_unknown_user(sim: EntraSim) -> None:
    assert sim.post("/_sim/revoke", json={"oid": "nobody"}).status_code == 404
    assert sim.post("/_sim/revoke", json={}).status_code == 400


def test_logout_clears_the_session(sim: EntraSim) -> None:
    app = msal_app(sim)
    with browser() as client:
        first = start_flow(app, [COCKPIT_API])
        sign_in(client, first["auth_uri"], username("ben"))
        logout = client.get(
            f"{sim.http}/{CONTOSO}/oauth2/v2.0/logout",
            params={"post_logout_redirect_uri": COCKPIT_CALLBACK, "state": "bye"},
        )
        assert logout.status_code == 302
        assert logout.headers["location"] == f"{COCKPIT_CALLBACK}?state=bye"
        assert "entra_sim_session" not in client.cookies
        after = start_flow(app, [COCKPIT_API])
        assert client.get(after["auth_uri"]).status_code == 200  # the page again, no SSO
        unregistered = client.get(
            f"{sim.http}/{CONTOSO}/oauth2/v2.0/logout",
            params={"post_logout_redirect_uri": "https://evil.example/"},
        )
    assert unregistered.status_code == 200 and "signed out" in unregistered.text


def test_http_port_serves_only_browser_pages(sim: EntraSim) -> None:
    with browser() as client:
        assert client.get(f"{sim.http}/_sim/health").status_code == 404
        assert (
            client.get(f"{sim.http}/{CONTOSO}/v2.0/.well-known/openid-configuration").status_code
            == 404
        )
    assert sim.get("/_sim/health").json()["tenants"] == sorted(
        {USERS["anna"]["tenant"], USERS["frank"]["tenant"]}
    )


def test_sigterm_stops_the_process_cleanly(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path / "tls")
    https_port, http_port = free_ports(2)
    argv = simulator_argv(
        https_port=https_port,
        http_port=http_port,
        tls_dir=tls.server_cert.parent,
        org_url="https://localhost:1",
    )
    log = (tmp_path / "entra.log").open("wb")
    process = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        context = ssl.create_default_context(cafile=str(tls.ca_cert))
        for _ in range(600):  # up to ~30 s, polling; a guard, not a timing assertion
            try:
                with urllib.request.urlopen(
                    f"https://localhost:{https_port}/_sim/health", timeout=0.5, context=context
                ) as response:
                    assert response.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, (tmp_path / "entra.log").read_text()
                subprocess.run(["sleep", "0.05"], check=True)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    assert not port_is_open("127.0.0.1", https_port)
    assert not port_is_open("127.0.0.1", http_port)
    assert "stopped" in (tmp_path / "entra.log").read_text()


def test_cli_rejects_bad_arguments(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path / "tls")
    bad_seed = tmp_path / "seed.json"
    bad_seed.write_text(json.dumps({"tenants": [], "users": [], "apps": []}))
    base = simulator_argv(
        https_port=free_port(), http_port=free_port(), tls_dir=tls.server_cert.parent, org_url="x"
    )
    bad_resource = subprocess.run(base, cwd=REPO_ROOT, capture_output=True, text=True)
    assert bad_resource.returncode == 2
    assert "KEY=URL" in bad_resource.stderr
    seed_index = base.index("--seed") + 1
    with_bad_seed = [*base[:seed_index], str(bad_seed), *base[seed_index + 1 :]]
    resource_index = base.index("dataverse=x")
    with_bad_seed[resource_index] = "dataverse=https://localhost:1"
    result = subprocess.run(with_bad_seed, cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert "at least one tenant" in result.stderr
    unknown_key = [*base[:resource_index], "crm=https://localhost:1", *base[resource_index + 1 :]]
    result = subprocess.run(unknown_key, cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 2 and "crm" in result.stderr
