// Where is `rag.databases[0].type` in this YAML text? Maps the paths the server names in its
// validation errors to 1-based line numbers, for block-style YAML (what the editor shows).

function unquote(key) {
  const k = key.trim();
  if ((k.startsWith('"') && k.endsWith('"')) || (k.startsWith("'") && k.endsWith("'"))) return k.slice(1, -1);
  return k;
}

/** "rag.databases[0].name" for ["rag", "databases", 0, "name"] (the server's format). */
export function formatPath(parts) {
  let out = "";
  for (const p of parts) out += typeof p === "number" ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** Map of every key and sequence item's path to the line (1-based) where it starts. */
export function pathLines(text) {
  const lines = new Map();
  const stack = []; // {indent, path, item}
  const counters = new Map(); // sequence path -> last index
  const record = (path, line) => {
    const key = formatPath(path);
    if (!lines.has(key)) lines.set(key, line);
  };
  text.split("\n").forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!trimmed || trimmed.startsWith("#") || trimmed === "---") return;
    let indent = raw.search(/\S/);
    let rest = raw.slice(indent);
    if (rest.startsWith("- ") || rest === "-") {
      while (stack.length && (stack.at(-1).indent > indent || (stack.at(-1).indent === indent && stack.at(-1).item))) stack.pop();
    } else {
      while (stack.length && stack.at(-1).indent >= indent) stack.pop();
    }
    let parent = stack.length ? stack.at(-1).path : [];
    while (rest.startsWith("- ") || rest === "-") {
      const seq = formatPath(parent);
      const index = counters.has(seq) ? counters.get(seq) + 1 : 0;
      counters.set(seq, index);
      parent = [...parent, index];
      record(parent, i + 1);
      stack.push({ indent, path: parent, item: true });
      const after = rest.slice(1);
      const gap = after.search(/\S/);
      if (gap < 0) return;
      indent += 1 + gap;
      rest = after.slice(gap);
    }
    const m = rest.match(/^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s:#'"][^:#]*?)\s*:(?:\s|$)/);
    if (!m) return;
    const path = [...parent, unquote(m[1])];
    record(path, i + 1);
    stack.push({ indent, path, item: false });
    // A key's nested sequence/mapping items are indented deeper, or (sequences) at the same indent.
    counters.delete(formatPath(path));
  });
  return lines;
}

/** The line of `path`, or of its nearest ancestor that is in the text (a missing key). */
export function lineOf(lines, path) {
  let p = path;
  while (p) {
    if (lines.has(p)) return lines.get(p);
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    p = cut > 0 ? p.slice(0, cut) : "";
  }
  return null;
}

/** "a.b[0].c: message; x: other" → [{path, message}] (the server joins problems with "; "). */
export function splitProblems(detail) {
  return String(detail)
    .split(/;\s+(?=[\w.[\]()-]+: )/)
    .map((part) => {
      const m = part.match(/^([\w.[\]()-]+): ([\s\S]*)$/);
      if (!m) return { path: null, message: part };
      const path = m[1].replace(/^(body\.)?config\.?/, "").replace(/^\(root\)$/, "");
      return { path: path || null, message: m[2] };
    });
}
