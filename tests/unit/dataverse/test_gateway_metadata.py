"""Metadata cache (TTL + globalmetadataversion) and numeric candidates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from shared.domain.crm import NumericKind
from shared.domain.errors import ConfigurationInvalid
from tests.unit.dataverse.helpers import (
    OPP,
    ORG,
    caller,
    collection,
    error,
    json_response,
    make_gateway,
    opportunity_row,
)


def label(text: str) -> dict[str, Any]:
    item = {"Label": text, "LanguageCode": 1033}
    return {"LocalizedLabels": [item], "UserLocalizedLabel": item}


ATTRIBUTES: dict[str, dict[str, Any]] = {
    "closeprobability": {
        "AttributeType": "Integer",
        "MinValue": 0,
        "MaxValue": 100,
        "label": "Probability",
    },
    "cockpit_winprobability": {
        "AttributeType": "Decimal",
        "MinValue": 0,
        "MaxValue": 100,
        "Precision": 2,
        "label": "Cockpit Win Probability",
    },
    "estimatedvalue": {
        "AttributeType": "Money",
        "MinValue": -1e12,
        "MaxValue": 1e12,
        "Precision": 2,
        "label": "Est. Revenue",
    },
    "name": {"AttributeType": "String", "label": "Topic"},
}


class MetadataServer:
    """Answers metadata requests like Dataverse; ``version`` is reported on opportunity queries."""

    def __init__(self) -> None:
        self.version = "100"
        self.max_probability = 100

    def attribute(self, name: str) -> dict[str, Any]:
        spec = ATTRIBUTES[name]
        return {
            "LogicalName": name,
            "AttributeType": spec["AttributeType"],
            "DisplayName": label(spec["label"]),
            "IsValidForUpdate": True,
            "IsSecured": False,
            "IsCustomAttribute": name.startswith("cockpit_"),
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = unquote(request.url.path)
        query = unquote(request.url.query.decode())
        if path.endswith("/opportunities"):
            return collection([opportunity_row()], version=self.version)
        prefix = "/api/data/v9.2/EntityDefinitions(LogicalName='opportunity')/Attributes"
        assert path.startswith(prefix), path
        rest = path[len(prefix) :]
        if rest.startswith("(LogicalName='"):
            name = rest[len("(LogicalName='") :].split("'")[0]
            if name not in ATTRIBUTES:
                return error(404, "0x80040217", "Could not find attribute")
            if "/Microsoft.Dynamics.CRM." in rest:
                spec = ATTRIBUTES[name]
                typed = {k: spec[k] for k in ("MinValue", "MaxValue", "Precision") if k in spec}
                if name == "closeprobability":
                    typed["MaxValue"] = self.max_probability
                return json_response(200, typed)
            assert query.startswith("$select=LogicalName,AttributeType,DisplayName")
            return json_response(200, self.attribute(name))
        cast = rest.removeprefix("/Microsoft.Dynamics.CRM.").removesuffix("AttributeMetadata")
        assert "$filter=IsValidForUpdate eq true" in query
        items: list[dict[str, Any]] = []
        for name, spec in ATTRIBUTES.items():
            if spec["AttributeType"] == cast:
                items.append(
                    {
                        **self.attribute(name),
                        **{k: spec[k] for k in ("MinValue", "MaxValue", "Precision") if k in spec},
                    }
                )
        return json_response(
            200, {"@Microsoft.Dynamics.CRM.globalmetadataversion": self.version, "value": items}
        )


async def test_field_info_costs_two_requests_cold_and_none_warm() -> None:
    server = MetadataServer()
    gateway, recorder, _ = make_gateway(server)

    info = await gateway.field_info(org=ORG, field="cockpit_winprobability", caller=caller())

    assert len(recorder.requests) == 2
    assert unquote(recorder.requests[1].url.path).endswith(
        "Attributes(LogicalName='cockpit_winprobability')/Microsoft.Dynamics.CRM.DecimalAttributeMetadata"
    )
    assert "$select=MinValue,MaxValue,Precision" in unquote(recorder.requests[1].url.query.decode())
    assert info.logical_name == "cockpit_winprobability"
    assert info.display_name == "Cockpit Win Probability"
    assert info.numeric_kind is NumericKind.DECIMAL
    assert (info.min_value, info.max_value, info.precision) == (Decimal(0), Decimal(100), 2)
    assert info.is_custom and info.is_valid_for_update and not info.is_secured

    again = await gateway.field_info(org=ORG, field="cockpit_winprobability", caller=caller())
    assert again == info and len(recorder.requests) == 2


async def test_non_numeric_column_needs_no_cast() -> None:
    gateway, recorder, _ = make_gateway(MetadataServer())
    info = await gateway.field_info(org=ORG, field="name", caller=caller())
    assert len(recorder.requests) == 1
    assert info.numeric_kind is None and info.min_value is None


async def test_missing_column_is_a_configuration_problem() -> None:
    gateway, _, _ = make_gateway(MetadataServer())
    with pytest.raises(ConfigurationInvalid) as caught:
        await gateway.field_info(org=ORG, field="cockpit_gone", caller=caller())
    assert caught.value.params == {"field": "cockpit_gone"}


async def test_cache_expires_after_ttl() -> None:
    gateway, recorder, clock = make_gateway(MetadataServer(), ttl=60)
    await gateway.field_info(org=ORG, field="closeprobability", caller=caller())
    clock.now += 59
    await gateway.field_info(org=ORG, field="closeprobability", caller=caller())
    assert len(recorder.requests) == 2
    clock.now += 2
    await gateway.field_info(org=ORG, field="closeprobability", caller=caller())
    assert len(recorder.requests) == 4


async def test_a_new_globalmetadataversion_on_a_read_drops_the_cache() -> None:
    server = MetadataServer()
    gateway, recorder, _ = make_gateway(server)
    await gateway.get_opportunity(org=ORG, opportunity_id=OPP, caller=caller())
    first = await gateway.field_info(org=ORG, field="closeprobability", caller=caller())
    await gateway.get_opportunity(org=ORG, opportunity_id=OPP, caller=caller())  # same version
    await gateway.field_info(org=ORG, field="closeprobability", caller=caller())
    assert len(recorder.requests) == 4  # 2 reads + 2 metadata

    server.version = "101"
    server.max_probability = 50
    opp = await gateway.get_opportunity(org=ORG, opportunity_id=OPP, caller=caller())
    assert opp.metadata_version == "101"
    fresh = await gateway.field_info(org=ORG, field="closeprobability", caller=caller())
    assert first.max_value == 100 and fresh.max_value == 50
    assert len(recorder.requests) == 7


async def test_concurrent_cold_lookups_share_one_fetch() -> None:
    import asyncio

    gateway, recorder, _ = make_gateway(MetadataServer())
    infos = await asyncio.gather(
        *(gateway.field_info(org=ORG, field="closeprobability", caller=caller()) for _ in range(10))
    )
    assert len({i.max_value for i in infos}) == 1
    assert len(recorder.requests) == 2


async def test_numeric_fields_is_one_cast_query_per_numeric_type_and_warms_field_info() -> None:
    gateway, recorder, _ = make_gateway(MetadataServer())

    fields = await gateway.numeric_fields(org=ORG, caller=caller())

    assert len(recorder.requests) == 5
    casts = sorted(unquote(r.url.path).rsplit(".", 1)[1] for r in recorder.requests)
    assert casts == sorted(
        f"{k}AttributeMetadata" for k in ("Integer", "BigInt", "Decimal", "Double", "Money")
    )
    assert [f.logical_name for f in fields] == [
        "cockpit_winprobability",
        "estimatedvalue",
        "closeprobability",
    ]
    money = next(f for f in fields if f.logical_name == "estimatedvalue")
    assert money.min_value == Decimal("-1000000000000.0") and money.precision == 2
    await gateway.field_info(org=ORG, field="closeprobability", caller=caller())
    await gateway.numeric_fields(org=ORG, caller=caller())
    assert len(recorder.requests) == 5
