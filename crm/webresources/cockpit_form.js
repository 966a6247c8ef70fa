/*
 * Opportunity Cockpit: opportunity form script (refreshes the form after a cockpit write-back).
 *
 * Register on the opportunity main form (see crm/SETUP.md):
 *   Event: On Load   Library: this web resource   Function: Cockpit.Form.onLoad
 *   [x] Pass execution context as first parameter
 *   Parameters: "https://cockpit.contoso.com"      (the cockpit URL or origin, quoted)
 *   https://learn.microsoft.com/power-apps/maker/model-driven-apps/configure-event-handlers-legacy
 *   https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/clientapi-execution-context
 *
 * The cockpit runs cross-origin inside the form's IFRAME control. After it writes a value back to
 * Dataverse it posts to window.parent:
 *   {"type": "cockpit.writeback", "version": 1, "opportunityId": "<guid>", "field": "<logical name>",
 *    "value": <number>}
 * Dynamics does not push server-side changes into an open form, so this script refreshes the form
 * data (formContext.data.refresh(false): no save, no page reload) once per burst of messages.
 *   https://learn.microsoft.com/power-apps/developer/model-driven-apps/use-iframe-and-web-resource-controls-on-a-form
 *   ("Enabling IFrame communication across domains": window.postMessage)
 *   https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-data/refresh
 *
 * Plain ES2017 classic script, no dependencies.
 */
(function (root) {
  "use strict";

  var Cockpit = (root.Cockpit = root.Cockpit || {});

  var MESSAGE_TYPE = "cockpit.writeback";
  var MESSAGE_VERSION = 1;
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
    },
    1031: {
      updated: "Das Cockpit hat {changes} aktualisiert. Das Formular zeigt den neuen Wert.",
      dirty:
        "Das Cockpit hat {changes} aktualisiert. Speichern Sie Ihre Änderungen und aktualisieren " +
        "Sie dann das Formular, um den neuen Wert zu sehen.",
      failed:
        "Das Cockpit hat {changes} aktualisiert, aber das Formular konnte nicht aktualisiert " +
        "werden. Wählen Sie „Aktualisieren“.",
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

  function onMessage(current, event) {
    // Only the configured cockpit origin may trigger anything; everything else is ignored silently.
    if (state !== current || !event || event.origin !== current.origin) {
      return;
    }
    var message = parseMessage(event.data);
    if (message === null) {
      return;
    }
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

  /** Removes the listeners and timers of the current registration (safe to call twice). */
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
    if (current.timer) {
      root.clearTimeout(current.timer);
    }
    if (current.clearTimer) {
      root.clearTimeout(current.clearTimer);
    }
  }

  /**
   * Form OnLoad handler. `cockpitUrl` is the cockpit URL or origin; messages from any other origin
   * are ignored. Returns true when it listens, false when the configuration is unusable.
   */
  function onLoad(executionContext, cockpitUrl) {
    dispose();
    var origin = normaliseOrigin(cockpitUrl);
    var formContext =
      executionContext && typeof executionContext.getFormContext === "function"
        ? executionContext.getFormContext()
        : null;
    if (origin === null || !formContext) {
      if (root.console && root.console.warn) {
        root.console.warn(
          "Cockpit.Form.onLoad: pass the execution context and the cockpit URL " +
            "(https://..., or http://localhost for development); write-back refresh is off."
        );
      }
      return false;
    }
    var current = {
      formContext: formContext,
      origin: origin,
      windows: hostWindows(),
      pending: {},
      timer: null,
      clearTimer: null,
      refreshes: 0,
      listener: null,
      onPageHide: null,
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
    return true;
  }

  Cockpit.Form = {
    onLoad: onLoad,
    dispose: dispose,
    parseMessage: parseMessage,
    normaliseOrigin: normaliseOrigin,
    // For diagnostics and tests: whether a listener is active, and how many refreshes it started.
    status: function () {
      return state
        ? { listening: true, origin: state.origin, refreshes: state.refreshes }
        : { listening: false, origin: null, refreshes: 0 };
    },
  };
})(typeof window !== "undefined" ? window : globalThis);
