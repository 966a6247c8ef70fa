"""The Dataverse application user + least-privilege role script.

In-memory: ``scripts.dataverse_setup.setup`` against tests/infra/fake_dataverse.FakeDataverse.
End to end: ``python -m scripts.dataverse_setup`` as a child process, over real HTTPS to the same
fake served by a child process, with the deployer's token coming from the fake ``az``.
"""

from __future__ import annotations

import argparse
import json
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.process import ManagedProcess, free_port
from devstack.tls import make_tls_files
from scripts.dataverse_setup import (
    DEFAULT_PRIVILEGES,
    DEFAULT_ROLE_NAME,
    DataverseError,
    parse_privilege,
    setup,
)
from tests.infra.conftest import REPO_ROOT, FakeCli
from tests.infra.fake_dataverse import FakeDataverse

APP_ID = "5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"
ORG = "https://contoso.crm4.dynamics.com"


def test_setup_creates_role_privileges_user_and_assignment() -> None:
    dataverse = FakeDataverse(org_url=ORG)

    result = setup(dataverse, org_url=ORG, app_id=APP_ID)

    [role] = dataverse.roles
    assert role["name"] == DEFAULT_ROLE_NAME
    assert role["businessunitid"] == dataverse.root_bu
    assert role["privileges"] == {
        "prvActOnBehalfOfAnotherUser": "Global",
        "prvReadOpportunity": "Global",
        "prvWriteOpportunity": "Global",
        "prvReadUser": "Global",
    }
    [user] = dataverse.users
    assert user["applicationid"] == APP_ID
    assert user["businessunitid"] == dataverse.root_bu
    # Impersonation needs the privilege *directly* on the user, not through a team.
    assert user["roles"] == [role["roleid"]]
    assert result.user_id == user["systemuserid"] and result.role_id == role["roleid"]
    assert result.created == [
        f"security role {DEFAULT_ROLE_NAME!r}",
        f"application user for {APP_ID}",
        "role assignment",
    ]


def test_running_again_creates_nothing(dataverse_after_setup: FakeDataverse) -> None:
    before = len(dataverse_after_setup.requests)

    result = setup(dataverse_after_setup, org_url=ORG, app_id=APP_ID)

    assert result.created == []
    assert len(dataverse_after_setup.roles) == 1 and len(dataverse_after_setup.users) == 1
    posts = [p for m, p in dataverse_after_setup.requests[before:] if m == "POST"]
    # Only the (idempotent) AddPrivilegesRole is re-sent.
    assert len(posts) == 1 and posts[0].endswith("AddPrivilegesRole")


@pytest.fixture
def dataverse_after_setup() -> FakeDataverse:
    dataverse = FakeDataverse(org_url=ORG)
    setup(dataverse, org_url=ORG, app_id=APP_ID)
    return dataverse


def test_existing_user_created_in_the_admin_center_only_gets_the_role() -> None:
    dataverse = FakeDataverse(org_url=ORG)
    dataverse.users.append(
        {
            "systemuserid": "11111111-1111-4111-8111-111111111111",
            "applicationid": APP_ID,
            "businessunitid": dataverse.root_bu,
            "isdisabled": False,
            "roles": [],
        }
    )

    result = setup(dataverse, org_url=ORG, app_id=APP_ID)

    assert result.user_id == "11111111-1111-4111-8111-111111111111"
    assert len(dataverse.users) == 1
    assert dataverse.users[0]["roles"] == [dataverse.roles[0]["roleid"]]


def test_disabled_application_user_is_reported() -> None:
    dataverse = FakeDataverse(org_url=ORG)
    dataverse.users.append(
        {
            "systemuserid": "22222222-2222-4222-8222-222222222222",
            "applicationid": APP_ID,
            "isdisabled": True,
            "roles": [],
        }
    )

    with pytest.raises(DataverseError, match="disabled"):
        setup(dataverse, org_url=ORG, app_id=APP_ID)


def test_unknown_privilege_is_refused_before_any_change_to_the_role() -> None:
    dataverse = FakeDataverse(org_url=ORG)

    with pytest.raises(DataverseError, match="prvDoesNotExist"):
        setup(
            dataverse,
            org_url=ORG,
            app_id=APP_ID,
            privileges=[*DEFAULT_PRIVILEGES, ("prvDoesNotExist", "Global")],
        )

    assert dataverse.roles[0]["privileges"] == {}
    assert dataverse.users == []


def test_caller_without_admin_rights_gets_dataverse_s_error() -> None:
    dataverse = FakeDataverse(org_url=ORG)
    dataverse.caller_is_admin = False

    with pytest.raises(DataverseError, match="403 0x80040220"):
        setup(dataverse, org_url=ORG, app_id=APP_ID)


def test_role_name_with_a_quote_is_escaped_in_the_filter() -> None:
    dataverse = FakeDataverse(org_url=ORG)

    setup(dataverse, org_url=ORG, app_id=APP_ID, role_name="Cockpit's writer")
    setup(dataverse, org_url=ORG, app_id=APP_ID, role_name="Cockpit's writer")

    assert [r["name"] for r in dataverse.roles] == ["Cockpit's writer"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prvReadAccount", ("prvReadAccount", "Global")),
        ("prvReadAccount:Local", ("prvReadAccount", "Local")),
    ],
)
def test_privilege_option_parsing(text: str, expected: tuple[str, str]) -> None:
    assert parse_privilege(text) == expected


@pytest.mark.parametrize("text", ["readAccount", "prvReadAccount:Everywhere"])
def test_bad_privilege_option_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_privilege(text)


# --- end to end over HTTPS -------------------------------------------------------------------------


@dataclass
class DataverseServer:
    url: str
    ca_file: Path

    def state(self) -> dict[str, Any]:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        with urllib.request.urlopen(f"{self.url}/_state", timeout=5, context=context) as response:
            loaded: dict[str, Any] = json.loads(response.read())
        return loaded


@pytest.fixture(scope="module")
def dataverse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataverseServer]:
    directory = tmp_path_factory.mktemp("dataverse")
    tls = make_tls_files(directory / "tls")
    port = free_port()
    process = ManagedProcess(
        name="fake-dataverse",
        argv=[
            sys.executable, "-m", "tests.infra.fake_dataverse_server",
            "--port", str(port),
            "--cert", str(tls.server_cert),
            "--key", str(tls.server_key),
            "--token", "eyJ0eXAiOiJKV1QifQ.fake-dataverse-token.sig",
        ],
        log_path=directory / "server.log",
        cwd=REPO_ROOT,
        ready_url=f"https://127.0.0.1:{port}/_state",
        ca_file=tls.ca_cert,
    )  # fmt: skip
    process.start(timeout=30)
    try:
        yield DataverseServer(url=f"https://127.0.0.1:{port}", ca_file=tls.ca_cert)
    finally:
        process.stop()


def test_command_line_sets_up_dataverse_over_https_without_showing_the_token(
    fake_cli: FakeCli, dataverse_server: DataverseServer
) -> None:
    token = fake_cli.state()["token"]

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.dataverse_setup",
            "--org-url",
            dataverse_server.url,
            "--app-id",
            APP_ID,
        ],
        cwd=REPO_ROOT,
        # Python's default TLS context honours SSL_CERT_FILE: trust the test CA for this child only.
        env=fake_cli.env(SSL_CERT_FILE=str(dataverse_server.ca_file)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert token not in result.stdout + result.stderr
    state = dataverse_server.state()
    [user] = [u for u in state["users"] if u["applicationid"] == APP_ID]
    [role] = [r for r in state["roles"] if r["name"] == DEFAULT_ROLE_NAME]
    assert user["roles"] == [role["roleid"]]
    assert "prvActOnBehalfOfAnotherUser" in role["privileges"]
    [token_call] = [
        argv for argv in fake_cli.calls() if argv[:2] == ["account", "get-access-token"]
    ]
    assert token_call[token_call.index("--resource") + 1] == dataverse_server.url


def test_command_line_refuses_an_org_url_that_is_not_an_https_origin(fake_cli: FakeCli) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.dataverse_setup",
            "--org-url",
            "http://contoso.crm4.dynamics.com/",
            "--app-id",
            APP_ID,
        ],
        cwd=REPO_ROOT,
        env=fake_cli.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "https origin" in result.stderr
    assert fake_cli.calls() == []


# --- org identity and the Cockpit URL environment variable ------------------------------------

COCKPIT_URL = "https://cockpit.contoso.com"


def test_setup_reads_the_org_unique_name_and_url_name() -> None:
    dataverse = FakeDataverse(org_url=ORG)

    result = setup(dataverse, org_url=ORG, app_id=APP_ID)

    assert result.identity is not None
    assert (result.identity.unique_name, result.identity.url_name) == ("unq5f1e2d3c4b", "contoso")
    assert (
        "GET",
        "/RetrieveCurrentOrganization(AccessType=@p1)?@p1=Microsoft.Dynamics.CRM.EndpointAccessType'Default'",
    ) in dataverse.requests


def test_setup_sets_then_changes_the_cockpit_url_once_the_solution_is_imported() -> None:
    dataverse = FakeDataverse(org_url=ORG)
    definition = dataverse.add_variable_definition("cockpit_CockpitUrl")

    first = setup(dataverse, org_url=ORG, app_id=APP_ID, cockpit_url=COCKPIT_URL)
    again = setup(dataverse, org_url=ORG, app_id=APP_ID, cockpit_url=COCKPIT_URL)
    moved = setup(dataverse, org_url=ORG, app_id=APP_ID, cockpit_url="https://cockpit2.contoso.com")

    assert first.notes == [f"cockpit_CockpitUrl set to {COCKPIT_URL}"]
    assert again.notes == [f"cockpit_CockpitUrl already {COCKPIT_URL}"]
    assert moved.notes == ["cockpit_CockpitUrl changed to https://cockpit2.contoso.com"]
    [value] = dataverse.variable_values
    assert value["environmentvariabledefinitionid"] == definition
    assert value["value"] == "https://cockpit2.contoso.com"
    assert [m for m, p in dataverse.requests if "environmentvariablevalues" in p] == [
        "POST",
        "PATCH",
    ]


def test_before_the_solution_is_imported_the_url_is_left_with_a_note() -> None:
    dataverse = FakeDataverse(org_url=ORG)

    result = setup(dataverse, org_url=ORG, app_id=APP_ID, cockpit_url=COCKPIT_URL)

    assert dataverse.variable_values == []
    assert "import the solution" in result.notes[0]
    assert result.user_id  # the rest of the setup still happened


def test_an_org_answer_without_names_is_a_dataverse_error() -> None:
    dataverse = FakeDataverse(org_url=ORG)
    dataverse.organization = {"OrganizationId": "x"}

    with pytest.raises(DataverseError, match="UniqueName"):
        setup(dataverse, org_url=ORG, app_id=APP_ID)
    assert dataverse.roles == []


def test_command_line_sets_the_cockpit_url_and_records_the_org_names_for_azd(
    fake_cli: FakeCli, dataverse_server: DataverseServer
) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "scripts.dataverse_setup",
            "--org-url", dataverse_server.url, "--app-id", APP_ID,
            "--cockpit-url", COCKPIT_URL + "/",
        ],
        cwd=REPO_ROOT,
        env=fake_cli.env(SSL_CERT_FILE=str(dataverse_server.ca_file), AZURE_ENV_NAME="prod"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert [v["value"] for v in dataverse_server.state()["variable_values"]] == [COCKPIT_URL]
    assert "unique name 'unq5f1e2d3c4b', URL name 'contoso'" in result.stdout
    # No Function App named: the line to add to COCKPIT_CRM_ORGS is printed instead.
    assert '"unique_name": "unq5f1e2d3c4b", "url_name": "contoso"' in result.stdout
    assert fake_cli.state()["azd_env"] == {
        "COCKPIT_CRM_ORG_UNIQUE_NAME": "unq5f1e2d3c4b",
        "COCKPIT_CRM_ORG_URL_NAME": "contoso",
    }


def test_command_line_refuses_a_cockpit_url_that_is_not_https(fake_cli: FakeCli) -> None:
    result = subprocess.run(
        [
            sys.executable, "-m", "scripts.dataverse_setup",
            "--org-url", ORG, "--app-id", APP_ID, "--cockpit-url", "http://cockpit.contoso.com",
        ],
        cwd=REPO_ROOT,
        env=fake_cli.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip

    assert result.returncode == 2
    assert "must be an https URL" in result.stderr
    assert fake_cli.calls() == []
