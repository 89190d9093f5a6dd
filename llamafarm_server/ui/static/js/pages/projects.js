// Projects: list a namespace's projects, create one from a template, open or delete one.

import { del, get, post, projectPath } from "../api.js";
import { confirmDialog, errorText, h, toast } from "../dom.js";

const TEMPLATES = [
  ["server", "server: chat only"],
  ["rag", "rag: chat over your documents"],
];

export function render(main, ctx) {
  const nsInput = h("input", { id: "namespace", name: "namespace", value: ctx.namespace(), required: true });
  const list = h("div", { class: "table-wrap", id: "project-list" }, h("p", { class: "muted" }, "Loading…"));
  const nameInput = h("input", { id: "new-project-name", name: "name", required: true, autocomplete: "off" });
  const templateSelect = h(
    "select",
    { id: "new-project-template", name: "template" },
    TEMPLATES.map(([v, label]) => h("option", { value: v }, label)),
    h("option", { value: "__custom" }, "custom template…"),
  );
  const customInput = h("input", { id: "new-project-custom", placeholder: "template name", "aria-label": "Custom template name", hidden: true });
  templateSelect.addEventListener("change", () => {
    customInput.hidden = templateSelect.value !== "__custom";
  });
  const createError = h("p", { class: "error", role: "alert" });

  async function load() {
    const ns = nsInput.value.trim();
    ctx.setNamespace(ns);
    try {
      const data = await get(`/v1/projects/${encodeURIComponent(ns)}`);
      list.replaceChildren(table(ns, data.projects));
    } catch (err) {
      list.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(err)));
    }
  }

  function table(ns, projects) {
    if (!projects.length) return h("p", { class: "muted" }, `No projects in namespace “${ns}” yet.`);
    return h(
      "table",
      {},
      h(
        "thead",
        {},
        h("tr", {}, h("th", {}, "Project"), h("th", { class: "opt" }, "Databases"), h("th", { class: "opt" }, "Models"), h("th", {}, "")),
      ),
      h(
        "tbody",
        {},
        projects.map((p) => {
          const ref = { namespace: p.namespace, project: p.name };
          const current = ctx.ref && ctx.ref.namespace === ref.namespace && ctx.ref.project === ref.project;
          const rag = (p.config && p.config.rag) || {};
          const models = ((p.config && p.config.runtime && p.config.runtime.models) || []).map((m) => m.name);
          return h(
            "tr",
            { dataset: { project: p.name } },
            h("td", {}, h("strong", {}, p.name), current ? " (current)" : ""),
            h("td", { class: "opt" }, (rag.databases || []).map((d) => d.name).join(", ") || "—"),
            h("td", { class: "opt" }, models.join(", ") || "—"),
            h(
              "td",
              { class: "row end" },
              h("button", { type: "button", class: "small", onclick: () => { ctx.setProject(ref); ctx.go("datasets"); } }, "Open"),
              h("button", { type: "button", class: "small ghost", onclick: () => { ctx.setProject(ref); ctx.go("config"); } }, "Config"),
              h(
                "button",
                {
                  type: "button",
                  class: "small danger",
                  "aria-label": `Delete project ${p.name}`,
                  onclick: async () => {
                    const ok = await confirmDialog(
                      `Delete project “${p.name}”?`,
                      "Its config, uploaded files, databases and chat sessions are deleted. This cannot be undone.",
                    );
                    if (!ok) return;
                    try {
                      await del(projectPath(ref));
                      toast(`Deleted ${p.name}`);
                      if (current) ctx.setProject(null);
                      load();
                    } catch (err) {
                      toast(errorText(err), true);
                    }
                  },
                },
                "Delete",
              ),
            ),
          );
        }),
      ),
    );
  }

  async function create(event) {
    event.preventDefault();
    createError.textContent = "";
    const ns = nsInput.value.trim();
    const template = templateSelect.value === "__custom" ? customInput.value.trim() : templateSelect.value;
    const name = nameInput.value.trim();
    try {
      await post(`/v1/projects/${encodeURIComponent(ns)}`, { name, config_template: template || null });
      toast(`Created ${ns}/${name}`);
      ctx.setProject({ namespace: ns, project: name });
      nameInput.value = "";
      load();
    } catch (err) {
      createError.textContent = errorText(err);
    }
  }

  main.append(
    h("h1", {}, "Projects"),
    h(
      "form",
      { class: "panel row", onsubmit: (e) => { e.preventDefault(); load(); } },
      h("label", { class: "grow" }, "Namespace", nsInput),
      h("button", { type: "submit" }, "List projects"),
    ),
    h("section", { class: "panel", "aria-labelledby": "list-title" }, h("h2", { id: "list-title" }, "Projects in the namespace"), list),
    h(
      "section",
      { class: "panel", "aria-labelledby": "create-title" },
      h("h2", { id: "create-title" }, "Create a project"),
      h(
        "form",
        { class: "row", onsubmit: create, id: "create-project" },
        h("label", { class: "grow" }, "Name", nameInput),
        h("label", {}, "Template", templateSelect),
        customInput,
        h("button", { type: "submit" }, "Create"),
      ),
      createError,
    ),
  );
  load();
}
