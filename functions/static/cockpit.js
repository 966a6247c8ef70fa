// Opportunity Cockpit — the few interactions that change state. Every state change is a fetch()
// with the session's CSRF token in X-Cockpit-CSRF (the server also checks Origin).
"use strict";

(function () {
  function csrfToken() {
    const meta = document.querySelector('meta[name="cockpit-csrf"]');
    return meta ? meta.getAttribute("content") : "";
  }

  async function send(method, url, body) {
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: Object.assign(
        { "X-Cockpit-CSRF": csrfToken(), Accept: "application/json" },
        body === undefined ? {} : { "Content-Type": "application/json" }
      ),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let payload = null;
    const type = response.headers.get("content-type") || "";
    if (type.includes("json")) {
      payload = await response.json();
    }
    return { ok: response.ok, status: response.status, body: payload };
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
  });
})();
