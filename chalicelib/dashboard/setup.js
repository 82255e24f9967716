// The guided setup after a company file is Connected: add a channel, its sync directions, the transaction type,
// the accounts, matching, a test on a real order, then the first sync switched on. Every step saves to the
// server, so the setup can be left at any step and resumed from what exists (the connection's channels and
// their schedules); a channel's schedule stays paused until the last step switches it on.

import { get, patch, path, post } from "./api.js";
import {
  ACCOUNTS,
  CUSTOMER_MATCHING,
  DIRECTIONS,
  KINDS,
  MISSING_ITEMS,
  PRODUCT_MATCHING,
  TRANSACTION_TYPES,
  directionsOf,
  fillAccounts,
  showFieldProblems,
  showRefusal,
  suggestedAccounts,
} from "./channels.js";
import { act, append, badge, clear, errorBox, field, h, options } from "./dom.js";

const STEPS = ["Channel", "Sync directions", "Transaction type", "Accounts", "Matching", "Test on an order", "Switch on"];

/**
 * What QuickBooks would receive for one order, nothing sent: {number, qbxml, problem}. The one place that
 * calls the preview: POST /api/v1/rules/test (its results carry quickbooks.qbxml and .problem) until the order
 * preview (POST /api/v1/orders/preview) exists.
 */
export async function previewOrder(channel, { number = "", document = null }) {
  const body = document ? { documents: [document], channel_id: channel.id } : { orders: [number] };
  const answer = await post("/api/v1/rules/test", body);
  const results = answer.results || [];
  const result = results.find((r) => r.order.channel_id === channel.id) || results[0];
  if (!result) return { number, qbxml: null, problem: "No such order." };
  return { number: result.order.number, qbxml: result.quickbooks.qbxml, problem: result.quickbooks.problem };
}

/** The setup of `conn`'s channels, resumed from the server's state. */
export function guidedSetup(ctx, conn, done) {
  const root = h("section", { class: "wizard", "aria-labelledby": "setup-title" });
  const state = { channel: null, step: 0, lists: null, task: null, tested: null };

  async function lists() {
    if (state.lists) return state.lists;
    const [accounts, items] = await Promise.all([
      get(path`/api/v1/connections/${conn.id}/accounts`),
      get(path`/api/v1/connections/${conn.id}/lists/item`),
    ]);
    if (accounts.records.length) state.lists = { accounts: accounts.records, items: items.records };
    return { accounts: accounts.records, items: items.records };
  }

  async function taskOf(channel) {
    if (channel.mode !== "pull") return null;
    try {
      return await get(path`/api/v1/tasks/${channel.id}`);
    } catch {
      return null;
    }
  }

  function go(step) {
    state.step = step;
    render();
  }

  function header() {
    const steps = h("ol", { class: "steps", "aria-label": "Setup steps" });
    STEPS.forEach((name, i) => {
      const reachable = state.channel && i > 0;
      const label = reachable ? h("button", { type: "button", class: "link", onclick: () => go(i) }, name) : name;
      steps.append(h("li", { class: i < state.step ? "done" : "", "aria-current": i === state.step ? "step" : null }, label));
    });
    return [
      h("h2", { id: "setup-title" }, `Set up ${conn.name}`),
      h("p", { class: "help" }, "Web Connector user name: ", h("code", { class: "wc-username" }, conn.username), ". Every step is saved: leave at any time and continue later from Connections."),
      steps,
    ];
  }

  function nav(body, { next = true, nextLabel = "Next", onNext = null } = {}) {
    const errors = h("div");
    const bar = h("div", { class: "actions" });
    if (state.step > 1) bar.append(h("button", { type: "button", onclick: () => go(state.step - 1) }, "Back"));
    if (next) {
      const button = h("button", { type: "button", class: "primary" }, nextLabel);
      button.addEventListener("click", () =>
        act(button, null, async () => {
          clear(errors);
          try {
            if (onNext) await onNext();
            go(state.step + 1);
          } catch (error) {
            showRefusal(body, errors, error);
          }
        }),
      );
      bar.append(button);
    }
    bar.append(h("button", { type: "button", class: "quiet-dark", onclick: () => done() }, "Close"));
    body.append(errors, bar);
  }

  async function save(settings) {
    state.channel = await patch(path`/api/v1/channels/${state.channel.id}`, { settings });
    return state.channel;
  }

  function render() {
    clear(root);
    append(root, header());
    const body = h("form", { class: "step-body", novalidate: true, onsubmit: (e) => e.preventDefault() });
    root.append(body);
    body.append(h("h3", {}, `Step ${state.step + 1} of ${STEPS.length}: ${STEPS[state.step]}`));
    const step = [chooseChannel, directions, transactionType, accounts, matching, test, switchOn][state.step];
    Promise.resolve()
      .then(() => step(body))
      .catch((error) => body.append(errorBox(error)));
  }

  // Step 1: a new channel (credentials checked with the store), or one of the connection's to continue with.
  async function chooseChannel(body) {
    const existing = h("div");
    const errors = h("div");
    body.append(existing);
    const { channels } = await get("/api/v1/channels");
    const mine = channels.filter((c) => c.connection_id === conn.id);
    if (mine.length) {
      const rows = [];
      for (const channel of mine) {
        const task = await taskOf(channel);
        const on = channel.mode === "push" ? null : task && task.state !== "paused";
        rows.push(
          h(
            "li",
            {},
            h("strong", {}, channel.name),
            " ",
            on === null ? "(orders pushed to the API)" : badge(on ? "active" : "paused"),
            " ",
            h("button", { type: "button", "aria-label": `Continue with ${channel.name}`, onclick: async () => { state.channel = channel; state.task = task; go(1); } }, "Continue with this channel"),
          ),
        );
      }
      existing.append(h("p", {}, "Channels of this connection:"), h("ul", { class: "plain" }, rows), h("p", {}, "Or add a channel:"));
    }
    const kind = options(h("select", {}), Object.entries(KINDS).map(([k, v]) => [k, v.label]), "custom_store");
    const name = h("input", { type: "text", maxlength: "80", dataset: { field: "name" } });
    const credentials = h("div", { class: "grid" });
    let inputs = {};
    const draw = () => {
      clear(credentials);
      inputs = {};
      for (const [key, label, secret, help] of KINDS[kind.value].fields) {
        inputs[key] = h("input", { type: secret ? "password" : "text", autocomplete: secret ? "new-password" : "off", spellcheck: "false", dataset: { field: `credentials.${key}` } });
        credentials.append(field(label, inputs[key], help));
      }
    };
    kind.addEventListener("change", draw);
    draw();
    const listsNote = h("p", { class: "help", role: "status" });
    const add = h("button", { type: "button", class: "primary" }, "Add channel and check credentials");
    add.addEventListener("click", () =>
      act(add, null, async () => {
        clear(errors);
        showFieldProblems(body, null);
        try {
          const { accounts: chart, items } = await lists();
          if (!chart.length) {
            listsNote.textContent = "The company's chart of accounts has not been read from QuickBooks yet: it is read on the Web Connector's next run. Click Update Selected in the Web Connector, then add the channel.";
            return;
          }
          const values = {};
          for (const [key, input] of Object.entries(inputs)) if (input.value.trim()) values[key] = input.value;
          const accountsChosen = suggestedAccounts(chart, items);
          state.channel = await post("/api/v1/channels", {
            connection_id: conn.id,
            kind: kind.value,
            name: name.value,
            credentials: values,
            settings: { accounts: accountsChosen, missing_items: accountsChosen.income ? "create_non_inventory" : "fail" },
          });
          // No sync before the test: the schedule waits, paused, for the last step.
          state.task = state.channel.mode === "pull" ? await post(path`/api/v1/tasks/${state.channel.id}/pause`) : null;
          go(1);
        } catch (error) {
          showRefusal(body, errors, error);
        } finally {
          for (const input of Object.values(inputs)) if (input.type === "password") input.value = "";
        }
      }),
    );
    body.append(
      h("div", { class: "grid" }, field("Store kind", kind), field("Channel name", name)),
      credentials,
      h("p", { class: "help" }, "Credentials are checked with the store when the channel is added, kept encrypted and never shown again."),
      listsNote,
      errors,
      h("div", { class: "actions" }, add, h("button", { type: "button", class: "quiet-dark", onclick: () => done() }, "Close")),
    );
  }

  // Step 2: what the channel moves.
  function directions(body) {
    const chosen = new Set(directionsOf(state.channel));
    const box = h("fieldset", { class: "choices", dataset: { field: "settings.directions" } }, h("legend", {}, "Sync directions"));
    const inputs = {};
    for (const [key, label, help, kinds] of DIRECTIONS) {
      if (kinds && !kinds.includes(state.channel.kind)) continue;
      inputs[key] = h("input", { type: "checkbox", value: key, checked: chosen.has(key) });
      box.append(h("div", { class: "check-row" }, h("label", { class: "check" }, inputs[key], ` ${label}`), h("small", { class: "help" }, help)));
    }
    body.append(box);
    nav(body, {
      onNext: () => save({ directions: Object.keys(inputs).filter((k) => inputs[k].checked) }),
    });
  }

  // Step 3: what each order becomes in QuickBooks.
  function transactionType(body) {
    const select = options(h("select", { dataset: { field: "settings.transaction_type" } }), TRANSACTION_TYPES, state.channel.settings.transaction_type);
    body.append(field("Transaction type", select, "What each order becomes in QuickBooks."));
    nav(body, { onNext: () => save({ transaction_type: select.value }) });
  }

  // Step 4: the accounts, each drop-down offering only the account types that fit.
  async function accounts(body) {
    const saved = state.channel.settings.accounts || {};
    const selects = {};
    const grid = h("div", { class: "grid" });
    for (const [key, label, help] of ACCOUNTS) {
      selects[key] = h("select", { dataset: { saved: saved[key] || "", field: `settings.accounts.${key}` } });
      grid.append(field(label, selects[key], help));
    }
    body.append(grid);
    nav(body, { onNext: () => save({ accounts: Object.fromEntries(Object.entries(selects).map(([k, s]) => [k, s.value])) }) });
    const { accounts: chart } = await lists();
    for (const [key, select] of Object.entries(selects)) fillAccounts(select, chart, key);
  }

  // Step 5: customers and products.
  function matching(body) {
    const s = state.channel.settings;
    const customer = options(h("select", { dataset: { field: "settings.customer_matching" } }), CUSTOMER_MATCHING, s.customer_matching);
    const single = h("input", { type: "text", maxlength: "41", value: s.single_customer || "", dataset: { field: "settings.single_customer" } });
    const product = options(h("select", { dataset: { field: "settings.product_matching" } }), PRODUCT_MATCHING, s.product_matching);
    // Creating missing products needs the income account (Accounts step): a refusal about it shows here.
    const missing = options(h("select", { dataset: { field: "settings.accounts.income", fieldLabel: "Income account" } }), MISSING_ITEMS, s.missing_items);
    body.append(
      h(
        "div",
        { class: "grid" },
        field("Customer matching", customer),
        field("Single customer name", single, "Used for every order with \u201cOne customer\u201d."),
        field("Product matching", product),
        field("Missing products", missing, "When an order's product is not in QuickBooks."),
      ),
    );
    nav(body, {
      onNext: () => save({ customer_matching: customer.value, single_customer: single.value, product_matching: product.value, missing_items: missing.value }),
    });
  }

  // Step 6: what QuickBooks would receive for a real order, nothing sent.
  async function test(body) {
    const number = h("input", { type: "text", maxlength: "100", autocomplete: "off" });
    const pasted = h("textarea", { rows: "6", spellcheck: "false" });
    const result = h("div", { role: "status", class: "test-result" });
    const errors = h("div");
    const run = h("button", { type: "button", class: "primary" }, "Test on this order");
    body.append(
      h("p", {}, "Nothing is sent to QuickBooks: this shows what the first sync would send for one of your orders."),
      h("div", { class: "grid" }, field("Order number", number, "An order Ledgerbridge has stored."), field("Or paste an order", pasted, "The order's JSON, as your store sends it.")),
      h("div", { class: "actions" }, run),
      errors,
      result,
    );
    const { orders } = await get(`/api/v1/orders?channel=${encodeURIComponent(state.channel.id)}&limit=1`).catch(() => ({ orders: [] }));
    if (orders && orders.length && !number.value) number.value = orders[0].number || "";
    const show = (outcome) => {
      state.tested = outcome.qbxml ? outcome : null;
      clear(result);
      if (outcome.qbxml) {
        result.append(h("p", { class: "success" }, `Order ${outcome.number}: QuickBooks would receive this.`), h("pre", { class: "qbxml", "aria-label": "qbXML QuickBooks would receive" }, outcome.qbxml));
      } else {
        result.append(h("div", { class: "error" }, h("p", {}, `Order ${outcome.number || ""} would not be sent: ${outcome.problem}`), h("p", {}, "Change the settings (the steps above) and test again.")));
      }
      next.disabled = !state.tested;
    };
    run.addEventListener("click", () =>
      act(run, errors, async () => {
        let document = null;
        if (pasted.value.trim()) {
          try {
            document = JSON.parse(pasted.value);
          } catch {
            throw { message: "The pasted order is not valid JSON: paste the whole order, from { to }." };
          }
        } else if (!number.value.trim()) {
          throw { message: "Enter an order number, or paste an order." };
        }
        show(await previewOrder(state.channel, { number: number.value.trim(), document }));
      }),
    );
    const bar = h("div", { class: "actions" });
    const next = h("button", { type: "button", class: "primary", disabled: !state.tested, onclick: () => go(state.step + 1) }, "Next: switch on the sync");
    bar.append(h("button", { type: "button", onclick: () => go(state.step - 1) }, "Back"), next, h("button", { type: "button", class: "quiet-dark", onclick: () => done() }, "Close"));
    body.append(bar);
    if (state.tested) show(state.tested);
  }

  // Step 7: the first sync.
  async function switchOn(body) {
    const status = h("div", { role: "status" });
    const errors = h("div");
    body.append(status, errors);
    if (state.channel.mode !== "pull") {
      status.append(
        h("p", {}, "This channel's orders are pushed to Ledgerbridge's API by your store: each order pushed is sent to QuickBooks on the Web Connector's next run."),
        h("p", {}, "Push address: ", h("code", {}, `/api/v1/channels/${state.channel.id}/orders`)),
      );
      body.append(h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => done() }, "Finish")));
      return;
    }
    const task = state.task || (await taskOf(state.channel));
    const on = task && task.state !== "paused";
    const button = h("button", { type: "button", class: "primary", hidden: on }, "Switch on the sync");
    const say = () =>
      clear(status).append(
        h("p", { class: "success" }, `The sync of ${state.channel.name} is on: orders are fetched every ${state.channel.every_minutes} minutes and sent to QuickBooks on the Web Connector's runs.`),
      );
    if (on) say();
    else if (!state.tested) status.append(h("p", { class: "note" }, "Test on an order first (the step before): the sync stays off until then."));
    button.disabled = !state.tested && !on;
    button.addEventListener("click", () =>
      act(button, errors, async () => {
        state.task = await post(path`/api/v1/tasks/${state.channel.id}/resume`);
        await post(path`/api/v1/tasks/${state.channel.id}/run`);
        button.hidden = true;
        say();
        ctx.toast(`${state.channel.name}: the first sync is on.`);
      }),
    );
    body.append(h("div", { class: "actions" }, button, h("button", { type: "button", class: "quiet-dark", onclick: () => done() }, "Close")));
  }

  render();
  return root;
}
