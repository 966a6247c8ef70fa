/*
 * Opportunity Cockpit: command-bar web resource ("Open Cockpit" button).
 *
 * Register as a modern command with Action "Run JavaScript" (see crm/SETUP.md):
 *   Library:    this web resource (for example cockpit_command.js)
 *   Function:   Cockpit.Command.openCockpit
 *   Parameter 1: PrimaryControl
 *   Parameter 2: String parameter, the cockpit base URL, e.g. https://cockpit.contoso.com
 *
 * The base URL is a command parameter rather than a constant in this file so that one published file
 * serves every environment (dev/test/prod differ only in the command's parameter), and rather than a
 * second "config" web resource because a modern command may call only one library.
 *   https://learn.microsoft.com/power-apps/maker/model-driven-apps/use-command-designer
 *   ("The use of calling multiple JavaScript libraries or calling multiple functions from a single
 *   command is not supported"; "Add parameters to pass to your function")
 *   https://learn.microsoft.com/power-apps/developer/model-driven-apps/define-ribbon-actions
 *   (<StringParameter> and <CrmParameter Value="PrimaryControl"> are the parameter kinds)
 *
 * Plain ES2017 script, no modules and no dependencies: Dynamics loads web resources as classic
 * scripts and resolves "Cockpit.Command.openCockpit" on the global object.
 */
(function (root) {
  "use strict";

  var Cockpit = (root.Cockpit = root.Cockpit || {});

  var GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  // Messages in the user's Dynamics language (userSettings.languageId); English otherwise.
  var TEXT = {
    1033: {
      title: "Opportunity Cockpit",
      unsaved: "Save the opportunity first. The cockpit opens for saved records only.",
      noRecord: "Open an opportunity form to use the cockpit.",
      badId: "This record's id is not a valid GUID, so the cockpit cannot open it.",
      config:
        "The Open Cockpit command is not configured correctly: {reason} " +
        "Ask your Dynamics administrator to check the command's cockpit URL parameter.",
      missing: "the cockpit URL parameter is missing.",
      invalid: "the cockpit URL is not a valid absolute URL.",
      insecure: "the cockpit URL must start with https:// (http:// is allowed for localhost only).",
      credentials: "the cockpit URL must not contain a user name or password.",
      query: "the cockpit URL must not contain a query (?) or fragment (#).",
    },
    1031: {
      title: "Opportunity Cockpit",
      unsaved:
        "Speichern Sie die Verkaufschance zuerst. Das Cockpit öffnet nur gespeicherte Datensätze.",
      noRecord: "Öffnen Sie ein Verkaufschancen-Formular, um das Cockpit zu verwenden.",
      badId: "Die ID dieses Datensatzes ist keine gültige GUID; das Cockpit kann ihn nicht öffnen.",
      config:
        "Der Befehl „Cockpit öffnen“ ist nicht richtig eingerichtet: {reason} " +
        "Bitten Sie Ihre Dynamics-Administration, den Cockpit-URL-Parameter des Befehls zu prüfen.",
      missing: "der Cockpit-URL-Parameter fehlt.",
      invalid: "die Cockpit-URL ist keine gültige absolute URL.",
      insecure: "die Cockpit-URL muss mit https:// beginnen (http:// nur für localhost).",
      credentials: "die Cockpit-URL darf keinen Benutzernamen und kein Kennwort enthalten.",
      query: "die Cockpit-URL darf keine Abfrage (?) und kein Fragment (#) enthalten.",
    },
  };

  function xrm() {
    // Dynamics exposes Xrm as a global of the window the web resource runs in.
    return root.Xrm;
  }

  function globalContext() {
    // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-utility/getglobalcontext
    var x = xrm();
    return x && x.Utility && x.Utility.getGlobalContext ? x.Utility.getGlobalContext() : null;
  }

  function lcidOf(settings) {
    var id = settings && settings.languageId;
    return typeof id === "number" && isFinite(id) && id > 0 ? Math.floor(id) : null;
  }

  function text(key, userLcid) {
    var table = TEXT[userLcid] || TEXT[1033];
    return table[key];
  }

  /**
   * Validates the configured cockpit base URL and returns it without a trailing slash.
   * https:// is required; http:// only for localhost (local development, e.g. `make run`).
   * Returns {ok: true, url} or {ok: false, reason} where reason is a TEXT key.
   */
  function normaliseBaseUrl(value) {
    if (typeof value !== "string" || value.trim() === "") {
      return { ok: false, reason: "missing" };
    }
    var parsed;
    try {
      parsed = new URL(value.trim());
    } catch (e) {
      return { ok: false, reason: "invalid" };
    }
    var secure = parsed.protocol === "https:";
    var localDev = parsed.protocol === "http:" && parsed.hostname === "localhost";
    if (!secure && !localDev) {
      return { ok: false, reason: "insecure" };
    }
    if (parsed.username || parsed.password) {
      return { ok: false, reason: "credentials" };
    }
    if (parsed.search || parsed.hash || value.indexOf("?") >= 0 || value.indexOf("#") >= 0) {
      return { ok: false, reason: "query" };
    }
    var path = parsed.pathname.replace(/\/+$/, "");
    return { ok: true, url: parsed.origin + path };
  }

  /**
   * "{B2232821-A775-...}" -> "b2232821-a775-..." ("" for an unsaved record, null if not a GUID).
   * getId() returns the GUID upper-case in braces (community-observed, see reference dataverse.md §6).
   * https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-data-entity/getid
   */
  function normaliseId(value) {
    if (value === null || value === undefined) {
      return "";
    }
    var id = String(value).trim().replace(/^\{/, "").replace(/\}$/, "").toLowerCase();
    if (id === "") {
      return "";
    }
    return GUID.test(id) ? id : null;
  }

  /** The /launch URL with the parameter set and order the cockpit expects. */
  function buildLaunchUrl(baseUrl, params) {
    var pairs = [
      ["id", params.id],
      ["typename", params.typename],
      ["orgname", params.orgname],
      ["userlcid", params.userlcid],
      ["orglcid", params.orglcid],
    ];
    var query = pairs
      .filter(function (pair) {
        return pair[1] !== null && pair[1] !== undefined && pair[1] !== "";
      })
      .map(function (pair) {
        return pair[0] + "=" + encodeURIComponent(String(pair[1]));
      })
      .join("&");
    return baseUrl + "/launch?" + query;
  }

  function alertUser(message, userLcid) {
    // A Dynamics alert dialog rather than window.alert, which Unified Interface discourages.
    // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-navigation/openalertdialog
    var x = xrm();
    var strings = { title: text("title", userLcid), text: message };
    if (x && x.Navigation && x.Navigation.openAlertDialog) {
      return x.Navigation.openAlertDialog(strings);
    }
    return Promise.resolve();
  }

  /**
   * Command handler: opens {cockpit}/launch?id=...&typename=...&orgname=...&userlcid=...&orglcid=...
   * in a new tab for the record shown in the form (PrimaryControl = the form context).
   * Returns the URL it opened, or null when it showed an alert instead.
   * https://learn.microsoft.com/power-apps/developer/model-driven-apps/pass-data-page-parameter-ribbon-actions
   */
  function openCockpit(primaryControl, cockpitUrl) {
    var context = globalContext();
    var org = (context && context.organizationSettings) || {};
    var orgLcid = lcidOf(org);
    var userLcid = lcidOf(context && context.userSettings) || orgLcid;

    var base = normaliseBaseUrl(cockpitUrl);
    if (!base.ok) {
      var reason = text(base.reason, userLcid);
      alertUser(text("config", userLcid).replace("{reason}", reason), userLcid);
      return null;
    }
    var entity = primaryControl && primaryControl.data && primaryControl.data.entity;
    if (!entity || typeof entity.getId !== "function") {
      alertUser(text("noRecord", userLcid), userLcid);
      return null;
    }
    var id = normaliseId(entity.getId());
    if (id === "") {
      // getId() is empty until the record is saved: the cockpit has nothing to open yet.
      alertUser(text("unsaved", userLcid), userLcid);
      return null;
    }
    if (id === null) {
      alertUser(text("badId", userLcid), userLcid);
      return null;
    }
    // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-data-entity/getentityname
    var typename = typeof entity.getEntityName === "function" ? entity.getEntityName() : null;
    var url = buildLaunchUrl(base.url, {
      id: id,
      typename: typename || "opportunity",
      orgname: org.uniqueName,
      userlcid: userLcid,
      orglcid: orgLcid,
    });
    // openUrl opens a new browser window/tab and, on mobile, the device browser outside the app.
    // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-navigation/openurl
    xrm().Navigation.openUrl(url);
    return url;
  }

  Cockpit.Command = {
    openCockpit: openCockpit,
    buildLaunchUrl: buildLaunchUrl,
    normaliseBaseUrl: normaliseBaseUrl,
    normaliseId: normaliseId,
  };
})(typeof window !== "undefined" ? window : globalThis);
