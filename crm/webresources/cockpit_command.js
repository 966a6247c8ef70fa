/*
 * Opportunity Cockpit: command-bar web resource ("Open Cockpit" on the opportunity form and grid).
 *
 * Registered by the solution package (crm/solution, RibbonDiffXml):
 *   form:  Cockpit.Command.openCockpit    parameters: PrimaryControl
 *   grid:  Cockpit.Command.openFromGrid   parameters: FirstSelectedItemId, SelectedEntityTypeName
 *   both:  Cockpit.Command.prefetch       an enable rule that always enables the button and reads
 *                                         the cockpit URL early, so the click opens at once
 *   https://learn.microsoft.com/power-apps/developer/model-driven-apps/pass-data-page-parameter-ribbon-actions
 *   https://learn.microsoft.com/power-apps/developer/model-driven-apps/define-ribbon-enable-rules
 *
 * The cockpit URL comes from the environment variable cockpit_CockpitUrl (set per environment at
 * import), read through the Web API: "Interacting with environment variables via custom code
 * requires an API call to fetch the values"
 * (https://learn.microsoft.com/power-apps/maker/data-platform/environmentvariables). A value
 * record wins over the definition's default value. No URL is written into this file or the command,
 * so one package serves every environment. An explicit URL as a last parameter still wins (local
 * development pages that have no Dataverse behind them pass one).
 *
 * Plain ES2017 script, no modules and no dependencies: Dynamics loads web resources as classic
 * scripts and resolves "Cockpit.Command.openCockpit" on the global object.
 */
(function (root) {
  "use strict";

  var Cockpit = (root.Cockpit = root.Cockpit || {});

  var GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  // The environment variable the solution defines, and the relationship to its value record
  // (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/environmentvariabledefinition).
  var VARIABLE = "cockpit_CockpitUrl";
  var VALUE_RELATIONSHIP = "environmentvariabledefinition_environmentvariablevalue";

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
      variable:
        "The cockpit URL is not set up correctly: {reason} Ask your Dynamics administrator to " +
        "set the environment variable “Cockpit URL” (cockpit_CockpitUrl).",
      missing: "the cockpit URL parameter is missing.",
      unset: "the environment variable has no value.",
      unreadable: "the environment variable could not be read ({detail}).",
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
      variable:
        "Die Cockpit-URL ist nicht richtig eingerichtet: {reason} Bitten Sie Ihre " +
        "Dynamics-Administration, die Umgebungsvariable „Cockpit-URL“ (cockpit_CockpitUrl) " +
        "zu setzen.",
      missing: "der Cockpit-URL-Parameter fehlt.",
      unset: "die Umgebungsvariable hat keinen Wert.",
      unreadable: "die Umgebungsvariable konnte nicht gelesen werden ({detail}).",
      invalid: "die Cockpit-URL ist keine gültige absolute URL.",
      insecure: "die Cockpit-URL muss mit https:// beginnen (http:// nur für localhost).",
      credentials: "die Cockpit-URL darf keinen Benutzernamen und kein Kennwort enthalten.",
      query: "die Cockpit-URL darf keine Abfrage (?) und kein Fragment (#) enthalten.",
    },
  };

  // One read per page: the value changes only when an admin changes the variable.
  var pendingRead = null;

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

  /** The variable's value record if it has a non-empty value, else its default value, else null. */
  function effectiveValue(definition) {
    if (!definition) {
      return null;
    }
    var values = definition[VALUE_RELATIONSHIP];
    var rows = Array.isArray(values) ? values : [];
    for (var i = 0; i < rows.length; i += 1) {
      var value = rows[i] && rows[i].value;
      if (typeof value === "string" && value.trim() !== "") {
        return value.trim();
      }
    }
    var fallback = definition.defaultvalue;
    return typeof fallback === "string" && fallback.trim() !== "" ? fallback.trim() : null;
  }

  /**
   * Reads the cockpit URL from the environment variable (Promise of a string or null).
   * GET environmentvariabledefinitions?$select=schemaname,defaultvalue
   *   &$filter=schemaname eq 'cockpit_CockpitUrl'
   *   &$expand=environmentvariabledefinition_environmentvariablevalue($select=value)
   * https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-webapi/retrievemultiplerecords
   * A failed read is not kept, so the next click tries again.
   */
  function readCockpitUrl() {
    if (pendingRead) {
      return pendingRead;
    }
    var x = xrm();
    if (!x || !x.WebApi || typeof x.WebApi.retrieveMultipleRecords !== "function") {
      return Promise.reject(new Error("Xrm.WebApi is not available"));
    }
    var options =
      "?$select=schemaname,defaultvalue&$filter=schemaname eq '" +
      VARIABLE +
      "'&$expand=" +
      VALUE_RELATIONSHIP +
      "($select=value)";
    var request;
    try {
      // Started now, not in a later microtask: prefetch() relies on the request being under way.
      request = Promise.resolve(
        x.WebApi.retrieveMultipleRecords("environmentvariabledefinition", options)
      );
    } catch (error) {
      request = Promise.reject(error);
    }
    var read = request.then(function (result) {
      var rows = (result && result.entities) || [];
      return effectiveValue(rows[0]);
    });
    pendingRead = read;
    read.catch(function () {
      if (pendingRead === read) {
        pendingRead = null;
      }
    });
    return read;
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
   * The base URL to open, as {ok, url} or {ok: false, message}: the explicit parameter when one
   * is given, otherwise the environment variable.
   */
  function resolveBaseUrl(cockpitUrl, userLcid) {
    if (typeof cockpitUrl === "string") {
      var given = normaliseBaseUrl(cockpitUrl);
      if (given.ok) {
        return Promise.resolve(given);
      }
      var reason = text(given.reason, userLcid);
      return Promise.resolve({ ok: false, message: text("config", userLcid).replace("{reason}", reason) });
    }
    function failure(reason) {
      return { ok: false, message: text("variable", userLcid).replace("{reason}", reason) };
    }
    return readCockpitUrl().then(
      function (value) {
        if (value === null) {
          return failure(text("unset", userLcid));
        }
        var base = normaliseBaseUrl(value);
        return base.ok ? base : failure(text(base.reason, userLcid));
      },
      function (error) {
        var detail = (error && error.message) || String(error);
        return failure(text("unreadable", userLcid).replace("{detail}", detail));
      }
    );
  }

  /**
   * "{B2232821-A775-...}" -> "b2232821-a775-..." ("" for an unsaved record, null if not a GUID).
   * getId() "returns a string representing the GUID value for the record"; Unified Interface
   * writes it upper-case in braces, so both are stripped before comparing.
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

  function settings() {
    var context = globalContext();
    var org = (context && context.organizationSettings) || {};
    var orgLcid = lcidOf(org);
    return {
      orgname: org.uniqueName,
      orgLcid: orgLcid,
      userLcid: lcidOf(context && context.userSettings) || orgLcid,
    };
  }

  /**
   * Opens {cockpit}/launch?id=...&typename=...&orgname=...&userlcid=...&orglcid=... in a new tab.
   * `rawId` as the page gives it; returns a Promise of the URL it opened, or of null after an alert.
   */
  function openRecord(rawId, typename, cockpitUrl) {
    var s = settings();
    var id = normaliseId(rawId);
    if (id === "" || id === null) {
      // getId() is empty until the record is saved: the cockpit has nothing to open yet.
      alertUser(text(id === "" ? "unsaved" : "badId", s.userLcid), s.userLcid);
      return Promise.resolve(null);
    }
    return resolveBaseUrl(cockpitUrl, s.userLcid).then(function (base) {
      if (!base.ok) {
        alertUser(base.message, s.userLcid);
        return null;
      }
      var url = buildLaunchUrl(base.url, {
        id: id,
        typename: typename || "opportunity",
        orgname: s.orgname,
        userlcid: s.userLcid,
        orglcid: s.orgLcid,
      });
      // openUrl opens a new browser window/tab and, on mobile, the device browser outside the app.
      // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-navigation/openurl
      xrm().Navigation.openUrl(url);
      return url;
    });
  }

  /** Form command (PrimaryControl = the form context). */
  function openCockpit(primaryControl, cockpitUrl) {
    var entity = primaryControl && primaryControl.data && primaryControl.data.entity;
    if (!entity || typeof entity.getId !== "function") {
      var s = settings();
      alertUser(text("noRecord", s.userLcid), s.userLcid);
      return Promise.resolve(null);
    }
    // https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/formcontext-data-entity/getentityname
    var typename = typeof entity.getEntityName === "function" ? entity.getEntityName() : null;
    return openRecord(entity.getId(), typename, cockpitUrl);
  }

  /** Grid command (FirstSelectedItemId, SelectedEntityTypeName; one row selected). */
  function openFromGrid(firstSelectedItemId, selectedEntityTypeName, cockpitUrl) {
    return openRecord(firstSelectedItemId, selectedEntityTypeName, cockpitUrl);
  }

  /**
   * Enable rule: always true (the button is never hidden); starts reading the cockpit URL while
   * the command bar renders, so a click does not wait for the Web API before opening the tab.
   */
  function prefetch() {
    readCockpitUrl().catch(function () {
      // Reported when the user clicks; a failed read is retried then.
    });
    return true;
  }

  Cockpit.Command = {
    openCockpit: openCockpit,
    openFromGrid: openFromGrid,
    prefetch: prefetch,
    readCockpitUrl: readCockpitUrl,
    buildLaunchUrl: buildLaunchUrl,
    normaliseBaseUrl: normaliseBaseUrl,
    normaliseId: normaliseId,
  };
})(typeof window !== "undefined" ? window : globalThis);
