// A small in-memory fake of the parts of the Dynamics client API the web resources use, plus a
// fake browser window with a virtual clock, so tests count calls instead of waiting for time.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const WEBRESOURCES = path.join(__dirname, "..", "webresources");

/** Timers that run only when the test advances the clock. */
function makeClock() {
  let now = 0;
  let nextId = 1;
  const timers = new Map();
  return {
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: now + (ms || 0), fn });
      return id;
    },
    clearTimeout(id) {
      timers.delete(id);
    },
    /** Advance by `ms`, running due timers in time order. */
    tick(ms) {
      const target = now + ms;
      for (;;) {
        let due = null;
        for (const [id, t] of timers) {
          if (t.at <= target && (due === null || t.at < due[1].at)) {
            due = [id, t];
          }
        }
        if (due === null) {
          break;
        }
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = target;
    },
    pending() {
      return timers.size;
    },
  };
}

/** An event target with the window surface the scripts touch. */
function makeWindow({ href = "https://contoso.crm4.dynamics.com/main.aspx", clock } = {}) {
  const listeners = new Map();
  const warnings = [];
  const win = {
    location: { href },
    console: { warn: (...args) => warnings.push(args.join(" ")) },
    warnings,
    addEventListener(type, fn) {
      if (!listeners.has(type)) listeners.set(type, new Set());
      listeners.get(type).add(fn);
    },
    removeEventListener(type, fn) {
      if (listeners.has(type)) listeners.get(type).delete(fn);
    },
    dispatch(type, event) {
      for (const fn of [...(listeners.get(type) || [])]) fn(event);
    },
    listenerCount(type) {
      return listeners.has(type) ? listeners.get(type).size : 0;
    },
  };
  win.parent = win;
  if (clock) {
    win.setTimeout = clock.setTimeout;
    win.clearTimeout = clock.clearTimeout;
  }
  return win;
}

/** A parent window on another origin: touching its location throws, as browsers do. */
function makeCrossOriginWindow() {
  const win = makeWindow();
  Object.defineProperty(win, "location", {
    get() {
      throw new Error("SecurityError: Blocked a frame from accessing a cross-origin frame.");
    },
  });
  return win;
}

/**
 * What Xrm.WebApi.retrieveMultipleRecords answers for the environment variable query, as the Web
 * API shapes it: the definition with its expanded value records. `variable` is
 * {value, defaultvalue} (either may be missing) or null for "no such definition".
 */
function variableAnswer(variable) {
  if (variable === null) {
    return { entities: [] };
  }
  const values = variable.value === undefined ? [] : [{ value: variable.value }];
  return {
    entities: [
      {
        schemaname: "cockpit_CockpitUrl",
        defaultvalue: variable.defaultvalue === undefined ? null : variable.defaultvalue,
        environmentvariabledefinition_environmentvariablevalue: values,
      },
    ],
  };
}

/** Xrm.Navigation / Xrm.Utility / Xrm.WebApi with recorded calls. */
function makeXrm(options = {}) {
  // `in` rather than defaults, so a test can pass `undefined` to model a missing setting.
  const uniqueName = "uniqueName" in options ? options.uniqueName : "contoso";
  const orgLcid = "orgLcid" in options ? options.orgLcid : 1033;
  const userLcid = "userLcid" in options ? options.userLcid : 1033;
  const variable = "variable" in options ? options.variable : { value: "https://cockpit.contoso.example" };
  const calls = { openUrl: [], alerts: [], webApi: [] };
  return {
    calls,
    // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-webapi/retrievemultiplerecords
    WebApi: {
      retrieveMultipleRecords(entityLogicalName, query) {
        calls.webApi.push({ entityLogicalName, query });
        if (options.webApiError) {
          return Promise.reject(new Error(options.webApiError));
        }
        return Promise.resolve(variableAnswer(variable));
      },
    },
    Navigation: {
      openUrl(url, options) {
        calls.openUrl.push({ url, options });
      },
      openAlertDialog(strings, options) {
        calls.alerts.push({ strings, options });
        return Promise.resolve({});
      },
    },
    Utility: {
      getGlobalContext() {
        return {
          organizationSettings: { uniqueName, languageId: orgLcid },
          userSettings: { languageId: userLcid },
        };
      },
    },
  };
}

/** A form context (what PrimaryControl / getFormContext() return) with recorded calls. */
function makeFormContext(options = {}) {
  let id = "id" in options ? options.id : "{0AA00000-0000-4000-8000-000000000001}";
  let dirty = options.dirty || false;
  const entityName = options.entityName || "opportunity";
  const refresh = options.refresh || (() => Promise.resolve());
  const labels = options.labels || { closeprobability: "Probability" };
  const controls = options.controls || {};
  const tabs = options.tabs || {};
  const calls = { refresh: [], notifications: [], cleared: [] };
  const visible = new Map();
  const form = {
    calls,
    visible,
    setId(value) {
      id = value;
    },
    setDirty(value) {
      dirty = value;
    },
    data: {
      entity: {
        getId: () => id,
        getEntityName: () => entityName,
        getIsDirty: () => dirty,
      },
      refresh(save) {
        calls.refresh.push(save);
        return refresh(save);
      },
    },
    ui: {
      tabs: {
        get: (name) => tabs[name] || null,
      },
      setFormNotification(message, level, uniqueId) {
        calls.notifications.push({ message, level, uniqueId });
        visible.set(uniqueId, { message, level });
        return true;
      },
      clearFormNotification(uniqueId) {
        calls.cleared.push(uniqueId);
        return visible.delete(uniqueId);
      },
    },
    getControl(name) {
      if (name in controls) return controls[name];
      return name in labels ? { getLabel: () => labels[name] } : null;
    },
  };
  return form;
}

/**
 * A MessageChannel whose ports deliver synchronously, so tests see the effect of a post at once.
 * https://developer.mozilla.org/docs/Web/API/MessageChannel
 */
function makeMessageChannelClass() {
  const channels = [];
  class FakePort {
    constructor() {
      this.onmessage = null;
      this.closed = false;
      this.other = null;
    }
    postMessage(data) {
      const target = this.other;
      if (!this.closed && target && !target.closed && typeof target.onmessage === "function") {
        target.onmessage({ data });
      }
    }
    close() {
      this.closed = true;
    }
  }
  class FakeMessageChannel {
    constructor() {
      this.port1 = new FakePort();
      this.port2 = new FakePort();
      this.port1.other = this.port2;
      this.port2.other = this.port1;
      channels.push(this);
    }
  }
  FakeMessageChannel.channels = channels;
  return FakeMessageChannel;
}

/**
 * The IFRAME control (getSrc/setSrc/getContentWindow) and the cockpit document inside it. The
 * frame's content window only receives a postMessage whose targetOrigin is the origin of the URL
 * it currently shows, as browsers do; the cockpit side records what it received.
 */
function makeFrameControl({ initialSrc = "about:blank?id=%7b0AA00000-0000-4000-8000-000000000001%7d&orglcid=1033&orgname=contoso&type=3&typename=opportunity&userlcid=1033", contentWindowError = null } = {}) {
  let src = initialSrc;
  const received = [];
  const calls = { setSrc: [], getContentWindow: 0 };
  const contentWindow = {
    postMessage(message, targetOrigin, transfer) {
      let origin = null;
      try {
        origin = new URL(src).origin;
      } catch (e) {
        origin = null;
      }
      if (targetOrigin === origin) {
        received.push({ message, ports: transfer || [] });
      }
    },
  };
  return {
    calls,
    received,
    getSrc: () => src,
    setSrc(value) {
      calls.setSrc.push(value);
      src = value;
    },
    getContentWindow() {
      calls.getContentWindow += 1;
      return contentWindowError ? Promise.reject(new Error(contentWindowError)) : Promise.resolve(contentWindow);
    },
  };
}

/** A form tab with TabStateChange handlers (formContext.ui.tabs.get(name)). */
function makeTab({ displayState = "collapsed" } = {}) {
  let state = displayState;
  const handlers = new Set();
  return {
    handlers,
    getDisplayState: () => state,
    setDisplayState(value) {
      state = value;
      for (const handler of [...handlers]) handler({ getEventSource: () => this });
    },
    addTabStateChange(handler) {
      handlers.add(handler);
    },
    removeTabStateChange(handler) {
      handlers.delete(handler);
    },
  };
}

function executionContextFor(formContext) {
  return { getFormContext: () => formContext };
}

/**
 * Runs a web resource as a classic script in a fresh realm whose `window` is `win`, as Dynamics
 * loads it, and returns `win.Cockpit`.
 */
function loadWebResource(fileName, win) {
  const code = fs.readFileSync(path.join(WEBRESOURCES, fileName), "utf8");
  const context = vm.createContext({ window: win, URL });
  vm.runInContext(code, context, { filename: fileName });
  return win.Cockpit;
}

/** Lets pending promise callbacks (both realms share the microtask queue) run. */
async function settle() {
  for (let i = 0; i < 5; i += 1) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

module.exports = {
  makeClock,
  makeWindow,
  makeCrossOriginWindow,
  makeXrm,
  makeFormContext,
  makeFrameControl,
  makeTab,
  makeMessageChannelClass,
  variableAnswer,
  executionContextFor,
  loadWebResource,
  settle,
};
