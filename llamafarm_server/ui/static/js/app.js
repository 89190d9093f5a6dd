// The single-page shell: hash routes (#/projects, #/config, …), the current project
// (kept in localStorage), the API-key dialog. Each page module exports
// `render(main, ctx)` and may return a cleanup function (timers, streams).

import { apiKey, setApiKey } from "./api.js";
import { h } from "./dom.js";
import * as chat from "./pages/chat.js";
import * as config from "./pages/config.js";
import * as datasets from "./pages/datasets.js";
import * as health from "./pages/health.js";
import * as projects from "./pages/projects.js";
import * as search from "./pages/search.js";

const PAGES = { projects, config, datasets, search, chat, health };
const TITLES = {
  projects: "Projects",
  config: "Config",
  datasets: "Datasets",
  search: "Search",
  chat: "Chat",
  health: "Health",
};
const PROJECT_STORAGE = "lf.project";

function loadProject() {
  try {
    const ref = JSON.parse(localStorage.getItem(PROJECT_STORAGE) || "null");
    return ref && ref.namespace && ref.project ? ref : null;
  } catch {
    return null;
  }
}

const state = { ref: loadProject(), cleanup: null };

const ctx = {
  get ref() {
    return state.ref;
  },
  namespace() {
    return (state.ref && state.ref.namespace) || localStorage.getItem("lf.namespace") || "default";
  },
  setNamespace(ns) {
    localStorage.setItem("lf.namespace", ns);
  },
  setProject(ref) {
    state.ref = ref;
    if (ref) localStorage.setItem(PROJECT_STORAGE, JSON.stringify(ref));
    else localStorage.removeItem(PROJECT_STORAGE);
    showProject();
  },
  go(page) {
    if (window.location.hash === `#/${page}`) route();
    else window.location.hash = `#/${page}`;
  },
  /** A page that needs a project says so instead of rendering. */
  needProject(main, title) {
    if (state.ref) return false;
    main.append(
      h("h1", {}, title),
      h(
        "div",
        { class: "panel" },
        h("p", {}, "Choose a project first: "),
        h("a", { href: "#/projects" }, "open the Projects page"),
        ".",
      ),
    );
    return true;
  },
};

function showProject() {
  const el = document.getElementById("current-project");
  el.textContent = state.ref ? `${state.ref.namespace}/${state.ref.project}` : "no project";
}

function route() {
  const name = (window.location.hash.match(/^#\/([a-z]+)/) || [])[1];
  const page = PAGES[name] ? name : "projects";
  if (state.cleanup) {
    try {
      state.cleanup();
    } catch (err) {
      console.warn("cleanup failed", err);
    }
    state.cleanup = null;
  }
  for (const a of document.querySelectorAll("header nav a")) {
    if (a.dataset.page === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${TITLES[page]} · LlamaFarm`;
  const main = document.getElementById("main");
  main.replaceChildren();
  main.dataset.page = page;
  const cleanup = PAGES[page].render(main, ctx);
  state.cleanup = typeof cleanup === "function" ? cleanup : null;
}

function setupKeyDialog() {
  const dialog = document.getElementById("key-dialog");
  const input = document.getElementById("key-input");
  const button = document.getElementById("api-key-button");
  const label = () => {
    button.textContent = apiKey() ? "API key ✓" : "API key";
  };
  button.addEventListener("click", () => {
    input.value = apiKey();
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "save") setApiKey(input.value.trim());
    if (dialog.returnValue === "clear") setApiKey("");
    input.value = "";
    label();
    if (dialog.returnValue === "save" || dialog.returnValue === "clear") route();
  });
  label();
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", () => {
  // The skip link moves focus without touching the hash (the hash is the router's).
  document.querySelector("a.skip").addEventListener("click", (e) => {
    e.preventDefault();
    document.getElementById("main").focus();
  });
  setupKeyDialog();
  showProject();
  route();
});
