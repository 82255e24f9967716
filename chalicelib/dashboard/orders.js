// Orders: each order's way into QuickBooks; failed ones with the error in plain words, its fix, and retry.

import { get, path, post } from "./api.js";
import { act, append, badge, clear, field, h, options, when } from "./dom.js";

const STATUSES = [
  ["", "All"],
  ["failed", "Failed"],
  ["pending", "Pending"],
  ["in_flight", "Sending"],
  ["synced", "Synced"],
];
const PAGE = 100;

export async function renderOrders(view, ctx) {
  const { channels } = await get("/api/v1/channels");
  const channelNames = Object.fromEntries(channels.map((c) => [c.id, c.name]));
  const status = options(h("select", {}), STATUSES, "");
  const channel = options(h("select", {}), [["", "All channels"], ...channels.map((c) => [c.id, c.name])], "");
  const reload = h("button", { type: "button" }, "Reload");
  const errors = h("div");
  const results = h("div");
  const more = h("button", { type: "button", hidden: true }, "Next page");
  let cursor = null;
  let body = null;

  append(
    view,
    h("h1", {}, "Orders"),
    h("div", { class: "toolbar" }, field("Status", status), field("Channel", channel), reload),
    errors,
    results,
    h("div", { class: "actions" }, more),
  );

  function query(after) {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (status.value) params.set("status", status.value);
    if (channel.value) params.set("channel", channel.value);
    if (after) params.set("after", after);
    return `/api/v1/orders?${params}`;
  }

  let latest = 0;
  async function load(after) {
    const mine = ++latest;
    clear(errors);
    let page;
    try {
      page = await get(query(after));
    } catch (error) {
      if (mine === latest) await act(null, errors, () => Promise.reject(error));
      return;
    }
    if (mine !== latest) return; // a newer filter's answer wins, whatever order they arrive in
    if (!after) {
      body = h("tbody");
      const head = ["Order", "Customer", "Total", "Channel", "Status", "QuickBooks", "Updated", ""];
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
    const retry = order.status === "failed" ? retryButton(order) : null;
    const row = h(
      "tr",
      { dataset: { order: order.order_id } },
      h("td", {}, h("strong", {}, order.number || order.order_id)),
      h("td", {}, order.customer || "—"),
      h("td", { class: "mono" }, order.total ?? "—"),
      h("td", {}, channelNames[order.channel_id] || order.channel_id),
      h("td", {}, badge(order.status)),
      h("td", {}, qb),
      h("td", {}, when(order.updated_at)),
      h("td", {}, retry),
    );
    if (!order.error || order.status !== "failed") return [row];
    return [row, h("tr", { class: "detail", dataset: { errorFor: order.order_id } }, h("td", { colspan: "8" }, explain(order.error, order.attempts)))];
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
