// Datasets: create one, drop files on it (each uploaded with its own progress bar),
// process it with a live progress bar fed by the tasks API, list and delete its files.

import { del, get, post, projectPath, uploadFile } from "../api.js";
import { badge, bytes, confirmDialog, errorText, h, toast } from "../dom.js";

const PARALLEL_UPLOADS = 3;
const POLL_MS = 400;

export function render(main, ctx) {
  if (ctx.needProject(main, "Datasets")) return;
  const ref = ctx.ref;
  const base = projectPath(ref, "/datasets");
  const timers = new Set();
  const uploadLists = new Map(); // dataset name -> its uploads list, kept across re-renders
  const progressBoxes = new Map(); // dataset name -> its processing progress, likewise
  const following = new Set(); // datasets whose task is being followed
  let resumed = false;
  let alive = true;

  const list = h("div", { id: "dataset-list" }, h("p", { class: "muted" }, "Loading…"));
  const nameInput = h("input", { id: "new-dataset-name", required: true, autocomplete: "off" });
  const strategySelect = h("select", { id: "new-dataset-strategy" });
  const databaseSelect = h("select", { id: "new-dataset-database" });
  const descInput = h("input", { id: "new-dataset-description" });
  const createError = h("p", { class: "error", role: "alert" });

  async function loadChoices() {
    try {
      const s = await get(`${base}/strategies`);
      strategySelect.replaceChildren(...s.data_processing_strategies.map((v) => h("option", { value: v }, v)));
      databaseSelect.replaceChildren(...s.databases.map((v) => h("option", { value: v }, v)));
    } catch (err) {
      createError.textContent = errorText(err);
    }
  }

  async function load() {
    try {
      const data = await get(base, { query: { include_extra_details: true } });
      if (!alive) return;
      if (!data.datasets.length) {
        list.replaceChildren(h("p", { class: "muted" }, "No datasets yet: create one below."));
        return;
      }
      list.replaceChildren(...data.datasets.map((d) => datasetCard(d)));
      if (!resumed) {
        resumed = true;
        resumeRunning(data.datasets.map((d) => d.name));
      }
    } catch (err) {
      list.replaceChildren(h("p", { class: "error", role: "alert" }, errorText(err)));
    }
  }

  function datasetCard(d) {
    const one = `${base}/${encodeURIComponent(d.name)}`;
    const details = d.details || { total_files: d.files.length, total_size_bytes: 0, file_details: [] };
    if (!uploadLists.has(d.name)) uploadLists.set(d.name, h("ul", { class: "uploads", "aria-label": "Uploads" }));
    const uploads = uploadLists.get(d.name);
    if (!progressBoxes.has(d.name)) progressBoxes.set(d.name, h("div", { class: "process-progress", "aria-live": "polite" }));
    const progress = progressBoxes.get(d.name);
    const input = h("input", { type: "file", multiple: true, "aria-label": `Choose files for ${d.name}` });
    const zone = h(
      "label",
      { class: "dropzone" },
      input,
      h("span", {}, "Drop files here, or press Enter to choose files"),
    );
    zone.addEventListener("dragover", (e) => {
      e.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      uploadAll(one, [...e.dataTransfer.files], uploads);
    });
    input.addEventListener("change", () => {
      uploadAll(one, [...input.files], uploads);
      input.value = "";
    });

    const processButton = h("button", { type: "button", class: "process", disabled: following.has(d.name) }, "Process");
    processButton.addEventListener("click", () => processDataset(d.name, processButton));

    return h(
      "section",
      { class: "panel dataset", dataset: { name: d.name }, "aria-label": `Dataset ${d.name}` },
      h(
        "div",
        { class: "row" },
        h(
          "div",
          { class: "grow" },
          h("h2", {}, d.name),
          h(
            "p",
            { class: "hint" },
            `database ${d.database || "—"} · strategy ${d.data_processing_strategy || "—"} · `,
            `${details.total_files} file(s), ${bytes(details.total_size_bytes)}`,
            d.description ? ` · ${d.description}` : "",
          ),
        ),
        processButton,
        h(
          "button",
          {
            type: "button",
            class: "danger",
            onclick: async () => {
              const ok = await confirmDialog(
                `Delete dataset “${d.name}”?`,
                "Its files' chunks are removed from the database; files no other dataset uses are deleted.",
              );
              if (!ok) return;
              try {
                const r = await del(one);
                toast(`Deleted ${d.name} (${r.removed_chunks} chunks removed)`);
                load();
              } catch (err) {
                toast(errorText(err), true);
              }
            },
          },
          "Delete dataset",
        ),
      ),
      zone,
      uploads,
      progress,
      fileTable(one, details.file_details),
    );
  }

  function fileTable(one, files) {
    if (!files.length) return h("p", { class: "muted" }, "No files yet.");
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "files" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "File"),
            h("th", { class: "num" }, "Size"),
            h("th", { class: "opt" }, "Type"),
            h("th", {}, "Status"),
            h("th", { class: "num" }, "Chunks"),
            h("th", {}, ""),
          ),
        ),
        h(
          "tbody",
          {},
          files.map((f) =>
            h(
              "tr",
              { dataset: { hash: f.hash, status: f.status } },
              h("td", {}, f.original_filename || f.hash.slice(0, 12), f.reason ? h("div", { class: "error" }, f.reason) : null),
              h("td", { class: "num" }, bytes(f.size)),
              h("td", { class: "opt" }, f.mime_type || ""),
              h("td", {}, badge(f.status)),
              h("td", { class: "num chunks" }, String(f.chunks)),
              h(
                "td",
                {},
                h(
                  "button",
                  {
                    type: "button",
                    class: "small ghost",
                    "aria-label": `Remove ${f.original_filename || f.hash}`,
                    onclick: async () => {
                      const ok = await confirmDialog(
                        `Remove “${f.original_filename || f.hash}”?`,
                        "Its chunks are removed from the database.",
                        "Remove",
                      );
                      if (!ok) return;
                      try {
                        const r = await del(`${one}/data/${encodeURIComponent(f.hash)}`, { query: { remove_from_disk: true } });
                        toast(`Removed (${r.removed_chunks} chunks)`);
                        load();
                      } catch (err) {
                        toast(errorText(err), true);
                      }
                    },
                  },
                  "Remove",
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  async function uploadAll(one, files, box) {
    if (!files.length) return;
    const rows = files.map((file) => {
      const bar = h("progress", { max: 1, value: 0, "aria-label": `Upload of ${file.name}` });
      const status = h("span", { class: "status" }, badge("waiting", "pending"));
      const row = h("li", { dataset: { file: file.name } }, h("span", { class: "name", title: file.name }, file.name), bar, status);
      box.append(row);
      return { file, bar, status, row };
    });
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const r = rows[next++];
        r.status.replaceChildren(badge("uploading", "pending"));
        try {
          const res = await uploadFile(`${one}/data`, r.file, (f) => {
            r.bar.value = f;
          });
          r.bar.value = 1;
          r.status.replaceChildren(res.skipped ? badge("already there", "skipped") : badge("uploaded"));
          r.row.dataset.state = "done";
        } catch (err) {
          r.status.replaceChildren(badge("failed"), " ", h("span", { class: "error" }, errorText(err)));
          r.row.dataset.state = "failed";
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, rows.length) }, worker));
    const failed = rows.filter((r) => r.row.dataset.state === "failed").length;
    toast(`${rows.length - failed} of ${rows.length} file(s) uploaded`, failed > 0);
    if (alive) {
      await load();
    }
  }

  /** Follow the tasks still running from before this page opened (another tab, the CLI). */
  async function resumeRunning(names) {
    try {
      const { tasks } = await get(projectPath(ref, "/tasks"), { query: { limit: 50 } });
      const newest = new Map();
      for (const t of tasks) if (!newest.has(t.dataset)) newest.set(t.dataset, t);
      for (const [name, t] of newest) {
        if (names.includes(name) && t.state !== "SUCCESS" && t.state !== "FAILURE") follow(name, t.task_id);
      }
    } catch (err) {
      console.warn("could not list running tasks", err);
    }
  }

  async function processDataset(name, button) {
    button.disabled = true;
    const box = progressBoxes.get(name);
    try {
      const started = await post(`${base}/${encodeURIComponent(name)}/process`, {}, { query: { async_processing: true } });
      if (!started.task_id) throw new Error("the server answered without a task id");
      await follow(name, started.task_id);
    } catch (err) {
      box.replaceChildren(h("span", { class: "error" }, errorText(err)));
      box.dataset.state = "FAILURE";
      button.disabled = false;
    }
  }

  /** A live progress bar (files done/total) and the failures with their reasons, polled from the tasks API. */
  async function follow(name, taskId) {
    if (following.has(name)) return;
    following.add(name);
    const box = progressBoxes.get(name);
    const bar = h("progress", { max: 1, value: 0, "aria-label": `Processing ${name}` });
    const label = h("span", { class: "progress-label" }, "starting…");
    const failures = h("ul", { class: "failures" });
    box.dataset.state = "PENDING";
    box.replaceChildren(h("div", { class: "progress-line" }, bar, label), failures);
    // A summary: the same counts, only the failed files' details (a poll's cost does not grow with the files).
    const taskUrl = projectPath(ref, `/tasks/${encodeURIComponent(taskId)}?summary=true`);
    let final = "FAILURE";
    try {
      for (;;) {
        const t = await get(taskUrl);
        const total = t.meta.total || 0;
        bar.max = Math.max(total, 1);
        bar.value = t.meta.current;
        label.textContent = `${t.meta.current}/${total} files · ${t.state}`;
        const failed = t.result.details.filter((d) => d.status === "failed");
        failures.replaceChildren(
          ...failed.map((d) => h("li", { class: "error" }, `${d.filename || d.hash}: ${d.reason || "failed"}`)),
        );
        if (t.state === "SUCCESS" || t.state === "FAILURE") {
          label.textContent =
            `${t.meta.current}/${total} files · ${t.result.processed_files} processed, ` +
            `${t.result.skipped_files} skipped, ${t.result.failed_files} failed` + (t.error ? ` · ${t.error}` : "");
          final = t.state;
          toast(`Processing of ${name} finished`, t.state === "FAILURE");
          break;
        }
        if (!alive) return;
        await new Promise((resolve) => timers.add(setTimeout(resolve, POLL_MS)));
      }
    } catch (err) {
      label.textContent = errorText(err);
      label.classList.add("error");
    } finally {
      following.delete(name);
    }
    if (alive) await load();
    box.dataset.state = final; // after the file table shows the result
  }

  async function create(event) {
    event.preventDefault();
    createError.textContent = "";
    try {
      await post(base, {
        name: nameInput.value.trim(),
        data_processing_strategy: strategySelect.value || null,
        database: databaseSelect.value || null,
        description: descInput.value.trim() || null,
      });
      toast(`Created dataset ${nameInput.value.trim()}`);
      nameInput.value = "";
      descInput.value = "";
      load();
    } catch (err) {
      createError.textContent = errorText(err);
    }
  }

  main.append(
    h("h1", {}, `Datasets of ${ref.namespace}/${ref.project}`),
    list,
    h(
      "section",
      { class: "panel", "aria-labelledby": "new-dataset-title" },
      h("h2", { id: "new-dataset-title" }, "Create a dataset"),
      h(
        "form",
        { class: "row", id: "create-dataset", onsubmit: create },
        h("label", { class: "grow" }, "Name", nameInput),
        h("label", {}, "Processing strategy", strategySelect),
        h("label", {}, "Database", databaseSelect),
        h("label", { class: "grow" }, "Description", descInput),
        h("button", { type: "submit" }, "Create"),
      ),
      createError,
    ),
  );
  loadChoices();
  load();
  return () => {
    alive = false;
    for (const t of timers) clearTimeout(t);
  };
}
