"""Reads opportunities for the demo page through the Dataverse simulator's ``/_sim/records`` backdoor.

The demo page plays Dynamics' own UI, which reads its database directly rather than as a Web API
client; the backdoor is the simulator's stand-in for that and needs no token. It exists only in
the simulator (devstack/dataverse), never in a real org.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpx

# The backdoor resolves each lookup as ``<lookup>_name``; the contract in the team brief spelled the
# same names ``account_name``/``customer_name``/``owner_name``. Both spellings are accepted.
_NAME_ALIASES = {
    "account_name": ("account_name", "parentaccountid_name"),
    "customer_name": ("customer_name", "customerid_name"),
    "owner_name": ("owner_name", "ownerid_name"),
    "transactioncurrency": ("transactioncurrency", "transactioncurrencyid_name"),
}


def _displayable(value: Any) -> Any:
    """Strings without lone UTF-16 surrogates: Dataverse can hold them (a name written as
    "\\ud800"), but no page can be encoded with one, so they show as U+FFFD like a browser would."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


NUMERIC_TYPES = ("Integer", "BigInt", "Decimal", "Double", "Money")


def normalise_record(raw: dict[str, Any]) -> dict[str, Any]:
    """The raw backdoor record plus the resolved names under one spelling (see _NAME_ALIASES)."""
    record = {key: _displayable(value) for key, value in raw.items()}
    for name, candidates in _NAME_ALIASES.items():
        record[name] = next((record[c] for c in candidates if raw.get(c) is not None), None)
    return record


class SimulatorUnavailable(RuntimeError):
    """The simulator did not answer, or answered with something other than records."""


class RecordNotFound(LookupError):
    """No opportunity with that id."""


class SimulatorClient:
    """One pooled https client to the simulator for the life of the demo server."""

    def __init__(self, *, base_url: str, ca_file: Path | None, timeout: float = 5.0) -> None:
        # An explicit SSL context: the simulator's certificate comes from the stack's own CA, and
        # trust_env=False keeps REQUESTS_CA_BUNDLE/SSL_CERT_FILE and proxies out of the picture.
        verify = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.base_url, verify=verify, timeout=timeout, trust_env=False
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def _get(self, path: str) -> httpx.Response:
        try:
            return await self._client.get(path, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise SimulatorUnavailable(
                f"The Dataverse simulator at {self.base_url} did not answer ({type(exc).__name__})."
            ) from exc

    @staticmethod
    def _json(response: httpx.Response, base_url: str) -> Any:
        if response.status_code != 200:
            raise SimulatorUnavailable(
                f"The Dataverse simulator at {base_url} answered {response.status_code} "
                f"for {response.request.url.path}."
            )
        try:
            return response.json()
        except ValueError as exc:
            raise SimulatorUnavailable(
                f"The Dataverse simulator at {base_url} sent no JSON for {response.request.url.path}."
            ) from exc

    async def list_opportunities(self) -> list[dict[str, Any]]:
        """All opportunities (``GET /_sim/records/opportunities`` -> ``{"value": [...]}``)."""
        response = await self._get("/_sim/records/opportunities")
        body = self._json(response, self.base_url)
        records = body.get("value") if isinstance(body, dict) else None
        if not isinstance(records, list):
            raise SimulatorUnavailable("The simulator's record list has no 'value' array.")
        return [normalise_record(r) for r in records if isinstance(r, dict)]

    async def get_opportunity(self, record_id: str) -> dict[str, Any]:
        """One opportunity by normalised (lower-case, unbraced) id."""
        response = await self._get(f"/_sim/records/opportunities/{record_id}")
        if response.status_code == 404:
            raise RecordNotFound(record_id)
        body = self._json(response, self.base_url)
        if not isinstance(body, dict):
            raise SimulatorUnavailable("The simulator's record is not a JSON object.")
        return normalise_record(body)

    async def numeric_columns(self) -> list[dict[str, Any]]:
        """The opportunity's numeric columns with their labels ({"en", "de"}) and precision, from
        the simulator's table definition (``GET /_sim/metadata/opportunity``) — so a column an
        admin adds shows on the form, as it would once added to a Dynamics form."""
        response = await self._get("/_sim/metadata/opportunity")
        body = self._json(response, self.base_url)
        attributes = body.get("Attributes") if isinstance(body, dict) else None
        if not isinstance(attributes, list):
            raise SimulatorUnavailable("The simulator's table definition has no 'Attributes'.")
        return [
            a for a in attributes if isinstance(a, dict) and a.get("AttributeType") in NUMERIC_TYPES
        ]

    async def solution_ui(self) -> dict[str, Any]:
        """What the imported solutions put on the form (``GET /_sim/solutions/ui``): the command,
        the IFRAME tab, the columns, the script web resources and the environment variables."""
        body = self._json(await self._get("/_sim/solutions/ui"), self.base_url)
        if not isinstance(body, dict):
            raise SimulatorUnavailable("The simulator's solution layout is not a JSON object.")
        return body

    async def web_resource(self, name: str) -> bytes | None:
        """An imported web resource's content, or None when no solution brought it."""
        response = await self._get(f"/_sim/webresources/{name}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SimulatorUnavailable(f"The simulator answered {response.status_code} for {name}.")
        return response.content
