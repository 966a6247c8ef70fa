// Opportunity Cockpit — the admin console's interactions: the solution designer (editing, live
// preview, publishing, import and export), moving projects, "retry now" and retention in the log,
// the bulk re-write's progress, and opening a suggested re-weighting as a draft. Every change is a
// fetch() through Cockpit.send (CSRF header); the server validates everything again.
"use strict";

(function () {
  const lang = () => document.body.dataset.lang || "en";
  const withLang = (url) => url + (url.includes("?") ? "&" : "?") + "lang=" + encodeURIComponent(lang());
  const send = (method, url, body) => window.Cockpit.send(method, withLang(url), body);

  function show(element, text) {
    if (!element) return;
    element.textContent = text;
    element.hidden = false;
  }

  function problemText(result) {
    return (result.body && result.body.detail) || "Error " + result.status;
  }

  function go(url) {
    window.location.assign(withLang(url));
  }

  // --- the draft as JSON: every value-carrying control names its path in data-field -------------
  function pathTokens(path) {
    const tokens = [];
    path.split(".").forEach(function (part) {
      const match = part.match(/^([^[]+)((\[\d+\])*)$/);
      if (!match) return;
      tokens.push(match[1]);
      (match[2].match(/\d+/g) || []).forEach(function (index) {
        tokens.push(Number(index));
      });
    });
    return tokens;
  }

  function setPath(target, tokens, value) {
    let node = target;
    for (let i = 0; i < tokens.length - 1; i++) {
      const key = tokens[i];
      if (node[key] === undefined || node[key] === null) node[key] = typeof tokens[i + 1] === "number" ? [] : {};
      node = node[key];
    }
    node[tokens[tokens.length - 1]] = value;
  }

  function asInt(text) {
    const value = text.trim();
    if (value === "") return null;
    return /^[+-]?\d+$/.test(value) ? Number(value) : value; // the server names a bad one
  }

  function asDecimal(text) {
    let value = text.replace(/\s/g, "");
    if (value === "") return null;
    if (value.includes(",") && !value.includes(".")) value = value.replace(",", ".");
    return value;
  }

  function dense(list) {
    return (list || []).filter(function (item) {
      return item !== undefined;
    });
  }

  function collectDraft(form) {
    const draft = { criteria: [], grade_bands: [] };
    form.querySelectorAll("[data-field]").forEach(function (control) {
      let value = control.value;
      if (control.dataset.type === "int") value = asInt(value);
      else if (control.dataset.type === "decimal") value = asDecimal(value);
      setPath(draft, pathTokens(control.dataset.field), value);
    });
    draft.criteria = dense(draft.criteria).map(function (criterion) {
      criterion.options = dense(criterion.options);
      return criterion;
    });
    draft.grade_bands = dense(draft.grade_bands);
    return draft;
  }

  // --- problems next to their fields --------------------------------------------------------------
  function targetFor(form, path) {
    let current = path;
    while (current) {
      const found =
        form.querySelector('[data-field="' + current + '"]') || form.querySelector('[data-path="' + current + '"]');
      if (found) return found;
      const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
      current = cut > 0 ? current.slice(0, cut) : "";
    }
    return form.querySelector("#problem-summary");
  }

  function renderProblems(form, problems) {
    form.querySelectorAll(".problem").forEach(function (node) {
      node.remove();
    });
    form.querySelectorAll(".hint").forEach(function (node) {
      node.classList.remove("hint");
      node.removeAttribute("title");
    });
    let errors = 0;
    problems.forEach(function (problem) {
      if (problem.severity === "warning") {
        // A missing translation: marked on the field, not spelled out under it.
        const field = form.querySelector('[data-field="' + problem.path + '"]');
        if (field) {
          field.classList.add("hint");
          field.title = problem.message;
        }
        return;
      }
      errors += 1;
      const note = document.createElement("p");
      note.className = "problem";
      note.dataset.for = problem.path;
      note.textContent = problem.message;
      const target = targetFor(form, problem.path);
      if (target.tagName === "TR") target.lastElementChild.appendChild(note);
      else if (target.tagName === "FIELDSET" || target.tagName === "SECTION") target.appendChild(note);
      else (target.closest("label") || target).after(note);
    });
    const summary = form.querySelector("#problem-summary");
    if (summary) {
      summary.className = errors ? "error" : "ok-note";
      summary.textContent = errors ? summary.dataset.some.replace("{count}", errors) : summary.dataset.none;
    }
  }

  // --- the designer -----------------------------------------------------------------------------
  function setupDesigner() {
    const form = document.getElementById("designer");
    if (!form) return;
    const id = form.dataset.solution;
    const status = document.getElementById("designer-status");
    const error = document.getElementById("designer-error");

    async function save() {
      error.hidden = true;
      const result = await send("PUT", "/api/admin/solutions/" + id + "/draft", {
        draft: collectDraft(form),
        etag: form.dataset.etag || null,
      });
      if (!result.ok) {
        show(error, problemText(result));
        return null;
      }
      form.dataset.etag = result.body.etag || "";
      return result.body;
    }

    async function change(edit) {
      const draft = collectDraft(form);
      edit(draft);
      const result = await send("PUT", "/api/admin/solutions/" + id + "/draft", { draft: draft, etag: form.dataset.etag || null });
      if (result.ok) window.location.reload();
      else show(error, problemText(result));
    }

    function uniqueId(prefix, taken) {
      let n = taken.length + 1;
      while (taken.indexOf(prefix + n) >= 0) n += 1;
      return prefix + n;
    }

    const actions = {
      "criterion-add": function (draft) {
        draft.criteria.push({
          id: uniqueId("criterion-", draft.criteria.map((c) => c.id)),
          question: { en: "", de: "" },
          guidance: { en: "", de: "" },
          weight: null,
          options: [
            { id: "yes", label: { en: "", de: "" }, score: 100, colour: "green", knockout_cap: null },
            { id: "no", label: { en: "", de: "" }, score: 0, colour: "red", knockout_cap: null },
          ],
        });
      },
      "criterion-remove": (draft, i) => draft.criteria.splice(i, 1),
      "criterion-up": (draft, i) => draft.criteria.splice(i - 1, 0, draft.criteria.splice(i, 1)[0]),
      "criterion-down": (draft, i) => draft.criteria.splice(i + 1, 0, draft.criteria.splice(i, 1)[0]),
      "option-add": function (draft, i) {
        const options = draft.criteria[i].options;
        options.push({
          id: uniqueId("option-", options.map((o) => o.id)),
          label: { en: "", de: "" },
          score: null,
          colour: "amber",
          knockout_cap: null,
        });
      },
      "option-remove": (draft, i, o) => draft.criteria[i].options.splice(o, 1),
      "band-add": function (draft) {
        const last = draft.grade_bands.length ? draft.grade_bands[draft.grade_bands.length - 1].min_probability : -10;
        draft.grade_bands.push({ label: { en: "", de: "" }, min_probability: Math.min(100, (Number(last) || 0) + 10), colour: "green" });
      },
      "band-remove": (draft, i) => draft.grade_bands.splice(i, 1),
    };

    form.querySelectorAll("button[data-action]").forEach(function (button) {
      const action = actions[button.dataset.action];
      if (!action) return;
      button.addEventListener("click", function () {
        button.disabled = true;
        change(function (draft) {
          action(draft, Number(button.dataset.index), Number(button.dataset.option));
        });
      });
    });

    let timer = null;
    async function preview() {
      const draft = collectDraft(form);
      const answers = {};
      form.querySelectorAll("input[type=radio][data-criterion]:checked").forEach(function (radio) {
        const criterion = draft.criteria[Number(radio.dataset.criterion)];
        const option = criterion && criterion.options[Number(radio.dataset.option)];
        if (criterion && option && criterion.id && option.id) answers[criterion.id] = option.id;
      });
      const result = await send("POST", "/api/admin/designer/preview", { draft: draft, answers: answers });
      if (!result.ok) {
        show(error, problemText(result));
        return;
      }
      error.hidden = true;
      const body = result.body;
      document.getElementById("preview-probability").textContent = body.probability_display || "—";
      document.getElementById("preview-grade").textContent = body.grade || "";
      document.getElementById("preview-blocked").hidden = body.probability !== null;
      const knockout = document.getElementById("preview-knockout");
      knockout.hidden = !body.knockout_text;
      knockout.textContent = body.knockout_text || "";
      form.querySelectorAll("[data-points-for]").forEach(function (node) {
        const criterion = draft.criteria[Number(node.dataset.pointsFor)];
        const row = body.contributions.find((c) => criterion && c.criterion_id === criterion.id);
        node.textContent = row && row.option_id ? "+" + row.points : "";
      });
      renderProblems(form, body.problems);
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(preview, 300);
    }

    form.addEventListener("change", later);
    form.addEventListener("input", later);
    preview();

    document.getElementById("designer-save").addEventListener("click", async function () {
      if (await save()) window.location.reload();
    });
    document.getElementById("designer-publish").addEventListener("click", async function (event) {
      if (!window.confirm(event.currentTarget.dataset.confirm)) return;
      const saved = await save();
      if (!saved) return;
      const result = await send("POST", "/api/admin/solutions/" + id + "/draft/publish", { etag: saved.etag });
      if (result.ok) go(result.body.url);
      else {
        show(error, problemText(result));
        renderProblems(form, saved.problems);
      }
    });
    document.getElementById("designer-delete").addEventListener("click", async function (event) {
      if (!window.confirm(event.currentTarget.dataset.confirm)) return;
      const result = await send("DELETE", "/api/admin/solutions/" + id + "/draft");
      if (result.ok) go("/admin/solutions");
      else show(error, problemText(result));
    });
    document.getElementById("designer-export").addEventListener("click", function (event) {
      const blob = new Blob([JSON.stringify(collectDraft(form), null, 2)], { type: "application/json" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = event.currentTarget.dataset.filename;
      link.click();
      URL.revokeObjectURL(link.href);
    });
    status.hidden = true;
  }

  // --- solutions, versions, moving projects ---------------------------------------------------------
  function setupSolutions() {
    const error = document.getElementById("solutions-error");
    const create = document.getElementById("new-solution");
    if (create) {
      create.addEventListener("submit", async function (event) {
        event.preventDefault();
        const id = create.querySelector("[name=solution_id]").value.trim();
        const language = create.querySelector("[name=language]").value;
        const result = await send("POST", "/api/admin/solutions/drafts", { solution_id: id, language: language });
        if (result.ok) go("/admin/solutions/" + result.body.solution_id + "/draft");
        else show(error, problemText(result));
      });
    }
    document.querySelectorAll("button[data-action=draft-from]").forEach(function (button) {
      button.addEventListener("click", async function () {
        const result = await send("POST", "/api/admin/solutions/drafts", {
          solution_id: button.dataset.solution,
          language: button.dataset.language,
          from_version: Number(button.dataset.version),
        });
        if (result.ok) go("/admin/solutions/" + result.body.solution_id + "/draft");
        else show(error, problemText(result));
      });
    });
    const upload = document.getElementById("import-solution");
    if (upload) {
      upload.addEventListener("submit", async function (event) {
        event.preventDefault();
        const file = document.getElementById("import-file").files[0];
        if (!file) return;
        const response = await fetch(withLang("/api/admin/solutions/import"), {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "X-Cockpit-CSRF": document.querySelector('meta[name="cockpit-csrf"]').content,
            "Content-Type": "application/json",
            Accept: "application/json",
          },
          body: await file.text(),
        });
        const body = await response.json();
        if (response.ok) go("/admin/solutions/" + body.solution_id + "/draft");
        else show(error, body.detail || "Error " + response.status);
      });
    }
    document.querySelectorAll("button[data-action=move]").forEach(function (button) {
      button.addEventListener("click", async function () {
        const section = button.closest("section");
        button.disabled = true;
        const result = await send(
          "POST",
          "/api/admin/orgs/" + button.dataset.org + "/solutions/" + button.dataset.solution + "/move",
          { to_version: Number(button.dataset.version) }
        );
        if (result.ok) show(section.querySelector(".status"), result.body.message);
        else {
          button.disabled = false;
          show(section.querySelector(".error"), problemText(result));
        }
      });
    });
  }

  // --- the log --------------------------------------------------------------------------------------
  function setupLog() {
    document.querySelectorAll("button[data-action=retry]").forEach(function (button) {
      button.addEventListener("click", async function () {
        button.disabled = true;
        const result = await send("POST", "/api/admin/orgs/" + button.dataset.org + "/log/retry", {
          opportunity_id: button.dataset.opportunity,
        });
        if (result.ok) show(document.getElementById("retry-status"), result.body.message);
        else {
          button.disabled = false;
          show(document.getElementById("retry-error"), problemText(result));
        }
      });
    });
    const retention = document.getElementById("retention");
    if (retention) {
      retention.addEventListener("submit", async function (event) {
        event.preventDefault();
        const status = retention.querySelector(".status");
        const error = retention.querySelector(".error");
        status.hidden = error.hidden = true;
        const days = asInt(retention.querySelector("[name=days]").value);
        const result = await send("PUT", "/api/admin/orgs/" + retention.dataset.org + "/log/retention", { days: days });
        if (result.ok) show(status, status.dataset.saved);
        else show(error, problemText(result));
      });
    }
  }

  // --- bulk re-write --------------------------------------------------------------------------------
  function setupBulk() {
    const section = document.getElementById("bulk");
    if (!section) return;
    const org = section.dataset.org;
    const error = document.getElementById("bulk-error");

    function update(job) {
      section.dataset.status = job.status;
      document.getElementById("bulk-message").textContent = job.message;
      const progress = document.getElementById("bulk-progress");
      progress.hidden = false;
      progress.value = job.percent;
      progress.textContent = job.percent + " %";
      Object.keys(job.counts).forEach(function (key) {
        const cell = section.querySelector('[data-count="' + key + '"]');
        if (cell) cell.textContent = job.counts[key];
      });
    }

    async function drive() {
      for (;;) {
        const result = await send("POST", "/api/admin/orgs/" + org + "/bulk/run", {});
        if (!result.ok) {
          show(error, problemText(result));
          return;
        }
        update(result.body);
        if (result.body.status !== "running") break;
      }
      window.location.reload();
    }

    const start = document.getElementById("bulk-start");
    if (start) {
      start.addEventListener("click", async function () {
        if (!window.confirm(start.dataset.confirm)) return;
        start.disabled = true;
        const result = await send("POST", "/api/admin/orgs/" + org + "/bulk");
        if (!result.ok) {
          start.disabled = false;
          show(error, problemText(result));
          return;
        }
        update(result.body);
        drive();
      });
    }
    const resume = document.getElementById("bulk-continue");
    if (resume) {
      resume.addEventListener("click", function () {
        resume.disabled = true;
        drive();
      });
    }
  }

  // --- model quality --------------------------------------------------------------------------------
  function setupQuality() {
    document.querySelectorAll("button[data-action=suggested-draft]").forEach(function (button) {
      button.addEventListener("click", async function () {
        const result = await send(
          "POST",
          "/api/admin/orgs/" + button.dataset.org + "/quality/" + button.dataset.solution + "/versions/" + button.dataset.version + "/draft"
        );
        if (result.ok) go("/admin/solutions/" + result.body.solution_id + "/draft");
        else show(button.parentElement.querySelector(".error"), problemText(result));
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupDesigner();
    setupSolutions();
    setupLog();
    setupBulk();
    setupQuality();
  });
})();
