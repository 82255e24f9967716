// Manual sync (a resync of a date range, followed until done) and sync history (Web Connector sessions).

import { get, path, post } from "./api.js";
import { act, append, badge, clear, counts, field, h, options, table, when } from "./dom.js";

const POLL_MS = 1000;
const FINISHED = new Set(["done", "failed", "incomplete"]);

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

export async function renderManualSync(view, ctx) {
  const { channels } = await get("/api/v1/channels");
  const pulled = channels.filter((c) => c.mode === "pull");
  append(view, h("h1", {}, "Manual sync"));
  if (!pulled.length) {
    view.append(h("p", { class: "empty" }, "No channel to fetch: a manual sync reads orders again from a store Ledgerbridge fetches (push-only custom stores send their own)."));
    return;
  }
  const channel = options(h("select", {}), pulled.map((c) => [c.id, c.name]), pulled[0].id);
  const today = new Date();
  const from = h("input", { type: "date", value: isoDay(new Date(today.getTime() - 7 * 86400000)), required: true });
  const to = h("input", { type: "date", value: isoDay(today), required: true });
  const start = h("button", { type: "submit", class: "primary" }, "Start sync");
  const errors = h("div");
  const progressArea = h("div", { role: "status", "aria-live": "polite" });
  const runsArea = h("div");
  const form = h(
    "form",
    {},
    h("div", { class: "toolbar" }, field("Channel", channel), field("From", from), field("To", to), start),
    h("p", { class: "help" }, "Orders changed in the range (both days included) are read again. Orders already in QuickBooks are never posted twice."),
  );
  append(view, h("section", {}, form, errors, progressArea), h("h2", {}, "Recent runs"), runsArea);

  let stop = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (stop) stop();
    const run = await act(start, errors, () => post(path`/api/v1/channels/${channel.value}/resync`, { from: from.value, to: to.value }));
    if (!run) return;
    showProgress(run);
    stop = ctx.every(POLL_MS, async () => {
      try {
        const current = await get(path`/api/v1/channels/${run.channel_id}/runs/${run.id}`);
        showProgress(current);
        if (FINISHED.has(current.state)) {
          stop();
          loadRuns();
        }
      } catch (error) {
        stop();
        await act(null, errors, () => Promise.reject(error));
      }
    });
  });

  function showProgress(run) {
    const fetched = (run.counts && run.counts.fetched) || 0;
    const bar = h("progress", { "aria-label": "Sync progress", max: String(run.total || 1) });
    if (FINISHED.has(run.state)) bar.value = run.total || 1;
    else if (run.total) bar.value = Math.min(fetched, run.total);
    else bar.removeAttribute("value"); // indeterminate until the store says how many
    // The badge already says the state: the words say what happened, without repeating it.
    const words = FINISHED.has(run.state)
      ? run.state === "done"
        ? `${plural(fetched, "order")} read in ${plural(run.pages, "page")}.`
        : run.error || ""
      : `${fetched}${run.total ? ` of ${run.total}` : ""} orders read so far, ${plural(run.pages, "page")}.`;
    clear(progressArea).append(
      h("p", {}, badge(run.state), " ", h("span", { class: "run-words" }, words)),
      bar,
      h("div", { class: "run-counts" }, counts(run.counts)),
    );
  }

  let latest = 0;
  async function loadRuns() {
    const mine = ++latest;
    const { runs } = await get(path`/api/v1/channels/${channel.value}/runs`);
    if (mine !== latest) return;
    const rows = runs.map((r) => [when(r.started_at), r.trigger, badge(r.state), `${(r.from || "").slice(0, 10)} \u2192 ${(r.to || "").slice(0, 10)}`, counts(r.counts), r.error || ""]);
    clear(runsArea).append(table("Recent runs", ["Started", "Trigger", "State", "Range", "Counts", "Error"], rows, "No run yet."));
  }
  channel.addEventListener("change", () => {
    clear(progressArea);
    loadRuns();
  });
  await loadRuns();
}

export async function renderHistory(view) {
  const { connections } = await get("/api/v1/connections");
  append(view, h("h1", {}, "Sync history"), h("p", { class: "help" }, "Each Web Connector session: what it did, its round trips and errors."));
  if (!connections.length) {
    view.append(h("p", { class: "empty" }, "No connection yet."));
    return;
  }
  const connection = options(h("select", {}), connections.map((c) => [c.id, c.name]), connections[0].id);
  const reload = h("button", { type: "button" }, "Reload");
  const errors = h("div");
  const listArea = h("div");
  append(view, h("div", { class: "toolbar" }, field("Connection", connection), reload), errors, listArea);

  let latest = 0;
  async function load() {
    const mine = ++latest;
    await act(reload, errors, async () => {
      const { sync_runs: runs } = await get(path`/api/v1/connections/${connection.value}/sync-runs`);
      if (mine !== latest) return;
      const rows = runs.map((r) =>
        h(
          "tr",
          {},
          h("td", {}, when(r.started_at)),
          h("td", {}, when(r.ended_at)),
          h("td", {}, badge(r.outcome)),
          h("td", { class: "round-trips" }, String(r.round_trips)),
          h("td", {}, counts(r.counts)),
          h("td", {}, r.errors.length ? h("ul", { class: "errors" }, r.errors.map((e) => h("li", {}, e))) : "—"),
        ),
      );
      clear(listArea).append(table("Web Connector sessions", ["Started", "Ended", "Outcome", "Round trips", "Counts", "Errors"], rows, "No Web Connector session yet."));
    });
  }
  connection.addEventListener("change", load);
  reload.addEventListener("click", load);
  await load();
}

/** "1 page", "3 pages" (never "page(s)"). */
function plural(n, word) {
  const count = Number(n) || 0;
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
