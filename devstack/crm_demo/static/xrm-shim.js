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

  function createFormContext(options) {
    var dataOnLoad = [];
    var executionContext = null;
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
      },
      getControl: function (name) {
        var row = options.controlElement(name);
        if (!row) {
          return null;
        }
        return {
          getName: function () {
            return name;
          },
          getLabel: function () {
            return row.getAttribute("data-label") || name;
          },
        };
      },
    };
    executionContext = {
      getFormContext: function () {
        return formContext;
      },
      getEventSource: function () {
        return formContext;
      },
      getDepth: function () {
        return 0;
      },
    };
    return { formContext: formContext, executionContext: executionContext };
  }

  root.CrmDemoShim = { createXrm: createXrm, createFormContext: createFormContext };
})(window);
