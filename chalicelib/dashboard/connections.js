// Connections (company files) and the five-step pairing wizard.

import { download, get, path, post, saveFile } from "./api.js";
import { act, append, badge, clear, errorBox, field, h, table, when } from "./dom.js";
import { deleteConnectionButton } from "./manage.js";
import { guidedSetup } from "./setup.js";

const STEPS = ["Create", "Download .qwc", "Password", "Web Connector", "Verify"];
const POLL_MS = 2000;

export async function renderConnections(view, ctx) {
  const wizardArea = h("div");
  const listArea = h("div");
  const listErrors = h("div"); // a failed action says so here: the table stays as it is
  const newButton = h("button", { type: "button", class: "primary", onclick: () => openWizard(null, 0) }, "New connection");
  append(view, h("h1", {}, "Connections"), h("div", { class: "toolbar" }, newButton), wizardArea, listErrors, listArea);

  function openWizard(conn, step) {
    const closed = () => {
      clear(wizardArea);
      loadList();
    };
    const setUp = (paired) => openSetup(paired);
    clear(wizardArea).append(wizard(ctx, conn, step, closed, () => loadList(), setUp));
    wizardArea.scrollIntoView({ block: "start" });
  }

  function openSetup(conn) {
    const closed = () => {
      clear(wizardArea);
      loadList();
    };
    clear(wizardArea).append(guidedSetup(ctx, conn, closed));
    wizardArea.scrollIntoView({ block: "start" });
  }

  async function loadList() {
    const { connections } = await get("/api/v1/connections");
    const rows = connections.map((conn) => {
      const status = conn.status;
      const next = !conn.password_set ? 2 : status.state === "connected" ? 4 : 3;
      const notes = status.last_error ? h("div", { class: "help" }, status.last_error.message) : null;
      return [
        h("strong", {}, conn.name),
        [badge(status.state), notes],
        status.company_name || "—",
        h("code", {}, conn.username),
        when(status.last_contact_at),
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", "aria-label": `Pair ${conn.name}`, onclick: () => openWizard(conn, next) }, status.state === "connected" ? "Check" : "Continue pairing"),
          status.connected ? h("button", { type: "button", "aria-label": `Set up channels of ${conn.name}`, onclick: () => openSetup(conn) }, "Set up channels") : null,
          h("button", { type: "button", "aria-label": `Refresh lists of ${conn.name}`, onclick: (e) => refreshLists(e.currentTarget, conn) }, "Refresh lists"),
          deleteConnectionButton(conn, listArea, ctx, loadList),
        ),
      ];
    });
    clear(listArea).append(
      table("Connections", ["Name", "Status", "Company", "Web Connector user name", "Last contact", ""], rows, "No connection yet: click New connection to pair a QuickBooks company file."),
    );
  }

  async function refreshLists(button, conn) {
    await act(button, listErrors, async () => {
      await post(path`/api/v1/connections/${conn.id}/refresh`);
      ctx.toast(`The lists of ${conn.name} are read again on the Web Connector's next run.`);
    });
  }

  await loadList();
}

/** The wizard: create, download the .qwc, generate the password, Web Connector steps, verify. */
function wizard(ctx, existing, startStep, done, changed, setUp) {
  const state = { conn: existing, step: startStep, password: null, qwc: null };
  const root = h("section", { class: "wizard", "aria-labelledby": "wizard-title" });
  let stopPolling = null;

  function go(step) {
    if (stopPolling) stopPolling();
    stopPolling = null;
    if (state.step === 2 && step !== 2) state.password = null; // shown once: gone once the step is left
    state.step = step;
    render();
  }

  function render() {
    clear(root);
    const steps = h("ol", { class: "steps", "aria-label": "Pairing steps" });
    STEPS.forEach((name, i) => {
      steps.append(h("li", { class: i < state.step ? "done" : "", "aria-current": i === state.step ? "step" : null }, name));
    });
    const title = state.conn ? `Pair ${state.conn.name}` : "Pair a company file";
    append(root, h("h2", { id: "wizard-title" }, title), steps);
    const body = h("div", { class: "step-body" });
    root.append(body);
    [create, qwc, password, instructions, verify][state.step](body);
  }

  function nav(body, { back = true, next = true, nextLabel = "Next" } = {}) {
    const bar = h("div", { class: "actions" });
    if (back && state.step > 0) bar.append(h("button", { type: "button", onclick: () => go(state.step - 1) }, "Back"));
    if (next) bar.append(h("button", { type: "button", class: "primary", onclick: () => go(state.step + 1) }, nextLabel));
    bar.append(h("button", { type: "button", class: "quiet-dark", onclick: () => { if (stopPolling) stopPolling(); done(); } }, "Close"));
    body.append(bar);
  }

  function create(body) {
    body.append(h("h3", {}, `Step 1 of 5: Create the connection`));
    if (state.conn) {
      body.append(h("p", {}, "This connection exists: ", h("strong", {}, state.conn.name), ". Go on to its .qwc file."));
      nav(body);
      return;
    }
    const name = h("input", { type: "text", maxlength: "80", required: true, autocomplete: "off" });
    const every = h("input", { type: "number", min: "1", max: "1440", value: "15", required: true });
    const errors = h("div");
    const submit = h("button", { type: "submit", class: "primary" }, "Create connection");
    const form = h(
      "form",
      {},
      field("Connection name", name, "A name for the company file, e.g. the business name."),
      field("Run every (minutes)", every, "How often the Web Connector calls Ledgerbridge by itself."),
      submit,
      errors,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await act(submit, errors, async () => {
        state.conn = await post("/api/v1/connections", { name: name.value, run_every_minutes: Number(every.value) });
        go(1);
        changed();
      });
    });
    body.append(form);
    nav(body, { next: false });
    name.focus();
  }

  function qwc(body) {
    body.append(
      h("h3", {}, "Step 2 of 5: Download the .qwc file"),
      h("p", {}, "The .qwc file tells the Web Connector where Ledgerbridge is and which user name to use. Save it on the computer where QuickBooks runs."),
    );
    const result = h("div", { role: "status" });
    const errors = h("div");
    const button = h("button", { type: "button", class: "primary" }, "Download .qwc file");
    button.addEventListener("click", () =>
      act(button, errors, async () => {
        const file = await download(path`/api/v1/connections/${state.conn.id}/qwc`);
        state.qwc = file;
        saveFile(file);
        showQwc(result, file);
      }),
    );
    body.append(h("div", { class: "actions" }, button), errors, result);
    if (state.qwc) showQwc(result, state.qwc);
    nav(body);
  }

  function showQwc(where, file) {
    const url = /<AppURL>([^<]*)<\/AppURL>/.exec(file.text);
    const user = /<UserName>([^<]*)<\/UserName>/.exec(file.text);
    clear(where).append(
      h("p", { class: "success" }, "Downloaded ", h("code", {}, file.filename)),
      h("dl", { class: "counts" }, h("dt", {}, "Web Connector URL"), h("dd", {}, url ? url[1] : "—"), h("dt", {}, "User name"), h("dd", {}, user ? user[1] : "—")),
    );
  }

  function password(body) {
    body.append(
      h("h3", {}, "Step 3 of 5: Generate the Web Connector password"),
      h("p", {}, "The Web Connector asks for this password the first time it runs the connection."),
    );
    const shown = h("div");
    const errors = h("div");
    const button = h("button", { type: "button", class: "primary" }, state.conn.password_set ? "Generate a new password" : "Generate password");
    const warning = state.conn.password_set
      ? h("p", { class: "note" }, "A password was generated before. A new one replaces it: the old one stops working.")
      : null;
    button.addEventListener("click", () =>
      act(button, errors, async () => {
        const answer = await post(path`/api/v1/connections/${state.conn.id}/password`);
        state.password = answer.password;
        state.conn = { ...state.conn, password_set: true };
        showPassword(shown);
      }),
    );
    body.append(warning || "", h("div", { class: "actions" }, button), errors, shown);
    if (state.password) showPassword(shown);
    nav(body);
  }

  function showPassword(where) {
    const output = h("output", { id: "wc-password", "aria-label": "Web Connector password" }, state.password);
    const copied = h("span", { role: "status", class: "help" });
    const copy = h("button", { type: "button" }, "Copy password");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(state.password);
        copied.textContent = "Copied.";
      } catch {
        window.getSelection().selectAllChildren(output);
        copied.textContent = "Selected: press Ctrl+C to copy.";
      }
    });
    clear(where).append(
      h("p", { class: "warning", role: "alert" }, h("strong", {}, "Shown once: "), "this password cannot be shown again. Copy it now and enter it in the Web Connector. If it is lost, generate a new one."),
      h("div", { class: "secret" }, output, copy, copied),
    );
  }

  function instructions(body) {
    body.append(
      h("h3", {}, "Step 4 of 5: Add it to the QuickBooks Web Connector"),
      h(
        "ol",
        { class: "instructions" },
        h("li", {}, "Open QuickBooks and the company file you want to connect (sign in as the administrator)."),
        h("li", {}, "Open the .qwc file you downloaded (double-click it, or in the Web Connector click ", h("em", {}, "Add an application"), ")."),
        h("li", {}, "QuickBooks asks whether to allow access: choose ", h("strong", {}, "\u201cYes, always; allow access even if QuickBooks is not running\u201d"), " and click Continue, then Done."),
        h("li", {}, "In the Web Connector, type the password from step 3 in the ", h("em", {}, "Password"), " column and press Enter; let it save the password. The user name it shows is ", h("code", { class: "wc-username" }, state.conn.username), "."),
        h("li", {}, "Tick the box in front of the application and click ", h("strong", {}, "Update Selected"), "."),
      ),
    );
    nav(body, { nextLabel: "I clicked Update Selected" });
  }

  function verify(body) {
    body.append(h("h3", {}, "Step 5 of 5: Verify"), h("p", {}, "Ledgerbridge is waiting for the Web Connector to call. This page checks every few seconds."));
    const live = h("div", { role: "status", "aria-live": "polite", class: "verify-status" });
    const problems = h(
      "details",
      { class: "card" },
      h("summary", {}, "Not connecting? The common problems"),
      h(
        "ul",
        {},
        h("li", {}, h("strong", {}, "QuickBooks is not open"), ": the Web Connector shows \u201cQuickBooks could not be started\u201d or \u201ccould not open the company file\u201d. Open QuickBooks with the company file (or allow unattended access) and click Update Selected again."),
        h("li", {}, h("strong", {}, "Wrong password"), ": the Web Connector says the user name or password is invalid. Generate a new password (step 3), enter it in the Password column and try again. Five wrong passwords lock the connection for 15 minutes."),
        h("li", {}, h("strong", {}, "Wrong company file"), ": the application was added while another company file was open. Open the company file this connection was paired with, or remove the application from the Web Connector and add the .qwc again with the right file open."),
      ),
    );
    body.append(live, problems);
    nav(body, { next: false });

    async function check() {
      try {
        const status = await get(path`/api/v1/connections/${state.conn.id}/status`);
        showStatus(live, status);
        if (status.state === "connected" && stopPolling) {
          stopPolling();
          stopPolling = null;
          changed();
        }
      } catch (error) {
        clear(live).append(errorBox(error));
      }
    }
    stopPolling = ctx.every(POLL_MS, check);
    check();
  }

  function showStatus(where, status) {
    clear(where);
    if (status.state === "connected") {
      where.append(
        h("p", { class: "success" }, "Connected to ", h("span", { class: "company-name" }, status.company_name || "the company file")),
        h("p", {}, [status.product_name, status.country, status.qbxml_version && `qbXML ${status.qbxml_version}`].filter(Boolean).join(" · ")),
        status.company_file_path ? h("p", { class: "help" }, "Company file: ", h("code", {}, status.company_file_path)) : null,
        h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => { if (stopPolling) stopPolling(); setUp(state.conn); } }, "Next: set up a channel")),
      );
      return;
    }
    where.append(h("p", {}, "Status: ", badge(status.state), " ", status.session_running ? "(a session is running)" : ""));
    if (status.last_error) {
      where.append(h("div", { class: "error" }, h("p", {}, h("strong", {}, "Last problem: "), status.last_error.message)));
    }
  }

  render();
  return root;
}
