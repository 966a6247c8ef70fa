"""AuthService with in-memory fakes: the rules that do not need a real Entra."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shared.domain.errors import Forbidden, InvalidInput, NotSignedIn, ReauthRequired, SignInFailed
from shared.domain.identity import LoginResult, Principal, hash_secret
from shared.domain.orgs import CrmOrg
from shared.services.auth import AuthConfig, AuthService
from tests.support.fakes import FakeCaches, FakeClock, FakeFlows, FakeIdentity, FakeSessions

CONTOSO = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
FABRIKAM = "fab0c3d2-7e6a-4b1f-8c3d-2a9e5f7b4d02"
ORG = CrmOrg(tenant_id=CONTOSO, name="contoso", url="https://contoso.crm4.dynamics.com")


def service(
    identity: FakeIdentity, *, clock: FakeClock | None = None
) -> tuple[AuthService, FakeSessions, FakeCaches, FakeFlows]:
    sessions, caches, flows = FakeSessions(), FakeCaches(), FakeFlows()
    auth = AuthService(
        identity=identity,
        sessions=sessions,
        flows=flows,
        caches=caches,
        clock=clock or FakeClock(),
        config=AuthConfig(
            public_base_url="https://cockpit.example",
            login_scopes=(ORG.user_scope,),
            allowed_tenants=frozenset({CONTOSO}),
            session_idle=timedelta(minutes=60),
            session_absolute=timedelta(hours=12),
        ),
    )
    return auth, sessions, caches, flows


def login_as(tenant: str, oid: str = "o1", cache: str = '{"AccessToken": {"a": 1}}') -> LoginResult:
    return LoginResult(
        tenant_id=tenant,
        object_id=oid,
        roles=frozenset({"Cockpit.Admin"}),
        home_account_id=f"{oid}.{tenant}",
        cache=cache,
    )


async def start_and_complete(
    auth: AuthService,
    flows: FakeFlows,
    *,
    callback_binding: str | None = "server-chosen",
    previous_session_id: str | None = None,
):
    start = await auth.start_login(next_path="/projects/x")
    state = start.auth_uri.rsplit("=", 1)[1]
    assert start.binding_name == auth.binding_name(state)
    binding = start.binding if callback_binding == "server-chosen" else callback_binding
    return await auth.complete_login(
        params={"state": state, "code": "c"},
        binding=binding,
        previous_session_id=previous_session_id,
    )


async def test_sign_in_creates_a_session_and_stores_only_hashes() -> None:
    identity = FakeIdentity(login=login_as(CONTOSO))
    auth, sessions, caches, flows = service(identity)
    new = await start_and_complete(auth, flows)
    assert new.next_path == "/projects/x"
    assert list(sessions.rows) == [hash_secret(new.session_id)]
    assert (CONTOSO, "o1") in caches.rows
    stored_flow = next(iter(flows.rows.values()))[0]
    assert "auth_uri" not in stored_flow  # it may carry a login hint: not stored
    assert "cockpit_binding" in stored_flow and len(stored_flow["cockpit_binding"]) == 64


async def test_tenant_outside_the_allow_list_gets_no_session_and_no_cache() -> None:
    identity = FakeIdentity(login=login_as(FABRIKAM))
    auth, sessions, caches, flows = service(identity)
    with pytest.raises(Forbidden) as info:
        await start_and_complete(auth, flows)
    assert info.value.code == "tenant_not_allowed"
    assert sessions.rows == {} and caches.rows == {}


async def test_callback_from_another_browser_is_refused_before_redeeming() -> None:
    identity = FakeIdentity(login=login_as(CONTOSO))
    auth, sessions, _, flows = service(identity)
    with pytest.raises(Forbidden):
        await start_and_complete(auth, flows, callback_binding="attacker-chosen")
    with pytest.raises(Forbidden):
        await start_and_complete(auth, flows, callback_binding=None)
    assert "finish_login" not in identity.calls and sessions.rows == {}


async def test_expired_flow_is_refused() -> None:
    clock = FakeClock()
    identity = FakeIdentity(login=login_as(CONTOSO))
    auth, _, _, flows = service(identity, clock=clock)
    start = await auth.start_login(next_path="/")
    clock.advance(minutes=11)
    with pytest.raises(InvalidInput) as info:
        await auth.complete_login(
            params={"state": start.auth_uri.rsplit("=", 1)[1], "code": "c"}, binding=start.binding
        )
    assert info.value.code == "login_expired"


async def test_entra_errors_become_sign_in_failed_without_redeeming() -> None:
    identity = FakeIdentity(login=login_as(CONTOSO))
    auth, _, _, flows = service(identity)
    start = await auth.start_login(next_path="/")
    with pytest.raises(SignInFailed) as info:
        await auth.complete_login(
            params={"state": start.auth_uri.rsplit("=", 1)[1], "error": "access_denied"},
            binding=start.binding,
        )
    assert info.value.error == "access_denied" and "finish_login" not in identity.calls


async def test_a_new_sign_in_replaces_the_token_cache() -> None:
    """Signing in again is how a rep fixes failing tokens: nothing of the old cache survives."""
    identity = FakeIdentity(
        login=login_as(CONTOSO, cache='{"AccessToken": {"stale": 1}, "RefreshToken": {"r1": 1}}')
    )
    auth, _, caches, flows = service(identity)
    await start_and_complete(auth, flows)
    identity.login = login_as(CONTOSO, cache='{"AccessToken": {"b": 2}, "RefreshToken": {"r2": 2}}')
    await start_and_complete(auth, flows)
    stored = json.loads(caches.rows[(CONTOSO, "o1")][0])
    assert stored == {"AccessToken": {"b": 2}, "RefreshToken": {"r2": 2}}


async def test_the_binding_is_chosen_by_the_server_per_sign_in() -> None:
    auth, _, _, _ = service(FakeIdentity(login=login_as(CONTOSO)))
    first = await auth.start_login(next_path="/")
    second = await auth.start_login(next_path="/")
    assert first.binding != second.binding and first.binding_name != second.binding_name
    assert len(first.binding) >= 43  # 256 bits, urlsafe base64


async def test_signing_in_again_revokes_the_browsers_earlier_session() -> None:
    identity = FakeIdentity(login=login_as(CONTOSO, "o1"))
    auth, sessions, _, flows = service(identity)
    first = await start_and_complete(auth, flows)
    identity.login = login_as(CONTOSO, "o2")
    second = await start_and_complete(auth, flows, previous_session_id=first.session_id)
    with pytest.raises(NotSignedIn):
        await auth.resolve_session(first.session_id)
    assert (await auth.resolve_session(second.session_id)).object_id == "o2"
    assert list(sessions.rows) == [hash_secret(second.session_id)]


async def test_session_policies_for_the_edge() -> None:
    clock = FakeClock()
    auth, _, _, flows = service(FakeIdentity(login=login_as(CONTOSO)), clock=clock)
    new = await start_and_complete(auth, flows)
    principal = await auth.resolve_session(new.session_id)
    assert auth.same_origin("https://cockpit.example")
    assert not auth.same_origin("https://evil.example") and not auth.same_origin(None)
    assert auth.is_fresh(principal) and not auth.is_fresh(None)
    assert auth.embed_copy_max_age(principal) == 12 * 3600
    clock.advance(minutes=3)
    assert not auth.is_fresh(principal)
    assert auth.embed_copy_max_age(principal) == 12 * 3600 - 180


async def test_resolve_session_expiry_and_logout() -> None:
    clock = FakeClock()
    identity = FakeIdentity(login=login_as(CONTOSO))
    auth, sessions, _, flows = service(identity, clock=clock)
    new = await start_and_complete(auth, flows)
    principal = await auth.resolve_session(new.session_id)
    assert principal.roles == frozenset({"Cockpit.Admin"}) and principal.csrf_token
    clock.advance(minutes=61)
    with pytest.raises(NotSignedIn):
        await auth.resolve_session(new.session_id)
    new = await start_and_complete(auth, flows)
    await auth.logout(new.session_id)
    with pytest.raises(NotSignedIn):
        await auth.resolve_session(new.session_id)
    with pytest.raises(NotSignedIn):
        await auth.resolve_session("x" * 500)


async def test_crm_tokens_respect_tenants_and_memoise_per_request() -> None:
    identity = FakeIdentity(login=login_as(CONTOSO))
    auth, _, _, flows = service(identity)
    new = await start_and_complete(auth, flows)
    principal = await auth.resolve_session(new.session_id)
    caller = auth.caller(principal, ORG)
    assert await caller.token(ORG.url) == await caller.token(ORG.url + "/")
    assert identity.calls.count("silent") == 1
    with pytest.raises(Forbidden):
        await caller.token("https://evil.example")  # the caller only ever asks for its own org
    other_org = CrmOrg(tenant_id=FABRIKAM, name="fab", url="https://fab.crm.dynamics.com")
    with pytest.raises(Forbidden):
        await auth.crm_token(principal, other_org)


async def test_silent_failure_means_reauth() -> None:
    identity = FakeIdentity(login=login_as(CONTOSO), silent_fails=True)
    auth, _, caches, flows = service(identity)
    new = await start_and_complete(auth, flows)
    principal = await auth.resolve_session(new.session_id)
    with pytest.raises(ReauthRequired):
        await auth.crm_token(principal, ORG)
    caches.rows.clear()
    identity.silent_fails = False
    with pytest.raises(ReauthRequired):
        await auth.crm_token(principal, ORG)


async def test_on_behalf_of_is_cached_per_assertion() -> None:
    identity = FakeIdentity()
    auth, _, _, _ = service(identity)
    principal = Principal(kind="bearer", tenant_id=CONTOSO, object_id="o1", assertion="assertion-1")
    assert await auth.crm_token(principal, ORG) == "obo-token"
    await auth.crm_token(principal, ORG)
    assert identity.calls.count("obo") == 1
    await auth.crm_token(
        Principal(kind="bearer", tenant_id=CONTOSO, object_id="o1", assertion="assertion-2"), ORG
    )
    assert identity.calls.count("obo") == 2
