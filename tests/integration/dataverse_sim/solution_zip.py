"""A small, valid solution package built in the test: the cockpit's command, form tab with an
IFRAME, a web resource, an environment variable for the cockpit URL and a decimal column."""

from __future__ import annotations

import io
import json
import zipfile

COMMAND_JS = b"function openCockpit(primaryControl) { return 'opened'; }\n"
COCKPIT_URL = "http://localhost:7071"
COLUMN = "cockpit_importedscore"

CONTENT_TYPES = """<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="xml" ContentType="application/octet-stream" />
  <Default Extension="js" ContentType="application/octet-stream" />
  <Default Extension="json" ContentType="application/octet-stream" />
</Types>"""

SOLUTION = """<?xml version="1.0" encoding="utf-8"?>
<ImportExportXml version="9.2.0.0" SolutionPackageVersion="9.2" languagecode="1033"
    generatedBy="CrmLive" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <SolutionManifest>
    <UniqueName>OpportunityCockpit</UniqueName>
    <LocalizedNames><LocalizedName description="Opportunity Cockpit" languagecode="1033" /></LocalizedNames>
    <Version>{version}</Version>
    <Managed>1</Managed>
    <Publisher>
      <UniqueName>cockpitvendor</UniqueName>
      <LocalizedNames><LocalizedName description="Cockpit Vendor" languagecode="1033" /></LocalizedNames>
      <CustomizationPrefix>cockpit</CustomizationPrefix>
      <CustomizationOptionValuePrefix>41000</CustomizationOptionValuePrefix>
    </Publisher>
    <RootComponents><RootComponent type="61" schemaName="cockpit_command.js" behavior="0" /></RootComponents>
  </SolutionManifest>
</ImportExportXml>"""

CUSTOMIZATIONS = f"""<?xml version="1.0" encoding="utf-8"?>
<ImportExportXml xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Entities>
    <Entity>
      <Name LocalizedName="Opportunity" OriginalName="Opportunity">Opportunity</Name>
      <EntityInfo>
        <entity Name="Opportunity">
          <attributes>
            <attribute PhysicalName="cockpit_ImportedScore">
              <Type>decimal</Type>
              <Name>{COLUMN}</Name>
              <LogicalName>{COLUMN}</LogicalName>
              <ValidForUpdateApi>1</ValidForUpdateApi>
              <MinValue>0</MinValue>
              <MaxValue>100</MaxValue>
              <Accuracy>1</Accuracy>
              <displaynames>
                <displayname description="Cockpit Win Probability" languagecode="1033" />
                <displayname description="Cockpit-Gewinnwahrscheinlichkeit" languagecode="1031" />
              </displaynames>
            </attribute>
          </attributes>
        </entity>
      </EntityInfo>
      <FormXml>
        <forms type="main">
          <systemform>
            <form>
              <tabs>
                <tab name="tab_cockpit">
                  <labels>
                    <label description="Cockpit" languagecode="1033" />
                    <label description="Cockpit (DE)" languagecode="1031" />
                  </labels>
                  <columns><column width="100%"><sections><section name="s"><rows><row><cell>
                    <control id="IFRAME_cockpit" classid="{{FD2A7985-3187-444e-908D-6624B21F69C0}}">
                      <parameters><Url>about:blank</Url><PassParameters>true</PassParameters></parameters>
                    </control>
                  </cell></row></rows></section></sections></column></columns>
                </tab>
              </tabs>
            </form>
          </systemform>
        </forms>
      </FormXml>
      <RibbonDiffXml>
        <CustomActions>
          <CustomAction Id="cockpit.open.action" Location="Mscrm.Form.opportunity.MainTab.Save.Controls._children">
            <CommandUIDefinition>
              <Button Id="cockpit.open.button" Command="cockpit.open.command" LabelText="$LocLabels:cockpit.open.label" />
            </CommandUIDefinition>
          </CustomAction>
        </CustomActions>
        <CommandDefinitions>
          <CommandDefinition Id="cockpit.open.command">
            <Actions>
              <JavaScriptFunction Library="$webresource:cockpit_command.js" FunctionName="openCockpit" />
            </Actions>
          </CommandDefinition>
        </CommandDefinitions>
        <LocLabels>
          <LocLabel Id="cockpit.open.label">
            <Titles>
              <Title description="Open Cockpit" languagecode="1033" />
              <Title description="Cockpit öffnen" languagecode="1031" />
            </Titles>
          </LocLabel>
        </LocLabels>
      </RibbonDiffXml>
    </Entity>
  </Entities>
  <WebResources>
    <WebResource>
      <WebResourceId>{{5e1b0000-0000-4000-8000-000000000001}}</WebResourceId>
      <Name>cockpit_command.js</Name>
      <DisplayName>Cockpit command</DisplayName>
      <WebResourceType>3</WebResourceType>
      <FileName>/WebResources/cockpit_command.js</FileName>
    </WebResource>
  </WebResources>
</ImportExportXml>"""

VARIABLE = """<environmentvariabledefinition schemaname="cockpit_CockpitUrl">
  <defaultvalue>https://cockpit.example</defaultvalue>
  <displayname default="Cockpit URL"><label description="Cockpit URL" languagecode="1033" /></displayname>
  <type>100000000</type>
</environmentvariabledefinition>"""


def solution_zip(
    *,
    version: str = "1.0.0.0",
    leave_out: str | None = None,
    overrides: dict[str, str] | None = None,
) -> bytes:
    files: dict[str, str | bytes] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "solution.xml": SOLUTION.format(version=version),
        "customizations.xml": CUSTOMIZATIONS,
        "WebResources/cockpit_command.js": COMMAND_JS,
        "environmentvariabledefinitions/cockpit_CockpitUrl/environmentvariabledefinition.xml": VARIABLE,
        "environmentvariablevalues.json": json.dumps(
            {
                "environmentvariablevalues": {
                    "environmentvariablevalue": [
                        {"schemaname": "cockpit_CockpitUrl", "value": COCKPIT_URL}
                    ]
                }
            }
        ),
    }
    files.update(overrides or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            if name != leave_out:
                archive.writestr(name, content)
    return buffer.getvalue()
