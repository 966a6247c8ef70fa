"""CrmOrg.answers_to: the orgname Dynamics passes selects an org by unique name or URL name."""

from __future__ import annotations

import pytest

from shared.domain.orgs import CrmOrg

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def org(**names: str | None) -> CrmOrg:
    return CrmOrg(tenant_id=TENANT, url="https://contoso.crm4.dynamics.com", **names)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "orgname", ["org1a2b3c4d", "ORG1A2B3C4D", "contoso", "Contoso", " contoso "]
)
def test_unique_name_and_url_name_both_match_case_insensitively(orgname: str) -> None:
    assert org(name="contoso", unique_name="org1a2b3c4d", url_name="contoso").answers_to(orgname)


def test_the_configured_name_keeps_matching_for_older_configurations() -> None:
    legacy = org(name="contoso")
    assert legacy.answers_to("contoso") and legacy.answers_to("CONTOSO")
    assert not legacy.answers_to("org1a2b3c4d")
    assert legacy.identifiers == frozenset({"contoso"})


@pytest.mark.parametrize("orgname", ["", "   ", "fabrikam", "org1a2b3c4", "contoso.crm4"])
def test_anything_else_does_not_match(orgname: str) -> None:
    assert not org(name="contoso", unique_name="org1a2b3c4d", url_name="contoso").answers_to(
        orgname
    )


def test_unique_name_differing_from_the_dns_label_is_the_common_case() -> None:
    # The key stays "contoso" (stored project keys use it); Dynamics sends the unique name.
    configured = org(name="contoso", unique_name="unq8c1f2e9d0b", url_name="contoso")
    assert configured.name == "contoso"
    assert configured.answers_to("unq8c1f2e9d0b")
