/*
 * A browser-side stand-in for the slice of the Dynamics 365 Client API that the real web resources
 * (crm/webresources) use, so the demo page runs them unmodified:
 *   Xrm.Navigation.openUrl        -> window.open(url, "_blank")
 *   Xrm.Navigation.openAlertDialog -> the page's alert dialog (a Promise resolved on OK)
 *   Xrm.Utility.getGlobalContext  -> organizationSettings.uniqueName/languageId, userSettings.languageId
 *   formContext.data.entity        -> getId() "{GUID}" upper-case in braces, getEntityName(), getIsDirty()
 *   formContext.data.refresh(save) -> re-reads the record from the demo server, re-renders, then runs
 *                                     the data OnLoad handlers (as Dynamics does)
 *   formContext.ui.set/clearFormNotification, formContext.getControl(name).getLabel()
 *   formContext.getControl(iframe)  -> getSrc/setSrc/getContentWindow on the page's IFRAME control
 *   formContext.ui.tabs.get(name)   -> getName/getDisplayState/add/removeTabStateChange; the page
 *                                      reports each tab it expands or collapses (tabStateChanged)
 * Reference: https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference
 */
(function (root) {
  "use strict";

  function createXrm(options) {
    return {
      Navigation: {
        // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-navigation/openurl
        openUrl: function (url) {
          root.open(url, "_blank");
        },
        // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-navigation/openalertdialog
        openAlertDialog: function (alertStrings) {
          return options.showAlert(alertStrings || {});
        },
      },
      Utility: {
        // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-utility/getglobalcontext
        getGlobalContext: function () {
          return {
            organizationSettings: {
              uniqueName: options.orgUniqueName,
              languageId: options.orgLcid,
            },
            userSettings: { languageId: options.userLcid },
            getClientUrl: function () {
              return options.clientUrl;
            },
            client: {
              getClient: function () {
                return "Web";
              },
            },
          };
        },
      },
    };
  }

  // The IFRAME control: options.frame(name) is null for other names, else {src: the URL the form
  // editor configured, with the record parameters; element(): the iframe once rendered, else null}.
  function createFrameControl(name, frame) {
    var src = frame.src; // until rendered; rendering shows frame.src again (see TabStateChange)
    return {
      getName: function () {
        return name;
      },
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/controls/getcontroltype
      getControlType: function () {
        return "iframe";
      },
      // The URL the control shows: what it was configured with or last set to, not where the
      // framed page navigated by itself (cross-origin, unknown to the form).
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/controls/getsrc
      getSrc: function () {
        var element = frame.element();
        return element ? element.getAttribute("src") || "" : src;
      },
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/controls/setsrc
      setSrc: function (url) {
        src = String(url);
        var element = frame.element();
        if (element) {
          element.setAttribute("src", src); // navigates the frame
        }
      },
      // "On success, returns a promise that contains a content window instance"; a control that is
      // not rendered (its tab never shown) has none, so the promise fails.
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/controls/getcontentwindow
      getContentWindow: function () {
        var element = frame.element();
        if (!element || !element.contentWindow) {
          return Promise.reject(new Error("The control " + name + " is not rendered."));
        }
        return Promise.resolve(element.contentWindow);
      },
    };
  }

  // A form tab: options.tabs.displayState(name) is "expanded" for the shown tab, "collapsed" for
  // the others (one tab is shown at a time, as in Unified Interface), or null for no such tab.
  // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-ui-tab
  function createTab(name, host) {
    var handlers = [];
    var tab = {
      getName: function () {
        return name;
      },
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-ui-tab/getdisplaystate
      getDisplayState: function () {
        return host.displayState(name);
      },
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-ui-tab/addtabstatechange
      addTabStateChange: function (handler) {
        if (typeof handler === "function") {
          handlers.push(handler);
        }
      },
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-ui-tab/removetabstatechange
      removeTabStateChange: function (handler) {
        handlers = handlers.filter(function (h) {
          return h !== handler;
        });
      },
    };
    return {
      tab: tab,
      handlers: function () {
        return handlers.slice();
      },
    };
  }

  // One object per control and tab, as the form keeps them: a set src and handlers must stick.
  function createRegistry(options) {
    var frames = Object.create(null);
    var tabs = Object.create(null);
    return {
      frame: function (name) {
        if (!(name in frames)) {
          var frame = options.frame ? options.frame(name) : null;
          frames[name] = frame ? createFrameControl(name, frame) : null;
        }
        return frames[name];
      },
      tab: function (name) {
        if (!(name in tabs)) {
          var exists = options.tabs && options.tabs.displayState(name) !== null;
          tabs[name] = exists ? createTab(name, options.tabs) : null;
        }
        return tabs[name];
      },
    };
  }

  function createFieldControl(name, row) {
    return {
      getName: function () {
        return name;
      },
      getLabel: function () {
        return row.getAttribute("data-label") || name;
      },
    };
  }

  // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/clientapi-execution-context
  function eventContext(formContext, source) {
    return {
      getFormContext: function () {
        return formContext;
      },
      getEventSource: function () {
        return source;
      },
      getDepth: function () {
        return 0;
      },
    };
  }

  function createFormContext(options) {
    var dataOnLoad = [];
    var executionContext = null;
    var registry = createRegistry(options);
    var formContext = {
      data: {
        entity: {
          getId: function () {
            return options.recordId;
          },
          getEntityName: function () {
            return options.entityName;
          },
          getIsDirty: function () {
            return false; // the demo form has no editable fields
          },
        },
        // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-data/refresh
        // "The form data onload event occurs after the data is refreshed."
        refresh: function (save) {
          return options.reload(Boolean(save)).then(function () {
            dataOnLoad.forEach(function (handler) {
              handler(executionContext);
            });
          });
        },
        addOnLoad: function (handler) {
          dataOnLoad.push(handler);
        },
        removeOnLoad: function (handler) {
          dataOnLoad = dataOnLoad.filter(function (h) {
            return h !== handler;
          });
        },
      },
      ui: {
        // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-ui/setformnotification
        setFormNotification: function (message, level, uniqueId) {
          return options.notifications.set(String(message), String(level), String(uniqueId));
        },
        clearFormNotification: function (uniqueId) {
          return options.notifications.clear(String(uniqueId));
        },
        // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-ui-tabs
        tabs: {
          get: function (name) {
            var found = typeof name === "string" ? registry.tab(name) : null;
            return found ? found.tab : null;
          },
        },
      },
      getControl: function (name) {
        var frame = registry.frame(name);
        var row = frame ? null : options.controlElement(name);
        return frame || (row ? createFieldControl(name, row) : null);
      },
    };
    executionContext = eventContext(formContext, formContext);

    // The page calls this after it expanded or collapsed the tab (the user selected a tab): the
    // TabStateChange handlers run with an execution context whose event source is the tab.
    // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/events/tabstatechange
    function tabStateChanged(name) {
      var found = registry.tab(name);
      if (!found) {
        return;
      }
      var context = eventContext(formContext, found.tab);
      found.handlers().forEach(function (handler) {
        handler(context);
      });
    }

    return { formContext: formContext, executionContext: executionContext, tabStateChanged: tabStateChanged };
  }

  root.CrmDemoShim = { createXrm: createXrm, createFormContext: createFormContext };
})(window);
