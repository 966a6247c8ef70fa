"""The demo CRM page against the real Dataverse (and Entra ID) simulator processes."""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import msal
import pytest
import requests

from devstack.process import free_port
from tests.integration.crm_demo.conftest import CrmWorld
from tests.integration.crm_demo.helpers import REPO_ROOT, Element, demo_process, parse

RECORD = "0aa00000-0000-4000-8000-000000000001"
WEBRESOURCES = REPO_ROOT / "crm" / "webresources"


def form_url(world: CrmWorld, record_id: str | None = RECORD) -> str:
    query = "etn=opportunity&pagetype=entityrecord" + (f"&id={record_id}" if record_id else "")
    return f"{world.crm_url}/main.aspx?{query}"


@pytest.fixture
def client(crm_world: CrmWorld) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=crm_world.crm_url, timeout=10, trust_env=False) as c:
        yield c


def seeded_opportunities(world: CrmWorld) -> list[dict[str, object]]:
    records = world.seed["dataverse"]["opportunities"]
    assert isinstance(records, list)
    return records


# --- health and list --------------------------------------------------------------------------------
def test_healthz_answers_200(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200


def test_list_shows_every_seeded_opportunity(crm_world: CrmWorld, client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = parse(response.text)
    rows = [e for e in page.all("tr") if "data-id" in e.attrs]
    seeded = seeded_opportunities(crm_world)
    assert sorted(r.attrs["data-id"] for r in rows) == sorted(
        str(o["opportunityid"]) for o in seeded
    )
    links = {e.text.strip(): e.attrs["href"] for e in page.all("a", **{"class": "record-link"})}
    for opportunity in seeded:
        assert links[str(opportunity["name"])] == (
            f"/main.aspx?etn=opportunity&id={opportunity['opportunityid']}&pagetype=entityrecord"
        )
    assert page.by_id("record-count").text.startswith(f"{len(seeded)} ")


# --- the form and its Cockpit tab -------------------------------------------------------------------
def cockpit_frame(html: str) -> Element:
    return parse(html).by_id("cockpit-frame")


def test_form_iframe_carries_exactly_the_dynamics_parameters(
    crm_world: CrmWorld, client: httpx.Client
) -> None:
    response = client.get(form_url(crm_world))
    assert response.status_code == 200
    frame = cockpit_frame(response.text)
    assert frame.tag == "iframe"
    src = frame.attrs["src"]
    parts = urlsplit(src)
    assert f"{parts.scheme}://{parts.netloc}" == crm_world.cockpit_url
    assert parts.path == "/embed"
    # Byte for byte what the IFRAME control sends: braces encoded, GUID upper-case, Microsoft's
    # parameter order (use-iframe-and-web-resource-controls-on-a-form).
    assert parts.query == (
        f"id=%7B{RECORD.upper()}%7D&orglcid=1033&orgname=contoso&type=3"
        "&typename=opportunity&userlcid=1033"
    )
    assert dict(parse_qsl(parts.query)) == {
        "id": "{" + RECORD.upper() + "}",
        "orglcid": "1033",
        "orgname": "contoso",
        "type": "3",
        "typename": "opportunity",
        "userlcid": "1033",
    }
    # "Restrict cross-frame scripting" off: no sandbox attribute at all.
    assert "sandbox" not in frame.attrs
    assert frame.attrs["name"] == "IFRAME_cockpit"
    page = parse(response.text)
    assert page.by_id("panel-cockpit").attrs["data-frame-src"] == src
    assert page.by_id("tab-cockpit").attrs["role"] == "tab"
    # The names the form script looks up (formContext.ui.tabs.get, getControl).
    assert page.by_id("tab-cockpit").attrs["data-tab-name"] == "cockpit_tab"
    assert page.by_id("panel-cockpit").attrs["data-frame-control"] == "IFRAME_cockpit"


def test_record_id_in_the_url_may_be_braced_and_upper_case(
    crm_world: CrmWorld, client: httpx.Client
) -> None:
    response = client.get(form_url(crm_world, "{" + RECORD.upper() + "}"))
    assert response.status_code == 200
    assert f"id=%7B{RECORD.upper()}%7D&" in cockpit_frame(response.text).attrs["src"]


def test_user_language_sets_userlcid_and_the_labels(
    crm_world: CrmWorld, client: httpx.Client
) -> None:
    chosen = client.post(
        "/settings/language",
        data={"lcid": "1031", "next": f"/main.aspx?etn=opportunity&id={RECORD}"},
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == f"/main.aspx?etn=opportunity&id={RECORD}"
    response = client.get(form_url(crm_world))  # the client keeps the language cookie
    src = cockpit_frame(response.text).attrs["src"]
    assert dict(parse_qsl(urlsplit(src).query))["userlcid"] == "1031"
    assert dict(parse_qsl(urlsplit(src).query))["orglcid"] == "1033"
    page = parse(response.text)
    assert page.by_id("label-closeprobability").text == "Wahrscheinlichkeit"
    assert page.by_id("field-estimatedvalue").text == "120.000,00 €"
    assert page.by_id("field-estimatedclosedate").text == "31.03.2027"


def test_summary_shows_the_record_from_the_simulator(
    crm_world: CrmWorld, client: httpx.Client
) -> None:
    page = parse(client.get(form_url(crm_world)).text)
    assert page.by_id("record-title").text == "CRM rollout 2027"
    assert page.by_id("field-account_name").text == "Contoso Pharmaceuticals"
    assert page.by_id("field-owner_name").text == "Anna Adams"
    assert page.by_id("field-estimatedvalue").text == "€120,000.00"
    assert page.by_id("field-estimatedclosedate").text == "3/31/2027"
    assert page.by_id("field-statecode").text == "Open"
    assert page.by_id("field-statuscode").text == "In Progress"
    assert page.by_id("field-closeprobability").attrs["data-value"] != ""


def test_unsaved_record_form_passes_an_empty_id_like_dynamics(
    crm_world: CrmWorld, client: httpx.Client
) -> None:
    response = client.get(form_url(crm_world, None))
    assert response.status_code == 200
    src = cockpit_frame(response.text).attrs["src"]
    assert urlsplit(src).query.startswith("id=&orglcid=1033&orgname=contoso&type=3")
    assert parse(response.text).by_id("cockpit-unsaved")


# --- the real web resources -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["cockpit_command.js", "cockpit_form.js"])
def test_web_resources_are_served_unchanged_and_loaded_by_the_form(
    crm_world: CrmWorld, client: httpx.Client, name: str
) -> None:
    response = client.get(f"/webresources/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.content == (WEBRESOURCES / name).read_bytes()
    scripts = [
        e.attrs.get("src") for e in parse(client.get(form_url(crm_world)).text).all("script")
    ]
    assert f"/webresources/{name}" in scripts
    # The shim comes first (Xrm), the page wiring last (it calls the web resources).
    assert scripts.index("/static/xrm-shim.js") < scripts.index(f"/webresources/{name}")
    assert scripts.index(f"/webresources/{name}") < scripts.index("/static/form-page.js")


@pytest.mark.parametrize(
    "path", ["/webresources/nope.js", "/webresources/..%2Fapp.py", "/webresources/.hidden.js"]
)
def test_unknown_web_resources_are_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


# --- the record JSON the form's refresh reads -------------------------------------------------------
def app_token(world: CrmWorld) -> str:
    """A real app-only token from the Entra simulator through MSAL (client credentials)."""
    app = next(a for a in world.seed["apps"] if a["display_name"] == "Opportunity Cockpit")
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify (psf/requests#3829)
    session.verify = str(world.tls.ca_cert)
    client = msal.ConfidentialClientApplication(
        app["client_id"],
        client_credential=app["secret"],
        authority=f"{world.entra_url}/{app['tenant']}",
        instance_discovery=False,
        http_client=session,
    )
    result = client.acquire_token_for_client(scopes=[f"{world.org_url}/.default"])
    assert "access_token" in result, result.get("error_description")
    return str(result["access_token"])


def test_record_json_reflects_a_value_patched_in_the_simulator(
    crm_world: CrmWorld, client: httpx.Client
) -> None:
    record = "0aa00000-0000-4000-8000-000000000008"
    before = client.get(f"/api/records/opportunities/{record}")
    assert before.status_code == 200
    old = before.json()["values"]["closeprobability"]
    new = 61 if old != 61 else 62

    with httpx.Client(
        verify=ssl.create_default_context(cafile=str(crm_world.tls.ca_cert)), trust_env=False
    ) as dv:
        patched = dv.patch(
            f"{crm_world.org_url}/api/data/v9.2/opportunities({record})",
            json={"closeprobability": new},
            headers={
                "Authorization": f"Bearer {app_token(crm_world)}",
                "If-Match": "*",
                "OData-MaxVersion": "4.0",
                "OData-Version": "4.0",
                "Accept": "application/json",
            },
        )
    assert patched.status_code == 204, patched.text

    after = client.get(f"/api/records/opportunities/{record.upper()}")
    assert after.status_code == 200
    body = after.json()
    assert body["id"] == record
    assert body["values"]["closeprobability"] == new
    assert body["formatted"]["closeprobability"] == str(new)
    assert after.headers["cache-control"] == "no-store"
    # And the form page shows it too.
    page = parse(client.get(form_url(crm_world, record)).text)
    assert page.by_id("field-closeprobability").text == str(new)


# --- bad input: clear 4xx, never a 500 --------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/main.aspx?etn=opportunity&id=not-a-guid", 400, "is not a record id"),
        ("/main.aspx?etn=account&id=" + RECORD, 404, "opportunity forms only"),
        ("/main.aspx?id=" + RECORD, 404, "opportunity forms only"),
        ("/main.aspx?etn=opportunity&pagetype=dashboard", 400, "entityrecord"),
        (
            "/main.aspx?etn=opportunity&id=0aa00000-0000-4000-8000-0000000000ff",
            404,
            "No opportunity with id",
        ),
        ("/no/such/page", 404, "There is no page"),
    ],
)
def test_bad_page_requests_get_a_readable_4xx(
    client: httpx.Client, path: str, status: int, message: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert message in parse(response.text).by_id("error-detail").text


@pytest.mark.parametrize(
    ("record", "status"), [("zzz", 400), ("0aa00000-0000-4000-8000-0000000000ff", 404)]
)
def test_bad_record_json_requests_get_problem_json(
    client: httpx.Client, record: str, status: int
) -> None:
    response = client.get(f"/api/records/opportunities/{record}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status
    assert response.json()["detail"]


@pytest.mark.parametrize("lcid", ["", "9", "1036", "abc"])
def test_unknown_language_is_400(client: httpx.Client, lcid: str) -> None:
    response = client.post("/settings/language", data={"lcid": lcid})
    assert response.status_code == 400
    assert "choose one of 1033 (English), 1031 (Deutsch)" in response.text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "\\\\evil"])
def test_language_redirect_stays_on_the_site(client: httpx.Client, target: str) -> None:
    response = client.post("/settings/language", data={"lcid": "1033", "next": target})
    assert response.status_code == 303
    assert response.headers["location"] == "/"


# --- failure of the simulator and of the configuration ----------------------------------------------
def test_unreachable_simulator_gives_502_with_a_message(
    crm_world: CrmWorld, tmp_path: Path
) -> None:
    port = free_port()
    dead = f"https://localhost:{free_port()}"  # nothing listens there
    process = demo_process(
        port=port,
        dataverse_url=dead,
        ca_file=crm_world.tls.ca_cert,
        cockpit_url=crm_world.cockpit_url,
        log_path=tmp_path / "crm_demo_dead.log",
    )
    process.start(timeout=60)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as c:
            page = c.get("/")
            assert page.status_code == 502
            assert dead in parse(page.text).by_id("error-detail").text
            api = c.get(f"/api/records/opportunities/{RECORD}")
            assert api.status_code == 502
            assert api.json()["title"] == "Dataverse is not reachable"
    finally:
        process.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cockpit-url", "http://cockpit.example"], "must be https://"),
        (["--cockpit-url", "https://cockpit.example/?a=1"], "must not carry"),
        (
            ["--cockpit-url", "https://c.example", "--dataverse-url", "ftp://x"],
            "not an http(s) URL",
        ),
        (["--cockpit-url", "https://c.example", "--org", "bad org"], "not an org unique name"),
    ],
)
def test_cli_refuses_bad_configuration(args: list[str], message: str) -> None:
    argv = [sys.executable, "-m", "devstack.crm_demo", "--dataverse-url", "https://localhost:1"]
    result = subprocess.run(
        [*argv, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert message in result.stderr
