"""The Entra app registration scripts against an in-memory Microsoft Graph (tests/infra/fake_graph.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from scripts import entra_app
from tests.infra.fake_graph import (
    DYNAMICS,
    DYNAMICS_USER_IMPERSONATION,
    GRAPH,
    GRAPH_SCOPES,
    FakeGraph,
    ScriptsGraph,
    new_state,
)

TENANT = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
TOKEN = entra_app.deployment_token(subscription_id="sub-1", resource_group="rg-dev")
FIC = entra_app.fic_name_for(TOKEN)
REDIRECT = "https://func-api-abc.azurewebsites.net/auth/callback"


@pytest.fixture
def graph() -> ScriptsGraph:
    return ScriptsGraph(FakeGraph())


def _ensure(graph: ScriptsGraph, **overrides: object) -> entra_app.AppRegistration:
    kwargs: dict[str, Any] = {
        "unique_name": entra_app.unique_name_for("dev", TOKEN),
        "display_name": "Opportunity Cockpit (dev)",
        "sign_in_audience": "AzureADMyOrg",
    }
    kwargs.update(overrides)
    return entra_app.ensure_application(graph, **kwargs)


def _stored_app(graph: ScriptsGraph) -> dict[str, Any]:
    app: dict[str, Any] = graph.fake.state["applications"][0]
    assert len(graph.fake.state["applications"]) == 1
    return app


def test_registration_is_created_with_everything_the_cockpit_needs(graph: ScriptsGraph) -> None:
    app = _ensure(graph)

    stored = _stored_app(graph)
    assert stored["uniqueName"] == f"opportunity-cockpit-dev-{TOKEN}"
    assert stored["signInAudience"] == "AzureADMyOrg"
    assert stored["identifierUris"] == [f"api://{app.app_id}"]
    required = {r["resourceAppId"]: r["resourceAccess"] for r in stored["requiredResourceAccess"]}
    assert required[DYNAMICS] == [{"id": DYNAMICS_USER_IMPERSONATION, "type": "Scope"}]
    assert {a["id"] for a in required[GRAPH]} == {
        GRAPH_SCOPES["openid"],
        GRAPH_SCOPES["profile"],
        GRAPH_SCOPES["offline_access"],
    }
    [role] = stored["appRoles"]
    assert role["value"] == "Cockpit.Admin" and role["allowedMemberTypes"] == ["User"]
    assert app.role_id("Cockpit.Admin") == role["id"]
    api = stored["api"]
    assert api["requestedAccessTokenVersion"] == 2
    assert [s["value"] for s in api["oauth2PermissionScopes"]] == ["access_as_user"]
    assert stored["web"]["implicitGrantSettings"] == {
        "enableIdTokenIssuance": False,
        "enableAccessTokenIssuance": False,
    }
    # No secret, no certificate: the managed identity is the credential.
    assert stored["passwordCredentials"] == [] and stored["keyCredentials"] == []


def test_running_again_keeps_ids_and_changes_nothing(graph: ScriptsGraph) -> None:
    first = _ensure(graph)
    role_id = first.role_id("Cockpit.Admin")
    scope_id = _stored_app(graph)["api"]["oauth2PermissionScopes"][0]["id"]

    second = _ensure(graph)

    assert second == first
    assert second.role_id("Cockpit.Admin") == role_id
    assert _stored_app(graph)["api"]["oauth2PermissionScopes"][0]["id"] == scope_id
    assert len(graph.fake.state["applications"]) == 1
    assert _stored_app(graph)["identifierUris"] == [f"api://{first.app_id}"]


def test_existing_redirect_uris_and_other_permissions_survive(graph: ScriptsGraph) -> None:
    app = _ensure(graph)
    graph.request(
        "PATCH",
        f"/applications/{app.object_id}",
        {
            "web": {"redirectUris": ["https://cockpit.contoso.com/auth/callback"]},
            "requiredResourceAccess": [
                *_stored_app(graph)["requiredResourceAccess"],
                {"resourceAppId": "other-api", "resourceAccess": [{"id": "x", "type": "Scope"}]},
            ],
        },
    )

    _ensure(graph, redirect_uris=[REDIRECT])

    stored = _stored_app(graph)
    assert stored["web"]["redirectUris"] == [
        "https://cockpit.contoso.com/auth/callback",
        REDIRECT,
    ]
    assert "other-api" in {r["resourceAppId"] for r in stored["requiredResourceAccess"]}


def test_several_tenants_make_a_multi_tenant_registration(graph: ScriptsGraph) -> None:
    _ensure(graph, sign_in_audience="AzureADMultipleOrgs")

    assert _stored_app(graph)["signInAudience"] == "AzureADMultipleOrgs"


def test_tenant_without_dynamics_gets_a_clear_error() -> None:
    graph = ScriptsGraph(FakeGraph(new_state(with_dynamics=False)))

    with pytest.raises(entra_app.SetupError, match="az login --tenant"):
        _ensure(graph)


def test_redirect_uri_is_added_once(graph: ScriptsGraph) -> None:
    app = _ensure(graph)

    assert entra_app.ensure_redirect_uri(graph, app, REDIRECT) is True
    assert entra_app.ensure_redirect_uri(graph, app, REDIRECT) is False
    assert _stored_app(graph)["web"]["redirectUris"] == [REDIRECT]


def test_federated_credential_trusts_the_managed_identity(graph: ScriptsGraph) -> None:
    app = _ensure(graph)
    principal = str(uuid.uuid4())

    assert (
        entra_app.ensure_federated_credential(
            graph, app, name=FIC, tenant_id=TENANT, principal_id=principal
        )
        == "created"
    )
    assert (
        entra_app.ensure_federated_credential(
            graph, app, name=FIC, tenant_id=TENANT, principal_id=principal
        )
        == "kept"
    )

    [credential] = _stored_app(graph)["federatedIdentityCredentials"]
    assert credential["issuer"] == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    assert credential["subject"] == principal
    assert credential["audiences"] == ["api://AzureADTokenExchange"]


def test_recreated_identity_updates_the_credential_subject(graph: ScriptsGraph) -> None:
    app = _ensure(graph)
    entra_app.ensure_federated_credential(
        graph, app, name=FIC, tenant_id=TENANT, principal_id=str(uuid.uuid4())
    )
    new_principal = str(uuid.uuid4())

    outcome = entra_app.ensure_federated_credential(
        graph, app, name=FIC, tenant_id=TENANT, principal_id=new_principal
    )

    assert outcome == "updated"
    [credential] = _stored_app(graph)["federatedIdentityCredentials"]
    assert credential["subject"] == new_principal


def test_admin_role_is_assigned_once(graph: ScriptsGraph) -> None:
    app = _ensure(graph)
    sp = entra_app.ensure_service_principal(graph, app.app_id)
    assert entra_app.ensure_service_principal(graph, app.app_id) == sp
    user = str(uuid.uuid4())

    assert entra_app.ensure_admin_assignment(graph, app, service_principal_id=sp, principal_id=user)
    assert not entra_app.ensure_admin_assignment(
        graph, app, service_principal_id=sp, principal_id=user
    )

    [assignment] = graph.fake.state["appRoleAssignments"]
    assert assignment == {
        "id": assignment["id"],
        "principalId": user,
        "resourceId": sp,
        "appRoleId": app.role_id("Cockpit.Admin"),
    }


def test_admin_consent_grants_the_delegated_scopes_once(graph: ScriptsGraph) -> None:
    app = _ensure(graph)
    sp = entra_app.ensure_service_principal(graph, app.app_id)

    first = entra_app.grant_admin_consent(graph, service_principal_id=sp)
    second = entra_app.grant_admin_consent(graph, service_principal_id=sp)

    assert len(first) == 2 and second == []
    scopes = sorted(g["scope"] for g in graph.fake.state["grants"])
    assert scopes == ["openid profile offline_access", "user_impersonation"]
    assert all(
        g["consentType"] == "AllPrincipals" and g["clientId"] == sp
        for g in graph.fake.state["grants"]
    )


def test_unknown_app_id_is_a_clear_error(graph: ScriptsGraph) -> None:
    with pytest.raises(entra_app.SetupError, match="COCKPIT_CLIENT_ID"):
        entra_app.get_application_by_app_id(graph, str(uuid.uuid4()))


def test_admin_consent_url() -> None:
    assert entra_app.admin_consent_url(tenant_id=TENANT, app_id="abc") == (
        f"https://login.microsoftonline.com/{TENANT}/adminconsent?client_id=abc"
    )


def test_names_are_unique_per_subscription_and_resource_group() -> None:
    token = entra_app.deployment_token(subscription_id="SUB-1", resource_group="RG-Prod")
    assert token == entra_app.deployment_token(subscription_id="sub-1", resource_group="rg-prod")
    assert entra_app.unique_name_for("Prod EU", token) == f"opportunity-cockpit-prod-eu-{token}"
    others = {
        entra_app.deployment_token(subscription_id="sub-2", resource_group="rg-prod"),
        entra_app.deployment_token(subscription_id="sub-1", resource_group="rg-prod2"),
    }
    assert token not in others and len(others) == 2
    assert entra_app.fic_name_for(token) != entra_app.fic_name_for(others.pop())


def test_two_deployments_with_one_environment_name_keep_their_own_registration(
    graph: ScriptsGraph,
) -> None:
    first = _ensure(graph)
    other = entra_app.deployment_token(subscription_id="sub-2", resource_group="rg-dev")
    second = _ensure(graph, unique_name=entra_app.unique_name_for("dev", other))
    assert first.app_id != second.app_id
    for app, token in ((first, TOKEN), (second, other)):
        entra_app.ensure_federated_credential(
            graph, app, name=entra_app.fic_name_for(token), tenant_id=TENANT,
            principal_id=f"mi-of-{token}",
        )  # fmt: skip
    subjects = {
        a["appId"]: [c["subject"] for c in a["federatedIdentityCredentials"]]
        for a in graph.fake.state["applications"]
    }
    assert subjects == {first.app_id: [f"mi-of-{TOKEN}"], second.app_id: [f"mi-of-{other}"]}


def test_the_environment_keeps_its_registration_when_the_naming_changes(
    graph: ScriptsGraph,
) -> None:
    legacy = _ensure(graph, unique_name="opportunity-cockpit-dev")  # an earlier release's name

    again = _ensure(graph, app_id=legacy.app_id)

    assert again.app_id == legacy.app_id and len(graph.fake.state["applications"]) == 1


@pytest.mark.parametrize(
    ("authority", "audience"),
    [
        ("https://login.microsoftonline.com/", "api://AzureADTokenExchange"),
        ("https://login.microsoftonline.us", "api://AzureADTokenExchangeUSGov"),
        ("https://login.chinacloudapi.cn/", "api://AzureADTokenExchangeChina"),
        ("https://login.partner.microsoftonline.cn", "api://AzureADTokenExchangeChina"),
    ],
)
def test_the_credential_follows_the_cloud_of_the_authority_host(
    graph: ScriptsGraph, authority: str, audience: str
) -> None:
    app = _ensure(graph)
    entra_app.ensure_federated_credential(
        graph, app, name=FIC, tenant_id=TENANT, principal_id="p", authority_host=authority
    )
    [credential] = _stored_app(graph)["federatedIdentityCredentials"]
    assert credential["audiences"] == [audience]
    assert credential["issuer"] == f"{authority.rstrip('/')}/{TENANT}/v2.0"


def test_an_unknown_cloud_is_a_clear_error() -> None:
    with pytest.raises(entra_app.SetupError, match="Unknown Entra authority host"):
        entra_app.token_exchange_audience("https://login.example.com")


@pytest.mark.parametrize("host", sorted(entra_app.TOKEN_EXCHANGE_AUDIENCES))
def test_the_app_asks_for_the_audience_the_credential_carries(host: str) -> None:
    """shared/settings.py (what the app requests) and the scripts (what the credential accepts)
    agree for every cloud."""
    from shared.bootstrap import token_exchange_audience

    expected = entra_app.TOKEN_EXCHANGE_AUDIENCES[host]
    assert token_exchange_audience(f"https://{host}/") == expected
