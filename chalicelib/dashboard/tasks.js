// Tasks: one schedule per fetched channel; state, last and next run, pause and resume, run now.

import { get, path, post } from "./api.js";
import { act, append, badge, clear, counts, h, table, when } from "./dom.js";

export async function renderTasks(view, ctx) {
  const errors = h("div");
  const listArea = h("div");
  const reload = h("button", { type: "button", onclick: () => load() }, "Reload");
  append(
    view,
    h("h1", {}, "Tasks"),
    h("p", { class: "help" }, "Each store Ledgerbridge fetches has one task: its schedule. Push-only custom stores have none."),
    h("div", { class: "toolbar" }, reload),
    errors,
    listArea,
  );

  async function load() {
    const { tasks } = await get("/api/v1/tasks");
    const rows = tasks.map((task) => {
      const paused = task.state === "paused";
      const toggle = h("button", { type: "button", "aria-label": `${paused ? "Resume" : "Pause"} ${task.name}` }, paused ? "Resume" : "Pause");
      toggle.addEventListener("click", () =>
        act(toggle, errors, async () => {
          const updated = await post(path`/api/v1/tasks/${task.id}/${paused ? "resume" : "pause"}`);
          ctx.toast(`${updated.name}: ${updated.state}.`);
          await load();
        }),
      );
      const runNow = h("button", { type: "button", "aria-label": `Run now ${task.name}` }, "Run now");
      runNow.addEventListener("click", () =>
        act(runNow, errors, async () => {
          await post(path`/api/v1/tasks/${task.id}/run`);
          ctx.toast(`${task.name}: queued to run now. Its result shows under Last result once done (Reload).`);
          await load();
        }),
      );
      const result = task.last_result
        ? h("div", {}, badge(task.last_result.state), counts(task.last_result.counts), task.last_result.error ? h("p", { class: "help" }, task.last_result.error) : null)
        : "—";
      return h(
        "tr",
        { dataset: { task: task.id } },
        h("td", {}, h("strong", {}, task.name)),
        h("td", {}, badge(task.state), task.running ? h("span", { class: "help" }, " running now") : null),
        h("td", {}, `every ${task.every_minutes} min`),
        h("td", {}, when(task.last_run)),
        h("td", {}, when(task.next_run)),
        h("td", {}, result),
        h("td", {}, h("div", { class: "actions" }, runNow, toggle)),
      );
    });
    clear(listArea).append(table("Tasks", ["Task", "State", "Schedule", "Last run", "Next run", "Last result", ""], rows, "No task: add a channel Ledgerbridge fetches."));
  }

  await load();
}
