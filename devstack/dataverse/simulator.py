"""The Dataverse simulator's state: its orgs, faults, service protection, switches, the request
log, and who a request runs as (bearer token → systemuser, ``CallerObjectId`` impersonation)."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import HTTPException, Request

from devstack.dataverse import errors
from devstack.dataverse.auth import JwksCache, TokenError, TokenVerifier, www_authenticate
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.faults import FaultInjector, LogEntry
from devstack.dataverse.loading import load_org, read_seed
from devstack.dataverse.model import Depth, OrgState
from devstack.dataverse.protection import ServiceProtection
from devstack.dataverse.security import Principal

logger = logging.getLogger("devstack.dataverse")


@dataclass
class SimConfig:
    """What the CLI (or a test) configures: the seed, the orgs (name → URL) and where to find the
    Entra ID simulator's signing keys."""

    seed_path: Path
    orgs: dict[str, str]
    entra_url: str
    ca_file: Path | None = None
    # Tests may inject the JWKS source; by default it is fetched from the Entra simulator.
    jwks_fetch: Callable[[], Awaitable[dict[str, Any]]] | None = None
    leeway_seconds: float = 0.0


class Simulator:
    """All mutable simulator state: orgs, faults, switches and the request log."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.faults = FaultInjector()
        self.protection = ServiceProtection()
        self.log: list[LogEntry] = []
        self._seq = 0
        self.closed_opportunity_updates = "reject"
        self.states: dict[str, OrgState] = {}
        self._http: httpx.AsyncClient | None = None
        self.jwks = JwksCache(config.jwks_fetch or self._fetch_jwks)
        self.verifier = TokenVerifier(self.jwks, leeway_seconds=config.leeway_seconds)
        self.reload()

    def reload(self) -> None:
        seed = read_seed(self.config.seed_path)
        self.states = {
            name: load_org(seed, name=name, url=url) for name, url in self.config.orgs.items()
        }

    def reset(self) -> None:
        self.reload()
        self.faults = FaultInjector()
        self.protection = ServiceProtection()
        self.log.clear()
        self.closed_opportunity_updates = "reject"

    async def _fetch_jwks(self) -> dict[str, Any]:
        if self._http is None:
            verify: ssl.SSLContext | bool = True
            if self.config.ca_file is not None:
                verify = ssl.create_default_context(cafile=str(self.config.ca_file))
            self._http = httpx.AsyncClient(verify=verify, timeout=10.0, trust_env=False)
        url = f"{self.config.entra_url.rstrip('/')}/common/discovery/keys"
        response = await self._http.get(url)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def state_for_host(self, host: str) -> OrgState:
        for state in self.states.values():
            if urlsplit(state.org.url).netloc.lower() == host.lower():
                return state
        # One org on one port: any host name that reached us means that org.
        return next(iter(self.states.values()))

    def state_named(self, name: str | None) -> OrgState:
        if name is None:
            return next(iter(self.states.values()))
        if name not in self.states:
            raise HTTPException(404, f"no org named {name!r}; orgs: {', '.join(self.states)}")
        return self.states[name]

    async def authenticate(self, state: OrgState, request: Request) -> Principal:
        challenge = www_authenticate(
            entra_url=self.config.entra_url, tenant_id=state.org.tenant_id, org_url=state.org.url
        )
        unauthorized = DataverseError(
            401, "", "", headers={"WWW-Authenticate": challenge}, empty_body=True
        )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized
        try:
            access = await self.verifier.verify(
                token.strip(), audience=state.org.url, tenant_id=state.org.tenant_id
            )
        except TokenError as exc:
            logger.info("401: %s", exc)  # the reason only; never the token
            raise unauthorized from exc
        except httpx.HTTPError as exc:
            logger.warning("cannot fetch the Entra signing keys: %s", exc)
            raise unauthorized from exc
        if access.delegated:
            user = state.user_by_aad(access.object_id or "")
        else:
            user = state.user_by_app(access.app_id or "")
        if user is None:
            raise DataverseError(
                403, errors.USER_NOT_IN_ORG, "The user is not a member of the organization."
            )
        if user.is_disabled:
            raise _disabled(user.systemuserid, state)
        caller_object_id = request.headers.get("callerobjectid")
        legacy_caller = request.headers.get("mscrmcallerid")
        if not caller_object_id and not legacy_caller:
            return Principal(user, user)
        # Impersonation needs prvActOnBehalfOfAnotherUser (impersonate-another-user-web-api.md);
        # without it: CannotActOnBehalfOfAnotherUser 0x8004A110, 403 (compose-http-requests…).
        if user.privileges.get("prvActOnBehalfOfAnotherUser", Depth.NONE) == Depth.NONE:
            raise DataverseError(
                403,
                errors.CANNOT_ACT_ON_BEHALF,
                "User does not have the privilege to act on behalf another user.",
            )
        if caller_object_id:
            target = state.user_by_aad(caller_object_id.strip())
        else:
            target = state.users.get((legacy_caller or "").strip().lower())
        if target is None:
            # The docs do not show this case; an unknown impersonated user is treated like an
            # unknown caller.
            raise DataverseError(
                403, errors.USER_NOT_IN_ORG, "The user is not a member of the organization."
            )
        if target.is_disabled:
            raise _disabled(target.systemuserid, state)
        return Principal(target, user)


def _disabled(systemuserid: str, state: OrgState) -> DataverseError:
    # Message from troubleshoot/power-platform/power-apps/dataverse/dataverse-plug-ins-errors.
    return DataverseError(
        403,
        errors.USER_DISABLED,
        f"The user with SystemUserId={systemuserid} in OrganizationContext={state.org.organization_id} "
        "is disabled. Disabled users cannot access the system. Consider enabling this user. Also, "
        "users are disabled if they don't have a license assigned to them.",
    )
