// API keys: create one with a label (the key is shown once), revoke one; and where the daily summary goes.

import { api, get, path, post } from "./api.js";
import { act, append, clear, field, h, table, when } from "./dom.js";

export async function renderKeys(view, ctx) {
  const errors = h("div");
  const shown = h("div");
  const listArea = h("div");
  const label = h("input", { id: "key-label", type: "text", maxlength: "100", autocomplete: "off" });
  const create = h("button", { type: "submit", class: "primary" }, "Create key");
  const form = h("form", { class: "toolbar" }, field("Label", label, "What the key is for, e.g. the warehouse script."), create);
  append(
    view,
    h("h1", {}, "API keys"),
    h("p", { class: "help" }, "Each key opens this account's API and dashboard. Give each script or person its own key, and revoke a key that is no longer used."),
    form,
    errors,
    shown,
    listArea,
  );

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(create, errors, async () => {
      const key = await post("/api/v1/api-keys", { label: label.value.trim() });
      label.value = "";
      const output = h("output", { id: "new-key", "aria-label": "New API key" }, key.key);
      clear(shown).append(
        h(
          "div",
          { class: "password-box" },
          h("p", { class: "warning", role: "alert" }, h("strong", {}, "Shown once: "), "copy this key now; it cannot be shown again."),
          output,
        ),
      );
      await load();
    });
  });
  ctx.onLeave(() => clear(shown));

  async function load() {
    const { api_keys: keys } = await get("/api/v1/api-keys");
    const rows = keys.map((key) => {
      const revoke = h("button", { type: "button", class: "danger", "aria-label": `Revoke ${key.label || key.prefix}` }, "Revoke");
      revoke.addEventListener("click", () => {
        if (!window.confirm(`Revoke the key ${key.label || key.prefix}? Anything using it stops working at once.`)) return;
        act(revoke, errors, async () => {
          await api("DELETE", path`/api/v1/api-keys/${key.id}`);
          ctx.toast(`The key ${key.label || key.prefix} is revoked.`);
          await load();
        });
      });
      return [key.label || "—", h("code", {}, `${key.prefix}…`), when(key.created_at), key.active ? "Active" : ["Revoked ", when(key.revoked_at)], key.active ? revoke : ""];
    });
    clear(listArea).append(table("API keys", ["Label", "Key", "Created", "State", ""], rows, "No API key."));
  }

  await load();
  await renderSummaryAddress(view, ctx);
}

async function renderSummaryAddress(view, ctx) {
  const errors = h("div");
  const account = await get("/api/v1/account");
  const email = h("input", { id: "summary-email", type: "email", maxlength: "254", autocomplete: "email", value: account.summary_email || "" });
  const save = h("button", { type: "submit" }, "Save");
  const form = h(
    "form",
    { class: "toolbar", novalidate: "" },
    field("Daily summary to", email, "Each morning: yesterday's sales and anything that needs you. Leave empty to use the service's default address."),
    save,
  );
  append(view, h("h2", {}, "Daily summary e-mail"), form, errors);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(save, errors, async () => {
      const saved = await api("PUT", "/api/v1/account", { summary_email: email.value.trim() || null });
      ctx.toast(saved.summary_email ? `The daily summary goes to ${saved.summary_email}.` : "The daily summary goes to the service's default address.");
    });
  });
}
