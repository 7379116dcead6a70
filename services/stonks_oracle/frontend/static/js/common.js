// Shared helpers of the Stonks Oracle pages: one fetch helper (through the same-origin gateway,
// which adds the API key server-side), render helpers that put key values in elements carrying
// data-field, and page() which marks <html data-state> "ready" or "error" once the page settled.

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** GET `path` of `service` through /gateway; the parsed JSON, or an ApiError naming the call. */
export async function get(service, path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const search = query.toString();
  const url = `/gateway/${service}${path}${search ? `?${search}` : ""}`;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch (err) {
    throw new ApiError(`${service} GET ${path} failed: ${err.message}`, 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const detail = body && body.detail !== undefined ? JSON.stringify(body.detail) : response.statusText;
    throw new ApiError(`${service} GET ${path} answered ${response.status}: ${detail}`, response.status);
  }
  return body;
}

/** A DOM element: attrs (class, dataset, text, any attribute), then children (nodes or text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const DASH = "—";

export const fmt = {
  text: (v) => (v === null || v === undefined || v === "" ? DASH : String(v)),
  int: (v) => (v === null || v === undefined ? DASH : Number(v).toLocaleString("en-US")),
  number: (v, digits = 2) =>
    v === null || v === undefined
      ? DASH
      : Number(v).toLocaleString("en-US", { maximumFractionDigits: digits }),
  money: (v) =>
    v === null || v === undefined
      ? DASH
      : Number(v).toLocaleString("en-US", { style: "currency", currency: "USD" }),
  compact: (v) =>
    v === null || v === undefined
      ? DASH
      : Number(v).toLocaleString("en-US", { notation: "compact", maximumFractionDigits: 2 }),
  // a ratio 0..1 as a percentage
  ratio: (v) =>
    v === null || v === undefined
      ? DASH
      : `${(Number(v) * 100).toLocaleString("en-US", { maximumFractionDigits: 1 })}%`,
  // a value that is already in percent
  pct: (v) =>
    v === null || v === undefined
      ? DASH
      : `${Number(v).toLocaleString("en-US", { maximumFractionDigits: 2 })}%`,
  bool: (v) => (v === null || v === undefined ? DASH : v ? "yes" : "no"),
  date: (v) => {
    if (!v) return DASH;
    const date = new Date(v);
    if (Number.isNaN(date.getTime())) return String(v);
    return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  },
  json: (v) => (v === null || v === undefined ? DASH : JSON.stringify(v)),
};

const GOOD = new Set(["up", "positive", "buy", "healthy", "completed", "active", "filled", "open", "bullish", "delivered", "ok"]);
const BAD = new Set(["down", "negative", "sell", "failed", "cancelled", "rejected", "high", "bearish", "error", "halted"]);
const WARN = new Set(["flat", "neutral", "hold", "pending", "degraded", "medium", "running", "paused", "partially_filled"]);

/** A status-like value as a coloured badge (dark text on a light background). */
export function badge(value) {
  const text = fmt.text(value);
  const tone = GOOD.has(text) ? "good" : BAD.has(text) ? "bad" : WARN.has(text) ? "warn" : "";
  return el("span", { class: tone ? `badge ${tone}` : "badge" }, text);
}

/** A cell value: column.render(row) if given, else column.format(value) text. */
function cell(column, row) {
  if (column.render) return column.render(row);
  const value = row[column.key];
  if (column.badge) return badge(value);
  const text = (column.format || fmt.text)(value);
  return column.href ? link(column.href(row), text) : text;
}

export function link(href, text, attrs = {}) {
  return el("a", { href, ...attrs }, text);
}

/**
 * A table: caption, columns [{key, label, format?, render?, badge?, href?, num?}], rows.
 * Every cell carries data-field = column key, every row data-id = row.id.
 */
export function table(caption, columns, rows, options = {}) {
  if (!rows || rows.length === 0) {
    return el("p", { class: "empty", dataset: { empty: options.name || caption } }, `No ${caption.toLowerCase()}.`);
  }
  const head = el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : null }, c.label)));
  const body = rows.map((row) =>
    el(
      "tr",
      {
        dataset: row.id ? { id: row.id } : {},
        class: options.selectedId && row.id === options.selectedId ? "selected" : null,
        "aria-current": options.selectedId && row.id === options.selectedId ? "true" : null,
      },
      columns.map((c) => el("td", { dataset: { field: c.key }, class: c.num ? "num" : null }, cell(c, row))),
    ),
  );
  return el(
    "table",
    { dataset: { table: options.name || caption } },
    el("caption", {}, caption),
    el("thead", {}, head),
    el("tbody", {}, body),
  );
}

/** Labelled values of one object as a <dl>; each <dd> carries data-field = key. */
export function fields(obj, items) {
  return el(
    "dl",
    { class: "fields" },
    items.map((item) => [
      el("dt", {}, item.label),
      el("dd", { dataset: { field: item.key } }, cell(item, obj)),
    ]),
  );
}

/** Labelled values of one object as cards; each value carries data-field = key. */
export function cards(obj, items) {
  return el(
    "div",
    { class: "cards" },
    items.map((item) =>
      el(
        "div",
        { class: "card" },
        el("p", { class: "label" }, item.label),
        el("p", { class: "value", dataset: { field: item.key } }, cell(item, obj)),
      ),
    ),
  );
}

/** A mapping {key: count} as a two-column table; values carry data-field = `${name}.${key}`. */
export function counts(caption, name, mapping, keyLabel = "Value", countLabel = "Count") {
  const rows = Object.entries(mapping || {}).map(([key, count]) => ({ key, count }));
  return el(
    "table",
    { dataset: { table: name } },
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, keyLabel), el("th", { scope: "col", class: "num" }, countLabel))),
    el(
      "tbody",
      {},
      rows.map((row) =>
        el(
          "tr",
          {},
          el("th", { scope: "row", dataset: { key: `${name}.${row.key}` } }, row.key),
          el("td", { class: "num", dataset: { field: `${name}.${row.key}` } }, fmt.int(row.count)),
        ),
      ),
    ),
  );
}

let sectionCount = 0;

/** A titled region (<section aria-labelledby>) named by data-section. */
export function section(title, name, ...children) {
  sectionCount += 1;
  const id = `section-${sectionCount}`;
  return el(
    "section",
    { "aria-labelledby": id, dataset: { section: name }, class: name === "selected" ? "detail" : null },
    el("h2", { id }, title),
    ...children,
  );
}

/** The id in ?selected=, else the first item's id (the item whose details a list page shows). */
export function selectedId(items) {
  const chosen = new URLSearchParams(window.location.search).get("selected");
  if (chosen) return chosen;
  return items.length > 0 ? items[0].id : null;
}

/** A link that selects an item of this list page (?selected=id). */
export function selectLink(row, label) {
  const url = new URL(window.location.href);
  url.searchParams.set("selected", row.id);
  return link(`${url.pathname}${url.search}`, "Show details", { "aria-label": `Show details of ${label}` });
}

/** The last path segment (the id of a detail page such as /documents/{id}). */
export function pathId() {
  const parts = window.location.pathname.split("/").filter(Boolean);
  return decodeURIComponent(parts[parts.length - 1] || "");
}

/** The page heading and document title. */
export function heading(text) {
  const h1 = document.querySelector("[data-role=heading]");
  if (h1) h1.textContent = text;
  document.title = `${text} · Stonks Oracle`;
}

/** A caption that only repeats the heading above its table stays for screen readers only. */
function hideRepeatedCaptions(content) {
  for (const caption of content.querySelectorAll("caption")) {
    const holder = caption.closest("section");
    const title = holder ? holder.querySelector("h2") : document.querySelector("h1");
    if (title && title.textContent.trim() === caption.textContent.trim()) caption.classList.add("visually-hidden");
  }
}

/** Run a page: render(content) fetches and renders; then data-state = "ready" or "error". */
export function page(render) {
  const root = document.documentElement;
  const content = document.querySelector("[data-role=content]");
  const status = document.querySelector("[data-role=status]");
  Promise.resolve()
    .then(() => render(content))
    .then(
      () => {
        hideRepeatedCaptions(content);
        status.textContent = "";
        status.hidden = true;
        root.dataset.state = "ready";
      },
      (err) => {
        const message = err instanceof Error ? err.message : String(err);
        content.replaceChildren(el("p", { class: "alert", role: "alert" }, `Could not load this page: ${message}`));
        status.textContent = "Failed to load.";
        root.dataset.error = message;
        root.dataset.state = "error";
      },
    );
}
