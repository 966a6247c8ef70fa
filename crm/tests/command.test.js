// The "Open Cockpit" command web resource against the Xrm fake.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { makeWindow, makeXrm, makeFormContext, loadWebResource } = require("./xrm_fake.js");

const COCKPIT = "https://cockpit.contoso.example";
const UPPER_BRACED = "{0AA00000-0000-4000-8000-00000000000A}";
const LOWER = "0aa00000-0000-4000-8000-00000000000a";
const VARIABLE_QUERY =
  "?$select=schemaname,defaultvalue&$filter=schemaname eq 'cockpit_CockpitUrl'" +
  "&$expand=environmentvariabledefinition_environmentvariablevalue($select=value)";

function setup(xrmOptions) {
  const win = makeWindow();
  win.Xrm = makeXrm(xrmOptions);
  const Cockpit = loadWebResource("cockpit_command.js", win);
  return { win, xrm: win.Xrm, Command: Cockpit.Command };
}

test("opens /launch with the URL from the environment variable and the record's parameters", async () => {
  const { xrm, Command } = setup({ uniqueName: "contoso", orgLcid: 1033, userLcid: 1031 });
  const form = makeFormContext({ id: UPPER_BRACED });

  const opened = await Command.openCockpit(form);

  const expected =
    `${COCKPIT}/launch?id=${LOWER}&typename=opportunity&orgname=contoso` +
    "&userlcid=1031&orglcid=1033";
  assert.equal(opened, expected);
  assert.deepEqual(
    xrm.calls.openUrl.map((c) => c.url),
    [expected]
  );
  assert.equal(xrm.calls.alerts.length, 0);
  // Exactly the documented query: the definition and its value record, one request.
  assert.deepEqual(xrm.calls.webApi, [
    { entityLogicalName: "environmentvariabledefinition", query: VARIABLE_QUERY },
  ]);
});

test("the variable is read once per page, however often the command runs", async () => {
  const { xrm, Command } = setup();
  await Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  await Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  assert.equal(xrm.calls.webApi.length, 1);
  assert.equal(xrm.calls.openUrl.length, 2);
});

test("prefetch (the enable rule) answers true and starts the read before any click", async () => {
  const { xrm, Command } = setup();
  assert.equal(Command.prefetch(), true);
  assert.equal(xrm.calls.webApi.length, 1);
  await Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  assert.equal(xrm.calls.webApi.length, 1, "the click reused the prefetched value");
  assert.equal(xrm.calls.openUrl.length, 1);
});

test("a value record wins over the default value; the default is used without one", async () => {
  const both = setup({ variable: { value: "https://new.contoso.example", defaultvalue: COCKPIT } });
  const url = await both.Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  assert.ok(url.startsWith("https://new.contoso.example/launch?"), url);

  const fallback = setup({ variable: { defaultvalue: "https://default.contoso.example/" } });
  const url2 = await fallback.Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  assert.ok(url2.startsWith("https://default.contoso.example/launch?"), url2);

  const blank = setup({ variable: { value: "  ", defaultvalue: COCKPIT } });
  const url3 = await blank.Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  assert.ok(url3.startsWith(`${COCKPIT}/launch?`), "an empty value falls back to the default");
});

test("an unset variable shows an alert naming it, in the user's language, and opens nothing", async () => {
  for (const [variable, userLcid, pattern] of [
    [null, 1033, /environment variable has no value.*cockpit_CockpitUrl/s],
    [{}, 1031, /Umgebungsvariable hat keinen Wert.*cockpit_CockpitUrl/s],
  ]) {
    const { xrm, Command } = setup({ variable, userLcid });
    assert.equal(await Command.openCockpit(makeFormContext({ id: UPPER_BRACED })), null);
    assert.equal(xrm.calls.openUrl.length, 0);
    assert.match(xrm.calls.alerts[0].strings.text, pattern);
  }
});

test("a variable holding an unusable URL is reported with the reason", async () => {
  const { xrm, Command } = setup({ variable: { value: "http://cockpit.contoso.example" } });
  await Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  assert.equal(xrm.calls.openUrl.length, 0);
  assert.match(xrm.calls.alerts[0].strings.text, /must start with https:\/\/.*Cockpit URL/s);
});

test("a failed read is reported and retried on the next click", async () => {
  const { win, xrm, Command } = setup({ webApiError: "Principal user is missing prvReadEnvironmentVariableDefinition privilege" });
  await Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  assert.match(xrm.calls.alerts[0].strings.text, /could not be read \(Principal user is missing prvRead/);
  win.Xrm = makeXrm();
  win.Xrm.calls = xrm.calls;
  const opened = await Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  assert.ok(opened && opened.startsWith(`${COCKPIT}/launch?`));
});

test("the grid command opens the selected record", async () => {
  const { xrm, Command } = setup();
  const opened = await Command.openFromGrid(UPPER_BRACED, "opportunity");
  assert.equal(new URL(opened).searchParams.get("id"), LOWER);
  assert.equal(new URL(opened).searchParams.get("typename"), "opportunity");
  assert.equal(xrm.calls.openUrl.length, 1);
  // Without a selected row there is nothing to open.
  assert.equal(await Command.openFromGrid(undefined, "opportunity"), null);
  assert.match(xrm.calls.alerts[0].strings.text, /Save the opportunity first|not a valid GUID/);
});

test("the query carries exactly the five documented parameters in order", async () => {
  const { xrm, Command } = setup({ uniqueName: "org1a2b", orgLcid: 1031, userLcid: 1033 });
  await Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  const url = new URL(xrm.calls.openUrl[0].url);
  assert.equal(url.origin + url.pathname, `${COCKPIT}/launch`);
  assert.deepEqual(
    [...url.searchParams.entries()],
    [
      ["id", LOWER],
      ["typename", "opportunity"],
      ["orgname", "org1a2b"],
      ["userlcid", "1033"],
      ["orglcid", "1031"],
    ]
  );
});

test("typename comes from getEntityName()", async () => {
  const { xrm, Command } = setup();
  await Command.openCockpit(makeFormContext({ id: UPPER_BRACED, entityName: "lead" }));
  assert.equal(new URL(xrm.calls.openUrl[0].url).searchParams.get("typename"), "lead");
});

test("an id without braces or in lower case is accepted as well", async () => {
  for (const id of [LOWER, LOWER.toUpperCase(), `{${LOWER}}`, ` ${UPPER_BRACED} `]) {
    const { xrm, Command } = setup();
    await Command.openCockpit(makeFormContext({ id }));
    assert.equal(new URL(xrm.calls.openUrl[0].url).searchParams.get("id"), LOWER, id);
  }
});

test("the user lcid falls back to the org lcid when the user setting is missing", async () => {
  const { xrm, Command } = setup({ orgLcid: 1031, userLcid: undefined });
  await Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  const params = new URL(xrm.calls.openUrl[0].url).searchParams;
  assert.equal(params.get("userlcid"), "1031");
  assert.equal(params.get("orglcid"), "1031");
});

test("an unsaved record (empty id) shows a Dynamics alert, opens nothing, reads nothing", async () => {
  for (const id of ["", null, undefined]) {
    const { xrm, Command } = setup();
    const opened = await Command.openCockpit(makeFormContext({ id }));
    assert.equal(opened, null);
    assert.equal(xrm.calls.openUrl.length, 0);
    assert.equal(xrm.calls.webApi.length, 0);
    assert.equal(xrm.calls.alerts.length, 1);
    assert.match(xrm.calls.alerts[0].strings.text, /Save the opportunity first/);
    assert.equal(xrm.calls.alerts[0].strings.title, "Opportunity Cockpit");
  }
});

test("the alert is in German for a German user", async () => {
  const { xrm, Command } = setup({ userLcid: 1031 });
  await Command.openCockpit(makeFormContext({ id: "" }));
  assert.match(xrm.calls.alerts[0].strings.text, /Speichern Sie die Verkaufschance zuerst/);
});

test("an id that is not a GUID is refused with an alert", async () => {
  const { xrm, Command } = setup();
  await Command.openCockpit(makeFormContext({ id: "{not-a-guid}" }));
  assert.equal(xrm.calls.openUrl.length, 0);
  assert.match(xrm.calls.alerts[0].strings.text, /not a valid GUID/);
});

test("without a form context it alerts instead of failing", async () => {
  for (const control of [undefined, null, {}, { data: {} }]) {
    const { xrm, Command } = setup();
    assert.equal(await Command.openCockpit(control), null);
    assert.equal(xrm.calls.openUrl.length, 0);
    assert.match(xrm.calls.alerts[0].strings.text, /Open an opportunity form/);
  }
});

test("an explicit URL parameter wins over the variable (development pages)", async () => {
  const { xrm, Command } = setup();
  await Command.openCockpit(makeFormContext({ id: UPPER_BRACED }), "http://localhost:7071");
  assert.ok(xrm.calls.openUrl[0].url.startsWith("http://localhost:7071/launch?id="));
  assert.equal(xrm.calls.webApi.length, 0);
});

test("base URL: https with a path and trailing slashes is normalised", async () => {
  const { xrm, Command } = setup({ variable: { value: "  https://apps.contoso.example/cockpit//  " } });
  await Command.openCockpit(makeFormContext({ id: UPPER_BRACED }));
  assert.ok(
    xrm.calls.openUrl[0].url.startsWith("https://apps.contoso.example/cockpit/launch?id="),
    xrm.calls.openUrl[0].url
  );
});

test("base URL: anything else is a configuration error shown to the user, nothing opens", async () => {
  const cases = {
    missing: ["", "   "],
    invalid: ["not a url", "cockpit.contoso.example", "/relative/path"],
    insecure: [
      "http://cockpit.contoso.example",
      "http://127.0.0.1:7071",
      "ftp://cockpit.contoso.example",
      "javascript:alert(1)",
      "data:text/html,hi",
    ],
    credentials: ["https://user:secret@cockpit.contoso.example"],
    query: [
      "https://cockpit.contoso.example/?x=1",
      "https://cockpit.contoso.example/#frag",
      "https://cockpit.contoso.example/?",
    ],
  };
  const reasons = {
    missing: /parameter is missing/,
    invalid: /not a valid absolute URL/,
    insecure: /must start with https:\/\//,
    credentials: /user name or password/,
    query: /query \(\?\) or fragment/,
  };
  for (const [reason, values] of Object.entries(cases)) {
    for (const value of values) {
      // As an explicit parameter (the message points at the parameter) ...
      const param = setup();
      assert.equal(await param.Command.openCockpit(makeFormContext({ id: UPPER_BRACED }), value), null);
      assert.equal(param.xrm.calls.openUrl.length, 0, value);
      assert.match(param.xrm.calls.alerts[0].strings.text, /not configured correctly/, value);
      assert.match(param.xrm.calls.alerts[0].strings.text, reasons[reason], value);
      if (reason === "missing") continue; // an empty variable is "unset", tested above
      // ... and as the variable's value (the message points at the variable).
      const variable = setup({ variable: { value } });
      assert.equal(await variable.Command.openCockpit(makeFormContext({ id: UPPER_BRACED })), null);
      assert.equal(variable.xrm.calls.openUrl.length, 0, value);
      assert.match(variable.xrm.calls.alerts[0].strings.text, /cockpit_CockpitUrl/, value);
      assert.match(variable.xrm.calls.alerts[0].strings.text, reasons[reason], value);
    }
  }
});

test("normaliseBaseUrl reports the reason as a key", () => {
  const { Command } = setup();
  // Spread: the objects come from the script's realm, deepEqual compares prototypes.
  assert.deepEqual({ ...Command.normaliseBaseUrl("https://x.example/") }, {
    ok: true,
    url: "https://x.example",
  });
  assert.deepEqual(
    { ...Command.normaliseBaseUrl("http://x.example") },
    { ok: false, reason: "insecure" }
  );
});

test("values are percent-encoded in the query", () => {
  const { Command } = setup();
  const url = Command.buildLaunchUrl("https://c.example", {
    id: LOWER,
    typename: "opportunity",
    orgname: "a&b=c",
    userlcid: 1033,
    orglcid: 1033,
  });
  assert.equal(new URL(url).searchParams.get("orgname"), "a&b=c");
  assert.match(url, /orgname=a%26b%3Dc&/);
});

test("both web resources share one Cockpit namespace without clobbering each other", () => {
  const win = makeWindow();
  win.Xrm = makeXrm();
  loadWebResource("cockpit_form.js", win);
  const Cockpit = loadWebResource("cockpit_command.js", win);
  assert.equal(typeof Cockpit.Form.onLoad, "function");
  assert.equal(typeof Cockpit.Command.openCockpit, "function");
  assert.equal(typeof Cockpit.Command.openFromGrid, "function");
  assert.equal(typeof Cockpit.Command.prefetch, "function");
});
