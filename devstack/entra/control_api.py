"""The control API (https, ``/_sim/...``) that tests and the stack runner use to inspect and steer
the simulator: health, the request log, settings, key rotation, revocation, minting arbitrary
tokens and reset. The request bodies are strict pydantic models; bad input is a 400 with a message.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.entra.authorize import app_usable_in
from devstack.entra.keys import SigningKey
from devstack.entra.state import Simulator
from devstack.entra.tokens import TokenMinter

__all__ = ["ConfigUpdate", "ControlApi", "MintRequest", "RevokeRequest"]

_M = TypeVar("_M", bound=BaseModel)


class ConfigUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    access_token_lifetime: int | None = Field(default=None, ge=1, le=86400 * 30)
    id_token_lifetime: int | None = Field(default=None, ge=1, le=86400 * 30)
    refresh_token_lifetime: int | None = Field(default=None, ge=1, le=86400 * 365)
    clock_skew: int | None = Field(default=None, ge=-86400 * 3650, le=86400 * 3650)


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    oid: str = Field(min_length=1)


class MintRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    claims: dict[str, Any] = Field(default_factory=dict)
    kind: Literal["access", "id"] = "access"
    kid: str | None = None


def _control_error(message: str, *, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": "invalid_request", "message": message}, status_code=status)


async def _control_body(request: Request, model: type[_M]) -> _M | JSONResponse:
    raw = await request.body()
    if not raw.strip():
        raw = b"{}"
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
        return _control_error(f"Invalid JSON body: {problems}")


class ControlApi:
    """Control handlers bound to one simulator (the https listener only)."""

    def __init__(self, sim: Simulator, minter: TokenMinter) -> None:
        self.sim = sim
        self.minter = minter

    def routes(self) -> list[Route]:
        return [
            Route("/_sim/health", self.health),
            Route("/_sim/requests", self.requests, methods=["GET", "DELETE"]),
            Route("/_sim/config", self.config, methods=["GET", "POST"]),
            Route("/_sim/rotate-keys", self.rotate_keys, methods=["POST"]),
            Route("/_sim/revoke", self.revoke, methods=["POST"]),
            Route("/_sim/mint", self.mint, methods=["POST"]),
            Route("/_sim/reset", self.reset, methods=["POST"]),
        ]

    async def health(self, request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "https": self.sim.urls.https_base,
                "http": self.sim.urls.http_base,
                "tenants": sorted(self.sim.directory.tenants),
                "current_kid": self.sim.keys.current.kid,
            }
        )

    async def requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            cleared = len(self.sim.request_log)
            self.sim.request_log.clear()
            return JSONResponse({"cleared": cleared})
        entries = list(self.sim.request_log)
        for field in ("endpoint", "grant_type", "client_id"):
            wanted = request.query_params.get(field)
            if wanted is not None:
                entries = [e for e in entries if e.get(field) == wanted]
        return JSONResponse(entries)

    async def config(self, request: Request) -> Response:
        if request.method == "POST":
            update = await _control_body(request, ConfigUpdate)
            if isinstance(update, Response):
                return update
            for name, value in update.model_dump(exclude_none=True).items():
                setattr(self.sim.config, name, value)
        return JSONResponse(self.sim.config.as_dict())

    async def rotate_keys(self, request: Request) -> Response:
        # RSA key generation takes a moment; keep the event loop free meanwhile.
        new_key = await asyncio.to_thread(SigningKey.generate)
        dropped = self.sim.keys.rotate(new_key)
        return JSONResponse(
            {
                "current_kid": self.sim.keys.current.kid,
                "published_kids": [key.kid for key in self.sim.keys.published],
                "dropped_kid": dropped.kid,
            }
        )

    async def revoke(self, request: Request) -> Response:
        body = await _control_body(request, RevokeRequest)
        if isinstance(body, Response):
            return body
        oid = body.oid.lower()
        if oid not in self.sim.directory.users:
            return _control_error(f"No seeded user has oid {body.oid!r}.", status=404)
        tokens, sessions = self.sim.revoke_user(oid)
        return JSONResponse(
            {"oid": oid, "revoked_refresh_tokens": tokens, "ended_sessions": sessions}
        )

    async def mint(self, request: Request) -> Response:
        body = await _control_body(request, MintRequest)
        if isinstance(body, Response):
            return body
        key = self.sim.keys.current
        if body.kid is not None:
            found = self.sim.keys.find(body.kid)
            if found is None:
                published = ", ".join(k.kid for k in self.sim.keys.published)
                return _control_error(
                    f"kid {body.kid!r} is not published (published: {published})."
                )
            key = found
        claims = self._default_claims(body.kind)
        for name, value in body.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        token = self.minter.sign(claims, key=key)
        return JSONResponse({"token": token, "kid": key.kid, "claims": claims})

    def _default_claims(self, kind: str) -> dict[str, Any]:
        """A valid token of ``kind`` for the seed's first v2 API (the cockpit), from its client."""
        directory = self.sim.directory
        servers = [s for s in directory.resource_servers if s.app and s.token_version == 2]
        server = next((s for s in servers if s.scopes), servers[0] if servers else None)
        if server is None or server.app is None:
            server = directory.resource_servers[0]
        api = server.app or next(iter(directory.apps.values()))
        client = next(
            (
                app
                for app in directory.apps.values()
                if any(p.resource == server.consent_key for p in app.delegated_permissions)
            ),
            api,
        )
        user = next(
            (u for u in directory.users.values() if app_usable_in(client, u.tenant)),
            next(iter(directory.users.values())),
        )
        if kind == "id":
            return self.minter.id_claims(
                client=api, user=user, nonce=None, session_id=None, auth_time=None
            )
        return self.minter.user_access_claims(
            server=server,
            audience=server.audience(server.app_id),
            scp=server.scopes,
            user=user,
            client=client,
            session_id=None,
        )

    async def reset(self, request: Request) -> Response:
        self.sim.reset()
        return JSONResponse({"reset": True, "config": self.sim.config.as_dict()})
