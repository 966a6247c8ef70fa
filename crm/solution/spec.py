"""What the Dynamics 365 solution contains, as data. The XML modules turn this into Microsoft's
formats; nothing here knows XML.

Ids are fixed GUIDs on purpose: Dataverse identifies a component across imports by its id, so an
upgrade must carry the same ids as the version before it
(https://learn.microsoft.com/power-platform/alm/solution-concepts-alm). Never regenerate them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.domain.dynamics_solution import (
    COCKPIT_URL_VARIABLE,
    PUBLISHER_PREFIX,
    SOLUTION_UNIQUE_NAME,
)

ENGLISH = 1033
GERMAN = 1031
LANGUAGES = (ENGLISH, GERMAN)


@dataclass(frozen=True)
class Text:
    """A label in every language the solution ships (English and German)."""

    en: str
    de: str

    def by_language(self) -> tuple[tuple[int, str], ...]:
        return ((ENGLISH, self.en), (GERMAN, self.de))


@dataclass(frozen=True)
class Publisher:
    unique_name: str
    name: Text
    description: Text
    prefix: str
    # Option values of choices we add start at prefix * 10000 (10000-99999, chosen once).
    option_value_prefix: int


@dataclass(frozen=True)
class WebResource:
    id: str
    name: str  # the web resource's unique name in Dataverse (starts with our prefix)
    source: str  # file name in crm/webresources
    display_name: Text
    description: Text
    # 3 = Script (JScript): https://learn.microsoft.com/power-apps/developer/model-driven-apps/web-resources
    type_code: int = 3


@dataclass(frozen=True)
class DecimalColumn:
    schema_name: str
    display_name: Text
    description: Text
    minimum: float
    maximum: float
    precision: int

    @property
    def logical_name(self) -> str:
        return self.schema_name.lower()


@dataclass(frozen=True)
class EnvironmentVariable:
    schema_name: str
    display_name: Text
    description: Text
    # 100000000 = String (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/environmentvariabledefinition#type-choicesoptions)
    type_code: int = 100000000


Depth = Literal["Basic", "Local", "Deep", "Global"]


@dataclass(frozen=True)
class Privilege:
    name: str
    depth: Depth
    why: str  # kept next to the privilege so a reviewer sees the reason for each one


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    privileges: tuple[Privilege, ...]


@dataclass(frozen=True)
class FormTab:
    """The Cockpit tab added to an existing opportunity main form."""

    target_form_id: str
    target_form_name: str
    tab_name: str
    tab_id: str
    section_id: str
    column_cell_id: str
    iframe_cell_id: str
    iframe_control: str
    label: Text
    library_id: str
    handler_id: str
    onload_function: str


@dataclass(frozen=True)
class Command:
    """One ribbon button and what it runs."""

    key: str  # Form or HomepageGrid
    location: str
    function: str
    parameters: tuple[str, ...]  # CrmParameter values, in order
    single_selection: bool


@dataclass(frozen=True)
class SolutionSpec:
    unique_name: str
    name: Text
    description: Text
    publisher: Publisher
    web_resources: tuple[WebResource, ...]
    column: DecimalColumn
    variable: EnvironmentVariable
    role: Role
    form: FormTab
    commands: tuple[Command, ...]
    command_label: Text
    command_tooltip: Text


PUBLISHER = Publisher(
    unique_name="OpportunityCockpit",
    name=Text("Opportunity Cockpit", "Opportunity Cockpit"),
    description=Text(
        "Publisher of the Opportunity Cockpit connector.",
        "Herausgeber des Opportunity-Cockpit-Connectors.",
    ),
    prefix=PUBLISHER_PREFIX,
    option_value_prefix=72913,
)

COMMAND_LIBRARY = f"{PUBLISHER_PREFIX}_command.js"
FORM_LIBRARY = f"{PUBLISHER_PREFIX}_form.js"

WEB_RESOURCES = (
    WebResource(
        id="efe63b67-5bd6-4933-acbe-1ed1e8430bfe",
        name=COMMAND_LIBRARY,
        source="cockpit_command.js",
        display_name=Text("Cockpit command", "Cockpit-Befehl"),
        description=Text(
            "Opens the cockpit for an opportunity (command bar).",
            "Öffnet das Cockpit für eine Verkaufschance (Befehlsleiste).",
        ),
    ),
    WebResource(
        id="7f24e13f-bdfa-4300-9066-82fd47552a72",
        name=FORM_LIBRARY,
        source="cockpit_form.js",
        display_name=Text("Cockpit form script", "Cockpit-Formularskript"),
        description=Text(
            "Loads the cockpit into its tab and refreshes the form after a write-back.",
            "Lädt das Cockpit in seine Registerkarte und aktualisiert das Formular nach dem "
            "Zurückschreiben.",
        ),
    ),
)

WIN_PROBABILITY = DecimalColumn(
    schema_name=f"{PUBLISHER_PREFIX}_WinProbability",
    display_name=Text("Cockpit Win Probability", "Cockpit-Gewinnwahrscheinlichkeit"),
    description=Text(
        "Win probability (0-100) the Opportunity Cockpit computed; optional write-back target.",
        "Vom Opportunity Cockpit berechnete Gewinnwahrscheinlichkeit (0-100); optionales Ziel "
        "des Zurückschreibens.",
    ),
    minimum=0,
    maximum=100,
    precision=1,
)

COCKPIT_URL = EnvironmentVariable(
    schema_name=COCKPIT_URL_VARIABLE,
    display_name=Text("Cockpit URL", "Cockpit-URL"),
    description=Text(
        "Base URL of the cockpit deployment for this environment, e.g. https://cockpit.contoso.com.",
        "Basis-URL der Cockpit-Bereitstellung für diese Umgebung, z. B. "
        "https://cockpit.contoso.com.",
    ),
)

# Least privilege for a rep, added on top of their sales role (roles are additive). Basic (user)
# depth: the rep's own and shared opportunities; the sales role decides any wider visibility, so
# this role never widens what a rep could already see or change.
# Privilege names: https://learn.microsoft.com/power-platform/admin/security-roles-privileges
COCKPIT_USER = Role(
    id="0981e756-9c79-40a1-8b8d-a3f6661f3c79",
    name="Cockpit User",
    privileges=(
        Privilege("prvReadOpportunity", "Basic", "the cockpit reads the opportunity as the rep"),
        Privilege("prvWriteOpportunity", "Basic", "writes the win probability back as the rep"),
        Privilege("prvAppendToOpportunity", "Basic", "a task may be set regarding it"),
        Privilege("prvCreateActivity", "Basic", "create follow-up tasks as the rep"),
        Privilege("prvReadActivity", "Basic", "read the task just created"),
        Privilege("prvAppendActivity", "Basic", "set the task's regarding opportunity"),
        # Organization-owned: Global is the only depth (web resources load the scripts).
        Privilege("prvReadWebResource", "Global", "load the two scripts"),
        # User-owned, but imported by an admin: Global so every rep reads the cockpit URL.
        Privilege(
            "prvReadEnvironmentVariableDefinition", "Global", "read the Cockpit URL variable"
        ),
    ),
)

# The "Opportunity" main form of Dynamics 365 Sales. System forms keep their id in every org; this
# one is the id independent public exports and scripts use for that form (community-sourced, not
# on Learn). Orgs that use another main form build with `make solution OPPORTUNITY_FORM_ID=<id>`.
SALES_OPPORTUNITY_FORM_ID = "a837e4a7-01b8-4f82-a475-be9abd67e667"

COCKPIT_TAB = FormTab(
    target_form_id=SALES_OPPORTUNITY_FORM_ID,
    target_form_name="Opportunity",
    tab_name=f"{PUBLISHER_PREFIX}_tab",
    tab_id="756fccdc-8543-48d5-9bb0-2a68188de91c",
    section_id="e3092d9d-70c9-4b2c-9f2b-66baa7bcb24d",
    column_cell_id="ea881505-a564-4b02-8948-dcebf7069b84",
    iframe_cell_id="1e76c6b0-fa2b-43d9-b6cb-353b457fe0c4",
    # IFRAME control names start with "IFRAME_" (the form editor's convention).
    iframe_control="IFRAME_cockpit",
    label=Text("Cockpit", "Cockpit"),
    library_id="b90035c4-6fff-497e-bcd5-b27bcd2b830f",
    handler_id="a3b55014-9c4a-4adf-94e8-cf1470b055ee",
    onload_function="Cockpit.Form.onLoad",
)

# Ribbon locations: the Save group of the form's main tab and the Management group of the
# opportunity grid (https://learn.microsoft.com/power-apps/developer/model-driven-apps/define-custom-actions-modify-ribbon).
COMMANDS = (
    Command(
        key="Form",
        location="Mscrm.Form.opportunity.MainTab.Save.Controls._children",
        function="Cockpit.Command.openCockpit",
        parameters=("PrimaryControl",),
        single_selection=False,
    ),
    Command(
        key="HomepageGrid",
        location="Mscrm.HomepageGrid.opportunity.MainTab.Management.Controls._children",
        function="Cockpit.Command.openFromGrid",
        parameters=("FirstSelectedItemId", "SelectedEntityTypeName"),
        single_selection=True,
    ),
)

SPEC = SolutionSpec(
    unique_name=SOLUTION_UNIQUE_NAME,
    name=Text("Opportunity Cockpit Connector", "Opportunity-Cockpit-Connector"),
    description=Text(
        "Opens the Opportunity Cockpit from an opportunity: command, form tab, settings.",
        "Öffnet das Opportunity Cockpit aus einer Verkaufschance: Befehl, Registerkarte, "
        "Einstellungen.",
    ),
    publisher=PUBLISHER,
    web_resources=WEB_RESOURCES,
    column=WIN_PROBABILITY,
    variable=COCKPIT_URL,
    role=COCKPIT_USER,
    form=COCKPIT_TAB,
    commands=COMMANDS,
    command_label=Text("Open Cockpit", "Cockpit öffnen"),
    command_tooltip=Text(
        "Open the Opportunity Cockpit for this opportunity in a new tab.",
        "Das Opportunity Cockpit für diese Verkaufschance in einem neuen Tab öffnen.",
    ),
)
