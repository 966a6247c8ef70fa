"""The token endpoint: client authentication and the four grants MSAL and azure-identity use.

- ``authorization_code`` (+ PKCE), v2-oauth2-auth-code-flow (Redeem a code for an access token)
- ``refresh_token``, same page (Refresh the access token): refresh tokens are valid for every
  resource the client has consent for, and a new one comes with each response
- ``client_credentials``, v2-oauth2-client-creds-grant-flow
- ``urn:ietf:params:oauth:grant-type:jwt-bearer`` with ``requested_token_use=on_behalf_of``,
  v2-oauth2-on-behalf-of-flow
(all under https://learn.microsoft.com/entra/identity-platform/)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from devstack.entra.authorize import app_usable_in, resolve_tenant
from devstack.entra.client_auth import authenticate_assertion
from devstack.entra.directory import App, ResourceServer, Tenant, User, is_guid
from devstack.entra.errors import EntraError
from devstack.entra.keys import b64url
from devstack.entra.obo import verify_user_assertion
from devstack.entra.scopes import ScopeRequest, consented, parse_scopes
from devstack.entra.state import RefreshGrant, Simulator
from devstack.entra.tokens import TokenMinter, client_info

__all__ = ["OBO_GRANT", "TokenEndpoint", "parse_basic"]

OBO_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials", OBO_GRANT)
# RFC 7636 4.1: code_verifier = 43*128 unreserved characters.
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")

# With only OIDC scopes Entra issues the access token for Microsoft Graph; the simulator mints a
# token for Graph's app id so the response has Entra's shape (nobody can call Graph with it).
_GRAPH = ResourceServer(
    consent_key="00000003-0000-0000-c000-000000000000",
    display_name="Microsoft Graph (not simulated)",
    app_id="00000003-0000-0000-c000-000000000000",
    identifiers=("https://graph.microsoft.com",),
    scopes=(),
    token_version=1,
)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%m/%d/%Y %H:%M:%S")


class TokenEndpoint:
    """``POST /{tenant}/oauth2/v2.0/token``: returns the JSON body or raises EntraError."""

    def __init__(self, sim: Simulator, minter: TokenMinter) -> None:
        self._sim = sim
        self._minter = minter

    def handle(
        self, *, tenant_segment: str, form: Mapping[str, str], authorization: str | None
    ) -> dict[str, Any]:
        tenant = resolve_tenant(self._sim, tenant_segment)
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise EntraError.missing_parameter("grant_type")
        if grant_type not in GRANT_TYPES:
            raise EntraError.unsupported_grant_type(grant_type)
        client = self._authenticate(tenant, tenant_segment, form, authorization)
        if grant_type == "authorization_code":
            return self._authorization_code(tenant, tenant_segment, form, client)
        if grant_type == "refresh_token":
            return self._refresh_token(tenant, form, client)
        if grant_type == "client_credentials":
            return self._client_credentials(tenant, form, client)
        return self._on_behalf_of(tenant, tenant_segment, form, client)

    # --- client authentication -----------------------------------------------------------------

    def _authenticate(
        self,
        tenant: Tenant | None,
        segment: str,
        form: Mapping[str, str],
        authorization: str | None,
    ) -> App:
        """client_secret_post, client_secret_basic or private_key_jwt (client_assertion)."""
        basic = parse_basic(authorization)
        body_id = form.get("client_id", "")
        if basic is not None and body_id and body_id != basic[0]:
            raise EntraError.malformed(
                "client_id in the body and in the Authorization header differ."
            )
        client_id = body_id or (basic[0] if basic else "")
        if not client_id:
            raise EntraError.missing_parameter("client_id")
        label = tenant.name if tenant else segment
        app = self._sim.directory.app(client_id) if is_guid(client_id.lower()) else None
        if app is None or (tenant is not None and not app_usable_in(app, tenant.id)):
            raise EntraError.unknown_client(client_id, label)
        secret = form.get("client_secret") or (basic[1] if basic else "")
        assertion = form.get("client_assertion") or form.get("client_assertion_type")
        if app.is_public_client:
            if secret or assertion:
                raise EntraError.public_client_with_secret()
            return app
        if assertion:
            # private_key_jwt: a certificate or a federated credential (client_auth.py).
            base = self._sim.urls.https_base
            segments = {segment, *(tenant.id, tenant.domain)} if tenant else {segment}
            endpoints = {f"{base}/{s}/oauth2/v2.0/token" for s in segments}
            authenticate_assertion(self._sim, app, form, token_endpoints=endpoints)
            return app
        if not secret:
            raise EntraError.secret_missing()
        assert app.secret is not None  # a confidential client always has one
        if not hmac.compare_digest(secret.encode(), app.secret.encode()):
            raise EntraError.wrong_secret(app.client_id)
        return app

    # --- grants --------------------------------------------------------------------------------

    def _authorization_code(
        self, tenant: Tenant | None, segment: str, form: Mapping[str, str], client: App
    ) -> dict[str, Any]:
        value = _required(form, "code")
        redirect_uri = _required(form, "redirect_uri")
        code = self._sim.codes.get(value)
        if code is None:
            raise EntraError.bad_code("The code was not issued by this simulator.")
        if code.client_id != client.client_id:
            raise EntraError.bad_code("The code was issued to a different client.")
        if code.redeemed:
            raise EntraError.code_redeemed()
        if code.expires_at <= self._sim.now():
            raise EntraError.code_expired()
        if self._tenant_key(code.tenant_segment) != self._tenant_key(segment):
            raise EntraError.code_wrong_tenant()
        if redirect_uri != code.redirect_uri:
            raise EntraError.redirect_uri_differs_from_authorize(redirect_uri, code.redirect_uri)
        if code.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if not verifier:
                raise EntraError.missing_parameter("code_verifier")
            if not _pkce_ok(verifier, code.code_challenge, code.code_challenge_method or "plain"):
                raise EntraError.pkce_mismatch()
        # The scope on redemption is a Microsoft extension naming the resource to issue for.
        scope = form.get("scope") or code.scope
        user = self._user(code.oid)
        response = self._issue_for_user(
            tenant=tenant,
            client=client,
            user=user,
            raw_scope=scope,
            nonce=code.nonce,
            session_id=code.session_id,
            auth_time=code.auth_time,
            include_auth_time=code.include_auth_time,
            want_client_info=form.get("client_info") == "1",
        )
        # Single use: only a successful redemption consumes the code, so a failed PKCE attempt
        # (an attacker without the verifier) does not lock the legitimate client out.
        code.redeemed = True
        return response

    def _refresh_token(
        self, tenant: Tenant | None, form: Mapping[str, str], client: App
    ) -> dict[str, Any]:
        value = _required(form, "refresh_token")
        grant = self._sim.refresh_tokens.get(value)
        if grant is None:
            raise EntraError.bad_refresh_token()
        if grant.client_id != client.client_id:
            raise EntraError.bad_refresh_token(
                "The refresh token was issued to a different client."
            )
        valid_from = self._sim.tokens_valid_from.get(grant.oid)
        if valid_from is not None and grant.issued_at <= valid_from:
            raise EntraError.refresh_token_revoked(_iso(grant.issued_at), _iso(valid_from))
        now = self._sim.now()
        if grant.expires_at <= now:
            raise EntraError.refresh_token_expired(
                _iso(grant.issued_at), int(now - grant.issued_at)
            )
        user = self._user(grant.oid)
        return self._issue_for_user(
            tenant=tenant,
            client=client,
            user=user,
            raw_scope=form.get("scope") or grant.scope,
            nonce=None,
            session_id=grant.session_id,
            auth_time=grant.auth_time,
            include_auth_time=False,
            want_client_info=form.get("client_info") == "1",
        )

    def _client_credentials(
        self, tenant: Tenant | None, form: Mapping[str, str], client: App
    ) -> dict[str, Any]:
        if tenant is None:
            raise EntraError.tenant_required()
        scope = _required(form, "scope")
        parts = scope.split()
        if len(parts) != 1 or not parts[0].endswith("/.default"):
            raise EntraError.client_credentials_scope(scope)
        identifier = parts[0][: -len("/.default")]
        server = self._sim.directory.resource_server(identifier)
        if server is None:
            raise EntraError.unknown_resource(identifier, tenant.name)
        claims = self._minter.app_access_claims(
            server=server, audience=server.audience(identifier), client=client, tid=tenant.id
        )
        lifetime = self._sim.config.access_token_lifetime
        # No "scope" in the answer: Entra's client-credentials response carries token_type,
        # expires_in, ext_expires_in and access_token only (MSAL then caches under the
        # requested ".default" scope).
        return {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": self._minter.sign(claims),
        }

    def _on_behalf_of(
        self, tenant: Tenant | None, segment: str, form: Mapping[str, str], client: App
    ) -> dict[str, Any]:
        use = _required(form, "requested_token_use")
        if use != "on_behalf_of":
            raise EntraError.invalid_parameter("requested_token_use", use)
        assertion = _required(form, "assertion")
        scope = _required(form, "scope")
        claims = verify_user_assertion(self._sim, assertion, client)
        user = self._sim.directory.users.get(str(claims.get("oid", "")))
        if user is None or user.tenant != claims.get("tid"):
            raise EntraError.user_not_found(str(claims.get("oid", "")))
        auth_time = claims.get("iat")
        return self._issue_for_user(
            tenant=tenant,
            client=client,
            user=user,
            raw_scope=scope,
            nonce=None,
            session_id=None,
            auth_time=int(auth_time)
            if isinstance(auth_time, int | float)
            else int(self._sim.now()),
            include_auth_time=False,
            want_client_info=form.get("client_info") == "1",
        )

    # --- helpers -------------------------------------------------------------------------------

    def _issue_for_user(
        self,
        *,
        tenant: Tenant | None,
        client: App,
        user: User,
        raw_scope: str,
        nonce: str | None,
        session_id: str | None,
        auth_time: int,
        include_auth_time: bool,
        want_client_info: bool,
    ) -> dict[str, Any]:
        """The delegated token response: access token, plus ID/refresh token per OIDC scopes."""
        self._check_user_and_client(tenant, client, user)
        tenant_name = self._sim.directory.tenants[user.tenant].name
        scopes: ScopeRequest = parse_scopes(
            raw_scope, self._sim.directory, tenant_label=tenant_name
        )
        server, audience, scp, scope_text = _access_token_target(client, scopes)
        claims = self._minter.user_access_claims(
            server=server,
            audience=audience,
            scp=scp,
            user=user,
            client=client,
            session_id=session_id,
        )
        lifetime = self._sim.config.access_token_lifetime
        response: dict[str, Any] = {
            "token_type": "Bearer",
            "scope": scope_text,
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": self._minter.sign(claims),
        }
        if scopes.offline_access:
            response["refresh_token"] = self._new_refresh_token(
                client=client,
                user=user,
                raw_scope=raw_scope,
                session_id=session_id,
                auth_time=auth_time,
            )
        if scopes.openid:
            response["id_token"] = self._minter.sign(
                self._minter.id_claims(
                    client=client,
                    user=user,
                    nonce=nonce,
                    session_id=session_id,
                    auth_time=auth_time if include_auth_time else None,
                )
            )
        if want_client_info:
            response["client_info"] = client_info(user.oid, user.tenant)
        return response

    def _check_user_and_client(self, tenant: Tenant | None, client: App, user: User) -> None:
        """The user belongs to the tenant of the path, and the client exists in the user's."""
        if tenant is not None and tenant.id != user.tenant:
            raise EntraError.user_not_in_tenant(user.username, tenant.name)
        if not app_usable_in(client, user.tenant):
            raise EntraError.unknown_client(
                client.client_id, self._sim.directory.tenants[user.tenant].name
            )

    def _new_refresh_token(
        self, *, client: App, user: User, raw_scope: str, session_id: str | None, auth_time: int
    ) -> str:
        now = self._sim.now()
        return self._sim.add_refresh_token(
            RefreshGrant(
                client_id=client.client_id,
                oid=user.oid,
                tid=user.tenant,
                scope=raw_scope,
                session_id=session_id,
                auth_time=auth_time,
                issued_at=now,
                expires_at=now + self._sim.config.refresh_token_lifetime,
            )
        )

    def _user(self, oid: str) -> User:
        user = self._sim.directory.users.get(oid)
        if user is None:
            raise EntraError.user_not_found(oid)
        return user

    def _tenant_key(self, segment: str) -> str:
        tenant = self._sim.directory.tenant(segment)
        return tenant.id if tenant else segment.lower()


def _access_token_target(
    client: App, scopes: ScopeRequest
) -> tuple[ResourceServer, str, tuple[str, ...], str]:
    """What the access token is for: ``(server, aud, scp, the response's scope)``.

    With only OIDC scopes that is Microsoft Graph (``_GRAPH``); otherwise the first resource
    asked for, which the client must have consent for.
    """
    requested = scopes.first
    if requested is None:
        scp = tuple(s for s in ("openid", "profile", "email") if s in scopes.reserved)
        return _GRAPH, _GRAPH.app_id, scp, " ".join(scp)
    granted = consented(client, requested)
    if granted is None:
        raise EntraError.consent_required(
            client_id=client.client_id,
            display_name=client.display_name,
            interactive=True,
            token_endpoint=True,
        )
    server = requested.server
    return server, server.audience(requested.identifier), granted, requested.qualified(granted)


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise EntraError.missing_parameter(name)
    return value


def parse_basic(authorization: str | None) -> tuple[str, str] | None:
    """client_secret_basic: RFC 6749 2.3.1 form-encodes id and secret before base64."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise EntraError.malformed(
            "The Authorization header is not valid Basic credentials."
        ) from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise EntraError.malformed("The Authorization header is not valid Basic credentials.")
    return unquote_plus(client_id), unquote_plus(secret)


def _pkce_ok(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636 4.6: S256 compares BASE64URL(SHA256(verifier)) with the challenge."""
    if not _VERIFIER.match(verifier):
        return False
    if method == "S256":
        computed = b64url(hashlib.sha256(verifier.encode("ascii")).digest())
        return hmac.compare_digest(computed, challenge)
    return hmac.compare_digest(verifier, challenge)
