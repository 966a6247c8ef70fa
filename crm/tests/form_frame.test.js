// The form script's Cockpit tab: URL from the environment variable, the IFRAME pointed at
// /embed with Dynamics' parameters, and the MessageChannel through getContentWindow().
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const {
  makeClock,
  makeWindow,
  makeXrm,
  makeFormContext,
  makeFrameControl,
  makeTab,
  makeMessageChannelClass,
  executionContextFor,
  loadWebResource,
  settle,
} = require("./xrm_fake.js");

const COCKPIT = "https://cockpit.contoso.example";
const RECORD = "{0AA00000-0000-4000-8000-000000000001}";
const RECORD_LOWER = "0aa00000-0000-4000-8000-000000000001";
const DYNAMICS_PARAMS =
  "?id=%7b0AA00000-0000-4000-8000-000000000001%7d&orglcid=1033&orgname=contoso&type=3&typename=opportunity&userlcid=1033";
const DEBOUNCE_MS = 400;

function writeback(overrides = {}) {
  return {
    type: "cockpit.writeback",
    version: 1,
    opportunityId: RECORD_LOWER,
    field: "closeprobability",
    value: 55,
    ...overrides,
  };
}

async function setup(options = {}) {
  const clock = makeClock();
  const win = makeWindow({ clock });
  win.Xrm = makeXrm(options.xrm || {});
  win.MessageChannel = makeMessageChannelClass();
  const frame = options.frame === null ? null : makeFrameControl(options.frame || {});
  const tab = makeTab({ displayState: options.tabState || "expanded" });
  const form = makeFormContext({
    id: RECORD,
    controls: frame ? { IFRAME_cockpit: frame } : {},
    tabs: options.noTab ? {} : { cockpit_tab: tab },
  });
  const Cockpit = loadWebResource("cockpit_form.js", win);
  const result = Cockpit.Form.onLoad(executionContextFor(form), options.cockpitUrl);
  const listening = await result;
  await settle();
  const lastPort = () => {
    const delivered = frame.received[frame.received.length - 1];
    return delivered && delivered.ports[0];
  };
  return { clock, win, form, frame, tab, Form: Cockpit.Form, listening, result, lastPort };
}

test("without a URL parameter the cockpit URL comes from the environment variable", async () => {
  const { win, Form, listening, result } = await setup();
  assert.equal(typeof result.then, "function", "returns a Promise");
  assert.equal(listening, true);
  assert.equal(Form.status().origin, COCKPIT);
  assert.equal(win.Xrm.calls.webApi.length, 1);
  assert.equal(win.Xrm.calls.webApi[0].entityLogicalName, "environmentvariabledefinition");
  assert.match(win.Xrm.calls.webApi[0].query, /schemaname eq 'cockpit_CockpitUrl'/);
});

test("an unset variable shows a form notification and nothing listens", async () => {
  const { win, form, Form, listening, frame } = await setup({ xrm: { variable: null, userLcid: 1031 } });
  assert.equal(listening, false);
  assert.equal(Form.status().listening, false);
  assert.equal(win.listenerCount("message"), 0);
  assert.equal(frame.calls.setSrc.length, 0);
  assert.equal(form.calls.notifications[0].level, "WARNING");
  assert.match(form.calls.notifications[0].message, /Umgebungsvariable „Cockpit-URL“ \(cockpit_CockpitUrl\)/);
});

test("a failed read leaves the form working and says why in the console", async () => {
  const { win, listening } = await setup({ xrm: { webApiError: "offline" } });
  assert.equal(listening, false);
  assert.match(win.warnings[0], /could not be read: offline/);
});

test("the shown tab points the IFRAME at /embed with the parameters Dynamics passed", async () => {
  const { frame, Form } = await setup();
  assert.deepEqual(frame.calls.setSrc, [`${COCKPIT}/embed${DYNAMICS_PARAMS}`]);
  assert.equal(Form.status().sources, 1);
});

test("the IFRAME keeps exactly the query string Dynamics passed, and none when it passed none", async () => {
  const { frame } = await setup({ frame: { initialSrc: "about:blank" } });
  assert.deepEqual(frame.calls.setSrc, [`${COCKPIT}/embed`]);
});

test("the cockpit gets a MessageChannel port through getContentWindow, for its origin only", async () => {
  const { frame, Form } = await setup();
  assert.equal(frame.calls.getContentWindow, 1);
  assert.equal(frame.received.length, 1);
  const [{ message, ports }] = frame.received;
  assert.deepEqual({ ...message }, { type: "cockpit.connect", version: 1, opportunityId: RECORD_LOWER });
  assert.equal(ports.length, 1);
  assert.equal(Form.status().channel, true);
});

test("a write-back on the port refreshes the form once", async () => {
  const { clock, form, lastPort } = await setup();
  lastPort().postMessage(writeback());
  lastPort().postMessage(writeback({ value: 60 }));
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.deepEqual(form.calls.refresh, [false]);
  assert.match(form.calls.notifications[0].message, /Probability \(60\)/);
});

test("port messages for another record or of the wrong shape are ignored", async () => {
  const { clock, form, lastPort } = await setup();
  lastPort().postMessage(writeback({ opportunityId: "0aa00000-0000-4000-8000-000000000002" }));
  lastPort().postMessage(writeback({ version: 2 }));
  lastPort().postMessage("cockpit.writeback");
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 0);
});

test("a collapsed tab waits; showing it loads the cockpit once and reconnects each time", async () => {
  const { frame, tab, Form } = await setup({ tabState: "collapsed" });
  assert.equal(frame.calls.setSrc.length, 0);
  assert.equal(frame.calls.getContentWindow, 0);

  tab.setDisplayState("expanded");
  await settle();
  assert.equal(frame.calls.setSrc.length, 1);
  assert.equal(Form.status().connects, 1);

  tab.setDisplayState("collapsed");
  tab.setDisplayState("expanded");
  await settle();
  assert.equal(frame.calls.setSrc.length, 1, "already showing the cockpit: no reload");
  assert.equal(Form.status().connects, 2, "the form may have re-created the control: new port");
});

test("a reconnect closes the previous port", async () => {
  const { frame, tab } = await setup();
  const first = frame.received[0].ports[0];
  tab.setDisplayState("expanded");
  await settle();
  assert.equal(frame.received.length, 2);
  // The form's end of the first channel is closed, so the old port reaches nothing.
  assert.equal(first.other.closed, true);
});

test("cockpit.ready from the cockpit origin reconnects; from any other origin it is ignored", async () => {
  const { win, Form } = await setup();
  assert.equal(Form.status().connects, 1);
  win.dispatch("message", { origin: "https://evil.example", data: { type: "cockpit.ready", version: 1 } });
  await settle();
  assert.equal(Form.status().connects, 1);
  win.dispatch("message", { origin: COCKPIT, data: { type: "cockpit.ready", version: 1 } });
  await settle();
  assert.equal(Form.status().connects, 2);
});

test("the window path still works for a cockpit that posts to its parent", async () => {
  const { win, clock, form } = await setup();
  win.dispatch("message", { origin: COCKPIT, data: writeback() });
  win.dispatch("message", { origin: "https://evil.example", data: writeback({ value: 1 }) });
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 1);
  assert.match(form.calls.notifications[0].message, /Probability \(55\)/);
});

test("a frame that is not rendered (getContentWindow fails) leaves no channel and no error", async () => {
  const { Form } = await setup({ frame: { contentWindowError: "control not rendered" } });
  assert.equal(Form.status().listening, true);
  assert.equal(Form.status().channel, false);
});

test("forms without the Cockpit tab or IFRAME only listen", async () => {
  const { Form } = await setup({ frame: null, noTab: true });
  assert.equal(Form.status().listening, true);
  assert.equal(Form.status().sources, 0);
  assert.equal(Form.status().connects, 0);
});

test("dispose removes the tab handler and closes the port", async () => {
  const { tab, frame, Form } = await setup();
  assert.equal(tab.handlers.size, 1);
  Form.dispose();
  assert.equal(tab.handlers.size, 0);
  assert.equal(frame.received[0].ports[0].other.closed, true);
  assert.equal(Form.status().channel, false);
});

test("the names match what the solution package creates", () => {
  const win = makeWindow();
  const { Form } = loadWebResource("cockpit_form.js", win);
  assert.equal(Form.TAB_NAME, "cockpit_tab");
  assert.equal(Form.IFRAME_CONTROL, "IFRAME_cockpit");
  assert.equal(Form.VARIABLE, "cockpit_CockpitUrl");
});
