/*
 * The demo opportunity form: plays the parts Dynamics plays around the real web resources.
 *  - On load it calls Cockpit.Form.onLoad(executionContext, cockpitUrl), like a form OnLoad handler
 *    with "Pass execution context as first parameter" and the cockpit URL as its parameter.
 *  - "Open Cockpit" calls Cockpit.Command.openCockpit(PrimaryControl, cockpitUrl), like the modern
 *    command with parameters PrimaryControl and a String.
 *  - Selecting a tab expands it and collapses the other, then runs the TabStateChange handlers of
 *    both. The Cockpit tab renders its IFRAME control the first time it is shown, with the URL the
 *    form editor configured and the record parameters; the form script's handler points it at the
 *    cockpit (setSrc) and hands the cockpit a port (getContentWindow), as in Dynamics.
 * Hooks for browser tests: #form-root[data-refresh-count], window.CrmDemo.
 */
(function (root) {
  "use strict";

  var doc = root.document;
  var config = JSON.parse(doc.getElementById("crm-demo-config").textContent);
  var formRoot = doc.getElementById("form-root");
  var notificationsEl = doc.getElementById("form-notifications");

  // --- alert dialog (Xrm.Navigation.openAlertDialog) ----------------------------------------------
  var dialog = doc.getElementById("alert-dialog");
  var dialogQueue = Promise.resolve();

  function showAlert(strings) {
    // Dialogs queue like Dynamics' do: one at a time.
    dialogQueue = dialogQueue.then(function () {
      return new Promise(function (resolve) {
        var ok = doc.getElementById("alert-dialog-ok");
        doc.getElementById("alert-dialog-title").textContent = strings.title || "";
        doc.getElementById("alert-dialog-text").textContent = strings.text || "";
        ok.textContent = strings.confirmButtonLabel || config.labels.ok;
        var previous = doc.activeElement;
        dialog.hidden = false;
        ok.focus();
        function close() {
          dialog.hidden = true;
          ok.removeEventListener("click", close);
          dialog.removeEventListener("keydown", onKey);
          if (previous && previous.focus) previous.focus();
          resolve({});
        }
        function onKey(event) {
          if (event.key === "Escape") close();
        }
        ok.addEventListener("click", close);
        dialog.addEventListener("keydown", onKey);
      });
    });
    return dialogQueue;
  }

  // --- form notifications ---------------------------------------------------------------------------
  var notifications = {
    set: function (message, level, uniqueId) {
      notifications.clear(uniqueId);
      var item = doc.createElement("div");
      item.className = "form-notification level-" + level.toLowerCase();
      item.setAttribute("data-notification-id", uniqueId);
      item.setAttribute("data-level", level);
      item.setAttribute("role", level === "ERROR" ? "alert" : "status");
      var icon = doc.createElement("span");
      icon.className = "notification-icon";
      icon.setAttribute("aria-hidden", "true");
      var text = doc.createElement("span");
      text.className = "notification-text";
      text.textContent = message;
      item.appendChild(icon);
      item.appendChild(text);
      // "each new message will be added to the top"
      notificationsEl.insertBefore(item, notificationsEl.firstChild);
      return true;
    },
    clear: function (uniqueId) {
      var found = false;
      Array.prototype.forEach.call(notificationsEl.querySelectorAll(".form-notification"), function (el) {
        if (el.getAttribute("data-notification-id") === uniqueId) {
          el.remove();
          found = true;
        }
      });
      return found;
    },
  };

  // --- rendering a re-read record -----------------------------------------------------------------
  function render(record) {
    Array.prototype.forEach.call(formRoot.querySelectorAll("[data-field]"), function (el) {
      var name = el.getAttribute("data-field");
      if (Object.prototype.hasOwnProperty.call(record.formatted, name)) {
        el.textContent = record.formatted[name];
      }
      if (el.hasAttribute("data-value")) {
        var value = record.values[name];
        el.setAttribute("data-value", value === null || value === undefined ? "" : String(value));
      }
    });
    Array.prototype.forEach.call(formRoot.querySelectorAll(".bpf-stage"), function (el) {
      var index = Number(el.getAttribute("data-stage-index"));
      el.classList.toggle("active", record.stage === index);
      el.classList.toggle("done", record.stage !== null && index < record.stage);
    });
    if (record.formatted.name) {
      doc.title = record.formatted.name + " - Dynamics 365 (demo)";
    }
  }

  function reload() {
    if (!config.recordUrl) {
      return Promise.resolve(); // an unsaved record has nothing to re-read
    }
    return root
      .fetch(config.recordUrl, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("The record could not be read (" + response.status + ").");
        }
        return response.json();
      })
      .then(function (record) {
        render(record);
        var count = Number(formRoot.getAttribute("data-refresh-count")) + 1;
        formRoot.setAttribute("data-refresh-count", String(count));
      });
  }

  // --- the Xrm shim and the form context ----------------------------------------------------------
  root.Xrm = root.CrmDemoShim.createXrm({
    orgUniqueName: config.orgUniqueName,
    orgLcid: config.orgLcid,
    userLcid: config.userLcid,
    clientUrl: config.clientUrl,
    showAlert: showAlert,
  });
  // --- tabs and the IFRAME control ------------------------------------------------------------------
  // The Cockpit tab and command exist only when the form has them (from a solution).
  var tabs = [doc.getElementById("tab-summary"), doc.getElementById("tab-cockpit")].filter(Boolean);
  var cockpitPanel = doc.getElementById("panel-cockpit");

  function tabNamed(name) {
    return (
      tabs.filter(function (t) {
        return t.getAttribute("data-tab-name") === name;
      })[0] || null
    );
  }

  function displayState(name) {
    var tab = tabNamed(name);
    if (!tab) {
      return null;
    }
    return tab.getAttribute("aria-selected") === "true" ? "expanded" : "collapsed";
  }

  function frameFor(name) {
    var control = cockpitPanel ? cockpitPanel.getAttribute("data-frame-control") : "";
    if (!control || control !== name) {
      return null;
    }
    return {
      src: cockpitPanel.getAttribute("data-frame-src") || "",
      element: function () {
        return doc.getElementById("cockpit-frame");
      },
    };
  }

  var form = root.CrmDemoShim.createFormContext({
    recordId: config.recordId,
    entityName: config.entityName,
    reload: reload,
    notifications: notifications,
    controlElement: function (name) {
      return formRoot.querySelector('.field-row[data-control="' + String(name).replace(/"/g, "") + '"]');
    },
    frame: frameFor,
    tabs: { displayState: displayState },
  });

  // Dynamics renders an IFRAME control when its tab is first expanded, showing the configured URL
  // (a src set before that is overwritten: "Use this event when you want to change the src property
  // of an IFRAME within the tab", events/tabstatechange).
  function ensureCockpitFrame() {
    var template = doc.getElementById("cockpit-frame-template");
    if (doc.getElementById("cockpit-frame") || !template) {
      return;
    }
    cockpitPanel.appendChild(template.content.cloneNode(true));
    cockpitPanel.setAttribute("data-frame-created", "true");
  }

  function stateChanged(tab) {
    form.tabStateChanged(tab.getAttribute("data-tab-name"));
  }

  function select(tab) {
    var collapsing = tabs.filter(function (t) {
      return t !== tab && t.getAttribute("aria-selected") === "true";
    });
    var expanding = tab.getAttribute("aria-selected") !== "true";
    tabs.forEach(function (t) {
      var selected = t === tab;
      t.setAttribute("aria-selected", selected ? "true" : "false");
      t.tabIndex = selected ? 0 : -1;
      doc.getElementById(t.getAttribute("aria-controls")).hidden = !selected;
    });
    if (tab.id === "tab-cockpit") {
      ensureCockpitFrame();
    }
    // Only tabs whose display state changed raise the event: the collapsed one, then the shown one.
    collapsing.forEach(stateChanged);
    if (expanding) {
      stateChanged(tab);
    }
  }

  tabs.forEach(function (tab, index) {
    tab.addEventListener("click", function () {
      select(tab);
    });
    tab.addEventListener("keydown", function (event) {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        var next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
        select(next);
        next.focus();
      }
    });
  });

  // --- command bar ----------------------------------------------------------------------------------
  var openCockpit = doc.getElementById("open-cockpit");
  if (openCockpit) {
    openCockpit.addEventListener("click", function () {
      // The modern command: Run JavaScript, Cockpit.Command.openCockpit(PrimaryControl, "<url>").
      root.Cockpit.Command.openCockpit(form.formContext, config.cockpitUrl);
    });
  }
  doc.getElementById("cmd-refresh").addEventListener("click", function () {
    form.formContext.data.refresh(false);
  });
  doc.getElementById("cmd-save").addEventListener("click", function () {
    // Nothing on this form is editable; Save only confirms, as Dynamics does for a clean form.
    notifications.set(config.labels.saved, "INFO", "demo-save");
    root.setTimeout(function () {
      notifications.clear("demo-save");
    }, 3000);
  });

  // --- form OnLoad: the registered handler ---------------------------------------------------------
  if (root.Cockpit && root.Cockpit.Form) {
    root.Cockpit.Form.onLoad(form.executionContext, config.cockpitUrl);
  }

  root.CrmDemo = {
    config: config,
    formContext: form.formContext,
    executionContext: form.executionContext,
    selectTab: function (name) {
      select(doc.getElementById("tab-" + name));
    },
  };
})(window);
