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

    // The outcome of the last write-back survives the reload that shows the new evaluation.
    const pending = recall("cockpit.lastWriteback");
    if (pending && pending.opportunityId === project.dataset.opportunity) {
      notifyParent(pending.writeback, pending.opportunityId);
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
  function setupEmbedSignIn() {
    const panel = document.getElementById("embed-sign-in");
    if (!panel) return;
    const signIn = document.getElementById("embed-sign-in-button");
    const cont = document.getElementById("embed-continue");
    const hint = document.getElementById("embed-popup-hint");
    const blocked = document.getElementById("embed-blocked");
    const still = document.getElementById("embed-still-signed-out");

    async function storageAccess() {
      if (!document.requestStorageAccess) return true; // nothing to ask: cookies flow as they are
      try {
        if (document.hasStorageAccess && (await document.hasStorageAccess())) return true;
        await document.requestStorageAccess();
        return true;
      } catch (e) {
        return false;
      }
    }

    async function adoptSession() {
      const response = await fetch("/auth/embed/session", {
        method: "POST",
        credentials: "include",
        headers: { "X-Cockpit-Embed": "1", Accept: "application/json" },
      });
      return response.status;
    }

    async function attempt(afterPopup) {
      blocked.hidden = true;
      still.hidden = true;
      const granted = await storageAccess();
      const status = granted ? await adoptSession() : 0;
      if (status === 204) {
        window.location.reload();
        return;
      }
      if (!afterPopup) {
        window.open(panel.dataset.loginUrl, "_blank");
        hint.hidden = false;
        cont.hidden = false;
      } else if (!granted) {
        blocked.hidden = false;
      } else {
        still.hidden = false;
      }
    }

    signIn.addEventListener("click", function () {
      attempt(false);
    });
    cont.addEventListener("click", function () {
      attempt(true);
    });
  }

  window.Cockpit = window.Cockpit || {};
  window.Cockpit.send = send;

  document.addEventListener("DOMContentLoaded", function () {
    const signOut = document.getElementById("sign-out");
    if (signOut) {
      signOut.addEventListener("click", async function () {
        await send("POST", "/auth/logout");
        window.location.assign(signOut.dataset.after || "/auth/signed-out");
      });
    }
    setupProject();
    setupAdmin();
    setupEmbedSignIn();
  });
})();
