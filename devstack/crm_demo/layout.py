"""What the opportunity form shows around the record: the "Open Cockpit" command, the Cockpit tab
with its IFRAME, the cockpit URL, the form scripts and which custom columns are on the form.

Two sources:
- ``legacy_layout``: the page's built-in copy of the Dynamics-side assets (crm/webresources and
  ``--cockpit-url``), as before a solution existed;
- ``solution_layout`` (``--from-solution``): only what the solutions imported into the Dataverse
  simulator bring — the command from their RibbonDiffXml, the IFRAME tab (names, URL, parameters)
  from their FormXml, the cockpit URL from the environment variable's value (or default), the
  script web resources from ``webresourceset`` and the custom columns they add. Nothing imported,
  nothing shown: exactly what an admin sees before and after importing the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from devstack.crm_demo.dynamics import GERMAN
from devstack.crm_demo.presentation import ui_text
from devstack.crm_demo.simulator import SimulatorClient

LEGACY_SCRIPTS = ("cockpit_command.js", "cockpit_form.js")
# The names crm/solution gives the tab and its IFRAME control (what the form script looks up).
LEGACY_TAB_NAME = "cockpit_tab"
LEGACY_FRAME_CONTROL = "IFRAME_cockpit"


@dataclass(frozen=True)
class FrameControl:
    """The IFRAME control as the form editor configures it (FormXml ``parameters``)."""

    name: str  # the control's id: formContext.getControl(name)
    url: str  # "URL"; the form script may point it elsewhere (setSrc)
    pass_parameters: bool  # "Pass record object-type code and unique identifier as parameters"


@dataclass(frozen=True)
class FormLayout:
    cockpit_url: str | None
    command_label: str | None  # None: no "Open Cockpit" command on the form
    tab_label: str | None  # None: no Cockpit tab
    scripts: tuple[str, ...]
    hidden_columns: frozenset[str]
    tab_name: str = LEGACY_TAB_NAME  # formContext.ui.tabs.get(name)
    frame: FrameControl | None = None


def legacy_layout(cockpit_url: str, lcid: int) -> FormLayout:
    """Before a solution existed an admin typed {cockpit}/embed into the IFRAME control."""
    text = ui_text(lcid)
    frame = FrameControl(LEGACY_FRAME_CONTROL, f"{cockpit_url.rstrip('/')}/embed", True)
    return FormLayout(
        cockpit_url, text["open_cockpit"], text["cockpit"], LEGACY_SCRIPTS, frozenset(), frame=frame
    )


def _label(labels: dict[str, str] | None, lcid: int) -> str | None:
    if not labels:
        return None
    return labels.get("de" if lcid == GERMAN else "en") or labels.get("en")


def _cockpit_url(variables: dict[str, Any]) -> str | None:
    for value in variables.values():
        parts = urlsplit(str(value or ""))
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return None


async def solution_layout(
    simulator: SimulatorClient, lcid: int, numeric_columns: list[dict[str, Any]]
) -> FormLayout:
    ui = await simulator.solution_ui()
    cockpit_url = _cockpit_url(ui.get("environment_variables") or {})
    command = ui.get("command") or {}
    tab = ui.get("tab") or {}
    imported = set(ui.get("columns") or [])
    hidden = frozenset(
        c["LogicalName"]
        for c in numeric_columns
        if c.get("IsCustomAttribute") and c["LogicalName"] not in imported
    )
    return FormLayout(
        cockpit_url=cockpit_url,
        command_label=_label(command.get("labels"), lcid) if cockpit_url else None,
        tab_label=_label(tab.get("labels"), lcid) if cockpit_url else None,
        scripts=tuple(ui.get("scripts") or ()),
        hidden_columns=hidden,
        tab_name=str(tab.get("name") or ""),
        frame=_frame_control(tab),
    )


def _frame_control(tab: dict[str, Any]) -> FrameControl | None:
    """The FormXml's IFRAME as imported: its URL (about:blank in our package, until the form script
    points it at the cockpit) and whether Dynamics appends the record parameters."""
    if not tab.get("control"):
        return None
    return FrameControl(
        str(tab["control"]), str(tab.get("url") or "about:blank"), bool(tab.get("pass_parameters"))
    )
