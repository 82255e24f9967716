// Accounting: the part of the channel settings form for customers, sales tax, payments, currencies, lines and
// daily summaries (chalicelib/orders/settings.py and its tax_, currency_, line_ and summary_settings modules;
// what each means: docs/accounting/*.md). channels.js puts `element` in its form and spreads `values()` into
// the settings it saves. Only what the form shows is sent: the API keeps every other saved setting as it was.

import { get, path } from "./api.js";
import { clear, field, h, options, uid } from "./dom.js";

// chalicelib/orders/settings.py CustomerMatching (examples for John T. Smith <john@x.com> of Acme LLC).
export const CUSTOMER_MATCHING = [
  ["last_first", "By name: Last, First (Smith, John)"],
  ["first_last", "By name: First Last (John Smith)"],
  ["last_first_email", "Last, First - email (Smith, John - john@x.com)"],
  ["first_last_email", "First Last - email (John Smith - john@x.com)"],
  ["last_first_middle", "Last, First and middle initial (Smith, John T)"],
  ["first_middle_last", "First, middle initial and Last (John T Smith)"],
  ["company", "By company name"],
  ["billing_company_or_name", "Billing company, else Last, First"],
  ["shipping_company_or_name", "Shipping company, else its Last, First"],
  ["email", "By email address"],
  ["single_customer", "One customer for every order"],
  ["store_currency", "One customer per currency (Web Store USD)"],
  ["name_email_match", "By name when the email matches, else the fallback customer"],
];
const TAX_MODES = [
  ["store", "The store's tax (QuickBooks' total is the store's)"],
  ["quickbooks", "QuickBooks computes the tax"],
];
const MARKETPLACE_TAX = [
  ["drop", "Leave it out (the marketplace remits it)"],
  ["liability", "Post it to a liability item"],
];
const BUNDLES = [
  ["item", "One line with the bundle's item"],
  ["group", "A QuickBooks group item"],
  ["components", "One line per component"],
];
const SUMMARY = [
  ["none", "One transaction per order"],
  ["daily", "One transaction per channel and day"],
];
const SUMMARY_REFUNDS = [
  ["net", "Netted in the day's summary"],
  ["credit_memo", "One credit memo per day"],
];
// Transaction types that have invoices to receive payments on (docs/accounting/paid-invoices.md).
const INVOICING = ["invoice", "sales_order_invoice_payment"];

// How the API cleans a mapping's keys (tax_settings.parse_tax_mappings, currency_settings, line_settings): the
// form sends them so, and a problem the API names by key (settings.state_tax_items.CA) finds its row.
const upper = (key) => key.trim().toUpperCase();
const trimmed = (key) => key.trim();

/** tax_settings.rate_key: "12.50%" -> "12.5", "0.0" -> "0"; anything else as typed (the API refuses it). */
export function rateKey(key) {
  const text = key.trim().replace(/%$/, "").trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return key.trim();
  const number = Number(text);
  if (!(number >= 0 && number < 100)) return key.trim();
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "").replace(/^0+(?=\d)/, "") : String(number);
}

/** A small editable table of store values to QuickBooks names (add and remove rows). */
function mappingTable(name, spec, saved) {
  const { legend, keyLabel, valueLabel, help, key = trimmed, keyMax, valueMax, list = null } = spec;
  const rows = h("div", { class: "kv-rows" });
  const box = h("fieldset", { class: "kv", dataset: { field: `settings.${name}`, fieldLabel: legend } }, h("legend", {}, legend));

  function addRow(k = "", v = "") {
    const keyInput = h("input", { type: "text", value: k, maxlength: String(keyMax), "aria-label": keyLabel, spellcheck: "false" });
    const valueInput = h("input", { type: "text", value: v, maxlength: String(valueMax), "aria-label": valueLabel, list: list ? list.id : null });
    const remove = h("button", { type: "button", class: "quiet", onclick: () => row.remove() }, "Remove");
    const mark = () => {
      valueInput.dataset.field = `settings.${name}.${key(keyInput.value)}`;
      valueInput.dataset.fieldLabel = `${valueLabel} of ${keyInput.value.trim()}`;
      remove.setAttribute("aria-label", `Remove ${keyLabel.toLowerCase()} ${keyInput.value.trim() || "row"}`);
    };
    keyInput.addEventListener("input", mark);
    mark();
    const row = h("div", { class: "kv-row field" }, keyInput, h("span", { class: "kv-arrow", "aria-hidden": "true" }, "\u2192"), valueInput, remove);
    row.read = () => [key(keyInput.value), valueInput.value.trim()];
    rows.append(row);
    return row;
  }
  for (const [k, v] of Object.entries(saved || {})) addRow(k, v);
  const add = h("button", { type: "button", "aria-label": `Add ${keyLabel.toLowerCase()}`, onclick: () => addRow().querySelector("input").focus() }, "Add");
  if (help) box.append(h("small", { class: "help" }, help));
  box.append(rows, add);
  box.read = () => {
    const out = {};
    for (const row of rows.children) {
      const [k, v] = row.read();
      if (k || v) out[k] = v; // an empty name is sent: the API says what is wrong with it
    }
    return out;
  };
  return box;
}

const MAPPINGS = {
  customer_tax_codes: { legend: "New customers' tax code by state", keyLabel: "State or province", valueLabel: "Tax code", key: upper, keyMax: 21, valueMax: 3, list: "codes", help: "The sales tax code a new customer gets, by billing (else shipping) state, e.g. CA \u2192 Tax, OR \u2192 Non." },
  state_tax_items: { legend: "Sales tax item by state", keyLabel: "State", valueLabel: "Sales tax item", key: upper, keyMax: 21, valueMax: 31, list: "taxItems", help: "The ship-to state's sales tax item (a group only when QuickBooks computes the tax)." },
  jurisdiction_tax_items: { legend: "Sales tax item by store tax line", keyLabel: "Store tax line", valueLabel: "Sales tax item", key: upper, keyMax: 100, valueMax: 31, list: "taxItems", help: "A tax line the store names (a county's, a district's) goes to its own item; the rest to the state's." },
  province_tax_codes: { legend: "Tax code by province", keyLabel: "Province", valueLabel: "Tax code", key: upper, keyMax: 21, valueMax: 3, list: "codes", help: "Canada, UK and Australia files: the ship-to province's tax code, e.g. ON \u2192 H." },
  rate_tax_codes: { legend: "Tax code by rate", keyLabel: "Rate (%)", valueLabel: "Tax code", key: rateKey, keyMax: 8, valueMax: 3, list: "codes", help: "The code whose rate gives the line's tax, e.g. 20 \u2192 S, 5 \u2192 R, 0 \u2192 Z." },
  payment_methods: { legend: "Payment method by store gateway", keyLabel: "Store gateway or method", valueLabel: "QuickBooks payment method", keyMax: 100, valueMax: 31, list: "methods", help: "A payment's Pmt. Method, by the store's gateway or method (e.g. shopify_payments \u2192 Visa); the rest get the default payment method." },
  currency_customers: { legend: "Customer by currency", keyLabel: "Currency", valueLabel: "Customer", key: upper, keyMax: 3, valueMax: 41, help: "Every order in that currency goes to this customer (else one customer per buyer in the currency)." },
  receivable_accounts: { legend: "A/R account by currency", keyLabel: "Currency", valueLabel: "A/R account", key: upper, keyMax: 3, valueMax: 159, list: "arAccounts", help: "Invoices in that currency (empty: QuickBooks' A/R account in the currency)." },
  deposit_accounts: { legend: "Deposit account by currency", keyLabel: "Currency", valueLabel: "Bank or asset account", key: upper, keyMax: 3, valueMax: 159, list: "depositAccounts", help: "Sales receipts and payments in that currency: a bank or asset account in it." },
  units_of_measure: { legend: "Unit of measure by SKU", keyLabel: "SKU", valueLabel: "Unit", keyMax: 100, valueMax: 31, list: "units", help: "The unit the store's quantity is counted in, e.g. BEER-24 \u2192 Case." },
  inventory_sites: { legend: "Inventory site by store location", keyLabel: "Store location", valueLabel: "Inventory site", keyMax: 200, valueMax: 31, list: "sites", help: "Advanced Inventory: the site a location's sales take quantities from." },
  bundle_items: { legend: "Group item by bundle SKU", keyLabel: "Bundle SKU", valueLabel: "Group item", keyMax: 100, valueMax: 159, list: "groups", help: "The QuickBooks group item of each store bundle." },
};

/**
 * The Accounting part of the form for `settings` (the saved ones, {} for a new channel). `transactionType` is
 * the form's select: the payments group shows for invoices only. Returns {element, load(connectionId, status),
 * values()}.
 */
export function accountingPart(settings, { transactionType } = {}) {
  const lists = {};
  for (const name of ["taxItems", "codes", "arAccounts", "depositAccounts", "units", "sites", "groups", "items", "levels", "methods", "zones"]) lists[name] = h("datalist", { id: uid(`acc-${name}`) });
  const tables = {};
  for (const [name, spec] of Object.entries(MAPPINGS)) tables[name] = mappingTable(name, { ...spec, list: spec.list ? lists[spec.list] : null }, settings[name]);

  const sent = {}; // field name -> [control, read]
  const shown = {}; // field name -> the element whose visibility says whether it is sent
  function text(name, max, value, list = null) {
    const input = h("input", { type: "text", maxlength: String(max), value: value ?? "", list: list ? list.id : null, dataset: { field: `settings.${name}` } });
    sent[name] = [input, () => input.value];
    return input;
  }
  function choice(name, pairs, value) {
    const select = options(h("select", { dataset: { field: `settings.${name}` } }), pairs, value);
    sent[name] = [select, () => select.value];
    return select;
  }
  function place(name, wrapper) {
    shown[name] = wrapper;
    return wrapper;
  }
  const f = (name, label, control, help) => place(name, field(label, control, help));

  // Customers
  const customerType = text("customer_type", 159, settings.customer_type);
  const customerTerms = text("customer_terms", 31, settings.customer_terms);
  const customers = h(
    "fieldset",
    {},
    h("legend", {}, "Customers"),
    h("p", { class: "help" }, "What a customer Ledgerbridge adds gets besides the order's addresses, phone and email (names from the company's lists)."),
    h("div", { class: "grid" }, f("customer_type", "New customers' type", customerType, "Empty: none."), f("customer_terms", "New customers' terms", customerTerms, "Empty: none.")),
    place("customer_tax_codes", tables.customer_tax_codes),
  );

  // Sales tax
  const taxMode = choice("tax_mode", TAX_MODES, settings.tax_mode || "store");
  const salesTaxItem = text("sales_tax_item", 31, settings.sales_tax_item, lists.taxItems);
  const zeroRate = text("zero_rate_tax_item", 31, settings.zero_rate_tax_item, lists.taxItems);
  const marketplaceTax = choice("marketplace_tax", MARKETPLACE_TAX, settings.marketplace_tax || "drop");
  const marketplaceItem = text("marketplace_tax_item", 31, settings.marketplace_tax_item, lists.items);
  const usTax = h(
    "div",
    {},
    h(
      "div",
      { class: "grid" },
      f("tax_mode", "Sales tax", taxMode, "US files. The store's tax: the tax the store charged lands in Sales Tax Payable, per state. QuickBooks computes: at the state's item or group rate."),
      f("sales_tax_item", "Sales tax item for other states", salesTaxItem, "States without their own item below (empty: the customer's or the company's default)."),
      f("zero_rate_tax_item", "Zero-rate tax item", zeroRate, "The store's tax: the 0% item at the bottom of every sale, e.g. Out of State."),
    ),
    place("state_tax_items", tables.state_tax_items),
    place("jurisdiction_tax_items", tables.jurisdiction_tax_items),
  );
  const marketplace = h("div", { class: "grid" }, f("marketplace_tax", "Tax a marketplace collected", marketplaceTax, "Marketplace-facilitator orders."), f("marketplace_tax_item", "Marketplace tax item", marketplaceItem, "An other charge item on a liability account (required)."));
  const otherTax = h("div", {}, place("province_tax_codes", tables.province_tax_codes), place("rate_tax_codes", tables.rate_tax_codes));
  const tax = h("fieldset", {}, h("legend", {}, "Sales tax"), usTax, marketplace, otherTax);

  // Payments
  const recordPayments = h("input", { type: "checkbox", checked: settings.record_payments !== false, dataset: { field: "settings.record_payments", fieldLabel: "Record payments" } });
  sent.record_payments = [recordPayments, () => recordPayments.checked];
  const recordField = place(
    "record_payments",
    h("div", { class: "field" }, h("label", { class: "check" }, recordPayments, " Record the store's payments on invoices"), h("small", { class: "help" }, "One Receive Payment per store payment, applied to the order's invoice (partial payments as they come).")),
  );
  const payments = h("fieldset", {}, h("legend", {}, "Payments"), recordField, place("payment_methods", tables.payment_methods));

  // Currencies
  const currencies = h(
    "fieldset",
    {},
    h("legend", {}, "Currencies"),
    h("p", { class: "help" }, "Multicurrency company files: per three-letter currency code (EUR, CAD...). A file without multicurrency refuses foreign-currency orders."),
    place("currency_customers", tables.currency_customers),
    place("receivable_accounts", tables.receivable_accounts),
    place("deposit_accounts", tables.deposit_accounts),
  );

  // Lines
  const priceLevel = text("price_level", 31, settings.price_level, lists.levels);
  const priceLevelField = f("price_level", "Price level", priceLevel, "Every product line's price level (empty: none); the store's price stands.");
  const bundles = choice("bundles", BUNDLES, settings.bundles || "item");
  const adjustment = text("bundle_adjustment_item", 159, settings.bundle_adjustment_item, lists.items);
  const lines = h(
    "fieldset",
    {},
    h("legend", {}, "Lines"),
    h("div", { class: "grid" }, priceLevelField, f("bundles", "Bundles", bundles, "How a store bundle is posted."), f("bundle_adjustment_item", "Group price adjustment item", adjustment, "The line that keeps the store's price of a group (empty: the discount item).")),
    place("units_of_measure", tables.units_of_measure),
    place("inventory_sites", tables.inventory_sites),
    place("bundle_items", tables.bundle_items),
  );

  // Daily summary
  const summary = choice("summary", SUMMARY, settings.summary || "none");
  const summaryCustomer = text("summary_customer", 41, settings.summary_customer);
  const summaryRefunds = choice("summary_refunds", SUMMARY_REFUNDS, settings.summary_refunds || "net");
  const zone = text("summary_time_zone", 64, settings.summary_time_zone || "UTC", lists.zones);
  const close = h("input", { type: "number", min: "0", max: "1440", value: String(settings.summary_close_minutes ?? 60), dataset: { field: "settings.summary_close_minutes" } });
  sent.summary_close_minutes = [close, () => (/^\s*-?\d+\s*$/.test(close.value) ? Number(close.value) : close.value)];
  const code = text("summary_code", 2, settings.summary_code);
  const daily = h(
    "fieldset",
    {},
    h("legend", {}, "Daily summary"),
    h(
      "div",
      { class: "grid" },
      f("summary", "Summary", summary, "Daily: one sales receipt or invoice per channel and day, lines grouped by SKU."),
      f("summary_customer", "Summary customer", summaryCustomer, "The customer of every summary (required; added when missing)."),
      f("summary_refunds", "The day's refunds", summaryRefunds),
      f("summary_time_zone", "Time zone of the day", zone, "An IANA time zone, e.g. America/New_York."),
      f("summary_close_minutes", "Post the day after (minutes)", close, "Minutes after local midnight (0 to 1440), so late orders still make it."),
      f("summary_code", "RefNumber code", code, "One or two letters or digits ending the RefNumber (empty: from the channel)."),
    ),
  );

  let country = null; // the company file's, once known: US files show the US tax, others their tax codes
  function update() {
    const us = !country || country === "US";
    const other = !country || country !== "US";
    usTax.hidden = !us;
    otherTax.hidden = !other;
    shown.jurisdiction_tax_items.hidden = taxMode.value !== "store";
    shown.zero_rate_tax_item.hidden = taxMode.value !== "store";
    shown.marketplace_tax_item.hidden = marketplaceTax.value !== "liability";
    shown.bundle_items.hidden = bundles.value !== "group";
    shown.bundle_adjustment_item.hidden = bundles.value !== "group";
    for (const name of ["summary_customer", "summary_refunds", "summary_time_zone", "summary_close_minutes", "summary_code"]) shown[name].hidden = summary.value !== "daily";
    recordField.hidden = Boolean(transactionType) && !INVOICING.includes(transactionType.value);
  }
  for (const control of [taxMode, marketplaceTax, bundles, summary, transactionType]) if (control) control.addEventListener("change", update);
  update();

  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  lists.zones.append(...["UTC", ...zones].map((z) => h("option", { value: z })));

  const element = h("fieldset", { class: "accounting" }, h("legend", {}, "Accounting"), customers, tax, payments, currencies, lines, daily, Object.values(lists));

  /** Whether a control is shown (hidden by its own wrapper or by a hidden group). */
  const visible = (el) => !el.closest("[hidden]");

  async function records(connectionId, kind) {
    try {
      return (await get(path`/api/v1/connections/${connectionId}/lists/${kind}`)).records;
    } catch {
      return []; // a list this company file or this server does not have: free text only
    }
  }
  const fill = (list, names) => clear(list).append(...[...new Set(names)].sort().map((n) => h("option", { value: n })));

  return {
    element,
    /** Fill the drop-down suggestions from the company's cached lists; `status` gives the file's country. */
    async load(connectionId, status) {
      country = (status && status.country) || null;
      update();
      const [taxItems, taxGroups, codes, accounts, unitSets, sites, items, levels, methods] = await Promise.all(
        ["item_sales_tax", "item_sales_tax_group", "sales_tax_code", "account", "unit_of_measure_set", "inventory_site", "item", "price_level", "payment_method"].map((kind) => records(connectionId, kind)),
      );
      const names = (rs) => rs.map((r) => r.full_name);
      fill(lists.taxItems, names([...taxItems, ...taxGroups]));
      fill(lists.codes, names(codes));
      fill(lists.arAccounts, names(accounts.filter((a) => a.account_type === "AccountsReceivable")));
      fill(lists.depositAccounts, names(accounts.filter((a) => ["Bank", "OtherCurrentAsset"].includes(a.account_type))));
      fill(lists.units, unitSets.flatMap((s) => (s.units || []).map((u) => u.name)).filter(Boolean));
      fill(lists.sites, names(sites));
      fill(lists.groups, names(items.filter((i) => i.item_type === "ItemGroup")));
      fill(lists.items, names(items));
      fill(lists.levels, names(levels));
      fill(lists.methods, names(methods));
    },
    /** The settings the form shows, keyed as the API takes them (hidden ones are left out: kept as saved). */
    values() {
      const out = {};
      for (const [name, [control, read]] of Object.entries(sent)) if (visible(control)) out[name] = read();
      for (const [name, table] of Object.entries(tables)) if (visible(table)) out[name] = table.read();
      return out;
    },
  };
}
