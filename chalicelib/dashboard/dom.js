// Building the page: every element is made with createElement and every piece of data goes in as text
// (Text nodes, textContent, attribute values), never as HTML. The page's Content-Security-Policy
// requires Trusted Types with no policy, so assigning a string as markup would throw anyway.

const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "selected", "required", "readOnly", "min", "max", "type"]);
let nextId = 0;

/** A unique element id (labels point at their controls by id). */
export function uid(prefix = "f") {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** Append children: nodes as they are, anything else as a Text node; null/undefined/false are skipped. */
export function append(parent, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** h("button", {class: "primary", onclick: fn}, "Save") */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = String(value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name.startsWith("on")) {
      if (typeof value !== "function") throw new TypeError(`${name} must be a function`);
      el.addEventListener(name.slice(2), value);
    } else if (PROPERTIES.has(name)) el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  return append(el, children);
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

/** A labelled control: <div class="field"><label for=id>text</label>control<small>help</small></div>. */
export function field(label, control, help) {
  if (!control.id) control.id = uid();
  const parts = [h("label", { for: control.id }, label), control];
  if (help) {
    const helpId = uid("help");
    control.setAttribute("aria-describedby", helpId);
    parts.push(h("small", { id: helpId, class: "help" }, help));
  }
  return h("div", { class: "field" }, parts);
}

/** <select> from [value, label] pairs (or strings); `groups` is {groupLabel: pairs} for <optgroup>s. */
export function options(select, pairs, selected) {
  for (const pair of pairs) {
    const [value, label] = Array.isArray(pair) ? pair : [pair, pair];
    select.append(h("option", { value, selected: value === selected }, label));
  }
  return select;
}

const STATES = {
  connected: ["Connected", "ok"],
  waiting_for_web_connector: ["Waiting for the Web Connector", "wait"],
  needs_password: ["Needs a password", "wait"],
  not_seen_recently: ["Not seen recently", "warn"],
  error: ["Error", "bad"],
  synced: ["Synced", "ok"],
  pending: ["Pending", "wait"],
  in_flight: ["Sending", "wait"],
  failed: ["Failed", "bad"],
  active: ["Active", "ok"],
  paused: ["Paused", "warn"],
  missing: ["Schedule missing", "bad"],
  running: ["Running", "wait"],
  queued: ["Queued", "wait"],
  waiting: ["Waiting", "wait"],
  done: ["Done", "ok"],
  incomplete: ["Incomplete", "warn"],
  completed: ["Completed", "ok"],
  abandoned: ["Abandoned", "warn"],
  pushed: ["Pushed", "ok"],
  unchanged: ["Unchanged", "ok"],
  unmatched: ["Unmatched", "warn"],
  refused: ["Refused", "bad"],
  sent: ["In ShipStation", "ok"],
  shipped: ["Shipped", "ok"],
  tracking_written: ["Tracking written", "ok"],
  tracking_failed: ["Tracking not written", "bad"],
};

/** A status badge: colour and words by state; unknown states show as they are. */
export function badge(state) {
  const [label, tone] = STATES[state] || [String(state || "unknown").replaceAll("_", " "), "neutral"];
  return h("span", { class: `badge badge-${tone}`, dataset: { state: String(state) } }, label);
}

export function when(iso) {
  if (!iso) return "—";
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return String(iso);
  return h("time", { datetime: iso, title: iso }, moment.toLocaleString());
}

export function humanize(key) {
  const text = String(key).replaceAll("_", " ").replace(/\bquickbooks\b/gi, "QuickBooks");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Counts as a compact definition list ("New 3 · Synced 2"). */
export function counts(values) {
  const entries = Object.entries(values || {});
  if (!entries.length) return "—";
  return h("dl", { class: "counts" }, entries.map(([k, v]) => [h("dt", {}, humanize(k)), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))]));
}

/** A table with a header row; rows are arrays of cells (nodes or text) or ready <tr> elements. */
export function table(caption, headers, rows, empty = "Nothing yet.") {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((row) => (row instanceof Node ? row : h("tr", {}, row.map((cell) => h("td", {}, cell)))))),
  );
}

/** What a field of the API's answer is about, in words: "settings.accounts.deposit" -> "Deposit". */
export function fieldWords(key) {
  const text = String(key);
  if (/\s/.test(text)) return text; // already words ("row 2, column action")
  return humanize(text.split(".").pop().replace(/\[\d+\]$/, ""));
}

/** The API's error ({error, message, details}) shown in full, each problem once: the message, then the problems
 * of named fields the message does not already say (in words, never as field paths). `skip` holds the fields
 * shown beside their own control. */
export function errorBox(error, skip = new Set()) {
  const message = error.message || String(error);
  const box = h("div", { class: "error", role: "alert" }, h("p", {}, message));
  const fields = error.details && error.details.fields;
  if (fields && typeof fields === "object") {
    const rest = Object.entries(fields).filter(([name, problem]) => !skip.has(name) && !message.includes(String(problem)));
    if (rest.length) box.append(h("ul", {}, rest.map(([name, problem]) => h("li", {}, `${fieldWords(name)}: ${problem}`))));
  }
  return box;
}

/** Run an action from a button: disable it meanwhile, show the API's error in `where` when it fails. */
export async function act(button, where, action) {
  if (where) clear(where);
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (error) {
    if (where) where.append(errorBox(error));
    else throw error;
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
