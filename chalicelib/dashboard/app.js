// The dashboard's entry point: the API key (asked once per tab), the sections and their navigation.

import { ApiError, apiKey, forgetKey, get, rememberKey } from "./api.js";
import { renderChannels } from "./channels.js";
import { renderConnections } from "./connections.js";
import { append, clear, errorBox, h } from "./dom.js";
import { renderOrders } from "./orders.js";
import { renderInventory, renderShipStation } from "./outbound.js";
import { renderKeys } from "./keys.js";
import { renderRules } from "./rules.js";
import { renderSales } from "./sales.js";
import { renderHistory, renderManualSync } from "./sync.js";
import { renderTasks } from "./tasks.js";

const SECTIONS = {
  connections: ["Connections", renderConnections],
  channels: ["Channels", renderChannels],
  tasks: ["Tasks", renderTasks],
  orders: ["Orders", renderOrders],
  rules: ["Rules", renderRules],
  inventory: ["Inventory", renderInventory],
  shipstation: ["ShipStation orders", renderShipStation],
  sync: ["Manual sync", renderManualSync],
  history: ["Sync history", renderHistory],
  sales: ["Sales", renderSales],
  keys: ["API keys", renderKeys],
};

const view = document.getElementById("view");
const nav = document.getElementById("nav");
const signIn = document.getElementById("sign-in");
const signInError = document.getElementById("sign-in-error");
const signOut = document.getElementById("sign-out");
const toastArea = document.getElementById("toast");

let cleanups = [];
let generation = 0;

function leave() {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  generation += 1;
}

/** What each section gets: timers that stop when the section is left, a notice line, navigation. */
function context() {
  const mine = generation;
  return {
    every(ms, fn) {
      const timer = setInterval(fn, ms);
      cleanups.push(() => clearInterval(timer));
      return () => clearInterval(timer);
    },
    onLeave(fn) {
      cleanups.push(fn);
    },
    current: () => mine === generation,
    toast(message) {
      toastArea.textContent = message;
    },
    go(hash) {
      window.location.hash = hash;
    },
    /** What the address names after the section (#inventory/<channel id>), or "". */
    param() {
      const rest = window.location.hash.split("/")[1] || "";
      try {
        return decodeURIComponent(rest);
      } catch {
        return "";
      }
    },
  };
}

function section() {
  const name = (window.location.hash || "#connections").slice(1).split("/")[0];
  return SECTIONS[name] ? name : "connections";
}

async function show() {
  leave();
  if (!apiKey()) {
    askForKey();
    return;
  }
  signIn.hidden = true;
  nav.hidden = false;
  signOut.hidden = false;
  const name = section();
  for (const link of nav.querySelectorAll("a")) {
    if (link.getAttribute("href") === `#${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const [title, render] = SECTIONS[name];
  document.title = `${title} · Ledgerbridge`;
  clear(view);
  toastArea.textContent = "";
  try {
    await render(view, context());
  } catch (error) {
    append(view, errorBox(error));
  }
}

function askForKey(message) {
  leave();
  clear(view);
  nav.hidden = true;
  signOut.hidden = true;
  signIn.hidden = false;
  clear(signInError);
  if (message) signInError.append(errorBox({ message }));
  document.getElementById("api-key").focus();
}

document.getElementById("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("api-key");
  const key = input.value.trim();
  clear(signInError);
  if (!key) {
    signInError.append(errorBox({ message: "Enter the API key." }));
    return;
  }
  rememberKey(key);
  input.value = "";
  try {
    await get("/api/v1/connections");
  } catch (error) {
    forgetKey();
    const message = error instanceof ApiError && error.status === 401 ? `The API key was not accepted: ${error.message}` : error.message;
    askForKey(message);
    return;
  }
  show();
});

signOut.addEventListener("click", () => {
  forgetKey();
  askForKey();
});

window.addEventListener("ledgerbridge:unauthorized", () => {
  forgetKey();
  askForKey("The API key is no longer accepted: it may have been revoked. Enter a valid key.");
});
window.addEventListener("hashchange", show);

for (const [name, [title]] of Object.entries(SECTIONS)) nav.append(h("a", { href: `#${name}` }, title));
show();
