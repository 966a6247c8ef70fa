"""The "Open Cockpit" command on the opportunity form and grid, as the entity's RibbonDiffXml.

Classic ribbon XML rather than the modern command designer's format: RibbonDiffXml has a public
schema (RibbonCore.xsd, RibbonTypes.xsd, RibbonWSS.xsd) the package is checked against here, and
Unified Interface shows these commands in every app that includes the table, while a modern
command belongs to the one app it was made in
(https://learn.microsoft.com/power-apps/maker/model-driven-apps/use-command-designer).

Elements: https://learn.microsoft.com/power-apps/developer/model-driven-apps/customize-commands-ribbon,
https://learn.microsoft.com/power-apps/developer/model-driven-apps/define-ribbon-actions
(``JavaScriptFunction`` with ``Library="$webresource:<name>"``),
https://learn.microsoft.com/power-apps/developer/model-driven-apps/pass-data-page-parameter-ribbon-actions
(``CrmParameter`` values ``PrimaryControl``, ``FirstSelectedItemId``, ``SelectedEntityTypeName``),
https://learn.microsoft.com/power-apps/developer/model-driven-apps/define-ribbon-enable-rules
(``SelectionCountRule``, ``CustomRule``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from crm.solution.spec import COMMAND_LIBRARY, Command, SolutionSpec
from crm.solution.xmlnodes import el
from shared.domain.dynamics_solution import PUBLISHER_PREFIX

# Ids are namespaced by our prefix so they never collide with Microsoft's (Mscrm.*) or another
# publisher's commands.
BASE_ID = f"{PUBLISHER_PREFIX}.opportunity.OpenCockpit"
LABEL_ID = f"{BASE_ID}.LabelText"
TOOLTIP_ID = f"{BASE_ID}.ToolTipDescription"
SINGLE_SELECTION_RULE = f"{BASE_ID}.SingleSelection.EnableRule"
PREFETCH_RULE = f"{BASE_ID}.Prefetch.EnableRule"
# A custom enable rule that always answers true and starts reading the cockpit URL while the
# command bar renders, so the click itself opens the tab without waiting for the Web API.
PREFETCH_FUNCTION = "Cockpit.Command.prefetch"
# After the Save group's own buttons, before the overflow.
SEQUENCE = "950"


def command_id(command: Command) -> str:
    return f"{BASE_ID}.{command.key}.Command"


def button_id(command: Command) -> str:
    return f"{BASE_ID}.{command.key}.Button"


def _custom_action(command: Command) -> ET.Element:
    button = el(
        "Button",
        {
            "Id": button_id(command),
            "Command": command_id(command),
            "Sequence": SEQUENCE,
            "LabelText": f"$LocLabels:{LABEL_ID}",
            "Alt": f"$LocLabels:{LABEL_ID}",
            "ToolTipTitle": f"$LocLabels:{LABEL_ID}",
            "ToolTipDescription": f"$LocLabels:{TOOLTIP_ID}",
            "TemplateAlias": "o1",
        },
    )
    return el(
        "CustomAction",
        {
            "Id": f"{BASE_ID}.{command.key}.CustomAction",
            "Location": command.location,
            "Sequence": SEQUENCE,
        },
        el("CommandUIDefinition", None, button),
    )


def _command_definition(command: Command) -> ET.Element:
    function = el(
        "JavaScriptFunction",
        {"FunctionName": command.function, "Library": f"$webresource:{COMMAND_LIBRARY}"},
        *(el("CrmParameter", {"Value": value}) for value in command.parameters),
    )
    enable_rules = el("EnableRules", None, el("EnableRule", {"Id": PREFETCH_RULE}))
    if command.single_selection:
        enable_rules.append(el("EnableRule", {"Id": SINGLE_SELECTION_RULE}))
    return el(
        "CommandDefinition",
        {"Id": command_id(command)},
        enable_rules,
        el("DisplayRules"),
        el("Actions", None, function),
    )


def _rule_definitions() -> ET.Element:
    # The grid command opens one record: enabled for exactly one selected row.
    selection = el(
        "EnableRule",
        {"Id": SINGLE_SELECTION_RULE},
        el("SelectionCountRule", {"AppliesTo": "SelectedEntity", "Minimum": "1", "Maximum": "1"}),
    )
    prefetch = el(
        "EnableRule",
        {"Id": PREFETCH_RULE},
        el(
            "CustomRule",
            {
                "FunctionName": PREFETCH_FUNCTION,
                "Library": f"$webresource:{COMMAND_LIBRARY}",
                "Default": "true",
            },
        ),
    )
    return el(
        "RuleDefinitions",
        None,
        el("TabDisplayRules"),
        el("DisplayRules"),
        el("EnableRules", None, prefetch, selection),
    )


def _loc_labels(spec: SolutionSpec) -> ET.Element:
    def loc_label(label_id: str, pairs: tuple[tuple[int, str], ...]) -> ET.Element:
        titles = el(
            "Titles",
            None,
            *(
                el("Title", {"description": text, "languagecode": str(lcid)})
                for lcid, text in pairs
            ),
        )
        return el("LocLabel", {"Id": label_id}, titles)

    return el(
        "LocLabels",
        None,
        loc_label(LABEL_ID, spec.command_label.by_language()),
        loc_label(TOOLTIP_ID, spec.command_tooltip.by_language()),
    )


def ribbon_diff(spec: SolutionSpec) -> ET.Element:
    """``<RibbonDiffXml>`` for the opportunity entity (RibbonEntityDiffXmlType)."""
    return el(
        "RibbonDiffXml",
        None,
        el("CustomActions", None, *(_custom_action(c) for c in spec.commands)),
        el("Templates", None, el("RibbonTemplates", {"Id": "Mscrm.Templates"})),
        el("CommandDefinitions", None, *(_command_definition(c) for c in spec.commands)),
        _rule_definitions(),
        _loc_labels(spec),
    )
