// Opportunity Cockpit — the interactions that change state. Every state change is a fetch() with
// the session's CSRF token in X-Cockpit-CSRF; the server also checks Origin.
"use strict";

(function () {
  function csrfToken() {
    const meta = document.querySelector('meta[name="cockpit-csrf"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function embedded() {
    const project = document.getElementById("project");
    return document.body.classList.contains("embedded") || (project && project.dataset.embedded === "true");
  }

  async function send(method, url, body, extraHeaders) {
    const headers = Object.assign(
      { "X-Cockpit-CSRF": csrfToken(), Accept: "application/json" },
      body === undefined ? {} : { "Content-Type": "application/json" },
      embedded() ? { "X-Cockpit-Embedded": "1" } : {},
      extraHeaders || {}
    );
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let payload = null;
    const type = response.headers.get("content-type") || "";
    if (type.includes("json")) {
      payload = await response.json();
    }
    return { ok: response.ok, status: response.status, body: payload };
  }

  function showError(element, result) {
    if (!element) return;
    element.textContent = (result.body && result.body.detail) || "Error " + result.status;
    element.hidden = false;
  }

  // After a write-back inside the Dynamics form, ask the form script to refresh the form. The
  // message goes only to the parent's origin, and only if that origin is a configured CRM origin.
  // It is posted at once, before this page reloads: a cross-site frame cannot carry it over the
  // reload, because Chromium (third-party cookies blocked, its default here) throws SecurityError
  // on sessionStorage and localStorage there. A message already posted is delivered to the parent
  // whatever happens to this document.
  // https://developer.mozilla.org/docs/Web/API/Window/postMessage
  function notifyParent(writeback, opportunityId) {
    if (!embedded() || window.parent === window || !writeback || writeback.status !== "written") return;
    const project = document.getElementById("project");
    let allowed = [];
    try {
      allowed = JSON.parse(project.dataset.frameAncestors || "[]");
    } catch (e) {
      allowed = [];
    }
    let parentOrigin = null;
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length > 0) {
      parentOrigin = window.location.ancestorOrigins[0];
    } else if (document.referrer) {
      parentOrigin = new URL(document.referrer).origin;
    }
    if (!parentOrigin || allowed.indexOf(parentOrigin) < 0) return;
    window.parent.postMessage(
      {
        type: "cockpit.writeback",
        version: 1,
        opportunityId: opportunityId,
        field: writeback.field,
        value: Number(writeback.value),
      },
      parentOrigin
    );
  }

  function projectUrl(project, suffix) {
    return "/api/projects/" + project.dataset.org + "/" + project.dataset.opportunity + (suffix || "");
  }

  function remember(key, value) {
    try {
      window.sessionStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* storage may be blocked in a third-party frame; the page still works */
    }
  }

  function recall(key) {
    try {
      const raw = window.sessionStorage.getItem(key);
      window.sessionStorage.removeItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }

  function setupProject() {
    const project = document.getElementById("project");
    if (!project) return;

    // The outcome of the last write-back survives the reload where storage allows (top level).
    const pending = recall("cockpit.lastWriteback");
    if (pending && pending.opportunityId === project.dataset.opportunity) {
      const message = document.getElementById("writeback-message");
      if (message && pending.writeback.message) message.textContent = pending.writeback.message;
    }

    document.querySelectorAll("button.choose").forEach(function (button) {
      button.addEventListener("click", async function () {
        button.disabled = true;
        const result = await send("PUT", projectUrl(project, "/solution"), { solution_id: button.dataset.solution });
        if (result.ok) {
          window.location.reload();
        } else {
          button.disabled = false;
          showError(document.getElementById("choose-error") || document.getElementById("evaluate-error"), result);
        }
      });
    });

    const reassign = document.getElementById("reassign");
    if (reassign) {
      reassign.addEventListener("click", function () {
        const panel = document.getElementById("reassign-panel");
        if (panel) panel.hidden = !panel.hidden;
      });
    }

    const form = document.getElementById("answers");
    if (form) {
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
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
        if (result.ok) {
          notifyParent(result.body.writeback, project.dataset.opportunity);
          remember("cockpit.lastWriteback", { opportunityId: project.dataset.opportunity, writeback: result.body.writeback });
          window.location.reload();
        } else {
          button.disabled = false;
          button.textContent = label;
          showError(error, result);
        }
      });
    }

    const again = document.getElementById("write-again");
    if (again) {
      again.addEventListener("click", async function () {
        again.disabled = true;
        const result = await send("POST", projectUrl(project, "/writeback"));
        if (result.ok) {
          notifyParent(result.body.writeback, project.dataset.opportunity);
          remember("cockpit.lastWriteback", { opportunityId: project.dataset.opportunity, writeback: result.body.writeback });
          window.location.reload();
        } else {
          again.disabled = false;
          showError(document.getElementById("evaluate-error"), result);
        }
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
  }

  // The embedded tab's sign-in (see DESIGN §4): use the first-party session through the Storage
  // Access API; if there is none yet, sign in in a top-level window (Entra refuses frames), then
  // "Continue". Nothing depends on window.opener, and "Open in new tab" is always there.
  // No state loops: every automatic step happens at most once per click, and a reload that
  // still lands here (the browser kept no cookie) says so instead of starting over.
  // Storage Access API: https://developer.mozilla.org/docs/Web/API/Storage_Access_API
  // https://privacysandbox.google.com/cookies/storage-access-api
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
    const hint = document.getElementById("embed-popup-hint");
    const blocked = document.getElementById("embed-blocked");
    const still = document.getElementById("embed-still-signed-out");
    // The session is fine but Entra wants an interactive sign-in: adopting it again cannot help.
    const reauth = panel.dataset.reauth === "true";

    if (marked) {
      // We adopted a valid session and reloaded, yet the server saw none: this browser keeps
      // neither the partitioned copy nor storage access for the frame.
      blocked.hidden = false;
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
      hint.hidden = false;
      cont.hidden = false;
    }

    function hideMessages() {
      blocked.hidden = true;
      still.hidden = true;
    }

    async function startSignIn() {
      hideMessages();
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
      hideMessages();
      const access = await storageAccess();
      if (access === "denied") {
        blocked.hidden = false;
        return;
      }
      if ((await adoptSession()) === 204) {
        reloadAdopted();
        return;
      }
      // Without the API a signed-in user still looks signed out here when the browser blocks
      // third-party cookies; say both, since the frame cannot tell the two apart.
      still.hidden = false;
      if (access === "unsupported") blocked.hidden = false;
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

  document.addEventListener("DOMContentLoaded", function () {
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
    // The end of a separate sign-in window: the click counts as interaction with the cockpit's
    // site, which browsers require before granting the embedded tab storage access. The window
    // is not closed by script (browsers refuse for windows that went through Entra); the text
    // says to close it and go back.
    const done = document.getElementById("close-window");
    if (done) {
      done.addEventListener("click", function () {
        done.hidden = true;
        const hint = document.getElementById("close-window-hint");
        if (hint) hint.hidden = false;
      });
    }
    setupProject();
    setupAdmin();
    setupEmbedSignIn();
  });
})();
