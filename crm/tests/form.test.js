// The opportunity form script (write-back refresh) against the Xrm fake and a virtual clock.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const {
  makeClock,
  makeWindow,
  makeCrossOriginWindow,
  makeXrm,
  makeFormContext,
  executionContextFor,
  loadWebResource,
  settle,
} = require("./xrm_fake.js");

const COCKPIT_ORIGIN = "https://cockpit.contoso.example";
const RECORD = "{0AA00000-0000-4000-8000-000000000001}";
const RECORD_LOWER = "0aa00000-0000-4000-8000-000000000001";
const DEBOUNCE_MS = 400;

function message(overrides = {}) {
  return {
    type: "cockpit.writeback",
    version: 1,
    opportunityId: RECORD_LOWER,
    field: "closeprobability",
    value: 55,
    ...overrides,
  };
}

function setup(options = {}) {
  const { formOptions = {}, xrmOptions = {}, parent } = options;
  const cockpitUrl = "cockpitUrl" in options ? options.cockpitUrl : COCKPIT_ORIGIN;
  const clock = makeClock();
  const win = makeWindow({ clock });
  if (parent) win.parent = parent;
  win.Xrm = makeXrm(xrmOptions);
  const Cockpit = loadWebResource("cockpit_form.js", win);
  const form = makeFormContext({ id: RECORD, ...formOptions });
  const listening = Cockpit.Form.onLoad(executionContextFor(form), cockpitUrl);
  const post = (data, origin = COCKPIT_ORIGIN, target = win) =>
    target.dispatch("message", { data, origin, source: {} });
  // Events built by hand, e.g. without an origin at all.
  const dispatch = (event) => win.dispatch("message", event);
  return { clock, win, form, Form: Cockpit.Form, listening, post, dispatch };
}

test("a write-back from the cockpit refreshes the form once with save=false and notifies", async () => {
  const { clock, form, Form, listening, post } = setup();
  assert.equal(listening, true);

  post(message());
  assert.equal(form.calls.refresh.length, 0, "debounced: nothing before the quiet period ends");
  clock.tick(DEBOUNCE_MS);
  await settle();

  assert.deepEqual(form.calls.refresh, [false]);
  assert.equal(Form.status().refreshes, 1);
  assert.equal(form.calls.notifications.length, 1);
  const note = form.calls.notifications[0];
  assert.equal(note.level, "INFO");
  assert.equal(note.uniqueId, "cockpit-writeback");
  assert.match(note.message, /The cockpit updated Probability \(55\)/);
});

test("the notification is in German for a German user and is cleared after a while", async () => {
  const { clock, form, post } = setup({ xrmOptions: { userLcid: 1031 } });
  post(message());
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.match(form.calls.notifications[0].message, /Das Cockpit hat Probability \(55\) aktualisiert/);
  assert.equal(form.visible.has("cockpit-writeback"), true);
  clock.tick(10000);
  assert.equal(form.visible.has("cockpit-writeback"), false);
});

test("several messages in a burst cause exactly one refresh; a later burst another", async () => {
  const { clock, form, post } = setup();
  for (let i = 0; i < 5; i += 1) {
    post(message({ value: 50 + i }));
    clock.tick(DEBOUNCE_MS - 1);
  }
  post(message({ field: "cockpit_winprobability", value: 61 }));
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 1);
  // One notification listing each field once, with its latest value.
  assert.match(form.calls.notifications[0].message, /Probability \(54\), cockpit_winprobability \(61\)/);

  post(message({ value: 70 }));
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 2);
});

test("messages from any other origin are ignored", async () => {
  const { clock, form, post, dispatch } = setup();
  for (const origin of [
    "https://evil.example",
    "http://cockpit.contoso.example",
    "https://cockpit.contoso.example:444",
    "https://sub.cockpit.contoso.example",
    "null",
    "",
  ]) {
    post(message(), origin);
  }
  dispatch({ data: message() });
  dispatch(undefined);
  clock.tick(DEBOUNCE_MS * 2);
  await settle();
  assert.equal(form.calls.refresh.length, 0);
  assert.equal(form.calls.notifications.length, 0);
});

test("messages with the wrong type, version or shape are ignored", async () => {
  const { clock, form, post } = setup();
  const bad = [
    message({ type: "cockpit.writeBack" }),
    message({ type: "cockpit.other" }),
    message({ version: 2 }),
    message({ version: "1" }),
    message({ version: undefined }),
    message({ value: "55" }),
    message({ value: NaN }),
    message({ value: Infinity }),
    message({ value: null }),
    message({ field: "" }),
    message({ field: "Close Probability" }),
    message({ field: "x".repeat(200) }),
    message({ field: 7 }),
    message({ opportunityId: undefined }),
    message({ opportunityId: 42 }),
    JSON.stringify(message()),
    null,
    [message()],
    42,
  ];
  for (const data of bad) post(data);
  clock.tick(DEBOUNCE_MS * 2);
  await settle();
  assert.equal(form.calls.refresh.length, 0);
});

test("a message for another record is ignored; braces and case of the id do not matter", async () => {
  const { clock, form, post } = setup();
  post(message({ opportunityId: "0aa00000-0000-4000-8000-000000000002" }));
  post(message({ opportunityId: "not-a-guid" }));
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 0);

  post(message({ opportunityId: RECORD })); // upper case in braces
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 1);
});

test("an unsaved form (empty id) ignores every message", async () => {
  const { clock, form, post } = setup({ formOptions: { id: "" } });
  post(message());
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 0);
});

test("with unsaved user edits it does not refresh but tells the user", async () => {
  const { clock, form, post } = setup({ formOptions: { dirty: true } });
  post(message());
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 0);
  assert.equal(form.calls.notifications[0].level, "WARNING");
  assert.match(form.calls.notifications[0].message, /Save your changes/);
});

test("a failed refresh shows a warning instead of an info", async () => {
  const { clock, form, post } = setup({
    formOptions: { refresh: () => Promise.reject(new Error("offline")) },
  });
  post(message());
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 1);
  assert.equal(form.calls.notifications[0].level, "WARNING");
  assert.match(form.calls.notifications[0].message, /could not refresh/);
});

test("http://localhost is accepted for development and compared by exact origin", async () => {
  const { clock, form, post, Form } = setup({ cockpitUrl: "http://localhost:7071/embed?x=1" });
  assert.equal(Form.status().origin, "http://localhost:7071");
  post(message(), "http://localhost:7072");
  post(message(), "http://localhost:7071");
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 1);
});

test("an unusable explicit cockpit URL means no listener and a console warning", () => {
  for (const url of ["", "http://cockpit.contoso.example", "nonsense", "https://u:p@x.example"]) {
    const { win, listening, Form } = setup({ cockpitUrl: url });
    assert.equal(listening, false, String(url));
    assert.equal(win.listenerCount("message"), 0);
    assert.equal(Form.status().listening, false);
    assert.match(win.warnings[0], /refresh is off/);
  }
});

test("without an execution context it does not listen", () => {
  const win = makeWindow({ clock: makeClock() });
  win.Xrm = makeXrm();
  const Cockpit = loadWebResource("cockpit_form.js", win);
  assert.equal(Cockpit.Form.onLoad(undefined, COCKPIT_ORIGIN), false);
  assert.equal(win.listenerCount("message"), 0);
});

test("the listener is removed on dispose and on page hide", () => {
  const first = setup();
  assert.equal(first.win.listenerCount("message"), 1);
  assert.equal(first.win.listenerCount("pagehide"), 1);
  first.Form.dispose();
  assert.equal(first.win.listenerCount("message"), 0);
  assert.equal(first.win.listenerCount("pagehide"), 0);
  first.Form.dispose(); // twice is harmless

  const second = setup();
  second.win.dispatch("pagehide", {});
  assert.equal(second.win.listenerCount("message"), 0);
  assert.equal(second.Form.status().listening, false);
});

test("a pending refresh is cancelled when the form goes away", async () => {
  const { clock, form, post, Form } = setup();
  post(message());
  Form.dispose();
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 0);
  assert.equal(clock.pending(), 0);
});

test("a second OnLoad (next record) replaces the listener instead of adding one", async () => {
  const { clock, win, Form, post } = setup();
  const next = makeFormContext({ id: "{0AA00000-0000-4000-8000-000000000002}" });
  Form.onLoad(executionContextFor(next), COCKPIT_ORIGIN);
  assert.equal(win.listenerCount("message"), 1);
  assert.equal(win.listenerCount("pagehide"), 1);

  post(message()); // for the previous record: ignored now
  post(message({ opportunityId: "0aa00000-0000-4000-8000-000000000002" }));
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(next.calls.refresh.length, 1);
});

test("a same-origin parent (Unified Interface script frame) is listened on as well", async () => {
  const parent = makeWindow();
  const { clock, win, form, post, Form } = setup({ parent });
  assert.equal(win.listenerCount("message"), 1);
  assert.equal(parent.listenerCount("message"), 1);
  post(message(), COCKPIT_ORIGIN, parent);
  clock.tick(DEBOUNCE_MS);
  await settle();
  assert.equal(form.calls.refresh.length, 1);
  Form.dispose();
  assert.equal(parent.listenerCount("message"), 0);
});

test("a cross-origin parent is left alone", () => {
  const parent = makeCrossOriginWindow();
  const { win } = setup({ parent });
  assert.equal(win.listenerCount("message"), 1);
  assert.equal(parent.listenerCount("message"), 0);
});

test("parseMessage returns the normalised message", () => {
  const { Form } = setup();
  // Spread: the object comes from the script's realm, deepEqual compares prototypes.
  assert.deepEqual({ ...Form.parseMessage(message({ opportunityId: RECORD, value: 12.5 })) }, {
    opportunityId: RECORD_LOWER,
    field: "closeprobability",
    value: 12.5,
  });
});
