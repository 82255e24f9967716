// Channels: the stores feeding a connection, their credentials (never shown back), settings and schedule.

import { get, patch, path, post } from "./api.js";
import { accountingPart, CUSTOMER_MATCHING } from "./accounting.js";
import { act, append, clear, errorBox, field, h, options, table, uid } from "./dom.js";
import { deleteChannelButton } from "./manage.js";

// The credential fields of each kind (chalicelib/channels/*: CredentialField).
export const KINDS = {
  custom_store: {
    label: "Custom store",
    fields: [
      ["base_url", "API address", false, "Your store's API (pull mode). Leave empty to push orders to Ledgerbridge instead."],
      ["username", "User name", false, "Basic auth user name for your API."],
      ["password", "Password", true, "Basic auth password for your API."],
    ],
  },
  shopify: {
    label: "Shopify",
    fields: [
      ["shop", "Shop address", false, "mystore.myshopify.com (or just mystore)."],
      ["access_token", "Admin API access token", true, "From a custom app with read_orders; starts with shpat_."],
    ],
  },
  shipstation: {
    label: "ShipStation",
    fields: [
      ["api_key", "API key", false, "ShipStation: Settings > Account > API Settings."],
      ["api_secret", "API secret", true, ""],
    ],
  },
  bigcommerce: {
    label: "BigCommerce",
    fields: [
      ["store_hash", "Store hash", false, "The short code in the API path: stores/<hash>/v3/."],
      ["access_token", "API account access token", true, "From Settings > API accounts, with Orders read-only; to send quantities also Products read-only and Store Inventory modify."],
      ["location_id", "Inventory location ID", false, "Where QuickBooks quantities go (Settings > Locations). Empty: 1, the default location; 0: a store without locations."],
    ],
  },
  stripe: {
    label: "Stripe",
    fields: [
      ["api_key", "Restricted API key", true, "Developers > API keys > Create restricted key, read only: Charges and Refunds: Read, Checkout Sessions: Read. Starts with rk_live_."],
    ],
  },
  magento: {
    label: "Magento",
    fields: [
      ["store_url", "Store address", false, "e.g. https://shop.example.com (the REST API is under /rest/V1)."],
      ["access_token", "Integration access token", true, "System > Extensions > Integrations, with Sales > Operations > Orders."],
      ["source_code", "Inventory source code", false, "The MSI source quantities are written to; empty: default."],
    ],
  },
  square: {
    label: "Square",
    fields: [
      ["access_token", "Access token", true, "Your Square app's production access token (Developer Dashboard > Credentials) or an OAuth token with ORDERS_READ, ITEMS_READ and MERCHANT_PROFILE_READ."],
      ["location_id", "Location ID", false, "Empty: every location's orders. Needed with more than 10 locations (Settings > Locations)."],
    ],
  },
  amazon: {
    label: "Amazon",
    fields: [
      ["client_id", "LWA client ID", false, "Seller Central > Apps and Services > Develop Apps > View LWA credentials (amzn1.application-oa2-client...)."],
      ["client_secret", "LWA client secret", true, "From the same LWA credentials."],
      ["refresh_token", "Refresh token", true, "From authorizing the app (starts with Atzr|); the app needs the Inventory and Order Tracking role."],
      ["marketplace_id", "Marketplace ID", false, "Empty: Amazon.com (ATVPDKIKX0DER). Several of one region separated by commas."],
    ],
  },
  walmart: {
    label: "Walmart",
    fields: [
      ["client_id", "Client ID", false, "Seller Center > Settings > API Key Management (Orders access; Inventory to send quantities)."],
      ["client_secret", "Client secret", true, "From the same API key."],
    ],
  },
  woocommerce: {
    label: "WooCommerce",
    fields: [
      ["store_url", "Store address", false, "e.g. https://shop.example.com"],
      ["consumer_key", "Consumer key", true, "Starts with ck_."],
      ["consumer_secret", "Consumer secret", true, "Starts with cs_."],
    ],
  },
};
// What a channel can move, and the store kinds each direction fits (chalicelib/sync/channels.py _fits_kind).
export const DIRECTIONS = [
  ["orders_to_quickbooks", "Orders into QuickBooks", "The store's orders become QuickBooks transactions.", null],
  ["inventory_to_store", "Inventory to the store", "QuickBooks quantities are written to the store's products, matched by SKU.", ["shopify", "woocommerce", "bigcommerce", "walmart", "square", "magento"]],
  ["quickbooks_to_shipstation", "QuickBooks sales to ShipStation", "Sales orders or invoices are sent to ShipStation; tracking comes back to QuickBooks.", ["shipstation"]],
];
const SALE_SOURCES = [
  ["sales_order", "Sales orders"],
  ["invoice", "Invoices"],
];
const SHIPPING_COST_TO = [
  ["memo", "The memo"],
  ["line", "A line with the shipping item"],
];
export const TRANSACTION_TYPES = [
  ["sales_receipt", "Sales receipt"],
  ["invoice", "Invoice"],
  ["sales_order", "Sales order"],
  ["sales_order_invoice_payment", "Sales order, then invoice and payment"],
];
export { CUSTOMER_MATCHING }; // every mode, with labels: accounting.js
export const PRODUCT_MATCHING = [
  ["name", "SKU = item name"],
  ["full_name", "SKU = item full name (Parent:Child)"],
  ["manufacturer_part_number", "SKU = manufacturer's part number"],
];
export const MISSING_ITEMS = [
  ["create_non_inventory", "Create a non-inventory item"],
  ["create_inventory", "Create an inventory item"],
  ["fail", "Do not post the order (fail it)"],
];
const DEPOSIT_HELP = "Where payments land (Undeposited Funds is typical). Required.";
const DEPOSIT_OPTIONAL = "Where payments land. Optional: this channel brings no orders into QuickBooks.";
export const ACCOUNTS = [
  ["deposit", "Deposit account", DEPOSIT_HELP],
  ["income", "Income account", "For items Ledgerbridge creates."],
  ["cogs", "Cost of goods sold account", "For inventory items Ledgerbridge creates."],
  ["asset", "Inventory asset account", "For inventory items Ledgerbridge creates."],
  ["discount", "Discount account", "For the discount item, when Ledgerbridge creates it."],
  ["receivable", "Accounts receivable account", "Invoices (empty: QuickBooks' default)."],
];

// The QuickBooks account types each account may have (chalicelib/sync/channels.py FITTING_ACCOUNT_TYPES): the
// drop-downs offer only these, and the server refuses the rest.
export const FITTING_ACCOUNT_TYPES = {
  deposit: ["Bank", "OtherCurrentAsset"],
  income: ["Income", "OtherIncome"],
  cogs: ["CostOfGoodsSold"],
  asset: ["OtherCurrentAsset"],
  discount: ["Income", "OtherIncome", "Expense", "OtherExpense"],
  receivable: ["AccountsReceivable"],
};
const TYPE_WORDS = { CostOfGoodsSold: "Cost of Goods Sold" };

/** QuickBooks' name of an account type: OtherCurrentAsset -> Other Current Asset. */
export function typeWords(type) {
  return TYPE_WORDS[type] || String(type).replace(/([a-z])([A-Z])/g, "$1 $2");
}

/** The accounts preselected for a new channel: Undeposited Funds, and the income account most items sell into. */
export function suggestedAccounts(accounts, items) {
  const active = accounts.filter((a) => a.is_active !== false);
  const fits = (key, a) => FITTING_ACCOUNT_TYPES[key].includes(a.account_type);
  const deposit =
    active.find((a) => fits("deposit", a) && a.full_name === "Undeposited Funds") ||
    active.find((a) => a.account_type === "OtherCurrentAsset" && /undeposited/i.test(a.full_name));
  const incomes = new Set(active.filter((a) => fits("income", a)).map((a) => a.full_name));
  const used = new Map();
  for (const item of items) {
    if (item.income_account && incomes.has(item.income_account)) used.set(item.income_account, (used.get(item.income_account) || 0) + 1);
  }
  const income = [...used.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  return { deposit: deposit ? deposit.full_name : "", income: income ? income[0] : "" };
}

/** Each problem of a refused save beside its control (highlighted); returns the fields so shown. */
export function showFieldProblems(form, error) {
  for (const old of form.querySelectorAll(".field-problem")) old.remove();
  for (const old of form.querySelectorAll("[aria-invalid]")) old.removeAttribute("aria-invalid");
  const shown = new Set();
  const fields = (error && error.details && error.details.fields) || {};
  for (const [name, problem] of Object.entries(fields)) {
    const control = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!control) continue;
    control.setAttribute("aria-invalid", "true");
    const note = h("p", { class: "field-problem", role: "alert" }, fieldProblemWords(control, String(problem)));
    control.closest(".field, fieldset").append(note);
    shown.add(name);
  }
  if (shown.size) {
    const first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
  }
  return shown;
}

function fieldProblemWords(control, problem) {
  if (problem.startsWith("'") || /^[A-Z]/.test(problem)) return problem;
  const label = control.dataset.fieldLabel || (control.labels && control.labels[0] ? control.labels[0].textContent : "This");
  return `${label} ${problem}`;
}

/** A refused save: the problems beside their fields, the rest (and a summary) in `where`, each once. */
export function showRefusal(form, where, error) {
  const shown = showFieldProblems(form, error);
  clear(where);
  if (!shown.size) {
    where.append(errorBox(error));
    return;
  }
  const summary = { ...error, message: `Not saved: ${shown.size === 1 ? "fix the highlighted field" : "fix the highlighted fields"}.` };
  where.append(errorBox(summary, shown));
}

/** The directions a channel's settings move (channels saved before directions existed bring orders in). */
export function directionsOf(channel) {
  const chosen = channel && channel.settings && channel.settings.directions;
  return Array.isArray(chosen) && chosen.length ? chosen : ["orders_to_quickbooks"];
}

export async function renderChannels(view, ctx) {
  const formArea = h("div");
  const listArea = h("div");
  const addButton = h("button", { type: "button", class: "primary", disabled: true }, "Add channel"); // until loaded
  append(view, h("h1", {}, "Channels"), h("div", { class: "toolbar" }, addButton), formArea, listArea);
  let connections = [];

  async function load() {
    const [conns, chans] = await Promise.all([get("/api/v1/connections"), get("/api/v1/channels")]);
    connections = conns.connections;
    const names = Object.fromEntries(connections.map((c) => [c.id, c.name]));
    const rows = chans.channels.map((channel) => {
      const moves = directionsOf(channel);
      const views = [];
      if (moves.includes("inventory_to_store")) views.push(h("a", { href: `#inventory/${encodeURIComponent(channel.id)}`, "aria-label": `Inventory of ${channel.name}` }, "Inventory"));
      if (moves.includes("quickbooks_to_shipstation")) views.push(h("a", { href: `#shipstation/${encodeURIComponent(channel.id)}`, "aria-label": `ShipStation orders of ${channel.name}` }, "ShipStation orders"));
      return [
        h("strong", {}, channel.name),
        (KINDS[channel.kind] || { label: channel.kind }).label,
        names[channel.connection_id] || channel.connection_id,
        [
          channel.mode === "pull" ? `Fetched every ${channel.every_minutes} min` : "Orders pushed to the API",
          h("ul", { class: "plain directions" }, DIRECTIONS.filter(([key]) => moves.includes(key)).map(([, label]) => h("li", {}, label))),
        ],
        channel.store_name || "—",
        credentialsText(channel.credentials),
        h("div", { class: "actions" }, h("button", { type: "button", "aria-label": `Edit ${channel.name}`, onclick: () => openForm(channel) }, "Edit"), deleteChannelButton(channel, formArea, ctx, load), views),
      ];
    });
    clear(listArea).append(table("Channels", ["Name", "Kind", "Connection", "Sync", "Store", "Credentials", ""], rows, "No channel yet."));
  }

  function openForm(channel) {
    if (!connections.length) {
      clear(formArea).append(h("p", { class: "note" }, "Pair a company file first (Connections), then add its channels."));
      return;
    }
    clear(formArea).append(channelForm(ctx, connections, channel, async () => {
      clear(formArea);
      await load();
    }));
  }

  addButton.addEventListener("click", () => openForm(null));
  await load();
  addButton.disabled = false;
}

function credentialsText(masked) {
  const entries = Object.entries(masked || {});
  if (!entries.length) return "—";
  return h("ul", { class: "plain" }, entries.map(([k, v]) => h("li", {}, `${k}: ${v}`)));
}

/** The add/edit form. Saved secrets are never put back into inputs: only their mask is shown as text. */
function channelForm(ctx, connections, channel, saved) {
  const editing = Boolean(channel);
  const settings = (channel && channel.settings) || {};
  const accounts = settings.accounts || {};
  const section = h("section", { "aria-labelledby": "channel-form-title" });
  const errors = h("div");

  const connection = options(h("select", { disabled: editing }), connections.map((c) => [c.id, c.name]), channel ? channel.connection_id : connections[0].id);
  const kind = options(h("select", { disabled: editing }), Object.entries(KINDS).map(([k, v]) => [k, v.label]), channel ? channel.kind : "custom_store");
  const name = h("input", { type: "text", maxlength: "80", value: channel ? channel.name : "" });
  const credentialsBox = h("div", { class: "grid" });
  let credentialInputs = {};

  function drawCredentials() {
    clear(credentialsBox);
    credentialInputs = {};
    const masked = (channel && channel.credentials) || {};
    for (const [key, label, secret, help] of KINDS[kind.value].fields) {
      const input = h("input", {
        type: secret ? "password" : "text",
        autocomplete: secret ? "new-password" : "off",
        spellcheck: "false",
        placeholder: editing && masked[key] ? "unchanged" : "",
      });
      credentialInputs[key] = input;
      const savedNote = editing && masked[key] ? `Saved: ${masked[key]}. Leave empty to keep it.` : "";
      credentialsBox.append(field(label, input, [savedNote, help].filter(Boolean).join(" ")));
    }
  }
  kind.addEventListener("change", () => {
    drawCredentials();
    drawDirections();
  });
  drawCredentials();

  // Directions: checkboxes for those that fit the kind; each direction's own options shown when it is checked.
  const chosenDirections = new Set(channel ? directionsOf(channel) : ["orders_to_quickbooks"]);
  const directionsBox = h("fieldset", { class: "choices", dataset: { field: "settings.directions" } }, h("legend", {}, "Sync directions"));
  const directionInputs = {};
  const subtractSalesOrders = h("input", { type: "checkbox", checked: Boolean(settings.subtract_sales_orders) });
  const inventorySite = h("input", { type: "text", maxlength: "31", value: settings.inventory_site || "" });
  const fullEvery = h("input", { type: "number", min: "5", max: "10080", value: String(settings.full_inventory_every_minutes ?? 60) });
  const inventoryOptions = h(
    "fieldset",
    { hidden: true },
    h("legend", {}, "Inventory to the store"),
    h(
      "div",
      { class: "grid" },
      h("div", { class: "field" }, h("label", { class: "check" }, subtractSalesOrders, " Subtract quantities on sales orders"), h("small", { class: "help" }, "Sent quantity = on hand minus what open sales orders hold.")),
      field("Inventory site", inventorySite, "Empty: the whole company's quantities. A site's quantities need product matching by item name or full name."),
      field("Full inventory pass every (minutes)", fullEvery, "Every quantity is read again this often (5 to 10080): QuickBooks does not date changes made by transactions."),
    ),
  );
  const shipstationSource = options(h("select", {}), SALE_SOURCES, settings.shipstation_source || "sales_order");
  const shipstationClass = h("select", { dataset: { saved: settings.shipstation_class ?? "ShipStation" } });
  const shippingCostTo = options(h("select", {}), SHIPPING_COST_TO, settings.shipping_cost_to || "memo");
  const shipstationOptions = h(
    "fieldset",
    { hidden: true },
    h("legend", {}, "QuickBooks sales to ShipStation"),
    h(
      "div",
      { class: "grid" },
      field("Sales to send", shipstationSource, "Which QuickBooks transactions become ShipStation orders."),
      field("ShipStation class", shipstationClass, "Only sales with this QuickBooks class are sent (from the company's class list)."),
      field("Shipping cost goes to", shippingCostTo, "Where the cost ShipStation reports is written on the QuickBooks sale."),
    ),
  );

  function fitting() {
    return DIRECTIONS.filter(([, , , kinds]) => !kinds || kinds.includes(kind.value));
  }

  function moves(key) {
    return Boolean(directionInputs[key] && directionInputs[key].checked);
  }

  function showDirectionOptions() {
    inventoryOptions.hidden = !moves("inventory_to_store");
    shipstationOptions.hidden = !moves("quickbooks_to_shipstation");
    depositHelp.textContent = moves("orders_to_quickbooks") ? DEPOSIT_HELP : DEPOSIT_OPTIONAL;
  }

  function drawDirections() {
    for (const [key, input] of Object.entries(directionInputs)) {
      if (input.checked) chosenDirections.add(key);
      else chosenDirections.delete(key);
    }
    for (const key of Object.keys(directionInputs)) delete directionInputs[key];
    const offered = fitting();
    if (!offered.some(([key]) => chosenDirections.has(key))) chosenDirections.add("orders_to_quickbooks");
    directionsBox.replaceChildren(directionsBox.firstChild);
    for (const [key, label, help] of offered) {
      const input = h("input", { type: "checkbox", value: key, checked: chosenDirections.has(key), onchange: showDirectionOptions });
      directionInputs[key] = input;
      directionsBox.append(h("div", { class: "check-row" }, h("label", { class: "check" }, input, ` ${label}`), h("small", { class: "help" }, help)));
    }
    showDirectionOptions();
  }
  const transactionType = options(h("select", {}), TRANSACTION_TYPES, settings.transaction_type || "sales_receipt");
  const every = h("input", { type: "number", min: "5", max: "1440", value: String(channel ? channel.every_minutes : 15) });

  const accountSelects = {};
  const accountFields = ACCOUNTS.map(([key, label, help]) => {
    accountSelects[key] = h("select", { dataset: { saved: accounts[key] || "", field: `settings.accounts.${key}` } });
    return field(label, accountSelects[key], help);
  });
  const depositHelp = accountFields[0].querySelector(".help");
  const listsNote = h("p", { class: "help", role: "status" });
  const refresh = h("button", { type: "button" }, "Refresh drop-downs");

  const customerMatching = options(h("select", { dataset: { field: "settings.customer_matching" } }), CUSTOMER_MATCHING, settings.customer_matching || "last_first");
  const singleCustomer = h("input", { type: "text", maxlength: "41", value: settings.single_customer || "", dataset: { field: "settings.single_customer" } });
  const fallbackCustomer = h("input", { type: "text", maxlength: "41", value: settings.fallback_customer ?? "Online Customer" });
  const productMatching = options(h("select", {}), PRODUCT_MATCHING, settings.product_matching || "name");
  const missingItems = options(h("select", { dataset: { field: "settings.missing_items" } }), MISSING_ITEMS, settings.missing_items || "create_non_inventory");
  const itemList = h("datalist", { id: uid("items") });
  const itemInput = (value) => h("input", { type: "text", maxlength: "31", value, list: itemList.id });
  const shippingItem = itemInput(settings.shipping_item ?? "Shipping");
  const discountItem = itemInput(settings.discount_item ?? "Discount");
  const feeItem = itemInput(settings.fee_item ?? "Fees");
  const paymentMethod = h("select", { dataset: { saved: settings.default_payment_method || "" } });
  const className = h("select", { dataset: { saved: settings.class_name || "" } });
  const startDate = h("input", { type: "date", value: settings.start_date || "" });
  const statuses = h("input", { type: "text", value: (settings.statuses || []).join(", ") });
  const accounting = accountingPart(settings, { transactionType }); // customers, tax, currencies, lines, summary

  async function loadLists(force) {
    const id = connection.value;
    clear(listsNote);
    try {
      if (force) await post(path`/api/v1/connections/${id}/refresh`);
      const [accountList, items, methods, classes, status] = await Promise.all([
        get(path`/api/v1/connections/${id}/accounts`),
        get(path`/api/v1/connections/${id}/lists/item`),
        get(path`/api/v1/connections/${id}/lists/payment_method`),
        get(path`/api/v1/connections/${id}/lists/class`),
        get(path`/api/v1/connections/${id}/status`),
      ]);
      const suggested = editing ? {} : suggestedAccounts(accountList.records, items.records);
      for (const [key, select] of Object.entries(accountSelects)) {
        if (!select.options.length && !select.dataset.saved && suggested[key]) {
          select.dataset.saved = suggested[key];
          select.dataset.suggested = suggested[key]; // preselected, not chosen: see the submit
        }
        fillAccounts(select, accountList.records, key);
      }
      fillNames(paymentMethod, methods.records, "QuickBooks' default");
      fillNames(className, classes.records, "No class");
      fillNames(shipstationClass, classes.records, "Every class (every sale)");
      clear(itemList).append(...items.records.map((r) => h("option", { value: r.full_name })));
      await accounting.load(id, status);
      const read = status.lists_refreshed_at ? `Lists read from QuickBooks ${new Date(status.lists_refreshed_at).toLocaleString()}.` : "";
      if (!accountList.records.length) {
        listsNote.textContent = "The chart of accounts has not been read from QuickBooks yet: run the Web Connector once (Update Selected), then click Refresh drop-downs.";
      } else if (force) {
        listsNote.textContent = `${read} Asked QuickBooks for the lists again: they are read on the Web Connector's next run; click Refresh drop-downs after it ran to see them.`;
      } else {
        listsNote.textContent = `${read} ${accountList.records.length} accounts, ${items.records.length} items.`;
      }
    } catch (error) {
      listsNote.textContent = error.message;
    }
  }
  connection.addEventListener("change", () => loadLists(false));
  refresh.addEventListener("click", () => act(refresh, null, () => loadLists(true)));

  const submit = h("button", { type: "submit", class: "primary" }, editing ? "Save channel" : "Add channel and check credentials");
  const cancel = h("button", { type: "button", onclick: () => section.remove() }, "Cancel");
  const form = h(
    "form",
    { novalidate: true },
    h(
      "fieldset",
      {},
      h("legend", {}, "Store"),
      h("div", { class: "grid" }, field("Connection", connection), field("Store kind", kind), field("Channel name", name)),
      credentialsBox,
      h("p", { class: "help" }, "Credentials are checked with the store when saved, kept encrypted and never shown again."),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Sync"),
      h(
        "div",
        { class: "grid" },
        field("Transaction type", transactionType, "What each order becomes in QuickBooks."),
        field("Fetch every (minutes)", every, "The schedule of stores Ledgerbridge fetches (5 to 1440)."),
      ),
      directionsBox,
      inventoryOptions,
      shipstationOptions,
    ),
    h("fieldset", {}, h("legend", {}, "Accounts"), h("div", { class: "toolbar" }, refresh), listsNote, h("div", { class: "grid" }, accountFields)),
    h(
      "fieldset",
      {},
      h("legend", {}, "Customers and products"),
      h(
        "div",
        { class: "grid" },
        field("Customer matching", customerMatching),
        field("Single customer name", singleCustomer, "Used for every order with \u201cOne customer\u201d; with \u201cOne customer per currency\u201d, followed by the currency."),
        field("Fallback customer", fallbackCustomer, "Orders without a usable name, and namesakes whose email differs (\u201cwhen the email matches\u201d)."),
        field("Product matching", productMatching),
        field("Missing products", missingItems, "When an order's product is not in QuickBooks."),
        field("Shipping item", shippingItem),
        field("Discount item", discountItem),
        field("Fee item", feeItem),
        field("Default payment method", paymentMethod),
        field("Class", className),
        field("Start date", startDate, "Orders created before it are skipped (empty: from when the channel was added)."),
        field("Order statuses", statuses, "Comma-separated; empty: every status."),
      ),
      itemList,
    ),
    accounting.element,
    errors,
    h("div", { class: "actions" }, submit, cancel),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const directions = fitting().map(([key]) => key).filter(moves);
    // A preselected account left as it was means nothing for a channel that brings no orders in.
    const untouched = (s) => s.dataset.suggested && s.value === s.dataset.suggested && !directions.includes("orders_to_quickbooks");
    const chosenAccounts = Object.fromEntries(Object.entries(accountSelects).map(([k, s]) => [k, untouched(s) ? "" : s.value]));
    const outbound = {
      directions,
      subtract_sales_orders: subtractSalesOrders.checked,
      full_inventory_every_minutes: Number(fullEvery.value),
      // A site means nothing without inventory (and would clash with matching by part number).
      inventory_site: directions.includes("inventory_to_store") ? inventorySite.value : "",
      shipstation_source: shipstationSource.value,
      shipping_cost_to: shippingCostTo.value,
    };
    // The class is checked against the company's class list only for channels that send sales.
    if (directions.includes("quickbooks_to_shipstation")) outbound.shipstation_class = shipstationClass.value;
    const body = {
      settings: {
        ...outbound,
        transaction_type: transactionType.value,
        accounts: chosenAccounts,
        customer_matching: customerMatching.value,
        single_customer: singleCustomer.value,
        fallback_customer: fallbackCustomer.value,
        product_matching: productMatching.value,
        missing_items: missingItems.value,
        shipping_item: shippingItem.value,
        discount_item: discountItem.value,
        fee_item: feeItem.value,
        default_payment_method: paymentMethod.value,
        class_name: className.value,
        start_date: startDate.value || null,
        statuses: statuses.value.split(",").map((s) => s.trim()).filter(Boolean),
        ...accounting.values(),
      },
      every_minutes: Number(every.value),
    };
    const credentials = {};
    for (const [key, input] of Object.entries(credentialInputs)) if (input.value.trim()) credentials[key] = input.value;
    if (!editing || Object.keys(credentials).length) body.credentials = credentials;
    if (name.value.trim() || !editing) body.name = name.value;
    showFieldProblems(form, null);
    clear(errors);
    submit.disabled = true;
    let saved_;
    try {
      saved_ = editing ? await patch(path`/api/v1/channels/${channel.id}`, body) : await post("/api/v1/channels", { ...body, connection_id: connection.value, kind: kind.value });
    } catch (error) {
      showRefusal(form, errors, error);
    } finally {
      submit.disabled = false;
    }
    // Secrets leave the page once sent, whatever the answer.
    for (const input of Object.values(credentialInputs)) if (input.type === "password") input.value = "";
    if (saved_) {
      ctx.toast(`Saved ${saved_.name}${saved_.store_name ? ` (${saved_.store_name})` : ""}.`);
      await saved();
    }
  });

  drawDirections();
  append(section, h("h2", { id: "channel-form-title" }, editing ? `Edit ${channel.name}` : "Add a channel"), form);
  loadLists(false);
  return section;
}

/** What a drop-down keeps when (re)filled: the saved value the first time, then the user's choice. */
function kept(select) {
  return select.options.length ? select.value : select.dataset.saved;
}

/** An account drop-down: only the accounts whose QuickBooks type fits `key` (grouped by type), active ones. */
export function fillAccounts(select, records, key) {
  const keep = kept(select);
  const fitting = FITTING_ACCOUNT_TYPES[key] || [];
  clear(select).append(h("option", { value: "" }, "\u2014 none \u2014"));
  const groups = new Map();
  for (const record of records) {
    if (!fitting.includes(record.account_type) || record.is_active === false) continue;
    const type = typeWords(record.account_type);
    if (!groups.has(type)) groups.set(type, h("optgroup", { label: type }));
    groups.get(type).append(h("option", { value: record.full_name }, record.full_name));
  }
  for (const group of groups.values()) select.append(group);
  restore(select, keep, records);
}

function fillNames(select, records, none) {
  const keep = kept(select);
  clear(select).append(h("option", { value: "" }, none), ...records.map((r) => h("option", { value: r.full_name }, r.full_name)));
  restore(select, keep);
}

function restore(select, value, records = null) {
  if (!value) return;
  if (![...select.options].some((o) => o.value === value)) {
    const known = records && records.some((r) => r.full_name === value);
    select.append(h("option", { value }, `${value} (${known ? "not a fitting account: choose another" : "not in the lists read"})`));
  }
  select.value = value;
}
