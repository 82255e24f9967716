// Sales at a glance: sales per day (synced, failed, waiting), per channel, and top products, drawn as SVG
// built here (no chart library, nothing from a CDN, no inline style: colours come from app.css classes).

import { get } from "./api.js";
import { append, clear, h, table } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const RANGES = [[7, "7 days"], [30, "30 days"], [90, "90 days"]];
const STATES = [["synced", "In QuickBooks"], ["failed", "Failed"], ["waiting", "Waiting"]];

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.append(child);
  return el;
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** Orders per day as stacked bars (synced, failed, waiting). */
function dayChart(days) {
  const width = 720;
  const height = 220;
  const left = 36;
  const bottom = 28;
  const most = Math.max(1, ...days.map((d) => d.orders));
  const step = (width - left) / days.length;
  const bar = Math.max(2, step * 0.7);
  const scale = (n) => (n / most) * (height - bottom - 10);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart", "aria-labelledby": "sales-days-title" });
  svg.append(s("title", { id: "sales-days-title" }, "Orders per day: in QuickBooks, failed and waiting"));
  svg.append(s("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "chart-axis" }));
  svg.append(s("text", { x: left - 6, y: 14, "text-anchor": "end", class: "chart-label" }, String(most)));
  svg.append(s("text", { x: left - 6, y: height - bottom, "text-anchor": "end", class: "chart-label" }, "0"));
  days.forEach((day, i) => {
    const x = left + i * step + (step - bar) / 2;
    let y = height - bottom;
    const group = s("g", { class: "chart-day", "data-date": day.date });
    group.append(s("title", {}, `${day.date}: ${plural(day.orders, "order", "orders")}, ${day.total} (in QuickBooks ${day.synced}, failed ${day.failed}, waiting ${day.waiting})`));
    for (const [state] of STATES) {
      const size = scale(day[state]);
      if (!size) continue;
      y -= size;
      group.append(s("rect", { x: x.toFixed(1), y: y.toFixed(1), width: bar.toFixed(1), height: size.toFixed(1), class: `chart-${state}` }));
    }
    svg.append(group);
    const every = Math.ceil(days.length / 8);
    if (i % every === 0 || i === days.length - 1) {
      svg.append(s("text", { x: (x + bar / 2).toFixed(1), y: height - 8, "text-anchor": "middle", class: "chart-label" }, day.date.slice(5)));
    }
  });
  return svg;
}

/** Horizontal bars: one per row, its value's share of the largest. */
function barList(title, rows, label, value, shown) {
  const height = 26 * rows.length + 6;
  const width = 720;
  const most = Math.max(0.01, ...rows.map((r) => Number(value(r))));
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart chart-bars" });
  svg.append(s("title", {}, title));
  rows.forEach((row, i) => {
    const y = 4 + i * 26;
    const size = (Number(value(row)) / most) * 420;
    svg.append(s("text", { x: 0, y: y + 15, class: "chart-label" }, label(row)));
    svg.append(s("rect", { x: 220, y, width: Math.max(1, size).toFixed(1), height: 20, class: "chart-bar" }));
    svg.append(s("text", { x: 226 + size, y: y + 15, class: "chart-label" }, shown(row)));
  });
  return svg;
}

export async function renderSales(view) {
  const chooser = h("select", { id: "sales-days", "aria-label": "Period" });
  for (const [days, words] of RANGES) chooser.append(h("option", { value: String(days) }, words));
  chooser.value = "30";
  const area = h("div", { "aria-live": "polite" });
  append(view, h("h1", {}, "Sales"), h("div", { class: "toolbar" }, h("label", { for: "sales-days" }, "Period "), chooser), area);
  chooser.addEventListener("change", () => load());

  async function load() {
    const summary = await get(`/api/v1/sales/summary?days=${encodeURIComponent(chooser.value)}`);
    clear(area);
    const money = (amount) => `${amount} ${summary.currency}`.trim();
    append(
      area,
      h(
        "dl",
        { class: "counts sales-totals" },
        h("dt", {}, "Orders"), h("dd", { id: "sales-orders" }, String(summary.orders)),
        h("dt", {}, "Sales"), h("dd", { id: "sales-total" }, money(summary.total)),
        STATES.map(([state, words]) => [h("dt", {}, words), h("dd", { class: `sales-${state}` }, String(summary[state]))]),
      ),
    );
    if (summary.other_currency_orders) {
      area.append(h("p", { class: "note" }, `${plural(summary.other_currency_orders, "order is", "orders are")} in another currency and not in these totals.`));
    }
    if (summary.incomplete) area.append(h("p", { class: "note" }, "There are more orders than one summary reads: the figures cover part of them."));
    if (!summary.orders) {
      area.append(h("p", { class: "empty" }, "No orders in this period yet."));
      return;
    }
    area.append(
      h("h2", {}, "Orders per day"),
      h("p", { class: "legend" }, STATES.map(([state, words]) => h("span", { class: `legend-${state}` }, words))),
      dayChart(summary.per_day),
      h("h2", {}, "Per channel"),
      barList("Sales per channel", summary.per_channel, (c) => c.name, (c) => c.total, (c) => `${money(c.total)} · ${plural(c.orders, "order", "orders")}`),
      table(
        "Per channel",
        ["Channel", "Orders", "Sales", "In QuickBooks", "Failed", "Waiting"],
        summary.per_channel.map((c) => [c.name, String(c.orders), money(c.total), String(c.synced), String(c.failed), String(c.waiting)]),
      ),
      h("h2", {}, "Top products"),
      barList("Top products by sales", summary.top_products, (p) => p.title || p.sku, (p) => p.total, (p) => `${money(p.total)} · ${p.quantity} sold`),
    );
  }

  await load();
}
