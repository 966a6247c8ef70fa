/*
 * Opportunity Cockpit: opportunity form script (On Load → Cockpit.Form.onLoad with the execution
 * context; registered by the solution package, crm/solution). Plain ES2017, no dependencies.
 * 1. Cockpit URL: the environment variable cockpit_CockpitUrl through the Web API (explicit URL as
 *    2nd parameter wins): https://learn.microsoft.com/power-apps/maker/data-platform/environmentvariables
 * 2. On TabStateChange (not OnLoad, which can race the frame's own load) IFRAME_cockpit is pointed at
 *    {cockpit}/embed with the query string Dynamics passed, as Learn's "Change the URL" does:
 *    https://learn.microsoft.com/power-apps/developer/model-driven-apps/use-iframe-and-web-resource-controls-on-a-form
 * 3. getControl("IFRAME_cockpit").getContentWindow() hands the cockpit a MessageChannel port, posted
 *    to its origin only: form → cockpit {type: "cockpit.connect", version: 1, opportunityId} + port;
 *    cockpit → form {type: "cockpit.ready", version: 1} (connect again) and {type:
 *    "cockpit.writeback", version: 1, opportunityId, field, value} on the port or, as before, on
 *    window.parent from the cockpit origin only.
 * 4. A burst of write-backs refreshes the form once (data.refresh(false): no save, no reload).
 */
(function (root) {
  "use strict";

  var Cockpit = (root.Cockpit = root.Cockpit || {});

  var VERSION = 1;
  // Names the solution package gives the tab, the IFRAME control and the environment variable.
  var TAB_NAME = "cockpit_tab";
  var IFRAME_CONTROL = "IFRAME_cockpit";
  var VARIABLE = "cockpit_CockpitUrl";
  var VALUES = "environmentvariabledefinition_environmentvariablevalue";
  // Several write-backs in quick succession (e.g. probability and a secondary score) cause one
  // refresh, not a refresh storm that would flicker the form and cost a Dataverse read each.
  var DEBOUNCE_MS = 400;
  var NOTIFICATION_ID = "cockpit-writeback";
  var NOTIFICATION_MS = 10000;
  var GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  var LOGICAL_NAME = /^[a-z_][a-z0-9_]{0,127}$/;

  var TEXT = {
    1033: {
      updated: "The cockpit updated {changes}. The form shows the new value.",
      dirty: "The cockpit updated {changes}. Save your changes, then refresh the form to see it.",
      failed: "The cockpit updated {changes}, but the form could not refresh. Select Refresh.",
      unset:
        "The Cockpit tab cannot open: the environment variable “Cockpit URL” " +
        "(cockpit_CockpitUrl) has no valid value. Ask your Dynamics administrator to set it.",
    },
    1031: {
      updated: "Das Cockpit hat {changes} aktualisiert. Das Formular zeigt den neuen Wert.",
      dirty:
        "Das Cockpit hat {changes} aktualisiert. Speichern Sie Ihre Änderungen und " +
        "aktualisieren Sie dann das Formular.",
      failed:
        "Das Cockpit hat {changes} aktualisiert, das Formular konnte nicht aktualisiert " +
        "werden. Wählen Sie „Aktualisieren“.",
      unset:
        "Die Registerkarte „Cockpit“ kann nicht geöffnet werden: Die Umgebungsvariable " +
        "„Cockpit-URL“ (cockpit_CockpitUrl) hat keinen gültigen Wert. Bitten Sie Ihre " +
        "Dynamics-Administration, sie zu setzen.",
    },
  };

  // One registration per script window: Unified Interface keeps the script frame alive while the
  // user moves between records and runs OnLoad again, so a new OnLoad replaces the old one.
  var state = null;

  function normaliseId(value) {
    if (typeof value !== "string") return null;
    var id = value.trim().replace(/^\{/, "").replace(/\}$/, "").toLowerCase();
    return GUID.test(id) ? id : null;
  }

  /** The origin (scheme://host[:port]) of the configured cockpit URL, or null if unacceptable. */
  function normaliseOrigin(value) {
    var parsed = null;
    try {
      parsed = typeof value === "string" && value.trim() !== "" ? new URL(value.trim()) : null;
    } catch (e) {
      parsed = null;
    }
    if (!parsed || parsed.username || parsed.password) return null;
    var localDev = parsed.protocol === "http:" && parsed.hostname === "localhost";
    return parsed.protocol === "https:" || localDev ? parsed.origin : null;
  }

  /** The cockpit base URL (origin + path, no trailing slash, no query), or null. */
  function baseOf(value) {
    var origin = normaliseOrigin(value);
    return origin === null ? null : origin + new URL(value.trim()).pathname.replace(/\/+$/, "");
  }

  function isMessage(data, type) {
    return data !== null && typeof data === "object" && data.type === type && data.version === VERSION;
  }

  /** The write-back message if `data` is exactly one, else null. */
  function parseMessage(data) {
    if (Array.isArray(data) || !isMessage(data, "cockpit.writeback")) return null;
    var id = normaliseId(data.opportunityId);
    if (id === null || typeof data.field !== "string" || !LOGICAL_NAME.test(data.field)) return null;
    if (typeof data.value !== "number" || !isFinite(data.value)) return null;
    return { opportunityId: id, field: data.field, value: data.value };
  }

  // This window and, when form scripts run in a separate same-origin frame, its parent (which
  // hosts the IFRAME), used only once it is known to be reachable, as Microsoft advises:
  // https://learn.microsoft.com/power-apps/developer/model-driven-apps/best-practices/business-logic/avoid-window-top
  function hostWindows() {
    var windows = [root];
    try {
      var parent = root.parent;
      if (parent && parent !== root) {
        void parent.location.href; // throws a SecurityError when the parent is cross-origin
        windows.push(parent);
      }
    } catch (e) {
      // Not reachable: only this window listens.
    }
    return windows;
  }

  function text(key) {
    var lcid = 1033;
    try {
      lcid = root.Xrm.Utility.getGlobalContext().userSettings.languageId;
    } catch (e) {
      // No Xrm (yet): English.
    }
    return (TEXT[lcid] || TEXT[1033])[key];
  }

  function labelOf(formContext, field) {
    try {
      var label = formContext.getControl(field).getLabel();
      if (typeof label === "string" && label !== "") return label;
    } catch (e) {
      // Not on the form: fall back to the logical name.
    }
    return field;
  }

  function notify(current, key, updates) {
    if (state !== current) return; // the user left this record meanwhile; its form is gone
    var changes = updates
      .map(function (u) {
        return labelOf(current.formContext, u.field) + " (" + u.value + ")";
      })
      .join(", ");
    // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-ui/setformnotification
    var ui = current.formContext.ui;
    ui.clearFormNotification(NOTIFICATION_ID);
    var level = key === "updated" ? "INFO" : "WARNING";
    ui.setFormNotification(text(key).replace("{changes}", changes), level, NOTIFICATION_ID);
    if (current.clearTimer) root.clearTimeout(current.clearTimer);
    current.clearTimer = root.setTimeout(function () {
      current.clearTimer = null;
      ui.clearFormNotification(NOTIFICATION_ID);
    }, NOTIFICATION_MS);
  }

  function flush(current) {
    current.timer = null;
    var byField = current.pending;
    current.pending = {};
    var updates = Object.keys(byField).map(function (field) {
      return byField[field];
    });
    if (updates.length === 0 || state !== current) return Promise.resolve();
    var data = current.formContext.data;
    if (data.entity && typeof data.entity.getIsDirty === "function" && data.entity.getIsDirty()) {
      // Refreshing now would compete with the user's unsaved edits; tell them instead.
      notify(current, "dirty", updates);
      return Promise.resolve();
    }
    current.refreshes += 1;
    return Promise.resolve()
      .then(function () {
        return data.refresh(false); // re-read without saving: the cockpit already saved its value
      })
      .then(
        function () {
          notify(current, "updated", updates); // after the refresh, which may clear notifications
        },
        function () {
          notify(current, "failed", updates);
        }
      );
  }

  function accept(current, data) {
    var message = parseMessage(data);
    if (state !== current || message === null) return;
    var openId = normaliseId(current.formContext.data.entity.getId());
    if (openId === null || openId !== message.opportunityId) return;
    current.pending[message.field] = message;
    if (current.timer) root.clearTimeout(current.timer);
    current.timer = root.setTimeout(function () {
      flush(current);
    }, DEBOUNCE_MS);
  }

  function onWindowMessage(current, event) {
    // Only the configured cockpit origin may trigger anything; everything else is ignored silently.
    if (state !== current || !event || event.origin !== current.origin) return;
    if (isMessage(event.data, "cockpit.ready")) {
      connect(current);
    } else {
      accept(current, event.data);
    }
  }

  function closePort(current) {
    if (!current.port) return;
    current.port.onmessage = null;
    current.port.close();
    current.port = null;
  }

  /** Hands the framed cockpit a fresh MessageChannel port (idempotent: the old one is closed). */
  function connect(current) {
    if (!current.frame || !root.MessageChannel) return Promise.resolve(false);
    return Promise.resolve(current.frame.getContentWindow()).then(
      function (contentWindow) {
        if (state !== current || !contentWindow) return false;
        closePort(current);
        var channel = new root.MessageChannel();
        channel.port1.onmessage = function (event) {
          // The port went to the cockpit origin only, so what arrives on it is the cockpit's.
          accept(current, event && event.data);
        };
        current.port = channel.port1;
        var id = normaliseId(current.formContext.data.entity.getId());
        var hello = { type: "cockpit.connect", version: VERSION, opportunityId: id };
        // The browser delivers this only if the frame currently shows the cockpit's origin.
        contentWindow.postMessage(hello, current.origin, [channel.port2]);
        current.connects += 1;
        return true;
      },
      function () {
        return false; // the control is not rendered yet: the next tab show connects
      }
    );
  }

  /** Points the IFRAME at the cockpit (once; setSrc reloads it) and connects the channel. */
  function showCockpit(current) {
    if (state !== current) return Promise.resolve(false);
    var target = current.base + "/embed";
    var src = String(current.frame.getSrc() || "");
    var query = src.indexOf("?") >= 0 ? src.substr(src.indexOf("?")) : "";
    if (src !== target && src.indexOf(target + "?") !== 0) {
      // Keep the query string Dynamics passed ("Pass record object-type code and unique identifier
      // as parameters"); https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/controls/setsrc
      current.frame.setSrc(target + query);
      current.sources += 1;
    }
    return connect(current);
  }

  function isExpanded(tab) {
    return !tab || typeof tab.getDisplayState !== "function" || tab.getDisplayState() === "expanded";
  }

  /** Removes the listeners, tab handler, port and timers of the current registration (safe twice). */
  function dispose() {
    var current = state;
    if (!current) return;
    state = null;
    current.windows.forEach(function (w) {
      w.removeEventListener("message", current.listener);
    });
    root.removeEventListener("pagehide", current.onPageHide);
    if (current.tab && current.onTabState) current.tab.removeTabStateChange(current.onTabState);
    closePort(current);
    if (current.timer) root.clearTimeout(current.timer);
    if (current.clearTimer) root.clearTimeout(current.clearTimer);
  }

  function warn(message) {
    if (root.console && root.console.warn) root.console.warn("Cockpit.Form.onLoad: " + message);
  }

  /** Starts listening for the cockpit at `base` and, when the form has the Cockpit tab, wires it. */
  function start(formContext, base) {
    var tabs = formContext.ui && formContext.ui.tabs;
    var frame = formContext.getControl ? formContext.getControl(IFRAME_CONTROL) : null;
    var current = {
      formContext: formContext,
      origin: new URL(base).origin,
      base: base,
      frame: frame && typeof frame.getContentWindow === "function" ? frame : null,
      tab: tabs && typeof tabs.get === "function" ? tabs.get(TAB_NAME) : null,
      windows: hostWindows(),
      pending: {}, // the newest message per field, until the debounce timer flushes them
      timer: null,
      clearTimer: null,
      port: null,
      refreshes: 0, // counters for status(): refreshes started, ports handed over, src changes
      connects: 0,
      sources: 0,
    };
    current.listener = function (event) {
      onWindowMessage(current, event);
    };
    current.onPageHide = dispose; // no form OnUnload event exists: leaving the page is the signal
    current.windows.forEach(function (w) {
      w.addEventListener("message", current.listener);
    });
    root.addEventListener("pagehide", current.onPageHide);
    state = current;
    if (current.frame) {
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-ui-tab/addtabstatechange
      current.onTabState = function () {
        if (isExpanded(current.tab)) showCockpit(current);
      };
      if (current.tab) current.tab.addTabStateChange(current.onTabState);
      if (isExpanded(current.tab)) showCockpit(current);
    }
  }

  // The variable's value record, else its default value, else null (a Promise). Xrm.WebApi:
  // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-webapi/retrievemultiplerecords
  function readCockpitUrl() {
    var api = root.Xrm && root.Xrm.WebApi;
    if (!api || typeof api.retrieveMultipleRecords !== "function") {
      return Promise.reject(new Error("Xrm.WebApi is not available"));
    }
    var options =
      "?$select=schemaname,defaultvalue&$filter=schemaname eq '" + VARIABLE + "'" +
      "&$expand=" + VALUES + "($select=value)";
    var request = api.retrieveMultipleRecords("environmentvariabledefinition", options);
    return Promise.resolve(request).then(function (result) {
      var definition = (result && result.entities && result.entities[0]) || {};
      var rows = Array.isArray(definition[VALUES]) ? definition[VALUES] : [];
      // A value record wins over the default value; empty strings count as not set.
      var set = rows
        .map(function (row) {
          return row && row.value;
        })
        .concat([definition.defaultvalue])
        .filter(function (value) {
          return typeof value === "string" && value.trim() !== "";
        });
      return set.length > 0 ? set[0].trim() : null;
    });
  }

  // Form OnLoad handler. With `cockpitUrl` (a string) it listens at once and returns true/false;
  // without, it reads the environment variable and returns a Promise of true/false.
  function onLoad(executionContext, cockpitUrl) {
    dispose();
    var formContext =
      executionContext && typeof executionContext.getFormContext === "function"
        ? executionContext.getFormContext()
        : null;
    var explicit = typeof cockpitUrl === "string";
    if (!formContext) {
      warn("pass the execution context as first parameter; the cockpit is off.");
      return explicit ? false : Promise.resolve(false);
    }
    if (explicit) {
      var base = baseOf(cockpitUrl);
      if (base === null) {
        warn("the cockpit URL must be https://... (http://localhost in development); refresh is off.");
        return false;
      }
      start(formContext, base);
      return true;
    }
    return readCockpitUrl().then(
      function (value) {
        var found = value === null ? null : baseOf(value);
        if (found === null) {
          formContext.ui.setFormNotification(text("unset"), "WARNING", NOTIFICATION_ID);
          return false;
        }
        start(formContext, found);
        return true;
      },
      function (error) {
        warn("the cockpit URL could not be read: " + ((error && error.message) || error));
        return false;
      }
    );
  }

  Cockpit.Form = {
    onLoad: onLoad,
    dispose: dispose,
    parseMessage: parseMessage,
    normaliseOrigin: normaliseOrigin,
    TAB_NAME: TAB_NAME,
    IFRAME_CONTROL: IFRAME_CONTROL,
    VARIABLE: VARIABLE,
    // For diagnostics and tests: whether a listener is active, and what it has done so far.
    status: function () {
      var s = state || { origin: null, refreshes: 0, connects: 0, sources: 0, port: null };
      var counts = { refreshes: s.refreshes, connects: s.connects, sources: s.sources };
      return Object.assign({ listening: !!state, origin: s.origin, channel: !!s.port }, counts);
    },
  };
})(typeof window !== "undefined" ? window : globalThis);
