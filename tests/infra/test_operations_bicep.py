"""Offline checks of what keeps the deployment healthy on day one: Flex concurrency and the pools
that follow it, always-ready and memory, telemetry wiring, the alerts and the availability test,
the Key Vault audit log, no prompt on a first `azd up`, the cloud's authority host.

``test_each_check_catches_its_setting_removed`` applies one mutation at a time to a copy of infra/
and shows the matching check failing: a check that passes whatever the Bicep says proves nothing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.settings import Settings
from shared.telemetry import (
    METRIC_OUTBOX_OLDEST_AGE,
    METRIC_TOKEN_REQUESTS,
    METRIC_WRITEBACK_OUTCOMES,
)
from tests.infra import bicep_model as bm
from tests.infra.bicep_model import accessor_path, body, strings

DOCS = bm.REPO_ROOT / "docs"


def _joined(value: object) -> str:
    return " ".join(strings(value))


def _site() -> tuple[bm.BicepFile, dict[str, Any]]:
    function = bm.load_rel("app/function.bicep")
    _, site = function.one("Microsoft.Web/sites")
    return function, dict(body(site))


def _app_settings() -> dict[str, Any]:
    function = bm.load_rel("app/function.bicep")
    _, settings = function.one("Microsoft.Web/sites/config")
    return dict(body(settings)["properties"])


def check_http_concurrency_is_the_measured_figure() -> None:
    function, site = _site()
    http = site["properties"]["functionAppConfig"]["scaleAndConcurrency"]["triggers"]["http"]
    name = http["perInstanceConcurrency"]
    figure = function.param_default(name)
    assert figure == 16, "the figure measured by `make bench` (docs/deploy.md, Concurrency)"
    assert "perInstanceConcurrency" not in body(bm.load_rel("main.bicep").modules["api"])["params"]
    deploy = (DOCS / "deploy.md").read_text()
    assert "perInstanceConcurrency" in deploy and f"| {figure} |" in deploy


def check_pools_follow_the_concurrency() -> None:
    function, site = _site()
    http = site["properties"]["functionAppConfig"]["scaleAndConcurrency"]["triggers"]["http"]
    pool = _app_settings()["COCKPIT_HTTP_POOL_SIZE"]
    assert pool["function"]["type"] == "string"
    assert pool["function"]["parameters"]["value_to_convert"] == http["perInstanceConcurrency"]
    # Outside Azure the app's default is the same figure.
    assert Settings.model_fields["http_pool_size"].default == function.param_default(
        http["perInstanceConcurrency"]
    )


def check_one_warm_instance_and_2048_mb() -> None:
    function, site = _site()
    scale = site["properties"]["functionAppConfig"]["scaleAndConcurrency"]
    [group] = scale["alwaysReady"]
    assert group["name"] == "http"
    assert function.param_default(group["instanceCount"]) == 1
    assert function.param_default(scale["instanceMemoryMB"]) == 2048


def check_worker_hands_telemetry_to_the_app() -> None:
    settings = _app_settings()
    assert settings["PYTHON_ENABLE_OPENTELEMETRY"] == "true"
    assert "APPLICATIONINSIGHTS_CONNECTION_STRING" in settings


def _rules() -> dict[str, dict[str, Any]]:
    alerts = bm.load_rel("app/alerts.bicep")
    return {
        name: dict(body(resource))
        for name, resource in alerts.resources_of_type(
            "Microsoft.Insights/scheduledQueryRules"
        ).items()
    }


def _query(rule: dict[str, Any]) -> str:
    [criterion] = rule["properties"]["criteria"]["allOf"]
    return str(criterion["query"])


def check_alerts_read_what_the_app_emits() -> None:
    queries = [_query(rule) for rule in _rules().values()]
    expected = {
        "5xx rate": lambda q: "AppRequests" in q and "ResultCode) >= 500" in q,
        "failed write-backs": lambda q: f'"{METRIC_WRITEBACK_OUTCOMES}"' in q and '"failed"' in q,
        "aged write-backs": lambda q: f'"{METRIC_OUTBOX_OLDEST_AGE}"' in q,
        "token failures": lambda q: f'"{METRIC_TOKEN_REQUESTS}"' in q and '"failed"' in q,
        "Key Vault references": lambda q: '"SecretGet"' in q and "unresolved Key Vault" in q,
    }
    for what, matches in expected.items():
        assert any(matches(q) for q in queries), f"no alert for {what}"
    for name, rule in _rules().items():
        assert rule["properties"]["enabled"] is True, name
        [scope] = rule["properties"]["scopes"]
        assert accessor_path(scope) == ["workspace", "id"], name


def check_alerts_notify_the_action_group_parameter() -> None:
    alerts = bm.load_rel("app/alerts.bicep")
    for name, rule in _rules().items():
        assert rule["properties"]["actions"] == "actions", f"{name} does not notify"
    condition = alerts.variables["actions"]["value"]["actionGroups"]["operator"]["operands"]
    assert condition["false_value"] == ["actionGroupId"]
    main = bm.load_rel("main.bicep")
    assert body(main.modules["alerts"])["params"]["actionGroupId"] == "alertActionGroupId"
    mapped = json.loads((bm.INFRA / "main.parameters.json").read_text())["parameters"]
    assert mapped["alertActionGroupId"]["value"] == "${COCKPIT_ALERT_ACTION_GROUP_ID}"


def check_availability_test_calls_healthz() -> None:
    alerts = bm.load_rel("app/alerts.bicep")
    test_name, test = alerts.one("Microsoft.Insights/webtests")
    props = dict(body(test))["properties"]
    assert body(test)["kind"] == "standard"
    assert props["Request"]["RequestUrl"] == "https://${appHostName}/healthz"
    assert props["Enabled"] is True and props["ValidationRules"]["ExpectedHttpStatusCode"] == 200
    _, alert = alerts.one("Microsoft.Insights/metricAlerts")
    criteria = dict(body(alert))["properties"]["criteria"]
    assert accessor_path(criteria["webTestId"]) == [test_name, "id"]
    assert criteria["failedLocationCount"] >= 2


def check_key_vault_audit_log_reaches_the_workspace() -> None:
    keyvault = bm.load_rel("app/keyvault.bicep")
    vault_name, _ = keyvault.one("Microsoft.KeyVault/vaults")
    _, diagnostics = keyvault.one("Microsoft.Insights/diagnosticSettings")
    spec = dict(body(diagnostics))
    assert spec["scope"] == vault_name
    assert {"categoryGroup": "audit", "enabled": True} in spec["properties"]["logs"]
    assert accessor_path(spec["properties"]["workspaceId"]) == ["workspace", "id"]


def check_first_azd_up_has_nothing_to_prompt_before_the_hooks() -> None:
    main = bm.load_rel("main.bicep")
    assert main.param_default("cockpitClientId") == ""
    assert main.outputs["COCKPIT_DEPLOYED_CLIENT_ID"]["value"] == "cockpitClientId"


def check_authority_host_is_the_clouds() -> None:
    main = bm.load_rel("main.bicep")
    default = main.param_default("entraAuthorityHost")
    words = [w for w in strings(default) if w != "property_accessor"]
    assert words == ["environment", "environment", "authentication", "loginEndpoint"]
    assert main.outputs["COCKPIT_ENTRA_AUTHORITY_HOST"]["value"] == "effectiveAuthorityHost"


CHECKS: list[Callable[[], None]] = [
    check_http_concurrency_is_the_measured_figure,
    check_pools_follow_the_concurrency,
    check_one_warm_instance_and_2048_mb,
    check_worker_hands_telemetry_to_the_app,
    check_alerts_read_what_the_app_emits,
    check_alerts_notify_the_action_group_parameter,
    check_availability_test_calls_healthz,
    check_key_vault_audit_log_reaches_the_workspace,
    check_first_azd_up_has_nothing_to_prompt_before_the_hooks,
    check_authority_host_is_the_clouds,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_deployment_setting(check: Callable[[], None]) -> None:
    check()


# (file under infra/, text to find, replacement, the check that must then fail)
MUTATIONS: list[tuple[str, str, str, Callable[[], None]]] = [
    ("app/function.bicep", "param perInstanceConcurrency int = 16", "param perInstanceConcurrency int = 1", check_http_concurrency_is_the_measured_figure),
    ("app/function.bicep", "            perInstanceConcurrency: perInstanceConcurrency\n", "", check_http_concurrency_is_the_measured_figure),
    ("app/function.bicep", "    COCKPIT_HTTP_POOL_SIZE: string(perInstanceConcurrency)\n", "", check_pools_follow_the_concurrency),
    ("app/function.bicep", "param alwaysReadyInstances int = 1", "param alwaysReadyInstances int = 0", check_one_warm_instance_and_2048_mb),
    ("app/function.bicep", "param instanceMemoryMB int = 2048", "param instanceMemoryMB int = 4096", check_one_warm_instance_and_2048_mb),
    ("app/function.bicep", "    PYTHON_ENABLE_OPENTELEMETRY: 'true'\n", "", check_worker_hands_telemetry_to_the_app),
    ("app/alerts.bicep", "countif(toint(ResultCode) >= 500)", "countif(toint(ResultCode) >= 400)", check_alerts_read_what_the_app_emits),
    ("app/alerts.bicep", 'Name == "cockpit.writeback.outcomes"', 'Name == "writebacks"', check_alerts_read_what_the_app_emits),
    ("app/alerts.bicep", 'Name == "cockpit.outbox.oldest_age"', 'Name == "outbox"', check_alerts_read_what_the_app_emits),
    ("app/alerts.bicep", 'Name == "cockpit.token.requests"', 'Name == "tokens"', check_alerts_read_what_the_app_emits),
    ("app/alerts.bicep", 'OperationName == "SecretGet"', 'OperationName == "SecretList"', check_alerts_read_what_the_app_emits),
    ("app/alerts.bicep", "    actions: actions\n  }\n}\n\n// Background", "    actions: {}\n  }\n}\n\n// Background", check_alerts_notify_the_action_group_parameter),
    ("main.bicep", "    actionGroupId: alertActionGroupId\n", "", check_alerts_notify_the_action_group_parameter),
    ("app/alerts.bicep", "RequestUrl: 'https://${appHostName}/healthz'", "RequestUrl: 'https://${appHostName}/'", check_availability_test_calls_healthz),
    ("app/keyvault.bicep", "        categoryGroup: 'audit'", "        categoryGroup: 'allLogs'", check_key_vault_audit_log_reaches_the_workspace),
    ("main.bicep", "param cockpitClientId string = ''", "param cockpitClientId string", check_first_azd_up_has_nothing_to_prompt_before_the_hooks),
    ("main.bicep", "param entraAuthorityHost string = environment().authentication.loginEndpoint", "param entraAuthorityHost string = 'https://login.microsoftonline.com/'", check_authority_host_is_the_clouds),
]  # fmt: skip


@pytest.mark.parametrize(
    ("relative", "find", "replace", "check"),
    MUTATIONS,
    ids=[f"{m[3].__name__.removeprefix('check_')}-{i}" for i, m in enumerate(MUTATIONS)],
)
def test_each_check_catches_its_setting_removed(
    relative: str,
    find: str,
    replace: str,
    check: Callable[[], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = tmp_path / "infra"
    shutil.copytree(bm.INFRA, copy)
    target = copy / relative
    text = target.read_text()
    assert text.count(find) == 1, f"mutation anchor not found once in {relative}: {find!r}"
    target.write_text(text.replace(find, replace))
    monkeypatch.setattr(bm, "INFRA", copy)

    with pytest.raises((AssertionError, KeyError, TypeError)):
        check()
