// Opportunity Cockpit — the interactions that change state. Every state change is a fetch() with
// the session's CSRF token in X-Cockpit-CSRF; the server also checks Origin.
"use strict";

(function () {
  function csrfToken() {
    const meta = document.querySelector('meta[name="cockpit-csrf"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function pageLang() {
    return document.documentElement.lang || "en";
  }

  function embedded() {
    const project = document.getElementById("project");
    return document.body.classList.contains("embedded") || (project && project.dataset.embedded === "true");
  }

  // Every call names the page's language, so answers (messages, errors) match the page.
  function withLang(url) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "lang=" + encodeURIComponent(pageLang());
  }

  async function send(method, url, body, extraHeaders) {
    const headers = Object.assign(
      { "X-Cockpit-CSRF": csrfToken(), Accept: "application/json" },
      body === undefined ? {} : { "Content-Type": "application/json" },
      embedded() ? { "X-Cockpit-Embedded": "1" } : {},
      extraHeaders || {}
    );
    let response;
    try {
      response = await fetch(withLang(url), {
        method: method,
        credentials: "same-origin",
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      return { ok: false, status: 0, body: null };
    }
    let payload = null;
    const type = response.headers.get("content-type") || "";
    if (type.includes("json")) {
      payload = await response.json();
    }
    return { ok: response.ok, status: response.status, body: payload };
  }

  function showError(element, result) {
    if (!element) return;
    element.textContent = (result.body && result.body.detail) || "HTTP " + result.status;
    element.hidden = false;
  }

  // Moments are rendered by the server in UTC (named); show them in the reader's own time zone,
  // in the page's language (ECMA-402 Intl.DateTimeFormat uses the browser's zone by default).
  function formatTimes(root) {
    let full, day;
    try {
      full = new Intl.DateTimeFormat(pageLang(), { dateStyle: "medium", timeStyle: "short" });
      day = new Intl.DateTimeFormat(pageLang(), { dateStyle: "short" });
    } catch (e) {
      return;
    }
    root.querySelectorAll("time[datetime][data-format]").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      el.textContent = (el.dataset.format === "date" ? day : full).format(when);
    });
    root.querySelectorAll("text[data-datetime]").forEach(function (el) {
      const when = new Date(el.getAttribute("data-datetime"));
      if (!isNaN(when.getTime())) el.textContent = day.format(when);
    });
  }

  // --- talking to the Dynamics form script (crm/webresources/cockpit_form.js) ---------------------
  // The form script hands this page a MessageChannel port: {type: "cockpit.connect", version: 1,
  // opportunityId} with the port, posted to this origin only. Write-backs then go on the port,
  // which reaches the form script wherever Unified Interface runs it (a window next to the one
  // hosting this frame, not necessarily window.parent). https://developer.mozilla.org/docs/Web/API/Channel_Messaging_API
  const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const CONNECT_KEYS = ["opportunityId", "type", "version"];
  let formPort = null; // the port of the newest accepted connect
  let readySent = false; // once per page load: a ready answered by a connect never loops

  function frameAncestors(project) {
    try {
      const allowed = JSON.parse(project.dataset.frameAncestors || "[]");
      return Array.isArray(allowed) ? allowed : [];
    } catch (e) {
      return [];
    }
  }

  // The parent's origin when it is one of the configured CRM origins, else null. Chromium and
  // Safari name it in location.ancestorOrigins; elsewhere the referrer (the page that set the
  // frame's src) stands in. https://developer.mozilla.org/docs/Web/API/Location/ancestorOrigins
  function allowedParentOrigin(project) {
    if (!project || window.parent === window) return null;
    let origin = null;
    try {
      if (window.location.ancestorOrigins && window.location.ancestorOrigins.length > 0) {
        origin = window.location.ancestorOrigins[0];
      } else if (document.referrer) {
        origin = new URL(document.referrer).origin;
      }
    } catch (e) {
      origin = null;
    }
    return origin && frameAncestors(project).indexOf(origin) >= 0 ? origin : null;
  }

  // Lower case without braces, as the form script sends it; null for anything but a GUID.
  function normaliseId(value) {
    if (typeof value !== "string") return null;
    const id = value.trim().replace(/^\{/, "").replace(/\}$/, "").toLowerCase();
    return GUID.test(id) ? id : null;
  }

  function isConnect(data) {
    if (data === null || typeof data !== "object" || Array.isArray(data)) return false;
    const keys = Object.keys(data).sort();
    const exact = keys.length === CONNECT_KEYS.length && keys.every(function (k, i) {
      return k === CONNECT_KEYS[i];
    });
    return exact && data.type === "cockpit.connect" && data.version === 1;
  }

  // Accepts a connect only from the parent's (allowed) origin and for this page's opportunity.
  // The sender need not be window.parent: in Unified Interface form scripts run in another
  // same-origin window. Anything else is ignored without a word.
  function onFormMessage(project, event) {
    const origin = allowedParentOrigin(project);
    if (!origin || event.origin !== origin || !isConnect(event.data)) return;
    const port = event.ports && event.ports[0];
    const id = normaliseId(event.data.opportunityId);
    if (!port || id === null || id !== normaliseId(project.dataset.opportunity)) return;
    if (formPort && formPort !== port) formPort.close(); // one channel: the newest connect wins
    formPort = port;
  }

  // Asks a form that connected before this page could listen (first load, reload) to connect
  // again; sent to the parent's origin only, and only when that origin is an allowed one.
  // https://developer.mozilla.org/docs/Web/API/Window/postMessage
  function announceReady(project) {
    const origin = allowedParentOrigin(project);
    if (readySent || !origin) return;
    readySent = true;
    window.parent.postMessage({ type: "cockpit.ready", version: 1 }, origin);
  }

  function setupFormChannel(project) {
    if (!embedded()) return;
    window.addEventListener("message", function (event) {
      onFormMessage(project, event);
    });
    announceReady(project);
  }

  // After a write-back inside the Dynamics form, ask the form script to refresh the form: on the
  // port when the form handed one over, else (an older form script) on window.parent, to the
  // parent's origin only and only if that origin is a configured CRM origin.
  function notifyParent(writeback, opportunityId) {
    if (!embedded() || window.parent === window || !writeback || writeback.status !== "written") return;
    const message = {
      type: "cockpit.writeback",
      version: 1,
      opportunityId: opportunityId,
      field: writeback.field,
      value: Number(writeback.value),
    };
    if (formPort) {
      formPort.postMessage(message);
      return;
    }
    const origin = allowedParentOrigin(document.getElementById("project"));
    if (origin) window.parent.postMessage(message, origin);
  }

  function projectUrl(project, suffix) {
    return "/api/projects/" + project.dataset.org + "/" + project.dataset.opportunity + (suffix || "");
  }

  function setText(id, text) {
    const el = document.getElementById(id);
    if (el && text !== null && text !== undefined) el.textContent = text;
    return el;
  }

  // The summary shows the result the moment the answer arrives, without reloading the page.
  function applySummary(summary) {
    if (!summary) return;
    const box = document.getElementById("summary");
    if (!box) return;
    box.dataset.evaluated = "true";
    setText("summary-probability", summary.probability_display);
    const grade = setText("summary-grade", summary.grade_label);
    if (grade) {
      grade.dataset.grade = summary.grade || "";
      grade.className = "grade-badge grade-" + String(summary.grade || "none").toLowerCase();
    }
    const trend = setText("summary-trend", summary.trend_label);
    if (trend) {
      trend.dataset.trend = summary.trend || "";
      trend.className = "trend " + (summary.trend || "");
    }
    const wb = setText("summary-writeback", summary.writeback_state);
    if (wb) wb.dataset.status = summary.writeback_status || "";
  }

  function bringSummaryIntoView() {
    const box = document.getElementById("summary");
    if (!box) return;
    box.focus({ preventScroll: true });
    box.scrollIntoView({ block: "nearest" });
  }

  // The details (reasons, next steps, history) come from the server's own rendering of the page,
  // swapped in place: one template for both, and no jump of the page.
  async function refreshDetails() {
    let response;
    try {
      response = await fetch(window.location.pathname + window.location.search, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
    } catch (e) {
      return;
    }
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    // Keyboard users keep their place: focus returns to the element of the same id.
    const focusedId = document.activeElement ? document.activeElement.id : "";
    fresh.querySelectorAll("[data-live]").forEach(function (incoming) {
      const current = document.getElementById(incoming.id);
      if (current) {
        current.replaceWith(document.importNode(incoming, true));
      } else if (incoming.id === "next-steps") {
        const result = document.getElementById("result");
        if (result) result.after(document.importNode(incoming, true));
      }
    });
    formatTimes(document);
    const again = focusedId ? document.getElementById(focusedId) : null;
    if (again && document.activeElement !== again) again.focus({ preventScroll: true });
  }

  function updateProgress(form) {
    const total = form.querySelectorAll("fieldset.criterion").length;
    const answered = form.querySelectorAll("input[type=radio]:checked").length;
    const bar = document.getElementById("progress-bar");
    if (bar) bar.value = answered;
    const text = document.getElementById("progress-text");
    if (text && text.dataset.template) {
      text.textContent = text.dataset.template.replace("{answered}", answered).replace("{total}", total);
    }
  }

  async function evaluate(project, form) {
    const button = document.getElementById("evaluate");
    const error = document.getElementById("evaluate-error");
    error.hidden = true;
    const answers = {};
    form.querySelectorAll("input[type=radio]:checked").forEach(function (input) {
      answers[input.name] = input.value;
    });
    const label = button.textContent;
    button.disabled = true;
    button.textContent = button.dataset.busy || label;
    const body = { answers: answers };
    if (project.dataset.solutionVersion) body.solution_version = Number(project.dataset.solutionVersion);
    const result = await send("POST", projectUrl(project, "/evaluations"), body);
    button.disabled = false;
    button.textContent = label;
    if (!result.ok) {
      showError(error, result);
      return;
    }
    applySummary(result.body.summary);
    bringSummaryIntoView();
    notifyParent(result.body.writeback, project.dataset.opportunity);
    await refreshDetails();
    if (result.body.predictive) {
      const note = document.getElementById("predictive-note");
      if (note) {
        note.textContent = result.body.predictive;
        note.hidden = false;
      }
    }
  }

  async function createTask(project, button) {
    const status = button.parentElement.querySelector(".task-status");
    const label = button.textContent;
    button.disabled = true;
    button.textContent = button.dataset.busy || label;
    const result = await send("POST", projectUrl(project, "/tasks"), { criterion_id: button.dataset.criterion });
    button.textContent = label;
    if (!status) return;
    status.textContent = "";
    status.classList.toggle("error", !result.ok);
    if (!result.ok) {
      button.disabled = false;
      status.textContent = (result.body && result.body.detail) || "HTTP " + result.status;
      return;
    }
    status.append(result.body.message + " ");
    const link = document.createElement("a");
    link.href = result.body.url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = button.dataset.open || "↗";
    status.append(link);
  }

  function setupProject() {
    const project = document.getElementById("project");
    if (!project) return;
    setupFormChannel(project);

    // Wide screens show how to judge each criterion; in the tab (800 px) it folds away.
    if (window.matchMedia && window.matchMedia("(min-width: 1100px)").matches) {
      project.querySelectorAll("details.guidance").forEach(function (d) {
        d.open = true;
      });
    }

    // One listener for the whole page: the parts refreshed after a save keep working.
    project.addEventListener("click", async function (event) {
      const target = event.target.closest("button");
      if (!target || target.disabled) return;
      if (target.classList.contains("choose")) {
        target.disabled = true;
        const result = await send("PUT", projectUrl(project, "/solution"), { solution_id: target.dataset.solution });
        if (result.ok) {
          window.location.reload();
        } else {
          target.disabled = false;
          showError(document.getElementById("choose-error") || document.getElementById("evaluate-error"), result);
        }
      } else if (target.id === "reassign") {
        const panel = document.getElementById("reassign-panel");
        if (panel) panel.hidden = !panel.hidden;
        target.setAttribute("aria-expanded", panel && !panel.hidden ? "true" : "false");
      } else if (target.id === "write-again") {
        target.disabled = true;
        const result = await send("POST", projectUrl(project, "/writeback"));
        if (result.ok) {
          notifyParent(result.body.writeback, project.dataset.opportunity);
          await refreshDetails();
        } else {
          target.disabled = false;
          showError(document.getElementById("evaluate-error"), result);
        }
      } else if (target.classList.contains("create-task")) {
        await createTask(project, target);
      }
    });

    const form = document.getElementById("answers");
    if (form) {
      form.addEventListener("change", function () {
        updateProgress(form);
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        evaluate(project, form);
      });
    }
  }

  function setupAdmin() {
    document.querySelectorAll("form.org-settings").forEach(function (form) {
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        const status = form.querySelector(".status");
        const error = form.querySelector(".error");
        status.hidden = true;
        error.hidden = true;
        const policy = form.querySelector("input[name=closed_policy]:checked");
        const body = {
          target_field: form.querySelector("select[name=target_field]").value,
          closed_policy: policy ? policy.value : "skip",
          etag: form.dataset.etag || null,
        };
        const result = await send("PUT", "/api/admin/orgs/" + form.dataset.org + "/settings", body);
        if (result.ok) {
          form.dataset.etag = result.body.etag || "";
          status.textContent = status.dataset.saved;
          status.hidden = false;
        } else {
          showError(error, result);
        }
      });
    });
    document.querySelectorAll("form.predictive-setting").forEach(function (form) {
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        const status = form.querySelector(".status");
        const error = form.querySelector(".error");
        status.hidden = true;
        error.hidden = true;
        const enabled = form.querySelector("input[name=predictive]").checked;
        const result = await send("PUT", "/api/admin/orgs/" + form.dataset.org + "/predictive-score", { enabled: enabled });
        if (result.ok) {
          // The settings row changed: the other form saves against the new version.
          const settings = document.querySelector('form.org-settings[data-org="' + form.dataset.org + '"]');
          if (settings) settings.dataset.etag = result.body.etag || "";
          status.textContent = status.dataset.saved;
          status.hidden = false;
        } else {
          showError(error, result);
        }
      });
    });
  }

  // The embedded tab's sign-in (docs/architecture.md, "Identity"): use the first-party session
  // through the Storage Access API; if there is none yet, sign in in a top-level window (Entra
  // refuses frames), then "Continue". A tab whose site already holds the grant never gets here:
  // the server's Storage Access Headers let the browser send the session cookie at once
  // (functions/storage_access.py). Nothing depends on window.opener, and "Open in new tab" is
  // always there. No state loops: every automatic step happens at most once per click.
  // https://developer.mozilla.org/docs/Web/API/Storage_Access_API
  const ADOPTED_MARK = "#cockpit-adopted";

  function setupEmbedSignIn() {
    // The mark only means "this load follows an adoption"; it must not linger in the URL.
    const marked = window.location.hash === ADOPTED_MARK;
    if (marked) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    const panel = document.getElementById("embed-sign-in");
    if (!panel) return;
    const signIn = document.getElementById("embed-sign-in-button");
    const cont = document.getElementById("embed-continue");
    const status = document.getElementById("embed-status");
    // The session is fine but Entra wants an interactive sign-in: adopting it again cannot help.
    const reauth = panel.dataset.reauth === "true";

    // One wording per state, whatever the browser's cookie settings.
    function say(state) {
      status.dataset.state = state;
      status.textContent = state ? status.dataset[state] : "";
      status.hidden = !state;
      status.classList.toggle("error", state === "blocked");
    }

    if (marked) {
      // We adopted a valid session and reloaded, yet the server saw none: this browser keeps
      // neither the partitioned copy nor storage access for the frame.
      say("blocked");
    }
    if (!signIn || !cont) return; // stuck: only the new-tab path is offered

    // "unsupported" (no Storage Access API: cookies flow as the browser allows), "granted" or
    // "denied" (the user said no, or the browser decided without asking).
    async function storageAccess() {
      if (!document.requestStorageAccess) return "unsupported";
      try {
        if (document.hasStorageAccess && (await document.hasStorageAccess())) return "granted";
        await document.requestStorageAccess();
        return "granted";
      } catch (e) {
        return "denied";
      }
    }

    async function adoptSession() {
      try {
        const response = await fetch("/auth/embed/session", {
          method: "POST",
          credentials: "include",
          headers: { "X-Cockpit-Embed": "1", Accept: "application/json" },
        });
        return response.status;
      } catch (e) {
        return 0; // network error: treated like "no session here"
      }
    }

    function reloadAdopted() {
      window.history.replaceState(null, "", window.location.pathname + window.location.search + ADOPTED_MARK);
      window.location.reload();
    }

    function openSignInWindow() {
      // A top-level window: Entra refuses to be framed. "noopener": the sign-in window gets no
      // handle on this frame, and nothing here waits for it; the user comes back and clicks
      // "Continue".
      window.open(panel.dataset.loginUrl, "_blank", "noopener");
      say("waiting");
      cont.hidden = false;
    }

    async function startSignIn() {
      say("");
      if (reauth) {
        openSignInWindow();
        return;
      }
      const access = await storageAccess();
      if (access !== "denied" && (await adoptSession()) === 204) {
        reloadAdopted();
        return;
      }
      // No session reachable from here (yet): sign in at top level. A denial now may only mean
      // the cockpit was never used as a top-level site; "Continue" asks again afterwards.
      openSignInWindow();
    }

    async function continueAfterSignIn() {
      const access = await storageAccess();
      if (access === "denied") {
        say("blocked");
        return;
      }
      if ((await adoptSession()) === 204) {
        reloadAdopted();
        return;
      }
      // Granted but no session yet: the window is not finished. Without the API the frame
      // cannot tell that from blocked cookies, and says the one thing that works.
      say(access === "unsupported" ? "blocked" : "waiting");
    }

    signIn.addEventListener("click", function () {
      signIn.disabled = true;
      startSignIn().finally(function () {
        signIn.disabled = false;
      });
    });
    cont.addEventListener("click", function () {
      cont.disabled = true;
      continueAfterSignIn().finally(function () {
        cont.disabled = false;
      });
    });
  }

  window.Cockpit = window.Cockpit || {};
  window.Cockpit.send = send;
  // For diagnostics and browser tests: whether the form's port is held and the ready went out.
  window.Cockpit.formChannel = function () {
    return { port: formPort !== null, ready: readySent };
  };

  document.addEventListener("DOMContentLoaded", function () {
    formatTimes(document);
    const signOut = document.getElementById("sign-out");
    if (signOut) {
      signOut.addEventListener("click", async function () {
        await send("POST", "/auth/logout");
        // Inside the Dynamics tab only /embed pages may be framed (the others send
        // X-Frame-Options: DENY): reloading shows the embedded sign-in instead of a dead frame.
        if (embedded()) window.location.reload();
        else window.location.assign(signOut.dataset.after || "/auth/signed-out");
      });
    }
    // The end of a separate sign-in window. The click is interaction with the cockpit's site at
    // top level, which browsers require before they grant the embedded tab storage access; then
    // the window closes itself where the browser allows (a window a script opened), and says to
    // close it where it does not.
    const done = document.getElementById("close-window");
    if (done) {
      done.addEventListener("click", function () {
        done.disabled = true;
        window.close();
        window.setTimeout(function () {
          done.hidden = true;
          const hint = document.getElementById("close-window-hint");
          if (hint) hint.hidden = false;
        }, 250);
      });
    }
    setupProject();
    setupAdmin();
    setupEmbedSignIn();
  });
})();
