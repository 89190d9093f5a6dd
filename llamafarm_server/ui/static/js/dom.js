// Small DOM helpers. Text always goes in as text nodes (never innerHTML), so content from
// documents and models cannot inject markup.

/** h("button", {class: "x", onclick: fn}, "text", child, [more]) → element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style") Object.assign(el.style, v); // CSSOM, allowed by the CSP (inline style="" is not)
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function toast(message, bad = false) {
  const box = document.getElementById("toasts");
  const t = h("div", { class: bad ? "toast bad" : "toast" }, message);
  box.append(t);
  setTimeout(() => t.remove(), bad ? 8000 : 3500);
}

/** A modal confirmation; resolves true when the user confirms. */
export function confirmDialog(title, text, okLabel = "Delete") {
  const dialog = document.getElementById("confirm-dialog");
  dialog.querySelector("#confirm-title").textContent = title;
  dialog.querySelector("#confirm-text").textContent = text;
  dialog.querySelector("#confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

export function bytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function badge(text, kind = text) {
  return h("span", { class: `badge ${kind}` }, text);
}

// Words too common to be worth highlighting.
const STOPWORDS = new Set(
  "a an and are as at be by can do does for from has have how in is it its much of on or than that the this to was what when where which who why with".split(" "),
);

/** The text with the words that start with one of the query's words wrapped in <mark>. */
export function highlighted(text, query) {
  const words = [...new Set((query.match(/[\p{L}\p{N}]{2,}/gu) || []).map((w) => w.toLowerCase()))].filter(
    (w) => !STOPWORDS.has(w),
  );
  if (!words.length) return [text];
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp(`(?<![\\p{L}\\p{N}])(${escaped.join("|")})`, "giu");
  return text.split(re).map((part, i) => (i % 2 === 1 ? h("mark", {}, part) : part));
}

/** Show a chunk (content and its metadata) in the chunk dialog. */
export function showChunk(title, content, meta) {
  const dialog = document.getElementById("chunk-dialog");
  dialog.querySelector("#chunk-title").textContent = title;
  const dl = dialog.querySelector("#chunk-meta");
  dl.replaceChildren(
    ...Object.entries(meta)
      .filter(([, v]) => v !== null && v !== undefined && v !== "")
      .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : v)]),
  );
  dialog.querySelector("#chunk-content").textContent = content;
  dialog.showModal();
}

export function errorText(err) {
  const detail = err && err.detail !== undefined ? err.detail : err && err.message;
  return typeof detail === "string" ? detail : JSON.stringify(detail);
}
