// Chat: streamed answers (SSE from …/chat/completions with stream=true), the sessions the
// server keeps (listed by …/chat/sessions; resume, delete), a model picker, a RAG toggle, and
// the sources of each answer beside it (click one to read the chunk), also when resumed.

import { del, get, projectPath, streamChat } from "../api.js";
import { confirmDialog, errorText, h, showChunk, toast } from "../dom.js";

const MAX_SESSIONS = 50;

export function render(main, ctx) {
  if (ctx.needProject(main, "Chat")) return;
  const ref = ctx.ref;
  let sessions = [];
  let sessionId = null;
  let controller = null;

  const sessionList = h("ul", { id: "session-list" });
  const messages = h("div", { class: "messages", id: "messages", "aria-live": "polite" });
  const modelSelect = h("select", { id: "chat-model" });
  const ragToggle = h("input", { id: "chat-rag", type: "checkbox", checked: true });
  const dbSelect = h("select", { id: "chat-database" });
  const maxTokens = h("input", { id: "chat-max-tokens", type: "number", min: 1, value: 256 });
  const input = h("textarea", { id: "chat-input", rows: 3, placeholder: "Ask something… (Enter sends, Shift+Enter for a new line)", "aria-label": "Message" });
  const sendButton = h("button", { type: "submit", id: "chat-send" }, "Send");
  const stopButton = h("button", { type: "button", class: "ghost", hidden: true, onclick: () => controller && controller.abort() }, "Stop");

  ragToggle.addEventListener("change", () => {
    dbSelect.disabled = !ragToggle.checked;
  });

  function paintSessions() {
    sessionList.replaceChildren(
      ...(sessions.length
        ? sessions.map((s) =>
            h(
              "li",
              { class: s.session_id === sessionId ? "active" : null, dataset: { session: s.session_id } },
              h(
                "button",
                { type: "button", class: "open", title: `${s.message_count} messages, last ${new Date(s.updated_at * 1000).toLocaleString()}`, onclick: () => resume(s.session_id) },
                s.title || s.session_id,
              ),
              h("button", { type: "button", class: "small ghost", "aria-label": `Delete session ${s.title || s.session_id}`, onclick: () => removeSession(s) }, "✕"),
            ),
          )
        : [h("li", { class: "muted" }, "No sessions yet.")]),
    );
  }

  async function loadSessions() {
    try {
      sessions = (await get(projectPath(ref, "/chat/sessions"), { query: { limit: MAX_SESSIONS } })).sessions;
      paintSessions();
    } catch (err) {
      toast(errorText(err), true);
    }
  }

  async function removeSession(s) {
    const name = s.title || s.session_id;
    const ok = await confirmDialog(`Delete session “${name}”?`, "Its history is deleted on the server.");
    if (!ok) return;
    try {
      await del(projectPath(ref, `/chat/sessions/${encodeURIComponent(s.session_id)}`));
    } catch (err) {
      if (err.status !== 404) {
        toast(errorText(err), true);
        return;
      }
    }
    sessions = sessions.filter((x) => x.session_id !== s.session_id);
    if (sessionId === s.session_id) newChat();
    paintSessions();
  }

  async function resume(id) {
    try {
      const path = projectPath(ref, `/chat/sessions/${encodeURIComponent(id)}/history`);
      const history = await get(path, { query: { include_sources: true } });
      sessionId = id;
      messages.replaceChildren(
        ...history.messages.map((m) => {
          const shown = turn(m.role, m.content);
          if (m.sources && m.sources.length) showSources(shown.sources, m.sources);
          return shown.row;
        }),
      );
      paintSessions();
      messages.scrollTop = messages.scrollHeight;
      input.focus();
    } catch (err) {
      if (err.status === 404) {
        sessions = sessions.filter((x) => x.session_id !== id);
        paintSessions();
        toast("That session no longer exists on the server", true);
      } else toast(errorText(err), true);
    }
  }

  function newChat() {
    sessionId = null;
    messages.replaceChildren();
    paintSessions();
    input.focus();
  }

  function turn(role, text) {
    const body = h("div", { class: "text" }, text);
    const sources = h("aside", { class: "sources", "aria-label": "Sources" });
    const row = h(
      "div",
      { class: `turn ${role}` },
      h("div", { class: "bubble" }, h("span", { class: "who" }, role === "user" ? "You" : "Assistant"), body),
      sources,
    );
    return { row, body, sources };
  }

  function showSources(box, sources) {
    if (!sources || !sources.length) {
      box.replaceChildren(h("span", { class: "muted" }, ragToggle.checked ? "No sources used." : ""));
      return;
    }
    box.replaceChildren(
      h("strong", {}, "Sources"),
      h(
        "ol",
        {},
        sources.map((s) => {
          const name = s.filename || s.document_id || s.chunk_id;
          const label = `${name}${s.page !== null && s.page !== undefined ? `, p. ${s.page}` : ""} (${s.score.toFixed(2)})`;
          return h(
            "li",
            {},
            h("button", { type: "button", class: "source", onclick: () => showChunk(name, s.content, { score: s.score, page: s.page, chunk_index: s.chunk_index, chunk_id: s.chunk_id, document_id: s.document_id }) }, label),
          );
        }),
      ),
    );
  }

  async function send(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || controller) return;
    input.value = "";
    messages.append(turn("user", text).row);
    const answer = turn("assistant", "");
    answer.row.dataset.state = "streaming";
    messages.append(answer.row);
    messages.scrollTop = messages.scrollHeight;
    const body = { messages: [{ role: "user", content: text }], rag_enabled: ragToggle.checked };
    if (modelSelect.value) body.model = modelSelect.value;
    if (ragToggle.checked && dbSelect.value) body.database = dbSelect.value;
    if (maxTokens.value) body.max_tokens = Number(maxTokens.value);
    controller = new AbortController();
    sendButton.disabled = true;
    stopButton.hidden = false;
    let content = "";
    let deltas = 0;
    try {
      for await (const event of streamChat(projectPath(ref, "/chat/completions"), body, { sessionId, signal: controller.signal })) {
        if (event.sessionId) {
          sessionId = event.sessionId;
          continue;
        }
        const chunk = event.chunk;
        if (chunk.error) throw new Error(chunk.error.message);
        const choice = chunk.choices && chunk.choices[0];
        if (choice && choice.delta && choice.delta.content) {
          content += choice.delta.content;
          answer.body.textContent = content;
          answer.row.dataset.deltas = String(++deltas); // how many streamed pieces made the answer
          messages.scrollTop = messages.scrollHeight;
        }
        if (chunk.sources) showSources(answer.sources, chunk.sources);
      }
      answer.row.dataset.state = "done";
      await loadSessions(); // the server's list now has this session, with its title
    } catch (err) {
      answer.row.dataset.state = "error";
      const message = err.name === "AbortError" ? "(stopped)" : `Error: ${errorText(err)}`;
      answer.body.append(h("div", { class: "error" }, message));
    } finally {
      controller = null;
      sendButton.disabled = false;
      stopButton.hidden = true;
      input.focus();
    }
  }

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) send(e);
  });

  async function loadChoices() {
    try {
      const [models, dbs] = await Promise.all([get(projectPath(ref, "/models")), get(projectPath(ref, "/rag/databases"))]);
      modelSelect.replaceChildren(
        ...models.data.map((m) => h("option", { value: m.name, selected: m.default }, `${m.name} (${m.provider}: ${m.model})`)),
      );
      dbSelect.replaceChildren(...dbs.databases.map((d) => h("option", { value: d.name, selected: d.is_default }, d.name)));
      if (!dbs.databases.length) {
        ragToggle.checked = false;
        ragToggle.disabled = true;
        dbSelect.disabled = true;
      }
    } catch (err) {
      toast(errorText(err), true);
    }
  }

  main.append(
    h("h1", {}, `Chat with ${ref.namespace}/${ref.project}`),
    h(
      "div",
      { class: "chat" },
      h(
        "section",
        { class: "panel sessions", "aria-label": "Sessions" },
        h("button", { type: "button", id: "new-chat", onclick: newChat }, "New chat"),
        sessionList,
      ),
      h(
        "section",
        { class: "panel stack", "aria-label": "Conversation" },
        h(
          "div",
          { class: "row" },
          h("label", { class: "grow" }, "Model", modelSelect),
          h("label", { class: "inline" }, ragToggle, "Use documents (RAG)"),
          h("label", {}, "Database", dbSelect),
          h("label", {}, "Max tokens", maxTokens),
        ),
        messages,
        h("form", { class: "composer stack", id: "chat-form", onsubmit: send }, input, h("div", { class: "row end" }, stopButton, sendButton)),
      ),
    ),
  );
  paintSessions();
  loadSessions();
  loadChoices();
  return () => controller && controller.abort();
}
