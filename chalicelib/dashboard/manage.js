// Deleting what the merchant owns: a connection (with its channels after a second confirmation) and a channel.

import { ApiError, api, path } from "./api.js";
import { act, h } from "./dom.js";

/** "Delete" for a connection: refused by the service while channels use it; then the merchant may delete the
 * connection together with its channels, after confirming what goes. */
export function deleteConnectionButton(conn, where, ctx, reload) {
  const button = h("button", { type: "button", class: "danger", "aria-label": `Delete ${conn.name}` }, "Delete");
  button.addEventListener("click", () => {
    if (!window.confirm(`Delete the connection ${conn.name}? The Web Connector stops syncing this company file. Orders already in QuickBooks stay there.`)) return;
    act(button, where, async () => {
      try {
        await api("DELETE", path`/api/v1/connections/${conn.id}`);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 409) throw error;
        if (!window.confirm(`${error.message}\n\nDelete ${conn.name} and its channels, with their schedules and store credentials?`)) return;
        await api("DELETE", `${path`/api/v1/connections/${conn.id}`}?cascade=true`);
      }
      ctx.toast(`${conn.name} is deleted.`);
      await reload();
    });
  });
  return button;
}

export function deleteChannelButton(channel, where, ctx, reload) {
  const button = h("button", { type: "button", class: "danger", "aria-label": `Delete ${channel.name}` }, "Delete");
  button.addEventListener("click", () => {
    if (!window.confirm(`Delete the channel ${channel.name}? Its schedule and store credentials are deleted; its orders stay, with their QuickBooks history.`)) return;
    act(button, where, async () => {
      await api("DELETE", path`/api/v1/channels/${channel.id}`);
      ctx.toast(`${channel.name} is deleted.`);
      await reload();
    });
  });
  return button;
}
