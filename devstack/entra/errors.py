"""Entra's errors, in Entra's shape.

Every refusal the simulator makes is an :class:`EntraError` built by one of the functions below,
so each AADSTS code is chosen (and cited) in exactly one place.

The JSON body follows the documented token-endpoint error response: ``error``,
``error_description`` ("AADSTSnnnn: ... Trace ID: ... Correlation ID: ... Timestamp: ..."),
``error_codes``, ``timestamp``, ``trace_id``, ``correlation_id``, ``error_uri``; HTTP 400, and 401
for ``invalid_client``.
https://learn.microsoft.com/entra/identity-platform/reference-error-codes (sample error response)
https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow (Error response)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

__all__ = ["EntraError"]


class EntraError(Exception):
    """A protocol error: OAuth ``error`` string, AADSTS number, message and HTTP status."""

    def __init__(
        self,
        *,
        error: str,
        code: int,
        message: str,
        status: int = 400,
        suberror: str | None = None,
    ) -> None:
        super().__init__(f"AADSTS{code}: {message}")
        self.error = error
        self.code = code
        self.message = message
        self.status = status
        self.suberror = suberror

    def description(self, *, trace_id: str, correlation_id: str, timestamp: str) -> str:
        return (
            f"AADSTS{self.code}: {self.message}\r\nTrace ID: {trace_id}\r\n"
            f"Correlation ID: {correlation_id}\r\nTimestamp: {timestamp}"
        )

    def body(self, *, correlation_id: str | None = None) -> dict[str, object]:
        """The JSON error response; ``correlation_id`` echoes the client's ``client-request-id``."""
        trace_id = str(uuid.uuid4())
        correlation = correlation_id or str(uuid.uuid4())
        timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        body: dict[str, object] = {
            "error": self.error,
            "error_description": self.description(
                trace_id=trace_id, correlation_id=correlation, timestamp=timestamp
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }
        if self.suberror:
            body["suberror"] = self.suberror
        return body

    # --- request shape -------------------------------------------------------------------------

    @classmethod
    def missing_parameter(cls, name: str) -> EntraError:
        # AADSTS900144 "The request body must contain the following parameter: '{name}'."
        return cls(
            error="invalid_request",
            code=900144,
            message=f"The request body must contain the following parameter: '{name}'.",
        )

    @classmethod
    def malformed(cls, detail: str) -> EntraError:
        # AADSTS9002313 InvalidRequest - Request is malformed or invalid.
        return cls(
            error="invalid_request",
            code=9002313,
            message=f"Invalid request. Request is malformed or invalid. {detail}",
        )

    @classmethod
    def invalid_parameter(cls, name: str, value: str) -> EntraError:
        # AADSTS90023 InvalidRequest - The authentication service request isn't valid.
        return cls(
            error="invalid_request",
            code=90023,
            message=f"The value '{value}' of the '{name}' parameter is not valid.",
        )

    @classmethod
    def post_only(cls, method: str) -> EntraError:
        # AADSTS900561 "The endpoint only accepts {valid_verbs} requests. Received a {verb} request."
        return cls(
            error="invalid_request",
            code=900561,
            message=f"The endpoint only accepts POST requests. Received a {method} request.",
            status=405,
        )

    @classmethod
    def unsupported_grant_type(cls, grant_type: str) -> EntraError:
        # AADSTS70003 UnsupportedGrantType.
        return cls(
            error="unsupported_grant_type",
            code=70003,
            message=f"The app requested an unsupported grant type '{grant_type}'.",
        )

    # --- tenants -------------------------------------------------------------------------------

    @classmethod
    def tenant_not_found(cls, segment: str) -> EntraError:
        # AADSTS90002 InvalidTenantName; discovery answers it as "invalid_tenant".
        return cls(
            error="invalid_tenant",
            code=90002,
            message=(
                f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID "
                "and are signing into the correct cloud. (Simulator: the seeded tenants, "
                "'organizations' and 'common' are known.)"
            ),
        )

    @classmethod
    def tenant_required(cls) -> EntraError:
        # AADSTS50059 MissingTenantRealmAndNoUserInformationProvided: app-only grants cannot run
        # against /common or /organizations (no user to pick a tenant from).
        return cls(
            error="invalid_request",
            code=50059,
            message=(
                "No tenant-identifying information found in either the request or implied by "
                "any provided credentials."
            ),
        )

    @classmethod
    def single_tenant_app_on_common(cls, client_id: str, display_name: str) -> EntraError:
        # AADSTS50194: a single-tenant app used with /common or /organizations.
        return cls(
            error="invalid_request",
            code=50194,
            message=(
                f"Application '{client_id}'({display_name}) is not configured as a multi-tenant "
                "application. Usage of the /common endpoint is not supported for such "
                "applications created after '10/15/2018'. Use a tenant-specific endpoint or "
                "configure the application to be multi-tenant."
            ),
        )

    @classmethod
    def user_not_in_tenant(cls, username: str, tenant_name: str) -> EntraError:
        # AADSTS50020 UserUnauthorized - user account does not exist in tenant.
        return cls(
            error="invalid_grant",
            code=50020,
            message=(
                f"User account '{username}' from identity provider does not exist in tenant "
                f"'{tenant_name}' and cannot access the application in that tenant."
            ),
        )

    # --- clients -------------------------------------------------------------------------------

    @classmethod
    def unknown_client(cls, client_id: str, tenant_label: str) -> EntraError:
        # AADSTS700016 UnauthorizedClient_DoesNotMatchRequest.
        return cls(
            error="unauthorized_client",
            code=700016,
            message=(
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{tenant_label}'. This can happen if the application has not been installed by "
                "the administrator of the tenant or consented to by any user in the tenant. You "
                "may have sent your authentication request to the wrong tenant."
            ),
        )

    @classmethod
    def secret_missing(cls) -> EntraError:
        # AADSTS7000218 "The request body must contain the following parameter:
        # 'client_assertion' or 'client_secret'."
        return cls(
            error="invalid_client",
            code=7000218,
            message=(
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'."
            ),
            status=401,
        )

    @classmethod
    def wrong_secret(cls, client_id: str) -> EntraError:
        # AADSTS7000215 "Invalid client secret is provided."
        return cls(
            error="invalid_client",
            code=7000215,
            message=(
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{client_id}'."
            ),
            status=401,
        )

    @classmethod
    def public_client_with_secret(cls) -> EntraError:
        # AADSTS700025 InvalidClientPublicClientWithCredential.
        return cls(
            error="invalid_client",
            code=700025,
            message=(
                "Client is public so neither 'client_assertion' nor 'client_secret' should be "
                "presented."
            ),
            status=401,
        )

    # --- redirect URIs -------------------------------------------------------------------------

    @classmethod
    def redirect_uri_mismatch(cls, redirect_uri: str, client_id: str) -> EntraError:
        # AADSTS50011 InvalidReplyTo.
        return cls(
            error="invalid_request",
            code=50011,
            message=(
                f"The redirect URI '{redirect_uri}' specified in the request does not match the "
                f"redirect URIs configured for the application '{client_id}'. Make sure the "
                "redirect URI sent in the request matches one added to your application in the "
                "Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more "
                "about how to fix this."
            ),
        )

    @classmethod
    def redirect_uri_missing(cls) -> EntraError:
        # AADSTS900971 "No reply address provided."
        return cls(error="invalid_request", code=900971, message="No reply address provided.")

    @classmethod
    def redirect_uri_differs_from_authorize(cls, given: str, original: str) -> EntraError:
        # Observed wording for a token request whose redirect_uri differs from the authorize
        # request's: "AADSTS50011: The reply address '...' does not match the reply address '...'
        # provided when requesting Authorization code."
        # (github.com/PartnerCenterSamples/Reseller-Web-Application/issues/73)
        return cls(
            error="invalid_grant",
            code=50011,
            message=(
                f"The reply address '{given}' does not match the reply address '{original}' "
                "provided when requesting Authorization code."
            ),
        )

    # --- authorize -----------------------------------------------------------------------------

    @classmethod
    def unsupported_response_type(cls, response_type: str) -> EntraError:
        # AADSTS700054 / AADSTS70005: implicit-grant response types are disabled for the app.
        return cls(
            error="unsupported_response_type",
            code=700054,
            message=(
                f"response_type '{response_type}' is not enabled for the application. The "
                "simulator supports the authorization code flow (response_type=code) only."
            ),
        )

    @classmethod
    def unsupported_response_mode(cls, response_mode: str) -> EntraError:
        # AADSTS70007 UnsupportedResponseMode.
        return cls(
            error="invalid_request",
            code=70007,
            message=f"The provided value '{response_mode}' for 'response_mode' is not supported.",
        )

    @classmethod
    def login_required(cls) -> EntraError:
        # AADSTS50058 UserInformationNotProvided: prompt=none without a (matching) session.
        return cls(
            error="login_required",
            code=50058,
            message=(
                "A silent sign-in request was sent but no user is signed in. The cookies used "
                "to represent the user's session were not sent in the request to Microsoft "
                "Entra ID."
            ),
        )

    @classmethod
    def consent_required(
        cls, *, client_id: str, display_name: str, interactive: bool, token_endpoint: bool = False
    ) -> EntraError:
        # AADSTS65001 DelegationDoesNotExist. The authorize endpoint redirects it as
        # consent_required (interaction_required for prompt=none); the token endpoint answers
        # invalid_grant with suberror consent_required, as observed in
        # github.com/MicrosoftDocs/azure-docs/issues/39189.
        message = (
            f"The user or administrator has not consented to use the application with ID "
            f"'{client_id}' named '{display_name}'. Send an interactive authorization request "
            "for this user and resource."
        )
        if token_endpoint:
            return cls(
                error="invalid_grant", code=65001, message=message, suberror="consent_required"
            )
        return cls(
            error="consent_required" if interactive else "interaction_required",
            code=65001,
            message=message,
        )

    @classmethod
    def user_cancelled(cls) -> EntraError:
        # AADSTS65004 UserDeclinedConsent; "access_denied" on the redirect.
        return cls(
            error="access_denied",
            code=65004,
            message="User declined to consent to access the app.",
        )

    @classmethod
    def sign_in_expired(cls) -> EntraError:
        # AADSTS50089 "Authentication failed due to flow token expired."
        return cls(
            error="invalid_request",
            code=50089,
            message=(
                "Authentication failed due to flow token expired. Start the sign-in again from "
                "the application."
            ),
        )

    @classmethod
    def code_challenge_invalid(cls, detail: str) -> EntraError:
        # AADSTS501491 InvalidCodeChallengeMethodInvalidSize / invalid PKCE parameters.
        return cls(error="invalid_request", code=501491, message=detail)

    # --- scopes and resources ------------------------------------------------------------------

    @classmethod
    def unknown_resource(cls, resource: str, tenant_label: str) -> EntraError:
        # AADSTS500011 InvalidResourceServicePrincipalNotFound.
        return cls(
            error="invalid_resource",
            code=500011,
            message=(
                f"The resource principal named {resource} was not found in the tenant named "
                f"{tenant_label}. This can happen if the application has not been installed by "
                "the administrator of the tenant or consented to by any user in the tenant. You "
                "might have sent your authentication request to the wrong tenant."
            ),
        )

    @classmethod
    def invalid_scope(cls, scope: str) -> EntraError:
        # AADSTS70011 InvalidScope.
        return cls(
            error="invalid_scope",
            code=70011,
            message=(
                f"The provided value for the input parameter 'scope' is not valid. The scope "
                f"{scope} is not valid."
            ),
        )

    @classmethod
    def client_credentials_scope(cls, scope: str) -> EntraError:
        # AADSTS1002012: client credentials need exactly "{resource}/.default".
        # https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
        return cls(
            error="invalid_scope",
            code=1002012,
            message=(
                f"The provided value for scope {scope} is not valid. Client credential flows "
                "must have a scope value with /.default suffixed to the resource identifier "
                "(application ID URI)."
            ),
        )

    # --- grants --------------------------------------------------------------------------------

    @classmethod
    def bad_code(cls, detail: str) -> EntraError:
        # AADSTS70000 InvalidGrant.
        return cls(
            error="invalid_grant",
            code=70000,
            message=f"The provided value for the input parameter 'code' is not valid. {detail}",
        )

    @classmethod
    def code_redeemed(cls) -> EntraError:
        # AADSTS54005 "OAuth2 Authorization code was already redeemed, please retry with a new
        # valid code or use an existing refresh token."
        return cls(
            error="invalid_grant",
            code=54005,
            message=(
                "OAuth2 Authorization code was already redeemed, please retry with a new valid "
                "code or use an existing refresh token."
            ),
        )

    @classmethod
    def code_expired(cls) -> EntraError:
        # AADSTS70008 ExpiredOrRevokedGrant.
        return cls(
            error="invalid_grant",
            code=70008,
            message=(
                "The provided authorization code or refresh token has expired due to "
                "inactivity. Send a new interactive authorization request for this user and "
                "resource."
            ),
        )

    @classmethod
    def code_wrong_tenant(cls) -> EntraError:
        # AADSTS700005 InvalidGrantRedeemAgainstWrongTenant.
        return cls(
            error="invalid_grant",
            code=700005,
            message=(
                "Provided Authorization Code is intended to use against other tenant, thus "
                "rejected."
            ),
        )

    @classmethod
    def pkce_mismatch(cls) -> EntraError:
        # AADSTS501481 "The Code_Verifier doesn't match the code_challenge supplied in the
        # authorization request." (reference-error-codes). Older responses used AADSTS50148
        # with the same meaning; the current table lists 501481.
        return cls(
            error="invalid_grant",
            code=501481,
            message="The Code_Verifier does not match the code_challenge supplied in the "
            "authorization request.",
        )

    @classmethod
    def bad_refresh_token(cls, detail: str = "") -> EntraError:
        # AADSTS70000 "The provided value for the input parameter 'refresh_token' or
        # 'assertion' is not valid." (observed wording, github.com/BingAds/BingAds-Python-SDK#279)
        return cls(
            error="invalid_grant",
            code=70000,
            message=(
                "The provided value for the input parameter 'refresh_token' or 'assertion' is "
                f"not valid. {detail}"
            ).strip(),
        )

    @classmethod
    def refresh_token_revoked(cls, issued: str, valid_from: str) -> EntraError:
        # AADSTS50173 FreshTokenNeeded: the grant was revoked (tokens valid from a later date).
        return cls(
            error="invalid_grant",
            code=50173,
            message=(
                "The provided grant has expired due to it being revoked, a fresh auth token is "
                f"needed. The user might have changed or reset their password. The grant was "
                f"issued on '{issued}' and the TokensValidFrom date (before which tokens are not "
                f"valid) for this user is '{valid_from}'."
            ),
        )

    @classmethod
    def refresh_token_expired(cls, issued: str, inactive_seconds: int) -> EntraError:
        # AADSTS700082 ExpiredOrRevokedGrantInactiveToken.
        return cls(
            error="invalid_grant",
            code=700082,
            message=(
                f"The refresh token has expired due to inactivity. The token was issued on "
                f"{issued} and was inactive for {_duration(inactive_seconds)}."
            ),
        )

    @classmethod
    def assertion_invalid(cls, detail: str) -> EntraError:
        # AADSTS50013 InvalidAssertion (signature, issuer, audience of an OBO assertion).
        return cls(error="invalid_grant", code=50013, message=detail)

    @classmethod
    def assertion_out_of_time(cls, now: str, expiry: str) -> EntraError:
        # AADSTS500133 "Assertion isn't within its valid time range."
        return cls(
            error="invalid_grant",
            code=500133,
            message=(
                "Assertion is not within its valid time range. Ensure that the access token is "
                "not expired before using it for user assertion, or request a new token. "
                f"Current time: {now}, expiry time of assertion {expiry}."
            ),
        )

    @classmethod
    def app_only_obo(cls, client_id: str) -> EntraError:
        # AADSTS7000114: an app-only token cannot be exchanged on-behalf-of (OBO works for user
        # principals only, v2-oauth2-on-behalf-of-flow "Client limitations"); the response seen
        # in github.com/AzureAD/microsoft-authentication-library-for-dotnet/issues/2130.
        return cls(
            error="unauthorized_client",
            code=7000114,
            message=f"Application '{client_id}' is not allowed to make application on-behalf-of "
            "calls.",
        )

    @classmethod
    def user_not_found(cls, oid: str) -> EntraError:
        # AADSTS50034 UserAccountNotFound.
        return cls(
            error="invalid_grant",
            code=50034,
            message=f"The user account {oid} does not exist in the directory.",
        )


def _duration(seconds: int) -> str:
    # Entra prints inactivity as a .NET TimeSpan ("90.00:00:00" or "01:30:00").
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}.{clock}" if days else clock
