"""The opportunity main form's "Cockpit" tab, its form library and its OnLoad handler, as a
FormXml *difference* against the existing form.

Why a difference: the form belongs to Dynamics 365 Sales, so a package from another publisher
must carry "diff FormXml", never the full form ("Form ALM recommendations",
https://learn.microsoft.com/power-platform/alm/form-alm-recommendations, and its "Full and
differential form XML"). Elements marked ``solutionaction="Added"`` are merged into the existing
form on import and leave with the solution; Microsoft's own Sales troubleshooting article for
product forms ("Troubleshoot issues with products", Learn) adds a row this way in an unmanaged
solution, so both packages carry the same difference.
Schema: FormXml.xsd ("Form XML schema",
https://learn.microsoft.com/power-apps/developer/model-driven-apps/form-xml-schema).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from crm.solution.spec import FORM_LIBRARY, DecimalColumn, FormTab
from crm.solution.xmlnodes import braced, el, leaf, localized

ADDED = {"solutionaction": "Added"}
# Control class ids of the form editor ("classid" in FormXml): IFRAME and Decimal number.
IFRAME_CLASSID = "{FD2A7985-3187-444E-908D-6624B21F69C0}"
DECIMAL_CLASSID = "{C3EFE0C3-0EC6-42BE-8349-CBD9079DFD8E}"
# The IFRAME shows nothing until the form script points it at the cockpit URL read from the
# environment variable: no URL is typed into the form.
PLACEHOLDER_URL = "about:blank"
IFRAME_ROWS = 20  # the form editor's "number of rows" for a tall IFRAME (rowspan)


def _column_row(tab: FormTab, column: DecimalColumn) -> ET.Element:
    """The written-back value, read-only above the cockpit (the cockpit writes it)."""
    control = el(
        "control",
        {
            "id": column.logical_name,
            "classid": DECIMAL_CLASSID,
            "datafieldname": column.logical_name,
            "disabled": "true",
        },
    )
    cell = el(
        "cell",
        {"id": braced(tab.column_cell_id), "showlabel": "true", "locklevel": "0"},
        localized("labels", "label", column.display_name),
        control,
    )
    return el("row", None, cell)


def _iframe_rows(tab: FormTab) -> list[ET.Element]:
    """The IFRAME with "Pass record object-type code and unique identifier as parameters" on
    (``PassParameters``) and "Restrict cross-frame scripting" off (``Security`` false: no
    ``sandbox``), as https://learn.microsoft.com/power-apps/developer/model-driven-apps/use-iframe-and-web-resource-controls-on-a-form
    describes both options."""
    parameters = el(
        "parameters",
        None,
        leaf("Url", PLACEHOLDER_URL),
        leaf("PassParameters", "true"),
        leaf("Security", "false"),
        leaf("Scrolling", "auto"),
        leaf("Border", "false"),
    )
    control = el("control", {"id": tab.iframe_control, "classid": IFRAME_CLASSID}, parameters)
    cell = el(
        "cell",
        {
            "id": braced(tab.iframe_cell_id),
            "showlabel": "false",
            "rowspan": str(IFRAME_ROWS),
            "colspan": "1",
            "auto": "false",
            "locklevel": "0",
        },
        localized("labels", "label", tab.label),
        control,
    )
    # A cell spanning n rows is followed by n-1 empty rows, as the form editor writes it.
    return [el("row", None, cell), *(el("row") for _ in range(IFRAME_ROWS - 1))]


def _tab(tab: FormTab, column: DecimalColumn) -> ET.Element:
    section = el(
        "section",
        {
            "name": f"{tab.tab_name}_section",
            "id": braced(tab.section_id),
            "showlabel": "false",
            "showbar": "false",
            "IsUserDefined": "0",
            "locklevel": "0",
            "layout": "varwidth",
            "columns": "1",
            "labelwidth": "115",
        },
        localized("labels", "label", tab.label),
        el("rows", None, _column_row(tab, column), *_iframe_rows(tab)),
    )
    column_el = el("column", {"width": "100%"}, el("sections", None, section))
    return el(
        "tab",
        {
            "name": tab.tab_name,
            "id": braced(tab.tab_id),
            "IsUserDefined": "1",
            "locklevel": "0",
            "showlabel": "true",
            "expanded": "true",
            "verticallayout": "true",
            **ADDED,
        },
        localized("labels", "label", tab.label),
        el("columns", None, column_el),
    )


def _onload(tab: FormTab) -> ET.Element:
    """OnLoad handler with "Pass execution context as first parameter" and no parameters: the
    script reads the cockpit URL itself (https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/clientapi-execution-context)."""
    handler = el(
        "Handler",
        {
            "functionName": tab.onload_function,
            "libraryName": FORM_LIBRARY,
            "handlerUniqueId": braced(tab.handler_id),
            "enabled": "true",
            "parameters": "",
            "passExecutionContext": "true",
            **ADDED,
        },
    )
    event = el(
        "event",
        {"name": "onload", "application": "false", "active": "false"},
        el("Handlers", None, handler),
    )
    return el("events", None, event)


def form_patch(tab: FormTab, column: DecimalColumn) -> ET.Element:
    """``<form>`` holding only what we add to the target form."""
    library = el(
        "Library", {"name": FORM_LIBRARY, "libraryUniqueId": braced(tab.library_id), **ADDED}
    )
    return el(
        "form",
        None,
        el("tabs", None, _tab(tab, column)),
        _onload(tab),
        el("formLibraries", None, library),
    )


def systemforms(tab: FormTab, column: DecimalColumn, *, version: str) -> ET.Element:
    """``<forms type="main">`` with the one patched system form, for the entity's ``FormXml``."""
    systemform = el(
        "systemform",
        None,
        leaf("formid", braced(tab.target_form_id)),
        leaf("IntroducedVersion", version),
        leaf("FormPresentation", 1),
        leaf("FormActivationState", 1),
        form_patch(tab, column),
        el(
            "LocalizedNames",
            None,
            el("LocalizedName", {"description": tab.target_form_name, "languagecode": "1033"}),
        ),
    )
    return el("forms", {"type": "main"}, systemform)
