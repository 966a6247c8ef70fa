"""The seed model, redirect URI matching, scope parsing, keys: pure rules, no state."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.entra.authorize import redirect_uri_matches
from devstack.entra.errors import EntraError
from devstack.entra.keys import KeyRing, SigningKey
from devstack.entra.scopes import consented, parse_scopes
from devstack.entra.seed import SeedError, parse_directory
from devstack.entra.tokens import client_info, pairwise_sub
from tests.unit.entra_sim.conftest import ORG, app_of, demo_seed

COCKPIT = "5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"
CLI = "7c11e0a1-2b3c-4d5e-8f60-718293a4b508"


def test_demo_seed_builds_resource_servers() -> None:
    directory = parse_directory(demo_seed(), resource_urls={"dataverse": ORG})
    dataverse = directory.resource_server(ORG + "/")
    assert dataverse is not None and dataverse.token_version == 1
    assert dataverse.audience(ORG + "/") == ORG
    cockpit = directory.resource_server(f"API://{COCKPIT.upper()}")
    assert cockpit is not None and cockpit.audience(f"api://{COCKPIT}") == COCKPIT
    assert directory.resource_server(COCKPIT) is cockpit
    assert directory.tenant("CONTOSO.example") is not None


def test_unbound_resource_cannot_be_requested() -> None:
    directory = parse_directory(demo_seed(), resource_urls={})
    assert all(server.external is None for server in directory.resource_servers)


def _broken(change: Any) -> str:
    seed = demo_seed()
    change(seed)
    with pytest.raises(SeedError) as caught:
        parse_directory(seed, resource_urls={"dataverse": ORG})
    return str(caught.value)


def test_seed_errors_say_what_is_wrong() -> None:
    def unknown_role(seed: dict[str, Any]) -> None:
        app_of(seed, COCKPIT)["role_assignments"][0]["role"] = "Cockpit.God"

    def unknown_resource(seed: dict[str, Any]) -> None:
        app_of(seed, COCKPIT)["delegated_permissions"][0]["resource"] = "sharepoint"

    def unexposed_scope(seed: dict[str, Any]) -> None:
        app_of(seed, CLI)["delegated_permissions"][0]["scope"] = "write_everything"

    def orphan_user(seed: dict[str, Any]) -> None:
        seed["users"][0]["tenant"] = "00000000-0000-4000-8000-000000000000"

    def duplicate_app(seed: dict[str, Any]) -> None:
        app_of(seed, CLI)["client_id"] = COCKPIT

    def bad_guid(seed: dict[str, Any]) -> None:
        seed["users"][0]["oid"] = "anna"

    def bad_redirect(seed: dict[str, Any]) -> None:
        app_of(seed, COCKPIT)["redirect_uris"] = ["/auth/callback"]

    assert "unknown role 'Cockpit.God'" in _broken(unknown_role)
    assert "unknown resource 'sharepoint'" in _broken(unknown_resource)
    assert "exposes no scope 'write_everything'" in _broken(unexposed_scope)
    assert "is not in 'tenants'" in _broken(orphan_user)
    assert "duplicate client_id" in _broken(duplicate_app)
    assert "must be a GUID" in _broken(bad_guid)
    assert "absolute http(s) URL" in _broken(bad_redirect)
    with pytest.raises(SeedError, match="--resource names crm"):
        parse_directory(demo_seed(), resource_urls={"crm": ORG})
    with pytest.raises(SeedError, match="must be a JSON object"):
        parse_directory([], resource_urls={})


@pytest.mark.parametrize(
    ("registered", "requested", "matches"),
    [
        ("http://localhost/auth/callback", "http://localhost:5000/auth/callback", True),
        ("http://localhost/auth/callback", "http://LOCALHOST:1/auth/callback", True),
        ("http://127.0.0.1/cb", "http://127.0.0.1:8080/cb", True),
        ("http://localhost/auth/callback", "http://localhost/Auth/callback", False),
        ("http://localhost/auth/callback", "https://localhost/auth/callback", False),
        ("http://localhost/auth/callback", "http://localhost/auth/callback/", False),
        ("http://localhost/auth/callback", "http://localhost/auth/callback#x", False),
        ("http://localhost/auth/callback", "http://user@localhost/auth/callback", False),
        ("https://app.example/cb", "https://app.example:443/cb", True),
        ("https://app.example/cb", "https://app.example:8443/cb", False),
        ("https://app.example", "https://app.example/", True),
        ("https://app.example/cb?x=1", "https://app.example/cb?x=1", True),
        ("https://app.example/cb", "https://app.example/cb?x=1", False),
        ("https://app.example/cb", "https://evil.example/cb", False),
        ("https://app.example/cb", "https://app.example:notaport/cb", False),
    ],
)
def test_redirect_uri_matching(registered: str, requested: str, matches: bool) -> None:
    assert redirect_uri_matches(registered, requested) is matches


def test_scope_parsing_and_consent() -> None:
    directory = parse_directory(demo_seed(), resource_urls={"dataverse": ORG})
    cockpit, cli = directory.apps[COCKPIT], directory.apps[CLI]
    request = parse_scopes(
        f"openid Profile offline_access {ORG}/USER_IMPERSONATION api://{COCKPIT}/.default",
        directory,
        tenant_label="Contoso",
    )
    assert request.openid and request.offline_access and "profile" in request.reserved
    first, second = request.resources
    assert first.names == ("user_impersonation",)  # canonical case
    assert first.qualified(first.names) == f"{ORG}/user_impersonation"
    assert consented(cockpit, first) == ("user_impersonation",)
    assert consented(cli, first) is None
    assert consented(cockpit, second) == ("access_as_user",)  # its own API, via .default
    assert consented(cli, second) == ("access_as_user",)

    with pytest.raises(EntraError) as graph:
        parse_scopes("User.Read", directory, tenant_label="Contoso")
    assert graph.value.code == 500011
    with pytest.raises(EntraError) as unknown:
        parse_scopes(f"api://{COCKPIT}/delete_all", directory, tenant_label="Contoso")
    assert unknown.value.code == 70011


def test_key_ring_rotation() -> None:
    keys = [SigningKey.generate() for _ in range(3)]
    ring = KeyRing(keys[:2])
    assert ring.current is keys[1]
    dropped = ring.rotate(keys[2])
    assert dropped is keys[0]
    assert ring.published == (keys[1], keys[2])
    assert ring.find(keys[0].kid) is None
    jwk = keys[2].jwk(issuer="https://x/{tenantid}/v2.0")
    assert jwk["kid"] == jwk["x5t"] == keys[2].kid
    assert "issuer" not in keys[2].jwk(issuer=None)
    with pytest.raises(ValueError):
        KeyRing(keys)


def test_pairwise_sub_and_client_info() -> None:
    a = pairwise_sub("t1", "user", "app-1")
    assert a == pairwise_sub("t1", "user", "app-1") and len(a) == 43
    assert a != pairwise_sub("t1", "user", "app-2")
    assert a != pairwise_sub("t2", "user", "app-1")
    assert client_info("oid-1", "tid-1") == "eyJ1aWQiOiJvaWQtMSIsInV0aWQiOiJ0aWQtMSJ9"


def test_error_body_shape() -> None:
    error = EntraError.wrong_secret(COCKPIT)
    body = error.body(correlation_id="c-1")
    assert error.status == 401
    assert body["error"] == "invalid_client" and body["error_codes"] == [7000215]
    assert body["correlation_id"] == "c-1"
    description = str(body["error_description"])
    assert description.startswith("AADSTS7000215: Invalid client secret provided.")
    assert "\r\nTrace ID: " in description and "\r\nTimestamp: " in description
    assert "suberror" not in body
    consent = EntraError.consent_required(
        client_id=COCKPIT, display_name="x", interactive=True, token_endpoint=True
    ).body()
    assert consent["error"] == "invalid_grant" and consent["suberror"] == "consent_required"
