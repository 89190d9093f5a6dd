// Config: the project's llamafarm.yaml as YAML text; save sends it with PUT (the server
// validates it and writes it atomically, or changes nothing). Errors point at their lines.

import { get, projectPath, put } from "../api.js";
import { confirmDialog, errorText, h, toast } from "../dom.js";
import { dump, load } from "../../vendor/js-yaml.mjs";
import { lineOf, pathLines, splitProblems } from "../yamlpath.js";

export function render(main, ctx) {
  if (ctx.needProject(main, "Config")) return;
  const ref = ctx.ref;
  let etag = null;
  let saved = "";
  let savedDatasets = [];
  const datasetNames = (config) =>
    Array.isArray(config && config.datasets) ? config.datasets.map((d) => d && d.name).filter(Boolean) : [];

  const gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
  const area = h("textarea", {
    id: "config-text",
    class: "code",
    spellcheck: "false",
    "aria-label": "llamafarm.yaml",
    "aria-describedby": "config-help",
  });
  const problems = h("div", { id: "config-problems", role: "alert" });
  const warnings = h("div", { id: "config-warnings" });
  const status = h("span", { class: "hint", id: "config-status" });
  let badLines = new Set();

  function paintGutter() {
    const n = area.value.split("\n").length;
    gutter.replaceChildren(
      ...Array.from({ length: n }, (_, i) =>
        h("span", { class: badLines.has(i + 1) ? "bad-line" : null }, `${i + 1}\n`),
      ),
    );
    area.rows = n + 1;
    status.textContent = area.value === saved ? "Saved version" : "Unsaved changes";
  }

  function scrollToLine(line) {
    const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 19;
    area.closest(".editor").scrollTop = Math.max(0, (line - 4) * lineHeight);
  }

  function goToLine(line) {
    const lines = area.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0);
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1] || "").length);
    scrollToLine(line);
  }

  function showProblems(title, items) {
    badLines = new Set(items.map((p) => p.line).filter(Boolean));
    paintGutter();
    if (!items.length) {
      problems.replaceChildren();
      return;
    }
    const first = items.find((p) => p.line);
    if (first) scrollToLine(first.line);
    problems.replaceChildren(
      h(
        "div",
        { class: "errors" },
        h("strong", {}, title),
        h(
          "ul",
          {},
          items.map((p) =>
            h(
              "li",
              { class: "problem", dataset: { line: p.line || "" } },
              p.line
                ? h("button", { type: "button", onclick: () => goToLine(p.line) }, `line ${p.line}`)
                : null,
              p.line ? " " : "",
              p.path ? h("code", {}, p.path) : null,
              p.path ? ": " : "",
              p.message,
            ),
          ),
        ),
      ),
    );
  }

  async function reload() {
    try {
      const { data, headers } = await get(projectPath(ref), { full: true });
      etag = headers.get("ETag");
      saved = dump(data.project.config, { lineWidth: -1, noRefs: true });
      savedDatasets = datasetNames(data.project.config);
      area.value = saved;
      showWarnings(data.warnings);
      showProblems("", []);
    } catch (err) {
      showProblems("Could not load the config", [{ message: errorText(err) }]);
    }
  }

  function showWarnings(list) {
    warnings.replaceChildren(
      ...(list || []).map((w) => h("div", { class: "notice" }, h("strong", {}, "Warning: "), w)),
    );
  }

  async function save() {
    let config;
    try {
      config = load(area.value);
    } catch (err) {
      const line = err.mark ? err.mark.line + 1 : null;
      showProblems("The YAML does not parse; nothing was sent", [{ line, message: err.reason || err.message }]);
      return;
    }
    const kept = new Set(datasetNames(config));
    const dropped = savedDatasets.filter((name) => !kept.has(name));
    if (dropped.length) {
      const ok = await confirmDialog(
        `Delete dataset(s) ${dropped.join(", ")}?`,
        "The new config no longer lists them: saving deletes them like the Datasets page does " +
          "(processing stopped, their chunks and unshared files removed).",
        "Save and delete",
      );
      if (!ok) return;
    }
    const headers = etag ? { "If-Match": etag } : {};
    try {
      const { data, headers: answer } = await put(projectPath(ref), { config }, { headers, full: true });
      etag = answer.get("ETag");
      saved = area.value;
      savedDatasets = datasetNames(data.project.config);
      showProblems("", []);
      showWarnings(data.warnings);
      toast("Config saved");
    } catch (err) {
      if (err.status === 412) {
        showProblems("Not saved: the config changed on the server since you opened it", [
          {
            message:
              "Someone (another tab, the CLI or a process) saved llamafarm.yaml after you loaded it. " +
              "Copy your edits, press “Reload” to see the current version, then apply them again.",
          },
        ]);
        return;
      }
      if (err.status === 422 || err.status === 400) {
        const lines = pathLines(area.value);
        const items = splitProblems(errorText(err)).map((p) => ({ ...p, line: p.path ? lineOf(lines, p.path) : null }));
        showProblems("The server rejected the config; nothing was saved", items);
        return;
      }
      showProblems("Not saved", [{ message: errorText(err) }]);
    }
  }

  area.addEventListener("input", paintGutter);
  area.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") {
      e.preventDefault();
      save();
    }
  });

  main.append(
    h("h1", {}, `Config of ${ref.namespace}/${ref.project}`),
    h(
      "div",
      { class: "panel stack" },
      h(
        "p",
        { class: "hint", id: "config-help" },
        "Edit llamafarm.yaml and save (Ctrl+S). The server validates the whole file and writes it atomically; " +
          "an invalid file changes nothing and each problem is shown at its line.",
      ),
      warnings,
      problems,
      h("div", { class: "editor" }, gutter, area),
      h(
        "div",
        { class: "row" },
        h("button", { type: "button", id: "config-save", onclick: save }, "Save"),
        h("button", { type: "button", class: "ghost", id: "config-reload", onclick: reload }, "Reload"),
        status,
      ),
    ),
  );
  reload().then(paintGutter);
}
