"""What route handlers declare instead of repeating a preamble: the container, the caller (session
or bearer) with the CSRF rule for state changes, the admin role, the org a path names, the
opportunity id, the request's language. Used as ``Annotated`` aliases, as in FastAPI's full-stack
template (docs/architecture.md, "The HTTP edge")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from functions.cookies import session_cookie_value
from functions.messages import Lang
from functions.rendering import request_lang
from functions.schemas import EXAMPLE_OPPORTUNITY, EXAMPLE_ORG, GUID_PATTERN, ORG_PATTERN
from shared.bootstrap import Container
from shared.domain.errors import Forbidden, NotSignedIn
from shared.domain.identity import Principal, tokens_match
from shared.domain.keys import parse_guid
from shared.domain.orgs import CrmOrg

CSRF_HEADER = "x-cockpit-csrf"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def optional_principal(request: Request) -> Principal | None:
    """The caller, or None. Resolved once per request."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    container = container_of(request)
    principal: Principal | None = None
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotSignedIn("unsupported authorization header", code="invalid_token")
        principal = await container.bearer.verify(token.strip())
    else:
        session_id = session_cookie_value(request)
        if session_id:
            try:
                principal = await container.auth.resolve_session(session_id)
            except NotSignedIn:
                principal = None
    request.state.principal = principal
    return principal


async def require_principal(request: Request) -> Principal:
    principal = await optional_principal(request)
    if principal is None:
        raise NotSignedIn("sign-in required")
    return principal


def check_csrf(request: Request, principal: Principal) -> None:
    """Session callers changing state must prove the request comes from our own pages: our own
    ``Origin`` and the session's CSRF token in a custom header (SameSite=None cookies travel)."""
    if principal.kind != "session" or request.method not in _UNSAFE:
        return
    if not container_of(request).auth.same_origin(request.headers.get("origin")):
        raise Forbidden("request from a foreign or missing Origin", code="csrf_failed")
    if not tokens_match(principal.csrf_token, request.headers.get(CSRF_HEADER)):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")


async def require_writer(request: Request) -> Principal:
    principal = await require_principal(request)
    check_csrf(request, principal)
    return principal


async def require_admin(request: Request) -> Principal:
    principal = await require_principal(request)
    container_of(request).admin.require_admin(principal)
    check_csrf(request, principal)
    return principal


async def path_org(
    request: Request,
    principal: Annotated[Principal, Depends(require_principal)],
    org: Annotated[
        str,
        Path(
            min_length=1,
            max_length=63,
            pattern=ORG_PATTERN,
            description="The CRM organisation's unique name, as configured for your tenant.",
            examples=[EXAMPLE_ORG],
        ),
    ],
) -> CrmOrg:
    """The configured org of the caller's tenant that the path names."""
    return container_of(request).orgs.resolve(principal, org)


def path_opportunity_id(
    opportunity_id: Annotated[
        str,
        Path(
            pattern=GUID_PATTERN,
            description="The opportunity's id, in any case, with or without braces.",
            examples=[EXAMPLE_OPPORTUNITY],
        ),
    ],
) -> str:
    return parse_guid(opportunity_id, what="opportunity id")


def embedded_request(request: Request) -> bool:
    """Whether the call comes from the cockpit inside the Dynamics form (its script says so)."""
    return request.headers.get("x-cockpit-embedded") == "1"


ContainerDep = Annotated[Container, Depends(container_of)]
CurrentUser = Annotated[Principal, Depends(require_principal)]
Writer = Annotated[Principal, Depends(require_writer)]
Admin = Annotated[Principal, Depends(require_admin)]
Org = Annotated[CrmOrg, Depends(path_org)]
OpportunityId = Annotated[str, Depends(path_opportunity_id)]
RequestLang = Annotated[Lang, Depends(request_lang)]
Embedded = Annotated[bool, Depends(embedded_request)]
