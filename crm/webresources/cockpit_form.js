/*
 * Opportunity Cockpit: opportunity form script. It shows the cockpit in the form's Cockpit tab and
 * refreshes the form after the cockpit writes a value back.
 *
 * Registered by the solution package (crm/solution, FormXml) on the opportunity main form:
 *   Event: On Load   Library: cockpit_form.js   Function: Cockpit.Form.onLoad
 *   [x] Pass execution context as first parameter   (no other parameter)
 *
 * 1. The cockpit URL comes from the environment variable cockpit_CockpitUrl, read through the
 *    Web API ("Interacting with environment variables via custom code requires an API call",
 *    https://learn.microsoft.com/power-apps/maker/data-platform/environmentvariables). An explicit
 *    URL as second parameter still wins (local development pages without Dataverse pass one).
 * 2. The IFRAME control IFRAME_cockpit is configured with a placeholder URL and "Pass record
 *    object-type code and unique identifier as parameters". When the Cockpit tab is shown, this
 *    script points it at {cockpit}/embed, keeping the parameters Dynamics passed, as Learn's
 *    "Change the URL" example does (getSrc, then setSrc with the same query string), from a
 *    TabStateChange handler rather than OnLoad, which can race the frame's own load:
 *    https://learn.microsoft.com/power-apps/developer/model-driven-apps/use-iframe-and-web-resource-controls-on-a-form
 * 3. It talks to the framed cockpit through the supported IFRAME API,
 *    formContext.getControl("IFRAME_cockpit").getContentWindow() (a Promise), handing it one end
 *    of a MessageChannel, posted only to the cockpit's origin:
 *    https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/controls/getcontentwindow
 *      form → cockpit  {"type": "cockpit.connect", "version": 1, "opportunityId": "<guid>"}
 *                      with the port in event.ports[0] (targetOrigin = the cockpit origin)
 *      cockpit → form  {"type": "cockpit.ready", "version": 1} on window.parent: connect again
 *                      (the frame's document may not have been listening yet)
 *      cockpit → form  {"type": "cockpit.writeback", "version": 1, "opportunityId": "<guid>",
 *                       "field": "<logical name>", "value": <number>} on the port, or as before
 *                      on window.parent (accepted from the cockpit origin only)
 * 4. Dynamics does not push server-side changes into an open form, so a write-back refreshes the
 *    form data (formContext.data.refresh(false): no save, no page reload) once per burst:
 *    https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-data/refresh
 *
 * Plain ES2017 classic script, no dependencies.
 */
(function (root) {
  "use strict";

  var Cockpit = (root.Cockpit = root.Cockpit || {});

  var MESSAGE_TYPE = "cockpit.writeback";
  var READY_TYPE = "cockpit.ready";
  var CONNECT_TYPE = "cockpit.connect";
  var MESSAGE_VERSION = 1;
  // Names the solution package gives the tab, the IFRAME control and the environment variable.
  var TAB_NAME = "cockpit_tab";
  var IFRAME_CONTROL = "IFRAME_cockpit";
  var VARIABLE = "cockpit_CockpitUrl";
  var VALUE_RELATIONSHIP = "environmentvariabledefinition_environmentvariablevalue";
  var EMBED_PATH = "/embed";
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
      dirty:
        "The cockpit updated {changes}. Save your changes, then refresh the form to see the new value.",
      failed: "The cockpit updated {changes}, but the form could not refresh. Select Refresh to see it.",
      unset:
        "The Cockpit tab cannot open: the environment variable “Cockpit URL” (cockpit_CockpitUrl) " +
        "has no valid value. Ask your Dynamics administrator to set it.",
    },
    1031: {
      updated: "Das Cockpit hat {changes} aktualisiert. Das Formular zeigt den neuen Wert.",
      dirty:
        "Das Cockpit hat {changes} aktualisiert. Speichern Sie Ihre Änderungen und aktualisieren " +
        "Sie dann das Formular, um den neuen Wert zu sehen.",
      failed:
        "Das Cockpit hat {changes} aktualisiert, aber das Formular konnte nicht aktualisiert " +
        "werden. Wählen Sie „Aktualisieren“.",
      unset:
        "Die Registerkarte „Cockpit“ kann nicht geöffnet werden: Die Umgebungsvariable " +
        "„Cockpit-URL“ (cockpit_CockpitUrl) hat keinen gültigen Wert. Bitten Sie Ihre " +
        "Dynamics-Administration, sie zu setzen.",
    },
  };

  // One registration per script window: Unified Interface keeps the script frame alive while the
  // user moves between records and runs OnLoad again, so a new OnLoad replaces the old listener.
  var state = null;

  function normaliseId(value) {
    if (typeof value !== "string") {
      return null;
    }
    var id = value.trim().replace(/^\{/, "").replace(/\}$/, "").toLowerCase();
    return GUID.test(id) ? id : null;
  }

  /** The origin (scheme://host[:port]) of the configured cockpit URL, or null if unacceptable. */
  function normaliseOrigin(value) {
    if (typeof value !== "string" || value.trim() === "") {
      return null;
    }
    var parsed;
    try {
      parsed = new URL(value.trim());
    } catch (e) {
      return null;
    }
    var secure = parsed.protocol === "https:";
    var localDev = parsed.protocol === "http:" && parsed.hostname === "localhost";
    if ((!secure && !localDev) || parsed.username || parsed.password) {
      return null;
    }
    return parsed.origin;
  }

  /** The write-back message if `data` is exactly one, else null. */
  function parseMessage(data) {
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      return null;
    }
    if (data.type !== MESSAGE_TYPE || data.version !== MESSAGE_VERSION) {
      return null;
    }
    var id = normaliseId(data.opportunityId);
    if (id === null) {
      return null;
    }
    if (typeof data.field !== "string" || !LOGICAL_NAME.test(data.field)) {
      return null;
    }
    if (typeof data.value !== "number" || !isFinite(data.value)) {
      return null;
    }
    return { opportunityId: id, field: data.field, value: data.value };
  }

  /**
   * The windows a framed cockpit can post to: this script's own window and, when Dynamics runs form
   * scripts in a separate same-origin frame, its parent (the page that hosts the IFRAME control).
   * The parent is used only after checking it is reachable, as Microsoft advises for window.top/parent.
   * https://learn.microsoft.com/power-apps/developer/model-driven-apps/best-practices/business-logic/avoid-window-top
   */
  function hostWindows() {
    var windows = [root];
    try {
      var parent = root.parent;
      if (parent && parent !== root) {
        // Throws a SecurityError when the parent is cross-origin (Dynamics framed by another app).
        void parent.location.href;
        windows.push(parent);
      }
    } catch (e) {
      // Not reachable: only this window listens.
    }
    return windows;
  }

  function userLcid() {
    try {
      var context = root.Xrm.Utility.getGlobalContext();
      return context.userSettings.languageId;
    } catch (e) {
      return 1033;
    }
  }

  function labelOf(formContext, field) {
    try {
      var control = formContext.getControl && formContext.getControl(field);
      var label = control && control.getLabel && control.getLabel();
      if (typeof label === "string" && label !== "") {
        return label;
      }
    } catch (e) {
      // Fall back to the logical name when the field is not on the form.
    }
    return field;
  }

  function describe(formContext, updates) {
    return updates
      .map(function (u) {
        return labelOf(formContext, u.field) + " (" + u.value + ")";
      })
      .join(", ");
  }

  function notify(current, key, updates) {
    if (state !== current) {
      return; // the user left this record meanwhile; its form context is gone
    }
    var table = TEXT[userLcid()] || TEXT[1033];
    var message = table[key].replace("{changes}", describe(current.formContext, updates));
    var level = key === "updated" ? "INFO" : "WARNING";
    // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-ui/setformnotification
    var ui = current.formContext.ui;
    ui.clearFormNotification(NOTIFICATION_ID);
    ui.setFormNotification(message, level, NOTIFICATION_ID);
    if (current.clearTimer) {
      root.clearTimeout(current.clearTimer);
    }
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
    if (updates.length === 0 || state !== current) {
      return Promise.resolve();
    }
    var data = current.formContext.data;
    var entity = data.entity;
    if (entity && typeof entity.getIsDirty === "function" && entity.getIsDirty()) {
      // Refreshing now would compete with the user's unsaved edits; tell them instead.
      notify(current, "dirty", updates);
      return Promise.resolve();
    }
    current.refreshes += 1;
    return Promise.resolve()
      .then(function () {
        // false: re-read the record without saving it (the cockpit already saved its value).
        return data.refresh(false);
      })
      .then(
        function () {
          // After the refresh: a refresh may clear notifications shown before it.
          notify(current, "updated", updates);
        },
        function () {
          notify(current, "failed", updates);
        }
      );
  }

  function accept(current, message) {
    var openId = normaliseId(current.formContext.data.entity.getId());
    if (openId === null || openId !== message.opportunityId) {
      return;
    }
    current.pending[message.field] = message;
    if (current.timer) {
      root.clearTimeout(current.timer);
    }
    current.timer = root.setTimeout(function () {
      flush(current);
    }, DEBOUNCE_MS);
  }

  function onMessage(current, event) {
    // Only the configured cockpit origin may trigger anything; everything else is ignored silently.
    if (state !== current || !event || event.origin !== current.origin) {
      return;
    }
    var data = event.data;
    if (data && typeof data === "object" && data.type === READY_TYPE && data.version === MESSAGE_VERSION) {
      connect(current);
      return;
    }
    var message = parseMessage(data);
    if (message !== null) {
      accept(current, message);
    }
  }

  function onPortMessage(current, event) {
    // The port went to the cockpit origin only (postMessage targetOrigin), so its messages are the
    // cockpit's; they still have to be well-formed and about the open record.
    if (state !== current || !event) {
      return;
    }
    var message = parseMessage(event.data);
    if (message !== null) {
      accept(current, message);
    }
  }

  function closePort(current) {
    if (current.port) {
      current.port.onmessage = null;
      current.port.close();
      current.port = null;
    }
  }

  /** Hands the framed cockpit a fresh MessageChannel port (idempotent: the old one is closed). */
  function connect(current) {
    var control = current.frame;
    if (!control || typeof control.getContentWindow !== "function" || !root.MessageChannel) {
      return Promise.resolve(false);
    }
    return Promise.resolve(control.getContentWindow()).then(
      function (contentWindow) {
        if (state !== current || !contentWindow) {
          return false;
        }
        closePort(current);
        var channel = new root.MessageChannel();
        channel.port1.onmessage = function (event) {
          onPortMessage(current, event);
        };
        current.port = channel.port1;
        var hello = {
          type: CONNECT_TYPE,
          version: MESSAGE_VERSION,
          opportunityId: normaliseId(current.formContext.data.entity.getId()),
        };
        // The browser delivers this only if the frame currently shows the cockpit's origin.
        contentWindow.postMessage(hello, current.origin, [channel.port2]);
        current.connects += 1;
        return true;
      },
      function () {
        return false; // the control is not rendered (tab never shown): connect when it is
      }
    );
  }

  /** The query string Dynamics passes to the IFRAME, or the same parameters built here. */
  function frameParameters(current) {
    var src = typeof current.frame.getSrc === "function" ? current.frame.getSrc() : "";
    var at = typeof src === "string" ? src.indexOf("?") : -1;
    if (at >= 0 && src.length > at + 1) {
      return src.substr(at);
    }
    // Same names and shape as "Pass record object-type code and unique identifier as parameters".
    var context = root.Xrm && root.Xrm.Utility ? root.Xrm.Utility.getGlobalContext() : null;
    var org = (context && context.organizationSettings) || {};
    var user = (context && context.userSettings) || {};
    var entity = current.formContext.data.entity;
    var pairs = [
      ["id", entity.getId()],
      ["orglcid", org.languageId],
      ["orgname", org.uniqueName],
      ["typename", typeof entity.getEntityName === "function" ? entity.getEntityName() : null],
      ["userlcid", user.languageId],
    ];
    return (
      "?" +
      pairs
        .filter(function (pair) {
          return pair[1] !== null && pair[1] !== undefined;
        })
        .map(function (pair) {
          return pair[0] + "=" + encodeURIComponent(String(pair[1]));
        })
        .join("&")
    );
  }

  /** Points the IFRAME at the cockpit (once) and connects the channel. */
  function showCockpit(current) {
    if (state !== current || !current.frame || !current.base) {
      return Promise.resolve(false);
    }
    var target = current.base + EMBED_PATH;
    var src = typeof current.frame.getSrc === "function" ? current.frame.getSrc() : "";
    if (typeof src !== "string" || src.indexOf(target) !== 0) {
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/controls/setsrc
      current.frame.setSrc(target + frameParameters(current));
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
    if (!current) {
      return;
    }
    state = null;
    current.windows.forEach(function (w) {
      w.removeEventListener("message", current.listener);
    });
    root.removeEventListener("pagehide", current.onPageHide);
    if (current.tab && current.onTabState && typeof current.tab.removeTabStateChange === "function") {
      current.tab.removeTabStateChange(current.onTabState);
    }
    closePort(current);
    if (current.timer) {
      root.clearTimeout(current.timer);
    }
    if (current.clearTimer) {
      root.clearTimeout(current.clearTimer);
    }
  }

  function warn(message) {
    if (root.console && root.console.warn) {
      root.console.warn(message);
    }
  }

  /** Starts listening for `origin` and, when the form has the Cockpit tab, wires its IFRAME. */
  function start(formContext, base) {
    var tabs = formContext.ui && formContext.ui.tabs;
    var current = {
      formContext: formContext,
      origin: new URL(base).origin,
      base: base,
      frame: typeof formContext.getControl === "function" ? formContext.getControl(IFRAME_CONTROL) : null,
      tab: tabs && typeof tabs.get === "function" ? tabs.get(TAB_NAME) : null,
      windows: hostWindows(),
      pending: {},
      timer: null,
      clearTimer: null,
      refreshes: 0,
      connects: 0,
      sources: 0,
      port: null,
      listener: null,
      onPageHide: null,
      onTabState: null,
    };
    current.listener = function (event) {
      onMessage(current, event);
    };
    // There is no form "OnUnload" event to register, so leaving the page is the unload signal;
    // a later OnLoad (next record) also replaces this registration.
    current.onPageHide = function () {
      dispose();
    };
    current.windows.forEach(function (w) {
      w.addEventListener("message", current.listener);
    });
    root.addEventListener("pagehide", current.onPageHide);
    state = current;
    if (current.frame) {
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-ui-tab/addtabstatechange
      current.onTabState = function () {
        if (isExpanded(current.tab)) {
          showCockpit(current);
        }
      };
      if (current.tab && typeof current.tab.addTabStateChange === "function") {
        current.tab.addTabStateChange(current.onTabState);
      }
      if (isExpanded(current.tab)) {
        showCockpit(current);
      }
    }
    return current;
  }

  /** The environment variable's value record, else its default value, else null (a Promise). */
  function readCockpitUrl() {
    var api = root.Xrm && root.Xrm.WebApi;
    if (!api || typeof api.retrieveMultipleRecords !== "function") {
      return Promise.reject(new Error("Xrm.WebApi is not available"));
    }
    var options =
      "?$select=schemaname,defaultvalue&$filter=schemaname eq '" +
      VARIABLE +
      "'&$expand=" +
      VALUE_RELATIONSHIP +
      "($select=value)";
    // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-webapi/retrievemultiplerecords
    return Promise.resolve()
      .then(function () {
        return api.retrieveMultipleRecords("environmentvariabledefinition", options);
      })
      .then(function (result) {
        var definition = result && result.entities && result.entities[0];
        if (!definition) {
          return null;
        }
        var rows = definition[VALUE_RELATIONSHIP];
        var values = (Array.isArray(rows) ? rows : [])
          .map(function (row) {
            return row && typeof row.value === "string" ? row.value.trim() : "";
          })
          .filter(function (value) {
            return value !== "";
          });
        if (values.length > 0) {
          return values[0];
        }
        var fallback = definition.defaultvalue;
        return typeof fallback === "string" && fallback.trim() !== "" ? fallback.trim() : null;
      });
  }

  function baseOf(value) {
    var origin = normaliseOrigin(value);
    if (origin === null) {
      return null;
    }
    var path = new URL(value.trim()).pathname.replace(/\/+$/, "");
    return origin + path;
  }

  /**
   * Form OnLoad handler. With `cockpitUrl` (a string), listens at once and returns true/false;
   * without, reads the environment variable and returns a Promise of true/false.
   */
  function onLoad(executionContext, cockpitUrl) {
    dispose();
    var formContext =
      executionContext && typeof executionContext.getFormContext === "function"
        ? executionContext.getFormContext()
        : null;
    if (!formContext) {
      warn("Cockpit.Form.onLoad: pass the execution context as first parameter; the cockpit is off.");
      return typeof cockpitUrl === "string" ? false : Promise.resolve(false);
    }
    if (typeof cockpitUrl === "string") {
      var base = baseOf(cockpitUrl);
      if (base === null) {
        warn(
          "Cockpit.Form.onLoad: the cockpit URL must be https://... (http://localhost for " +
            "development); write-back refresh is off."
        );
        return false;
      }
      start(formContext, base);
      return true;
    }
    return readCockpitUrl().then(
      function (value) {
        var base = value === null ? null : baseOf(value);
        if (base === null) {
          var table = TEXT[userLcid()] || TEXT[1033];
          formContext.ui.setFormNotification(table.unset, "WARNING", NOTIFICATION_ID);
          return false;
        }
        start(formContext, base);
        return true;
      },
      function (error) {
        warn("Cockpit.Form.onLoad: the cockpit URL could not be read: " + ((error && error.message) || error));
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
      return state
        ? {
            listening: true,
            origin: state.origin,
            refreshes: state.refreshes,
            connects: state.connects,
            sources: state.sources,
            channel: state.port !== null,
          }
        : { listening: false, origin: null, refreshes: 0, connects: 0, sources: 0, channel: false };
    },
  };
})(typeof window !== "undefined" ? window : globalThis);
