// Orders for every day: newest first, search, status counts and filters, bulk retry and CSV; one order in detail
// with its timeline, and the preview of what QuickBooks would receive for it (nothing is sent).

import { download, get, path, post, saveFile } from "./api.js";
import { act, append, badge, clear, field, h, options, when } from "./dom.js";

const STATUSES = [
  ["", "All"],
  ["failed", "Failed"],
  ["pending", "Pending"],
  ["in_flight", "Sending"],
  ["synced", "Synced"],
];
const PAGE = 100;

/** "1 order", "3 orders": never "order(s)". */
function many(n, one, more = `${one}s`) {
  return `${n} ${n === 1 ? one : more}`;
}

export async function renderOrders(view, ctx) {
  const key = ctx.param();
  if (key) return renderOrder(view, ctx, key);
  const { channels } = await get("/api/v1/channels");
  const channelNames = Object.fromEntries(channels.map((c) => [c.id, c.name]));
  const search = h("input", { type: "search", placeholder: "Number, name or email", autocomplete: "off" });
  const status = options(h("select", {}), STATUSES, "");
  const channel = options(h("select", {}), [["", "All channels"], ...channels.map((c) => [c.id, c.name])], "");
  const find = h("button", { type: "submit" }, "Search");
  const reload = h("button", { type: "button" }, "Reload");
  const csvButton = h("button", { type: "button" }, "Download CSV");
  const retrySelected = h("button", { type: "button", disabled: true }, "Retry selected");
  const retryFailed = h("button", { type: "button" }, "Retry every failed order");
  const countBar = h("div", { class: "status-counts", role: "group", "aria-label": "Order counts" });
  const errors = h("div");
  const note = h("p", { class: "help", hidden: true });
  const results = h("div");
  const more = h("button", { type: "button", hidden: true }, "Next page");
  const form = h("form", { class: "toolbar", role: "search" }, field("Search", search), field("Status", status), field("Channel", channel), find, reload);
  let cursor = null;
  let body = null;
  const selected = new Set();

  append(
    view,
    h("h1", {}, "Orders"),
    form,
    countBar,
    h("div", { class: "actions" }, retrySelected, retryFailed, csvButton),
    errors,
    note,
    results,
    h("div", { class: "actions" }, more),
  );

  function params(after) {
    const p = new URLSearchParams({ limit: String(PAGE) });
    if (search.value.trim()) p.set("q", search.value.trim());
    if (status.value) p.set("status", status.value);
    if (channel.value) p.set("channel", channel.value);
    if (after) p.set("after", after);
    return p;
  }

  function showCounts(counts) {
    clear(countBar);
    for (const [value, label] of STATUSES.slice(1)) {
      const button = h(
        "button",
        { type: "button", class: status.value === value ? "count current" : "count", "aria-pressed": String(status.value === value), dataset: { status: value } },
        `${label} `,
        h("strong", {}, String(counts[value] ?? 0)),
      );
      button.addEventListener("click", () => {
        status.value = status.value === value ? "" : value;
        load(null);
      });
      countBar.append(button);
    }
  }

  function updateSelection() {
    retrySelected.disabled = selected.size === 0;
    retrySelected.textContent = selected.size ? `Retry ${many(selected.size, "selected order")}` : "Retry selected";
  }

  let latest = 0;
  async function load(after) {
    const mine = ++latest;
    clear(errors);
    let page;
    try {
      page = await get(`/api/v1/orders?${params(after)}`);
    } catch (error) {
      if (mine === latest) await act(null, errors, () => Promise.reject(error));
      return;
    }
    if (mine !== latest) return; // a newer filter's answer wins, whatever order they arrive in
    if (!after) {
      selected.clear();
      updateSelection();
      showCounts(page.counts || {});
      note.hidden = page.complete !== false;
      note.textContent = "Only your most recent orders are searched; narrow the list by channel to see older ones.";
      body = h("tbody");
      const head = ["", "Order", "Date", "Customer", "Total", "Channel", "Status", "QuickBooks", ""];
      clear(results).append(
        page.orders.length
          ? h("table", { class: "orders" }, h("caption", { class: "visually-hidden" }, "Orders"), h("thead", {}, h("tr", {}, head.map((t) => h("th", { scope: "col" }, t)))), body)
          : h("p", { class: "empty" }, "No orders match."),
      );
    }
    for (const order of page.orders) body.append(...rows(order));
    cursor = page.next;
    more.hidden = !cursor;
  }

  function rows(order) {
    const qb = order.quickbooks ? `${order.quickbooks.txn_type} ${order.quickbooks.ref_number || ""}`.trim() : "—";
    const label = order.number || order.order_id;
    let pick = null;
    if (order.status === "failed") {
      pick = h("input", { type: "checkbox", "aria-label": `Select order ${label}` });
      pick.addEventListener("change", () => {
        if (pick.checked) selected.add(order.id);
        else selected.delete(order.id);
        updateSelection();
      });
    }
    const row = h(
      "tr",
      { dataset: { order: order.order_id } },
      h("td", {}, pick),
      h("td", {}, h("a", { href: `#orders/${encodeURIComponent(order.id)}` }, h("strong", {}, label))),
      h("td", {}, when(order.order_date)),
      h("td", { title: order.email || null }, order.customer || "—"),
      h("td", { class: "mono" }, order.total ?? "—"),
      h("td", {}, channelNames[order.channel_id] || order.channel_id),
      h("td", {}, badge(order.status)),
      h("td", {}, qb),
      h("td", {}, order.status === "failed" ? retryButton(order) : null),
    );
    if (!order.error || order.status !== "failed") return [row];
    return [row, h("tr", { class: "detail", dataset: { errorFor: order.order_id } }, h("td", { colspan: "9" }, explain(order.error, order.attempts)))];
  }

  function retryButton(order) {
    const button = h("button", { type: "button", "aria-label": `Retry order ${order.number || order.order_id}` }, "Retry");
    button.addEventListener("click", () =>
      act(button, errors, async () => {
        const updated = await post(path`/api/v1/orders/${order.id}/retry`);
        ctx.toast(`Order ${updated.number || updated.order_id} is queued again: it goes to QuickBooks on the Web Connector's next run.`);
        await load(null);
      }),
    );
    return button;
  }

  async function retry(button, request) {
    await act(button, errors, async () => {
      const answer = await post("/api/v1/orders/retry", request);
      const queued = answer.counts.queued || 0;
      const others = answer.orders.length - queued;
      let message = queued
        ? `${many(queued, "order is", "orders are")} queued again: they go to QuickBooks on the Web Connector's next run.`
        : "No order was queued again.";
      if (others) message += ` ${many(others, "order was", "orders were")} left as they are.`;
      ctx.toast(message);
      await load(null);
    });
  }

  retrySelected.addEventListener("click", () => retry(retrySelected, { ids: [...selected] }));
  retryFailed.addEventListener("click", () => retry(retryFailed, { status: "failed" }));
  csvButton.addEventListener("click", () =>
    act(csvButton, errors, async () => {
      const p = params(null);
      p.delete("limit");
      saveFile(await download(`/api/v1/orders.csv?${p}`));
    }),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load(null);
  });
  status.addEventListener("change", () => load(null));
  channel.addEventListener("change", () => load(null));
  reload.addEventListener("click", () => load(null));
  more.addEventListener("click", () => load(cursor));
  await load(null);
}

/** A failure in plain words: QuickBooks' status code when there is one, what it means, how to fix it. */
function explain(error, attempts) {
  const code = String(error.code || "");
  const source = /^-?\d+$/.test(code) ? `QuickBooks error ${code}` : code.startsWith("0x") ? `QuickBooks could not process it (${code})` : "Not sent to QuickBooks";
  return h(
    "div",
    { class: "qb-error" },
    h("p", {}, h("span", { class: "code" }, `${source}: `), h("span", { class: "message" }, error.message || "")),
    error.fix ? h("p", { class: "fix" }, h("strong", {}, "How to fix: "), error.fix) : null,
    attempts ? h("p", { class: "help" }, `Attempts so far: ${attempts}.`) : null,
  );
}

const MATCH_WORDS = {
  found: "In QuickBooks",
  would_be_added: "Would be added",
  set_by_rule: "Chosen by a rule",
  missing: "Not in QuickBooks",
};

function matchBadge(match) {
  const tone = match === "missing" ? "bad" : match === "would_be_added" ? "warn" : "ok";
  return h("span", { class: `badge badge-${tone}`, dataset: { match } }, MATCH_WORDS[match] || match);
}

function list(caption, headers, rows, empty) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    {},
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))),
  );
}

async function renderOrder(view, ctx, key) {
  const errors = h("div");
  append(view, h("p", {}, h("a", { href: "#orders" }, "All orders")), errors);
  const order = await act(null, errors, () => get(path`/api/v1/orders/${key}`));
  if (!order) return;
  const label = order.number || order.order_id;
  const previewArea = h("div", { class: "preview" });
  const previewButton = h("button", { type: "button" }, "Preview in QuickBooks");
  const retryButton = order.status === "failed" ? h("button", { type: "button" }, "Retry") : null;
  const totals = order.totals || {};
  const docs = Object.entries(order.documents || {});
  append(
    view,
    h("h1", {}, `Order ${label}`, " ", badge(order.status)),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Date"),
      h("dd", {}, when(order.order_date)),
      h("dt", {}, "Customer"),
      h("dd", {}, [order.customer || "—", order.email ? ` ${order.email}` : ""].join("")),
      h("dt", {}, "Total"),
      h("dd", { class: "mono" }, totals.total ? `${totals.total} ${totals.currency || ""}`.trim() : order.total ?? "—"),
    ),
    order.error && order.status === "failed" ? explain(order.error, order.attempts) : null,
    h("div", { class: "actions" }, previewButton, retryButton),
    h("h2", {}, "Lines"),
    list("Lines", ["SKU", "Product", "Quantity", "Price", "Amount"], (order.lines || []).map((l) => [l.sku || "—", l.title, l.quantity, l.unit_price, l.amount]), "This order could not be read from the store."),
    order.totals
      ? h(
          "dl",
          { class: "facts totals" },
          [["Shipping", totals.shipping], ["Discounts", totals.discounts], ["Fees", totals.fees], ["Tax", totals.tax], ["Total", totals.total], ["Paid", totals.paid], ["Refunded", totals.refunded]].map(([t, v]) => [h("dt", {}, t), h("dd", { class: "mono" }, v)]),
        )
      : null,
    h("h2", {}, "In QuickBooks"),
    list("QuickBooks documents", ["Document", "TxnID"], docs.map(([doc, txn]) => [doc, txn || "—"]), "Nothing is in QuickBooks yet."),
    order.rules && order.rules.length ? h("p", { class: "help" }, `Changed by ${many(order.rules.length, "rule")}: ${order.rules.join(", ")}.`) : null,
    h("h2", {}, "Timeline"),
    h(
      "ol",
      { class: "timeline" },
      (order.timeline || []).map((event) => h("li", { dataset: { step: event.step } }, event.at ? when(event.at) : null, event.at ? " " : null, event.text, event.fix ? h("span", { class: "fix" }, ` How to fix: ${event.fix}`) : null)),
    ),
    previewArea,
  );
  previewButton.addEventListener("click", () =>
    act(previewButton, errors, async () => {
      showPreview(previewArea, await get(path`/api/v1/orders/${key}/preview`));
    }),
  );
  if (retryButton) {
    retryButton.addEventListener("click", () =>
      act(retryButton, errors, async () => {
        await post(path`/api/v1/orders/${key}/retry`);
        ctx.toast(`Order ${label} is queued again: it goes to QuickBooks on the Web Connector's next run.`);
        retryButton.remove();
      }),
    );
  }
}

/** What QuickBooks would receive: documents, lines with their items, matches, adds, totals, rules, qbXML. */
function showPreview(area, p) {
  const t = p.totals;
  clear(area).append(
    h("h2", {}, "Preview: what QuickBooks would receive"),
    h("p", { class: "help" }, "Nothing is sent: this is what the next Web Connector run would send for this order."),
    p.problem ? h("div", { class: "error", role: "alert" }, h("p", {}, p.problem)) : null,
    h("h3", {}, "Documents"),
    list("Preview documents", ["Document", "In QuickBooks"], p.documents.map((d) => [d.label.replace(":", " "), d.in_quickbooks ? d.txn_id || "Yes" : "Not yet"]), "No document."),
    h("p", {}, "Customer: ", h("strong", {}, p.customer.name), " ", matchBadge(p.customer.match)),
    h("h3", {}, "Lines"),
    list(
      "Preview lines",
      ["Line", "Amount", "QuickBooks item", "", "Income account"],
      p.lines.map((l) => [l.sku ? `${l.sku} ${l.title}` : l.title || l.kind, l.amount, l.item, matchBadge(l.match), l.income_account || "The item's own"]),
      "No line.",
    ),
    h("h3", {}, "Added first"),
    list("Adds", ["What", "Name"], p.adds.map((a) => [a.kind === "customer" ? "Customer" : "Item", a.name]), "Nothing: QuickBooks has every name this order uses."),
    t.adds_up || !p.problem ? h(
      "p",
      { class: t.adds_up ? "help totals-ok" : "error totals-off" },
      t.adds_up ? `The lines add up to the order total of ${t.total}.` : `The lines add up to ${t.computed}, not the order total of ${t.total}.`,
    ) : null,
    p.rules.length ? h("p", { class: "help" }, `Rules applied: ${p.rules.map((r) => r.name).join(", ")}.`) : h("p", { class: "help" }, "No rule changes this order."),
    p.qbxml ? h("details", { class: "qbxml" }, h("summary", {}, "qbXML"), h("pre", {}, h("code", {}, p.qbxml))) : null,
  );
}
