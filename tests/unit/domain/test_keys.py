from __future__ import annotations

import pytest

from shared.domain.errors import InvalidInput, InvalidKey
from shared.domain.keys import check_key_part, parse_guid, parse_org_name
from shared.domain.projects import ProjectKey, project_name


@pytest.mark.parametrize(
    "bad", ["a/b", "a\\b", "a#b", "a?b", "tab\there", "nul\x00", "del\x7f", "c1\x85", ""]
)
def test_forbidden_key_characters_are_a_domain_error(bad: str) -> None:
    with pytest.raises(InvalidKey):
        check_key_part(bad, what="value")


def test_long_keys_are_refused() -> None:
    check_key_part("x" * 200, what="value")
    with pytest.raises(InvalidKey):
        check_key_part("x" * 201, what="value")


@pytest.mark.parametrize(
    "raw",
    [
        "{0AA00000-0000-4000-8000-000000000001}",
        "0aa00000-0000-4000-8000-000000000001",
        "0AA00000-0000-4000-8000-000000000001",
        " {0aa00000-0000-4000-8000-000000000001} ",
    ],
)
def test_guids_as_dynamics_passes_them_normalise(raw: str) -> None:
    assert parse_guid(raw, what="id") == "0aa00000-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "abc",
        "{0aa00000-0000-4000-8000-00000000000}",
        "0aa00000000040008000000000000001x",
        "../../etc",
    ],
)
def test_non_guids_are_invalid_input(raw: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_guid(raw, what="opportunity id")
    assert info.value.code == "invalid_guid"


def test_org_names() -> None:
    assert parse_org_name("Contoso") == "contoso"
    for bad in ["", "-x", "a/b", "a b", "x" * 64, "contoso.crm4.dynamics.com"]:
        with pytest.raises(InvalidInput):
            parse_org_name(bad)


def test_project_key_parse_normalises_every_part() -> None:
    key = ProjectKey.parse(
        tenant_id="C0A7B2E1-5D4F-4C8A-9E21-3B6F0D9A1C01",
        org="CONTOSO",
        opportunity_id="{0AA00000-0000-4000-8000-000000000001}",
    )
    assert key == ProjectKey(
        tenant_id="c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01",
        org="contoso",
        opportunity_id="0aa00000-0000-4000-8000-000000000001",
    )


def test_project_name_is_the_trimmed_opportunity_name() -> None:
    assert project_name("  CRM   rollout\n2027 ") == "CRM rollout 2027"
    assert project_name("") == "(unnamed opportunity)"
    assert len(project_name("x" * 500)) == 300
