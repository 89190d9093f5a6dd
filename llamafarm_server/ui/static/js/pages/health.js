// Health: the server's components (api, storage, redis, workers, …) and, for the current
// project, each database. Refreshes every few seconds while open.

import { get, projectPath } from "../api.js";
import { badge, bytes, errorText, h } from "../dom.js";

const REFRESH_MS = 5000;

export function render(main, ctx) {
  const services = h("div", { id: "health-services", class: "cards" }, h("p", { class: "muted" }, "Loading…"));
  const overall = h("span", { id: "health-overall" });
  const dbs = h("div", { id: "health-databases", class: "table-wrap" });
  const stamp = h("span", { class: "hint" });
  let timer = null;
  let alive = true;

  async function refresh() {
    try {
      const data = await get("/health");
      overall.replaceChildren(badge(data.status));
      services.replaceChildren(
        ...Object.entries(data.services).map(([name, status]) =>
          h(
            "div",
            { class: "card", dataset: { service: name } },
            h("div", { class: "row" }, h("strong", { class: "grow" }, name), badge(status)),
            h("div", { class: "hint" }, (data.details && data.details[name]) || ""),
          ),
        ),
      );
    } catch (err) {
      services.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(err)));
    }
    if (ctx.ref) {
      try {
        const rag = await get(projectPath(ctx.ref, "/rag/health"));
        dbs.replaceChildren(
          rag.databases.length
            ? h(
                "table",
                {},
                h(
                  "thead",
                  {},
                  h(
                    "tr",
                    {},
                    h("th", {}, "Database"),
                    h("th", {}, "Status"),
                    h("th", { class: "num" }, "Documents"),
                    h("th", { class: "num" }, "Chunks"),
                    h("th", { class: "num opt" }, "Size"),
                    h("th", { class: "opt" }, "Embedder"),
                    h("th", {}, "Issues"),
                  ),
                ),
                h(
                  "tbody",
                  {},
                  rag.databases.map((d) =>
                    h(
                      "tr",
                      {},
                      h("td", {}, d.name),
                      h("td", {}, badge(d.status)),
                      h("td", { class: "num" }, String(d.document_count)),
                      h("td", { class: "num" }, String(d.chunk_count)),
                      h("td", { class: "num opt" }, bytes(d.size_bytes)),
                      h("td", { class: "opt" }, [d.embedder, d.embedder_model].filter(Boolean).join(": ")),
                      h("td", {}, d.issues.join("; ") || "—"),
                    ),
                  ),
                ),
              )
            : h("p", { class: "muted" }, "This project has no databases."),
        );
      } catch (err) {
        dbs.replaceChildren(h("p", { class: "error" }, errorText(err)));
      }
    }
    stamp.textContent = `updated ${new Date().toLocaleTimeString()}`;
    if (alive) timer = setTimeout(refresh, REFRESH_MS);
  }

  main.append(
    h("h1", {}, "Health ", overall),
    h("section", { class: "panel", "aria-labelledby": "svc-title" }, h("div", { class: "row" }, h("h2", { id: "svc-title", class: "grow" }, "Components"), stamp), services),
    h(
      "section",
      { class: "panel", "aria-labelledby": "db-title" },
      h("h2", { id: "db-title" }, ctx.ref ? `Databases of ${ctx.ref.namespace}/${ctx.ref.project}` : "Databases"),
      ctx.ref ? dbs : h("p", { class: "muted" }, "Open a project to see its databases."),
    ),
  );
  refresh();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
}
