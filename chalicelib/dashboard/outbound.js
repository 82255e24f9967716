// What channels send out of QuickBooks: stock levels written to a store (Inventory) and QuickBooks sales
// sent to ShipStation with their tracking (ShipStation orders). One channel at a time, picked from a list
// (or named in the address: #inventory/<channel id>).

import { get } from "./api.js";
import { directionsOf } from "./channels.js";
import { act, append, badge, clear, counts, field, h, options, when } from "./dom.js";

const PAGE = 100;
const REFRESH_MS = 5000;

const LEVEL_STATUSES = [
  ["", "All"],
  ["unmatched", "Unmatched"],
  ["refused", "Refused"],
  ["pending", "Waiting to be sent"],
  ["pushed", "Pushed"],
  ["unchanged", "Unchanged"],
];
const LEVEL_COUNTS = ["pushed", "unchanged", "pending", "unmatched", "refused"];
const LEVEL_WORDS = {
  pending: "Read from QuickBooks; sent to the store on the next push.",
  pushed: "The store has this quantity.",
  unchanged: "The store already had this quantity.",
  unmatched: "No product in the store has this SKU.",
  refused: "The store refused this quantity.",
};

const SALE_STATUSES = [
  ["", "All"],
  ["failed", "Not sent"],
  ["tracking_failed", "Tracking not written"],
  ["pending", "Waiting to be sent"],
  ["sent", "In ShipStation"],
  ["shipped", "Shipped"],
  ["tracking_written", "Tracking written"],
];
const SALE_WORDS = {
  pending: "Read from QuickBooks; sent to ShipStation on the next push.",
  sent: "In ShipStation, waiting to be shipped.",
  failed: "ShipStation did not take this sale.",
  shipped: "Shipped: the tracking is written to QuickBooks on the Web Connector's next run.",
  tracking_written: "Shipped, and the tracking is in QuickBooks.",
  tracking_failed: "Shipped, but the tracking could not be written to QuickBooks.",
};
const SALE_KINDS = { sales_order: "Sales order", invoice: "Invoice" };

export function renderInventory(view, ctx) {
  return renderOutbound(view, ctx, {
    title: "Inventory",
    section: "inventory",
    direction: "inventory_to_store",
    intro: "The quantities Ledgerbridge writes from QuickBooks to the store after each Web Connector run, item by item. A QuickBooks item reaches the store when a product or variant there has its SKU.",
    none: "No channel moves inventory: edit a Shopify or WooCommerce channel and check \u201cInventory to the store\u201d.",
    statuses: LEVEL_STATUSES,
    url: (id) => `/api/v1/channels/${encodeURIComponent(id)}/inventory`,
    records: (page) => page.levels,
    summary: inventorySummary,
    head: ["Item", "SKU", "In QuickBooks", "Sent to the store", "Status", "What happened", "Updated", "Pushed"],
    row: levelRow,
    empty: "No item matches.",
    // Quantities waiting for the store are pushed within seconds: follow them, and the first push's summary
    // (written just after the quantities are settled).
    busy: (page) => (page.counts && page.counts.pending) > 0 || (!page.last_push && (page.counts && page.counts.pushed) > 0),
  });
}

export function renderShipStation(view, ctx) {
  return renderOutbound(view, ctx, {
    title: "ShipStation orders",
    section: "shipstation",
    direction: "quickbooks_to_shipstation",
    intro: "QuickBooks sales Ledgerbridge sends to ShipStation, and the tracking it writes back to QuickBooks once they ship.",
    none: "No channel sends sales to ShipStation: edit a ShipStation channel and check \u201cQuickBooks sales to ShipStation\u201d.",
    statuses: SALE_STATUSES,
    url: (id) => `/api/v1/channels/${encodeURIComponent(id)}/shipstation-orders`,
    records: (page) => page.sales,
    summary: shipstationSummary,
    head: ["QuickBooks sale", "Status", "What happened", "ShipStation order", "Tracking", "Updated", "Sent"],
    row: saleRow,
    empty: "No sale matches.",
    busy: (page) => page.sales.some((s) => s.status === "pending"),
  });
}

/** The page both views share: a channel, a status filter, a summary, the list (paged), reload. */
async function renderOutbound(view, ctx, spec) {
  const { channels } = await get("/api/v1/channels");
  const moving = channels.filter((c) => directionsOf(c).includes(spec.direction));
  append(view, h("h1", {}, spec.title), h("p", { class: "help" }, spec.intro));
  if (!moving.length) {
    view.append(h("p", { class: "empty" }, spec.none));
    return;
  }
  const wanted = ctx.param();
  const channel = options(h("select", {}), moving.map((c) => [c.id, c.name]), moving.some((c) => c.id === wanted) ? wanted : moving[0].id);
  const status = options(h("select", {}), spec.statuses, "");
  const reload = h("button", { type: "button" }, "Reload");
  const errors = h("div");
  const summary = h("div", { class: "card summary", role: "region", "aria-label": `${spec.title} summary` });
  const results = h("div");
  const more = h("button", { type: "button", hidden: true }, "Next page");
  append(
    view,
    h("div", { class: "toolbar" }, field("Channel", channel), field("Status", status), reload),
    errors,
    summary,
    results,
    h("div", { class: "actions" }, more),
  );

  let cursor = null;
  let body = null;
  let paged = false;
  let following = false;
  let latest = 0;

  function query(after) {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (status.value) params.set("status", status.value);
    if (after) params.set("after", after);
    return `${spec.url(channel.value)}?${params}`;
  }

  async function load(after) {
    const mine = ++latest;
    let page;
    try {
      page = await get(query(after));
    } catch (error) {
      if (mine === latest) await act(null, clear(errors), () => Promise.reject(error));
      return;
    }
    if (mine !== latest) return; // a newer choice's answer wins, whatever order they arrive in
    clear(errors);
    paged = Boolean(after);
    if (!after) {
      append(clear(summary), spec.summary(page, showStatus));
      body = h("tbody");
      const found = spec.records(page);
      clear(results).append(
        found.length
          ? h("table", {}, h("caption", { class: "visually-hidden" }, spec.title), h("thead", {}, h("tr", {}, spec.head.map((t) => h("th", { scope: "col" }, t)))), body)
          : h("p", { class: "empty" }, spec.empty),
      );
      following = spec.busy(page);
    }
    for (const record of spec.records(page)) body.append(spec.row(record));
    cursor = page.next;
    more.hidden = !cursor;
  }

  function showStatus(value) {
    status.value = value;
    load(null);
  }

  channel.addEventListener("change", () => {
    history.replaceState(null, "", `#${spec.section}/${encodeURIComponent(channel.value)}`);
    load(null);
  });
  status.addEventListener("change", () => load(null));
  reload.addEventListener("click", () => act(reload, null, () => load(null)));
  more.addEventListener("click", () => load(cursor));
  ctx.every(REFRESH_MS, () => {
    if (following && !paged) load(null);
  });
  await load(null);
}

function lastPush(push) {
  if (!push) return h("p", {}, h("strong", {}, "Last push: "), "none yet (it follows the Web Connector's next run).");
  const what = { inventory: "quantities", sales: "sales", shipments: "shipments read" }[push.what] || push.what;
  const parts = [h("p", { class: "last-push" }, h("strong", {}, "Last push: "), `${what}, `, when(push.at)), counts(push.counts)];
  if (push.error) {
    const next = push.retrying
      ? "Ledgerbridge is trying again by itself."
      : "Fix the cause (the channel's credentials, or the store's settings); Ledgerbridge tries again after the next Web Connector run.";
    parts.push(h("div", { class: "error", role: "alert" }, h("p", {}, push.error), h("p", { class: "help" }, next)));
  }
  return parts;
}

function inventorySummary(page, showStatus) {
  const found = page.counts || {};
  const parts = [
    h("dl", { class: "counts" }, LEVEL_COUNTS.map((key) => [h("dt", {}, (LEVEL_STATUSES.find(([k]) => k === key) || [key, key])[1]), h("dd", { dataset: { count: key } }, String(found[key] || 0))])),
    h("p", {}, h("strong", {}, "Last full pass: "), page.last_full_pass ? when(page.last_full_pass) : "not yet"),
    lastPush(page.last_push),
  ];
  const unmatched = found.unmatched || 0;
  if (unmatched) {
    const show = h("button", { type: "button", onclick: () => showStatus("unmatched") }, "Show unmatched items");
    parts.push(
      h(
        "div",
        { class: "warning" },
        h("p", {}, `${unmatched} QuickBooks item${unmatched === 1 ? " has" : "s have"} no product with the same SKU in the store, so ${unmatched === 1 ? "its quantity is" : "their quantities are"} not sent. Give the store's product that SKU (or change the item in QuickBooks); the next full pass sends it.`),
        show,
      ),
    );
  }
  return parts;
}

function shipstationSummary(page) {
  return [
    h("p", {}, h("strong", {}, "QuickBooks sales read up to: "), page.sales_cursor ? when(page.sales_cursor) : "not yet"),
    h("p", {}, h("strong", {}, "ShipStation shipments read up to: "), page.shipments_bookmark ? when(page.shipments_bookmark) : "not yet"),
    lastPush(page.last_push),
  ];
}

function levelRow(level) {
  return h(
    "tr",
    { dataset: { sku: level.sku } },
    h("td", {}, h("strong", {}, level.item)),
    h("td", { class: "mono" }, level.sku),
    h("td", { class: "mono" }, String(level.quantity)),
    h("td", { class: "mono" }, level.pushed_quantity ?? "\u2014"),
    h("td", {}, badge(level.status)),
    h("td", { class: "problem" }, level.problem || LEVEL_WORDS[level.status] || ""),
    h("td", {}, when(level.updated_at)),
    h("td", {}, when(level.pushed_at)),
  );
}

function saleRow(sale) {
  const shipment = sale.shipment;
  const tracking = shipment
    ? h(
        "div",
        { class: "tracking" },
        h("strong", { class: "mono" }, shipment.tracking_number || "\u2014"),
        h("span", { class: "help" }, [shipment.carrier_code, shipment.service_code].filter(Boolean).join(" \u00b7 ")),
        h("span", { class: "help" }, [shipment.ship_date ? `shipped ${shipment.ship_date}` : "", shipment.shipment_cost ? `cost ${shipment.shipment_cost}` : ""].filter(Boolean).join(", ")),
      )
    : "\u2014";
  return h(
    "tr",
    { dataset: { txn: sale.txn_id } },
    h("td", {}, h("strong", {}, `${SALE_KINDS[sale.kind] || sale.kind} ${sale.ref_number || ""}`.trim())),
    h("td", {}, badge(sale.status)),
    h("td", { class: "problem" }, sale.problem || SALE_WORDS[sale.status] || ""),
    h("td", { class: "mono" }, sale.shipstation_order_id ?? "\u2014"),
    h("td", {}, tracking),
    h("td", {}, when(sale.updated_at)),
    h("td", {}, when(sale.sent_at)),
  );
}
