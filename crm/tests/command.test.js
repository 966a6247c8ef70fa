// The "Open Cockpit" command web resource against the Xrm fake.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { makeWindow, makeXrm, makeFormContext, loadWebResource } = require("./xrm_fake.js");

const COCKPIT = "https://cockpit.contoso.example";
const UPPER_BRACED = "{0AA00000-0000-4000-8000-00000000000A}";
const LOWER = "0aa00000-0000-4000-8000-00000000000a";

function setup(xrmOptions) {
  const win = makeWindow();
  win.Xrm = makeXrm(xrmOptions);
  const Cockpit = loadWebResource("cockpit_command.js", win);
  return { win, xrm: win.Xrm, Command: Cockpit.Command };
}

test("opens /launch with the id lower-case without braces, typename, orgname and both lcids", () => {
  const { xrm, Command } = setup({ uniqueName: "contoso", orgLcid: 1033, userLcid: 1031 });
  const form = makeFormContext({ id: UPPER_BRACED });

  const opened = Command.openCockpit(form, COCKPIT);

  const expected =
    `${COCKPIT}/launch?id=${LOWER}&typename=opportunity&orgname=contoso` +
    "&userlcid=1031&orglcid=1033";
  assert.equal(opened, expected);
  assert.deepEqual(
    xrm.calls.openUrl.map((c) => c.url),
    [expected]
  );
  assert.equal(xrm.calls.alerts.length, 0);
});

test("the query carries exactly the five documented parameters in order", () => {
  const { xrm, Command } = setup({ uniqueName: "org1a2b", orgLcid: 1031, userLcid: 1033 });
  Command.openCockpit(makeFormContext({ id: UPPER_BRACED }), COCKPIT);
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

test("typename comes from getEntityName()", () => {
  const { xrm, Command } = setup();
  Command.openCockpit(makeFormContext({ id: UPPER_BRACED, entityName: "lead" }), COCKPIT);
  assert.equal(new URL(xrm.calls.openUrl[0].url).searchParams.get("typename"), "lead");
});

test("an id without braces or in lower case is accepted as well", () => {
  for (const id of [LOWER, LOWER.toUpperCase(), `{${LOWER}}`, ` ${UPPER_BRACED} `]) {
    const { xrm, Command } = setup();
    Command.openCockpit(makeFormContext({ id }), COCKPIT);
    assert.equal(new URL(xrm.calls.openUrl[0].url).searchParams.get("id"), LOWER, id);
  }
});

test("the user lcid falls back to the org lcid when the user setting is missing", () => {
  const { xrm, Command } = setup({ orgLcid: 1031, userLcid: undefined });
  Command.openCockpit(makeFormContext({ id: UPPER_BRACED }), COCKPIT);
  const params = new URL(xrm.calls.openUrl[0].url).searchParams;
  assert.equal(params.get("userlcid"), "1031");
  assert.equal(params.get("orglcid"), "1031");
});

test("an unsaved record (empty id) shows a Dynamics alert and opens nothing", () => {
  for (const id of ["", null, undefined]) {
    const { xrm, Command } = setup();
    const opened = Command.openCockpit(makeFormContext({ id }), COCKPIT);
    assert.equal(opened, null);
    assert.equal(xrm.calls.openUrl.length, 0);
    assert.equal(xrm.calls.alerts.length, 1);
    assert.match(xrm.calls.alerts[0].strings.text, /Save the opportunity first/);
    assert.equal(xrm.calls.alerts[0].strings.title, "Opportunity Cockpit");
  }
});

test("the alert is in German for a German user", () => {
  const { xrm, Command } = setup({ userLcid: 1031 });
  Command.openCockpit(makeFormContext({ id: "" }), COCKPIT);
  assert.match(xrm.calls.alerts[0].strings.text, /Speichern Sie die Verkaufschance zuerst/);
});

test("an id that is not a GUID is refused with an alert", () => {
  const { xrm, Command } = setup();
  Command.openCockpit(makeFormContext({ id: "{not-a-guid}" }), COCKPIT);
  assert.equal(xrm.calls.openUrl.length, 0);
  assert.match(xrm.calls.alerts[0].strings.text, /not a valid GUID/);
});

test("without a form context (e.g. called from a grid) it alerts instead of failing", () => {
  for (const control of [undefined, null, {}, { data: {} }]) {
    const { xrm, Command } = setup();
    assert.equal(Command.openCockpit(control, COCKPIT), null);
    assert.equal(xrm.calls.openUrl.length, 0);
    assert.match(xrm.calls.alerts[0].strings.text, /Open an opportunity form/);
  }
});

test("base URL: https with a path and trailing slashes is normalised", () => {
  const { xrm, Command } = setup();
  Command.openCockpit(makeFormContext({ id: UPPER_BRACED }), "  https://apps.contoso.example/cockpit//  ");
  assert.ok(
    xrm.calls.openUrl[0].url.startsWith("https://apps.contoso.example/cockpit/launch?id="),
    xrm.calls.openUrl[0].url
  );
});

test("base URL: http is allowed for localhost only (development)", () => {
  const { xrm, Command } = setup();
  Command.openCockpit(makeFormContext({ id: UPPER_BRACED }), "http://localhost:7071");
  assert.ok(xrm.calls.openUrl[0].url.startsWith("http://localhost:7071/launch?id="));
});

test("base URL: anything else is a configuration error shown to the user, nothing opens", () => {
  const cases = {
    missing: [undefined, null, "", "   "],
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
      const { xrm, Command } = setup();
      assert.equal(Command.openCockpit(makeFormContext({ id: UPPER_BRACED }), value), null, value);
      assert.equal(xrm.calls.openUrl.length, 0, String(value));
      assert.equal(xrm.calls.alerts.length, 1, String(value));
      const text = xrm.calls.alerts[0].strings.text;
      assert.match(text, /not configured correctly/, String(value));
      assert.match(text, reasons[reason], String(value));
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
});
