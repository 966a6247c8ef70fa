"""Unit tests of the Dataverse simulator's service protection model (with a test clock), the
$filter functions, the sql subset and the solution package reader."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from devstack.dataverse.errors import DataverseError
from devstack.dataverse.filters import FilterEnv, evaluate_filter, parse_filter
from devstack.dataverse.protection import ProtectionSettings, ServiceProtection, Ticket
from devstack.dataverse.solution_package import read_package
from devstack.dataverse.tables import fixed_entities


def _admit(protection: ServiceProtection, now: float, user: str = "u") -> Ticket:
    ticket = protection.admit(user, now)
    assert isinstance(ticket, Ticket), ticket
    return ticket


def test_request_window_slides_and_the_penalty_grows_while_requests_come() -> None:
    protection = ServiceProtection(
        ProtectionSettings(max_requests=2, window_seconds=10, penalty_extension_seconds=2)
    )
    for now in (0.0, 1.0):
        protection.finish(_admit(protection, now), now + 0.01)
    refused = protection.admit("u", 2.0)
    assert isinstance(refused, DataverseError) and refused.code == "0x80072322"
    assert refused.headers["Retry-After"] == "8"  # the first request leaves the window at 10 s
    again = protection.admit("u", 3.0)
    assert isinstance(again, DataverseError) and again.headers["Retry-After"] == "9"  # 12 - 3
    assert isinstance(protection.admit("other", 3.0), Ticket)  # per user
    assert isinstance(protection.admit("u", 12.5), Ticket)  # penalty over, window slid


def test_execution_time_and_concurrency() -> None:
    protection = ServiceProtection(ProtectionSettings(max_execution_ms=100, max_concurrent=1))
    first = _admit(protection, 0.0)
    concurrent = protection.admit("u", 0.01)
    assert isinstance(concurrent, DataverseError) and concurrent.code == "0x80072326"
    headers = protection.finish(first, 0.2)  # 200 ms of execution
    assert headers["x-ms-ratelimit-burst-remaining-xrm-requests"] == "5999"
    slow = protection.admit("u", 0.3)
    assert isinstance(slow, DataverseError) and slow.code == "0x80072321"
    assert "exceeded limit of 100 milliseconds" in slow.message


def test_execution_time_leaves_the_window_with_its_requests() -> None:
    protection = ServiceProtection(ProtectionSettings(max_execution_ms=1_000, window_seconds=10))
    for now in (0.0, 1.0, 2.0):
        protection.finish(_admit(protection, now), now + 0.25)  # 250 ms each
    assert protection.stats(3.0)["u"]["execution_ms_in_window"] == pytest.approx(750)
    headers = protection.finish(_admit(protection, 3.0), 3.3)
    assert headers["x-ms-ratelimit-time-remaining-xrm-requests"] == "0.00"  # 1,050 of 1,000 used
    refused = protection.admit("u", 4.0)  # over the limit
    assert isinstance(refused, DataverseError) and refused.code == "0x80072321"
    # The first request leaves at 10 s: 800 ms remain, under the limit again.
    assert refused.headers["Retry-After"] == "6"
    assert protection.stats(10.5)["u"]["execution_ms_in_window"] == pytest.approx(800)
    assert isinstance(protection.admit("u", 10.5), Ticket)
    assert protection.stats(30.0)["u"]["execution_ms_in_window"] == pytest.approx(0, abs=1e-9)


def test_disabled_protection_admits_everything() -> None:
    protection = ServiceProtection(ProtectionSettings(enabled=False, max_requests=1))
    for now in range(5):
        assert protection.finish(_admit(protection, float(now)), now + 0.1) == {}


@pytest.mark.parametrize(
    ("expression", "row", "expected"),
    [
        ("contains(name,'LL')", {"name": "Roll-out"}, True),
        ("startswith(name,'ro') and endswith(name,'OUT')", {"name": "Roll-out"}, True),
        ("not contains(name,'x')", {"name": None}, True),
        ("Microsoft.Dynamics.CRM.In(PropertyName='n',PropertyValues=['1','2'])", {"n": 2}, True),
        (
            "Microsoft.Dynamics.CRM.NotIn(PropertyName='n',PropertyValues=['1','2'])",
            {"n": 2},
            False,
        ),
        (
            "Microsoft.Dynamics.CRM.Between(PropertyName='n',PropertyValues=['1','5'])",
            {"n": 5},
            True,
        ),
        ("Microsoft.Dynamics.CRM.EqualUserId(PropertyName='ownerid')", {"ownerid": "ME"}, True),
        ("Microsoft.Dynamics.CRM.Today(PropertyName='d')", {"d": "2027-01-02"}, True),
        (
            "Microsoft.Dynamics.CRM.LastXDays(PropertyName='d',PropertyValue=3)",
            {"d": "2026-12-30"},
            True,
        ),
        (
            "Microsoft.Dynamics.CRM.OnOrAfter(PropertyName='d',PropertyValue='2027-01-03')",
            {"d": "2027-01-02"},
            False,
        ),
    ],
)
def test_filter_functions(expression: str, row: dict[str, object], expected: bool) -> None:
    env = FilterEnv(user_id="me", today=date(2027, 1, 2))
    assert evaluate_filter(parse_filter(expression), lambda p: row.get(p[0]), env) is expected


@pytest.mark.parametrize(
    "expression",
    [
        "length(name) gt 1",
        "Microsoft.Dynamics.CRM.Above(PropertyName='n',PropertyValue=1)",
        "Microsoft.Dynamics.CRM.In(PropertyValues=['1'])",
        "contains(name,5)",
    ],
)
def test_unknown_or_malformed_functions_are_400(expression: str) -> None:
    with pytest.raises(DataverseError) as caught:
        parse_filter(expression)
    assert caught.value.status == 400


def test_sql_subset_translates_to_a_filter() -> None:
    from devstack.dataverse.sql import parse_sql

    account = fixed_entities()["account"]
    query = parse_sql(
        "SELECT TOP 3 name FROM account WHERE name LIKE '%toys' AND NOT name IS NULL "
        "ORDER BY name DESC",
        account,
    )
    assert query.top == 3 and query.columns == ["name"]
    assert [(o.property, o.descending) for o in query.orderby] == [("name", True)]
    assert query.filter is not None
    assert evaluate_filter(query.filter, lambda p: "Tailspin Toys") is True
    for refused in ("SELECT * FROM account", "SELECT name FROM contact", "DELETE FROM account"):
        with pytest.raises(DataverseError):
            parse_sql(refused, account)


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_solution_package_refusals() -> None:
    with pytest.raises(DataverseError) as not_zip:
        read_package(b"nope")
    assert not_zip.value.code == "0x80048060"
    with pytest.raises(DataverseError) as missing:
        read_package(_zip({"solution.xml": "<x/>", "customizations.xml": "<x/>"}))
    assert missing.value.code == "0x80048060"
    with pytest.raises(DataverseError) as no_manifest:
        read_package(
            _zip(
                {
                    "[Content_Types].xml": "<Types/>",
                    "solution.xml": "<ImportExportXml/>",
                    "customizations.xml": "<ImportExportXml/>",
                }
            )
        )
    assert no_manifest.value.code == "0x8004801a"
