// Rules: conditions and actions between the store and QuickBooks, top-down. Built from drop-downs (the
// order's fields, comparisons, action kinds; accounts, classes and items from a connection's cached lists),
// reordered, switched on and off, moved as CSV, and tested on stored orders in the panel beside the list.

import { ApiError, api, apiKey, download, get, path, post, saveFile } from "./api.js";
import { act, append, badge, clear, field, h, options, table, uid } from "./dom.js";
import { CUSTOMER_MATCHING as MATCHING_MODES } from "./accounting.js";

// chalicelib/rules/model.py Field
const FIELDS = [
  ["channel", "Channel"],
  ["store_kind", "Store kind"],
  ["order_status", "Order status"],
  ["payment_status", "Payment status"],
  ["payment_method", "Payment method"],
  ["gateway", "Payment gateway"],
  ["currency", "Currency"],
  ["total", "Total"],
  ["tax_total", "Tax total"],
  ["shipping_total", "Shipping total"],
  ["shipping_method", "Shipping method"],
  ["discount_code", "Discount code"],
  ["customer_name", "Customer name"],
  ["customer_company", "Customer company"],
  ["email", "Email"],
  ["billing_name", "Billing name"],
  ["billing_company", "Billing company"],
  ["billing_state", "Billing state"],
  ["billing_country", "Billing country"],
  ["shipping_name", "Shipping name"],
  ["shipping_company", "Shipping company"],
  ["shipping_state", "Shipping state"],
  ["shipping_country", "Shipping country"],
  ["tags", "Tags"],
  ["note", "Note"],
  ["source", "Source"],
  ["line_sku", "Any line's SKU"],
  ["line_title", "Any line's title"],
  ["attribute", "Custom attribute"],
];
const NUMBER_FIELDS = new Set(["total", "tax_total", "shipping_total"]);
// chalicelib/rules/model.py Op
const OPS = [
  ["equals", "equals"],
  ["not_equals", "does not equal"],
  ["contains", "contains"],
  ["starts_with", "starts with"],
  ["ends_with", "ends with"],
  ["matches", "matches the pattern"],
  ["more_than", "is more than"],
  ["less_than", "is less than"],
  ["is_empty", "is empty"],
  ["in_list", "is one of (separate with |)"],
];
const TRANSACTION_TYPES = [
  ["sales_receipt", "Sales receipt"],
  ["invoice", "Invoice"],
  ["sales_order", "Sales order"],
  ["sales_order_invoice_payment", "Sales order, then invoice and payment"],
];
// Every mode of chalicelib/orders/settings.py CustomerMatching; "One named customer" first (the rule's name).
const CUSTOMER_MATCHING = [["single_customer", "One named customer"], ...MATCHING_MODES.filter(([mode]) => mode !== "single_customer")];
const SKU_MATCH = [
  ["exact", "is exactly"],
  ["prefix", "starts with"],
  ["regex", "matches the pattern"],
];
const SURCHARGE = [
  ["amount", "A fixed amount"],
  ["percent", "A percentage of shipping"],
];
const DATE_SOURCE = [
  ["payment", "The payment's date"],
  ["date", "A fixed date"],
];
// Each action code (chalicelib/rules/actions.py), its label and its attributes: [name, label, kind, choices].
// Kinds: account, ar_account, class, item (drop-downs from the company's lists), choice, text, number, date.
const ACTIONS = {
  SET_TRANSACTION_TYPE: ["Set the transaction type", [["transaction_type", "Transaction type", "choice", TRANSACTION_TYPES]]],
  SET_DEPOSIT_ACCOUNT: ["Set the deposit account", [["account", "Deposit account", "account"]]],
  SET_AR_ACCOUNT: ["Set the A/R account", [["account", "A/R account", "ar_account"]]],
  SET_CLASS: ["Set the class", [["class_name", "Class", "class"]]],
  SET_CUSTOMER: ["Set the customer", [["matching", "Customer", "choice", CUSTOMER_MATCHING], ["name", "Customer's full name (one named customer)", "text"]]],
  DO_NOT_IMPORT: ["Do not import the order", []],
  REMOVE_TAX: ["Remove tax", []],
  MAP_SKU: ["Map a SKU to an item", [["match", "SKU", "choice", SKU_MATCH], ["sku", "SKU (or pattern)", "text"], ["item", "QuickBooks item", "item"]]],
  MAP_SHIPPING_METHOD: ["Map a shipping method to an item", [["method", "Shipping method", "text"], ["item", "QuickBooks item", "item"]]],
  MAP_DISCOUNT_CODE: ["Map a discount code to an item", [["discount_code", "Discount code", "text"], ["item", "QuickBooks item", "item"]]],
  ADD_SHIPPING_SURCHARGE: ["Add a shipping surcharge", [["kind", "Surcharge", "choice", SURCHARGE], ["amount", "Amount or percentage", "number"]]],
  SET_ORDER_NUMBER: ["Set the order number", [["template", "Order number ({number}, {id})", "text"]]],
  SET_ORDER_DATE: ["Set the order date", [["source", "Date", "choice", DATE_SOURCE], ["day", "Fixed date", "date"]]],
  SET_MEMO: ["Set the memo", [["template", "Memo ({number}, {id}, {note})", "text"]]],
  SET_PO_NUMBER: ["Set the PO number", [["template", "PO number ({number}, {id})", "text"]]],
  SET_SALES_REP: ["Set the sales rep", [["sales_rep", "Sales rep initials", "text"]]],
  SET_TERMS: ["Set the terms", [["terms", "Terms", "text"]]],
  SET_PRICE_LEVEL: ["Set the price level", [["price_level", "Price level", "text"]]],
  SET_UNIT_OF_MEASURE: ["Set the unit of measure", [["match", "SKU", "choice", SKU_MATCH], ["sku", "SKU (or pattern)", "text"], ["unit", "Unit", "text"], ["factor", "Quantity times (price divided by)", "number"]]],
  SET_INVENTORY_SITE: ["Set the inventory site", [["site", "Inventory site", "text"]]],
  EXCLUDE_FROM_SHIPSTATION: ["Exclude from ShipStation", []],
};
const FIELD_LABEL = Object.fromEntries(FIELDS);
const OP_LABEL = Object.fromEntries(OPS);

/** POST a file's text as it is (the CSV import reads the body as CSV, not JSON). */
async function postText(target, text) {
  let response;
  try {
    response = await fetch(target, {
      method: "POST",
      headers: { Authorization: `Bearer ${apiKey() || ""}`, Accept: "application/json", "Content-Type": "text/csv" },
      body: text,
      cache: "no-store",
      credentials: "omit",
      redirect: "error",
    });
  } catch {
    throw new ApiError(0, { error: "network", message: "The service could not be reached. Check the connection and try again." });
  }
  if (response.status === 401) window.dispatchEvent(new CustomEvent("ledgerbridge:unauthorized"));
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function describeCondition(c) {
  const name = c.field === "attribute" ? `attribute “${c.attribute}”` : FIELD_LABEL[c.field] || c.field;
  const value = c.op === "is_empty" ? "" : ` ${(c.values || []).join(" | ")}`;
  return `${name} ${OP_LABEL[c.op] || c.op}${value}`;
}

function describeAction(a) {
  const [label, attributes] = ACTIONS[a.action] || [a.action, []];
  const parts = attributes.map(([name]) => a[name]).filter((v) => v !== undefined && v !== "");
  return parts.length ? `${label}: ${parts.join(" → ")}` : label;
}

export async function renderRules(view, ctx) {
  const [{ connections }, { channels }] = await Promise.all([get("/api/v1/connections"), get("/api/v1/channels")]);
  const lists = { account: [], ar_account: [], class: [], item: [] };
  const connection = options(h("select", {}), connections.map((c) => [c.id, c.name]), connections[0] && connections[0].id);
  const listsNote = h("p", { class: "help", role: "status" });
  const newButton = h("button", { type: "button", class: "primary" }, "New rule");
  const exportButton = h("button", { type: "button" }, "Export CSV");
  const importFile = h("input", { type: "file", accept: ".csv,text/csv" });
  const importButton = h("button", { type: "button" }, "Import CSV");
  const errors = h("div");
  const editorArea = h("div");
  const listArea = h("div");
  const testArea = h("div");
  let rules = [];

  append(
    view,
    h("h1", {}, "Rules"),
    h("p", { class: "help" }, "Rules run on every order after it is downloaded and before anything is written to QuickBooks, from the top of the list down; a later rule sees what an earlier one changed."),
    h(
      "div",
      { class: "toolbar" },
      connections.length ? field("Drop-downs from", connection, "The company file whose accounts, classes and items fill the drop-downs.") : null,
      newButton,
      exportButton,
      field("Rules file (CSV)", importFile),
      importButton,
    ),
    listsNote,
    errors,
    h("div", { class: "rules-split" }, h("div", {}, editorArea, listArea), h("aside", { class: "card", "aria-labelledby": "rules-test-title" }, h("h2", { id: "rules-test-title" }, "Test"), testArea)),
  );

  async function loadLists() {
    clear(listsNote);
    if (!connection.value) {
      listsNote.textContent = "No company file yet: type account, class and item names, or pair a company file first.";
      return;
    }
    const id = connection.value;
    try {
      const [accounts, classes, items] = await Promise.all([
        get(path`/api/v1/connections/${id}/accounts`),
        get(path`/api/v1/connections/${id}/lists/class`),
        get(path`/api/v1/connections/${id}/lists/item`),
      ]);
      lists.account = accounts.records.map((r) => r.full_name);
      lists.ar_account = accounts.records.filter((r) => r.account_type === "AccountsReceivable").map((r) => r.full_name);
      lists.class = classes.records.map((r) => r.full_name);
      lists.item = items.records.map((r) => r.full_name);
      listsNote.textContent = `${lists.account.length} accounts, ${lists.class.length} classes, ${lists.item.length} items from QuickBooks.`;
    } catch (error) {
      listsNote.textContent = error.message;
    }
  }

  async function load() {
    rules = (await get("/api/v1/rules")).rules;
    const rows = rules.map((rule, index) => {
      const label = rule.name;
      const up = h("button", { type: "button", "aria-label": `Move ${label} up`, disabled: index === 0, onclick: () => move(index, -1, up) }, "↑");
      const down = h("button", { type: "button", "aria-label": `Move ${label} down`, disabled: index === rules.length - 1, onclick: () => move(index, 1, down) }, "↓");
      const toggle = h("button", { type: "button", "aria-label": `${rule.enabled ? "Disable" : "Enable"} ${label}` }, rule.enabled ? "Disable" : "Enable");
      toggle.addEventListener("click", () =>
        act(toggle, errors, async () => {
          await post(path`/api/v1/rules/${rule.id}/${rule.enabled ? "disable" : "enable"}`);
          await load();
        }),
      );
      const remove = h("button", { type: "button", class: "danger", "aria-label": `Delete ${label}` }, "Delete");
      remove.addEventListener("click", () =>
        act(remove, errors, async () => {
          await api("DELETE", path`/api/v1/rules/${rule.id}`);
          ctx.toast(`Rule “${label}” deleted.`);
          await load();
        }),
      );
      const channelNames = (rule.channels || []).map((id) => (channels.find((c) => c.id === id) || { name: id }).name);
      return h(
        "tr",
        { dataset: { rule: rule.id } },
        h("td", { class: "mono" }, String(index + 1)),
        h("td", {}, h("strong", {}, label), channelNames.length ? h("div", { class: "help" }, `Only ${channelNames.join(", ")}`) : null),
        h("td", {}, rule.conditions.length ? h("ul", { class: "plain" }, rule.conditions.map((c, i) => h("li", {}, i ? `${rule.join.toUpperCase()} ` : "", describeCondition(c)))) : "Every order"),
        h("td", {}, h("ul", { class: "plain" }, rule.actions.map((a) => h("li", {}, describeAction(a))))),
        h("td", {}, badge(rule.enabled ? "active" : "paused")),
        h(
          "td",
          {},
          h(
            "div",
            { class: "actions" },
            up,
            down,
            h("button", { type: "button", "aria-label": `Edit ${label}`, onclick: () => openEditor(rule) }, "Edit"),
            toggle,
            remove,
          ),
        ),
      );
    });
    clear(listArea).append(table("Rules", ["#", "Rule", "When", "Then", "State", ""], rows, "No rule yet: every order goes to QuickBooks as the channel's settings say."));
  }

  function move(index, by, button) {
    const order = rules.map((r) => r.id);
    const [moved] = order.splice(index, 1);
    order.splice(index + by, 0, moved);
    return act(button, errors, async () => {
      await post("/api/v1/rules/reorder", { order });
      await load();
    });
  }

  function openEditor(rule) {
    clear(editorArea).append(
      ruleEditor(rule, channels, lists, {
        async saved(result) {
          clear(editorArea);
          ctx.toast(`Rule “${result.name}” saved.`);
          await load();
        },
        cancel: () => clear(editorArea),
        test: (draft) => testPanel.run([draft]),
      }),
    );
  }

  const testPanel = tester(testArea);

  newButton.addEventListener("click", () => openEditor(null));
  exportButton.addEventListener("click", () =>
    act(exportButton, errors, async () => {
      saveFile(await download("/api/v1/rules/export"));
    }),
  );
  importButton.addEventListener("click", () =>
    act(importButton, errors, async () => {
      const file = importFile.files && importFile.files[0];
      if (!file) throw new ApiError(400, { message: "Choose a rules file (CSV) first." });
      const result = await postText("/api/v1/rules/import", await file.text());
      ctx.toast(`Imported ${result.count} rules; they replace the list.`);
      importFile.value = "";
      await load();
    }),
  );
  connection.addEventListener("change", loadLists);
  await loadLists();
  await load();
}

/** A control for one action attribute: a drop-down from the company's lists when there are any. */
function attributeControl(kind, choices, value, lists) {
  if (kind === "choice") return options(h("select", {}), choices, value || choices[0][0]);
  if (["account", "ar_account", "class", "item"].includes(kind)) {
    const names = kind === "ar_account" && !lists.ar_account.length ? lists.account : lists[kind];
    if (names.length) {
      const pairs = [["", "— choose —"], ...names.map((n) => [n, n])];
      if (value && !names.includes(value)) pairs.push([value, `${value} (not in QuickBooks' list)`]);
      return options(h("select", {}), pairs, value || "");
    }
    return h("input", { type: "text", value: value || "", autocomplete: "off" });
  }
  if (kind === "date") return h("input", { type: "date", value: value || "" });
  if (kind === "number") return h("input", { type: "text", inputmode: "decimal", value: value || "" });
  return h("input", { type: "text", value: value || "", autocomplete: "off" });
}

function conditionRow(condition, channels, onRemove) {
  const fieldSelect = options(h("select", { "aria-label": "Field" }), FIELDS, condition.field || "payment_method");
  const attribute = h("input", { type: "text", "aria-label": "Attribute name", placeholder: "Attribute name", value: condition.attribute || "" });
  const op = options(h("select", { "aria-label": "Comparison" }), OPS, condition.op || "equals");
  const valueId = uid("values");
  const value = h("input", { type: "text", "aria-label": "Value", value: (condition.values || []).join(" | "), list: valueId });
  const suggestions = h("datalist", { id: valueId });
  const remove = h("button", { type: "button", class: "quiet", "aria-label": "Remove condition", onclick: () => onRemove(row) }, "Remove");
  function sync() {
    attribute.hidden = fieldSelect.value !== "attribute";
    value.hidden = op.value === "is_empty";
    clear(suggestions);
    if (fieldSelect.value === "channel") suggestions.append(...channels.map((c) => h("option", { value: c.id }, c.name)));
    if (fieldSelect.value === "store_kind") suggestions.append(...[...new Set(channels.map((c) => c.kind))].map((k) => h("option", { value: k })));
    value.inputMode = NUMBER_FIELDS.has(fieldSelect.value) ? "decimal" : "text";
  }
  fieldSelect.addEventListener("change", sync);
  op.addEventListener("change", sync);
  sync();
  const row = h("div", { class: "toolbar rule-row", dataset: { condition: "" } }, fieldSelect, attribute, op, value, suggestions, remove);
  row.read = () => {
    const out = { field: fieldSelect.value, op: op.value, values: [] };
    if (op.value !== "is_empty") {
      const text = value.value.trim();
      out.values = op.value === "in_list" ? text.split("|").map((v) => v.trim()).filter(Boolean) : text ? [text] : [];
    }
    if (fieldSelect.value === "attribute") out.attribute = attribute.value.trim();
    return out;
  };
  return row;
}

function actionRow(action, lists, onRemove) {
  const kind = options(h("select", { "aria-label": "Action" }), Object.entries(ACTIONS).map(([code, [label]]) => [code, label]), action.action || "SET_DEPOSIT_ACCOUNT");
  const params = h("div", { class: "toolbar" });
  let controls = {};
  function build(values) {
    controls = {};
    clear(params);
    for (const [name, label, type, choices] of ACTIONS[kind.value][1]) {
      const control = attributeControl(type, choices, values[name], lists);
      controls[name] = control;
      params.append(field(label, control));
    }
  }
  kind.addEventListener("change", () => build({}));
  build(action);
  const remove = h("button", { type: "button", class: "quiet", "aria-label": "Remove action", onclick: () => onRemove(row) }, "Remove");
  const row = h("div", { class: "rule-row", dataset: { action: "" } }, h("div", { class: "toolbar" }, kind, remove), params);
  row.read = () => {
    const out = { action: kind.value };
    for (const [name, control] of Object.entries(controls)) {
      const value = control.value.trim();
      if (value) out[name] = value;
    }
    return out;
  };
  return row;
}

function ruleEditor(rule, channels, lists, handlers) {
  const draft = rule || { name: "", enabled: true, join: "and", channels: [], conditions: [{ field: "payment_method", op: "equals", values: [] }], actions: [{ action: "SET_DEPOSIT_ACCOUNT" }] };
  const name = h("input", { type: "text", value: draft.name, autocomplete: "off", required: true });
  const join = options(h("select", {}), [["and", "All conditions hold (AND)"], ["or", "Any condition holds (OR)"]], draft.join);
  const scope = h("select", { multiple: true, size: String(Math.min(4, Math.max(2, channels.length))) });
  options(scope, channels.map((c) => [c.id, c.name]));
  for (const option of scope.options) option.selected = (draft.channels || []).includes(option.value);
  const conditions = h("div");
  const actions = h("div");
  const removeRow = (row) => row.remove();
  for (const c of draft.conditions) conditions.append(conditionRow(c, channels, removeRow));
  for (const a of draft.actions) actions.append(actionRow(a, lists, removeRow));
  const addCondition = h("button", { type: "button", onclick: () => conditions.append(conditionRow({}, channels, removeRow)) }, "Add condition");
  const addAction = h("button", { type: "button", onclick: () => actions.append(actionRow({}, lists, removeRow)) }, "Add action");
  const errors = h("div");
  const save = h("button", { type: "submit", class: "primary" }, rule ? "Save rule" : "Create rule");
  const tryIt = h("button", { type: "button" }, "Test this rule");
  const cancel = h("button", { type: "button", onclick: handlers.cancel }, "Cancel");

  function read() {
    return {
      name: name.value.trim(),
      enabled: draft.enabled !== false,
      join: join.value,
      channels: [...scope.selectedOptions].map((o) => o.value),
      conditions: [...conditions.children].map((row) => row.read()),
      actions: [...actions.children].map((row) => row.read()),
    };
  }

  const form = h(
    "form",
    { class: "card", "aria-label": rule ? `Edit rule ${rule.name}` : "New rule" },
    h("h2", {}, rule ? `Edit “${rule.name}”` : "New rule"),
    field("Rule name", name),
    channels.length ? field("Only these channels", scope, "None chosen: every channel. Ctrl-click to choose several.") : null,
    h("fieldset", {}, h("legend", {}, "When"), field("Conditions", join), conditions, addCondition),
    h("fieldset", {}, h("legend", {}, "Then"), actions, addAction),
    errors,
    h("div", { class: "actions" }, save, tryIt, cancel),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(save, errors, async () => {
      const body = read();
      const result = rule ? await api("PUT", path`/api/v1/rules/${rule.id}`, { ...body, id: rule.id }) : await post("/api/v1/rules", body);
      await handlers.saved(result);
    });
  });
  tryIt.addEventListener("click", () => handlers.test(read()));
  return form;
}

/** The test panel: order numbers in, the order before and after every rule that changed it out. */
function tester(area) {
  const numbers = h("input", { type: "text", autocomplete: "off", placeholder: "#1001, #1002" });
  const run = h("button", { type: "submit", class: "primary" }, "Test the rules");
  const note = h("p", { class: "help", role: "status" });
  const errors = h("div");
  const results = h("div", { "aria-live": "polite" });
  let unsaved = null;
  const form = h("form", { "aria-label": "Test rules on orders" }, field("Order numbers", numbers, "Stored orders by number (or ord_ id), separated by commas. Nothing is saved or sent to QuickBooks."), h("div", { class: "actions" }, run), note);
  append(area, form, errors, results);

  async function test() {
    const orders = numbers.value.split(/[,\s]+/).map((v) => v.trim()).filter(Boolean);
    const body = { orders };
    if (unsaved) body.rules = unsaved;
    note.textContent = unsaved ? "Testing the rule being edited (not saved)." : "Testing the saved list.";
    clear(results);
    const answer = await act(run, errors, () => post("/api/v1/rules/test", body));
    if (answer) results.append(...answer.results.map(resultView));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    unsaved = null;
    test();
  });
  return {
    run(draftRules) {
      unsaved = draftRules;
      if (!numbers.value.trim()) {
        note.textContent = "Enter an order number to test the rule being edited on.";
        numbers.focus();
        return;
      }
      test().finally(() => {
        unsaved = null;
      });
    },
  };
}

function resultView(result) {
  const title = `Order ${result.order.number}`;
  const applied = result.applied.map((a) =>
    h(
      "div",
      { class: "rule-result", dataset: { appliedRule: a.rule_id } },
      h("h4", {}, a.name),
      table(`Changes by ${a.name}`, ["What", "Before", "After"], a.changes.map((c) => [c.what, c.before || "—", c.after || "—"])),
    ),
  );
  const after = result.after;
  const summary = [
    ["Transaction type", after.settings.transaction_type],
    ["Deposit account", after.settings.deposit_account],
    ["A/R account", after.settings.ar_account],
    ["Class", after.settings.class],
    ["Customer", after.settings.customer_matching === "single_customer" ? after.settings.single_customer : after.settings.customer_matching],
    ["Total", `${after.order.total} ${after.order.currency}`],
    ["Tax", after.order.tax_total],
    ...after.order.lines.filter((l) => l.item).map((l) => [`Item of ${l.sku || l.title}`, l.item]),
  ].filter(([, v]) => v);
  return h(
    "section",
    { class: "test-result", dataset: { testOrder: result.order.number }, "aria-label": title },
    h("h3", {}, title, " ", result.do_not_import ? h("span", { class: "badge badge-warn" }, "Not imported") : null),
    applied.length ? applied : h("p", { class: "empty" }, "No rule changed this order."),
    h("h4", {}, "After every rule"),
    table(`${title} after every rule`, ["", "Value"], summary.map(([k, v]) => [k, String(v)])),
  );
}
