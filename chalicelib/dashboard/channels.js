// Channels: the stores feeding a connection, their credentials (never shown back), settings and schedule.

import { get, patch, path, post } from "./api.js";
import { act, append, clear, field, h, options, table, uid } from "./dom.js";

// The credential fields of each kind (chalicelib/channels/*: CredentialField).
const KINDS = {
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
      ["access_token", "API account access token", true, "From Settings > API accounts, with Orders read-only."],
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
  ["inventory_to_store", "Inventory to the store", "QuickBooks quantities are written to the store's products, matched by SKU.", ["shopify", "woocommerce"]],
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
const TRANSACTION_TYPES = [
  ["sales_receipt", "Sales receipt"],
  ["invoice", "Invoice"],
  ["sales_order", "Sales order"],
  ["sales_order_invoice_payment", "Sales order, then invoice and payment"],
];
const CUSTOMER_MATCHING = [
  ["last_first", "By name (Last, First)"],
  ["company", "By company name"],
  ["email", "By email address"],
  ["single_customer", "One customer for every order"],
];
const PRODUCT_MATCHING = [
  ["name", "SKU = item name"],
  ["full_name", "SKU = item full name (Parent:Child)"],
  ["manufacturer_part_number", "SKU = manufacturer's part number"],
];
const MISSING_ITEMS = [
  ["create_non_inventory", "Create a non-inventory item"],
  ["create_inventory", "Create an inventory item"],
  ["fail", "Do not post the order (fail it)"],
];
const DEPOSIT_HELP = "Where payments land (Undeposited Funds is typical). Required.";
const DEPOSIT_OPTIONAL = "Where payments land. Optional: this channel brings no orders into QuickBooks.";
const ACCOUNTS = [
  ["deposit", "Deposit account", DEPOSIT_HELP],
  ["income", "Income account", "For items Ledgerbridge creates."],
  ["cogs", "Cost of goods sold account", "For inventory items Ledgerbridge creates."],
  ["asset", "Inventory asset account", "For inventory items Ledgerbridge creates."],
  ["discount", "Discount account", "For the discount item, when Ledgerbridge creates it."],
  ["receivable", "Accounts receivable account", "Invoices (empty: QuickBooks' default)."],
];

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
        h("div", { class: "actions" }, h("button", { type: "button", "aria-label": `Edit ${channel.name}`, onclick: () => openForm(channel) }, "Edit"), views),
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
  const directionsBox = h("fieldset", { class: "choices" }, h("legend", {}, "Sync directions"));
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
    accountSelects[key] = h("select", { dataset: { saved: accounts[key] || "" } });
    return field(label, accountSelects[key], help);
  });
  const depositHelp = accountFields[0].querySelector(".help");
  const listsNote = h("p", { class: "help", role: "status" });
  const refresh = h("button", { type: "button" }, "Refresh drop-downs");

  const customerMatching = options(h("select", {}), CUSTOMER_MATCHING, settings.customer_matching || "last_first");
  const singleCustomer = h("input", { type: "text", maxlength: "41", value: settings.single_customer || "" });
  const fallbackCustomer = h("input", { type: "text", maxlength: "41", value: settings.fallback_customer ?? "Online Customer" });
  const productMatching = options(h("select", {}), PRODUCT_MATCHING, settings.product_matching || "name");
  const missingItems = options(h("select", {}), MISSING_ITEMS, settings.missing_items || "create_non_inventory");
  const itemList = h("datalist", { id: uid("items") });
  const itemInput = (value) => h("input", { type: "text", maxlength: "31", value, list: itemList.id });
  const shippingItem = itemInput(settings.shipping_item ?? "Shipping");
  const discountItem = itemInput(settings.discount_item ?? "Discount");
  const feeItem = itemInput(settings.fee_item ?? "Fees");
  const paymentMethod = h("select", { dataset: { saved: settings.default_payment_method || "" } });
  const className = h("select", { dataset: { saved: settings.class_name || "" } });
  const startDate = h("input", { type: "date", value: settings.start_date || "" });
  const statuses = h("input", { type: "text", value: (settings.statuses || []).join(", ") });

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
      for (const select of Object.values(accountSelects)) fillAccounts(select, accountList.records);
      fillNames(paymentMethod, methods.records, "QuickBooks' default");
      fillNames(className, classes.records, "No class");
      fillNames(shipstationClass, classes.records, "Every class (every sale)");
      clear(itemList).append(...items.records.map((r) => h("option", { value: r.full_name })));
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
        field("Single customer name", singleCustomer, "Used for every order with \u201cOne customer\u201d."),
        field("Fallback customer", fallbackCustomer, "Orders without a usable name."),
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
    errors,
    h("div", { class: "actions" }, submit, cancel),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosenAccounts = Object.fromEntries(Object.entries(accountSelects).map(([k, s]) => [k, s.value]));
    const directions = fitting().map(([key]) => key).filter(moves);
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
      },
      every_minutes: Number(every.value),
    };
    const credentials = {};
    for (const [key, input] of Object.entries(credentialInputs)) if (input.value.trim()) credentials[key] = input.value;
    if (!editing || Object.keys(credentials).length) body.credentials = credentials;
    if (name.value.trim() || !editing) body.name = name.value;
    const saved_ = await act(submit, errors, async () => {
      if (editing) return patch(path`/api/v1/channels/${channel.id}`, body);
      return post("/api/v1/channels", { ...body, connection_id: connection.value, kind: kind.value });
    });
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

function fillAccounts(select, records) {
  const keep = kept(select);
  clear(select).append(h("option", { value: "" }, "\u2014 none \u2014"));
  const groups = new Map();
  for (const record of records) {
    const type = record.account_type || "Other";
    if (!groups.has(type)) groups.set(type, h("optgroup", { label: type }));
    groups.get(type).append(h("option", { value: record.full_name }, record.full_name));
  }
  for (const group of groups.values()) select.append(group);
  restore(select, keep);
}

function fillNames(select, records, none) {
  const keep = kept(select);
  clear(select).append(h("option", { value: "" }, none), ...records.map((r) => h("option", { value: r.full_name }, r.full_name)));
  restore(select, keep);
}

function restore(select, value) {
  if (!value) return;
  if (![...select.options].some((o) => o.value === value)) select.append(h("option", { value }, `${value} (not in the lists read)`));
  select.value = value;
}
