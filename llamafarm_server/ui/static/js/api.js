// The public HTTP API, and nothing else: same-origin requests, JSON bodies with their
// content type, and the user's API key (if any) as a Bearer token.

const KEY_STORAGE = "lf.apiKey";

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
  }
}

export function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || "";
}

export function setApiKey(key) {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

function headers(extra = {}, json = false) {
  const out = { Accept: "application/json", ...extra };
  if (json) out["Content-Type"] = "application/json";
  const key = apiKey();
  if (key) out.Authorization = `Bearer ${key}`;
  return out;
}

function url(path, query) {
  const u = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") u.searchParams.set(k, String(v));
  }
  return u.toString();
}

async function errorOf(res) {
  const text = await res.text();
  try {
    const data = JSON.parse(text);
    if (data && data.detail !== undefined) return new ApiError(res.status, data.detail);
    if (data && data.error) return new ApiError(res.status, data.error.message || data.error);
  } catch {
    /* not JSON: use the text */
  }
  return new ApiError(res.status, text || `${res.status} ${res.statusText}`);
}

/** One JSON request. Resolves to the parsed body, or {data, headers} with `full`. */
export async function request(method, path, { body, query, headers: extra, full } = {}) {
  const init = { method, headers: headers(extra, body !== undefined), credentials: "same-origin" };
  if (body !== undefined) init.body = JSON.stringify(body);
  let res;
  try {
    res = await fetch(url(path, query), init);
  } catch (err) {
    throw new ApiError(0, `cannot reach the server: ${err.message}`);
  }
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  return full ? { data, headers: res.headers } : data;
}

export const get = (path, opts) => request("GET", path, opts);
export const post = (path, body, opts = {}) => request("POST", path, { ...opts, body });
export const put = (path, body, opts = {}) => request("PUT", path, { ...opts, body });
export const del = (path, opts) => request("DELETE", path, opts);

/** `/v1/projects/{namespace}/{project}` with both parts escaped. */
export function projectPath(ref, suffix = "") {
  return `/v1/projects/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.project)}${suffix}`;
}

/** Upload one file (multipart field `file`) with progress callbacks (0..1). */
export function uploadFile(path, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url(path));
    xhr.setRequestHeader("Accept", "application/json");
    const key = apiKey();
    if (key) xhr.setRequestHeader("Authorization", `Bearer ${key}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = { detail: xhr.responseText || `${xhr.status}` };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data.detail ?? data));
    };
    xhr.onerror = () => reject(new ApiError(0, "network error during upload"));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/**
 * POST a chat completion with stream=true and yield its SSE events: first
 * {sessionId}, then each parsed `data:` JSON chunk; returns at `[DONE]`.
 */
export async function* streamChat(path, body, { sessionId, signal } = {}) {
  const extra = { Accept: "text/event-stream" };
  if (sessionId) extra["X-Session-ID"] = sessionId;
  let res;
  try {
    res = await fetch(url(path), {
      method: "POST",
      headers: headers(extra, true),
      body: JSON.stringify({ ...body, stream: true }),
      credentials: "same-origin",
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, `cannot reach the server: ${err.message}`);
  }
  if (!res.ok) throw await errorOf(res);
  yield { sessionId: res.headers.get("X-Session-ID") };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      if (!data) continue;
      if (data === "[DONE]") return;
      yield { chunk: JSON.parse(data) };
    }
  }
}
