// Search playground: POST …/rag/query with the chosen database, strategy, top_k, hybrid
// alpha, score threshold and metadata filters; results with scores, source and highlights.

import { get, post, projectPath } from "../api.js";
import { errorText, h, highlighted, showChunk } from "../dom.js";

export function render(main, ctx) {
  if (ctx.needProject(main, "Search")) return;
  const ref = ctx.ref;
  let databases = [];
  let strategyTypes = [];

  const query = h("input", { id: "search-query", type: "text", required: true, autocomplete: "off", placeholder: "What are you looking for?" });
  const dbSelect = h("select", { id: "search-database" });
  const strategySelect = h("select", { id: "search-strategy" });
  const topK = h("input", { id: "search-top-k", type: "number", min: 1, max: 1000, value: 5 });
  const useAlpha = h("input", { id: "search-use-alpha", type: "checkbox" });
  const alpha = h("input", { id: "search-alpha", type: "range", min: 0, max: 1, step: 0.05, value: 0.5, disabled: true });
  const alphaOut = h("output", { for: "search-alpha" }, "0.50");
  const threshold = h("input", { id: "search-threshold", type: "number", min: 0, max: 1, step: 0.05, placeholder: "none" });
  const filters = h("textarea", { id: "search-filters", class: "code", rows: 2, placeholder: '{"filename": "notes.md"}' });
  const out = h("div", { id: "search-results", "aria-live": "polite" });

  useAlpha.addEventListener("change", () => {
    alpha.disabled = !useAlpha.checked;
  });
  alpha.addEventListener("input", () => {
    alphaOut.textContent = Number(alpha.value).toFixed(2);
  });
  dbSelect.addEventListener("change", fillStrategies);

  function fillStrategies() {
    const db = databases.find((d) => d.name === dbSelect.value);
    const configured = db ? db.retrieval_strategies : [];
    strategySelect.replaceChildren(
      h("option", { value: "" }, "(the database's default)"),
      configured.length ? h("optgroup", { label: "Configured" }, configured.map((s) => h("option", { value: s.name }, `${s.name} (${s.type})`))) : null,
      strategyTypes.length ? h("optgroup", { label: "Strategy types" }, strategyTypes.map((t) => h("option", { value: t }, t))) : null,
    );
  }

  async function loadChoices() {
    try {
      const [dbs, plugins] = await Promise.all([get(projectPath(ref, "/rag/databases")), get("/v1/plugins")]);
      databases = dbs.databases;
      strategyTypes = plugins.plugins.filter((p) => p.kind === "retrieval_strategy").map((p) => p.name);
      dbSelect.replaceChildren(
        ...databases.map((d) => h("option", { value: d.name, selected: d.is_default }, `${d.name} (${d.chunk_count} chunks)`)),
      );
      fillStrategies();
    } catch (err) {
      out.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(err)));
    }
  }

  async function run(event) {
    event.preventDefault();
    const body = { query: query.value.trim(), database: dbSelect.value || null };
    if (strategySelect.value) body.retrieval_strategy = strategySelect.value;
    if (topK.value) body.top_k = Number(topK.value);
    if (useAlpha.checked) body.hybrid_alpha = Number(alpha.value);
    if (threshold.value !== "") body.score_threshold = Number(threshold.value);
    if (filters.value.trim()) {
      try {
        body.metadata_filters = JSON.parse(filters.value);
      } catch (err) {
        out.replaceChildren(h("p", { class: "error", role: "alert" }, `Filters are not valid JSON: ${err.message}`));
        return;
      }
    }
    out.replaceChildren(h("p", { class: "muted" }, "Searching…"));
    const started = performance.now();
    try {
      const r = await post(projectPath(ref, "/rag/query"), body);
      const roundTrip = performance.now() - started;
      const parts = [
        h(
          "p",
          { class: "hint summary" },
          `${r.total_results} result(s) from ${r.database_used} with ${r.retrieval_strategy_used} · `,
          `server ${r.processing_time_ms.toFixed(1)} ms, round trip ${roundTrip.toFixed(0)} ms`,
        ),
        ...(r.warnings || []).map((w) => h("div", { class: "notice" }, w)),
        ...r.results.map((res, i) => result(res, i, body.query)),
        r.results.length ? null : h("p", { class: "muted" }, "Nothing matched."),
      ];
      out.replaceChildren(...parts.filter(Boolean));
    } catch (err) {
      out.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(err)));
    }
  }

  function result(res, i, q) {
    const meta = res.metadata || {};
    const source = meta.filename || meta.source || res.document_id;
    return h(
      "article",
      { class: "result" },
      h(
        "header",
        {},
        h("span", {}, `#${i + 1}`),
        h("span", { class: "score" }, res.score.toFixed(3)),
        h("span", { class: "scorebar", "aria-hidden": "true" }, h("span", { style: { width: `${Math.round(Math.max(0, Math.min(1, res.score)) * 100)}%` } })),
        h("span", { class: "source" }, source),
        meta.page !== undefined ? h("span", {}, `page ${meta.page}`) : null,
        meta.chunk_index !== undefined ? h("span", {}, `chunk ${meta.chunk_index}`) : null,
        h(
          "button",
          { type: "button", class: "small ghost", onclick: () => showChunk(source, res.content, { score: res.score, chunk_id: res.chunk_id, document_id: res.document_id, ...meta }) },
          "Details",
        ),
      ),
      h("p", {}, highlighted(res.content, q)),
    );
  }

  main.append(
    h("h1", {}, "Search playground"),
    h(
      "form",
      { class: "panel stack", id: "search-form", onsubmit: run },
      h("div", { class: "row" }, h("label", { class: "grow" }, "Query", query), h("button", { type: "submit" }, "Search")),
      h(
        "div",
        { class: "row" },
        h("label", {}, "Database", dbSelect),
        h("label", {}, "Strategy", strategySelect),
        h("label", {}, "Top k", topK),
        h("label", {}, "Score threshold", threshold),
        h("label", { class: "inline" }, useAlpha, "Hybrid alpha"),
        h("label", { class: "inline" }, alpha, alphaOut),
      ),
      h("label", {}, "Metadata filters (JSON)", filters),
    ),
    h("section", { class: "panel", "aria-label": "Results" }, out),
  );
  loadChoices();
}
