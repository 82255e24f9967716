// The REST API, called from the browser with the API key (kept in this tab's session storage only).

const KEY = "ledgerbridge.apiKey";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `The service answered ${status}.`);
    this.status = status;
    this.code = (body && body.error) || `http_${status}`;
    this.details = (body && body.details) || null;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function rememberKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}

async function send(method, path, body) {
  const headers = { Authorization: `Bearer ${apiKey() || ""}`, Accept: "application/json" };
  const init = { method, headers, cache: "no-store", credentials: "omit", redirect: "error" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { error: "network", message: "The service could not be reached. Check the connection and try again." });
  }
  if (response.status === 401) window.dispatchEvent(new CustomEvent("ledgerbridge:unauthorized"));
  return response;
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return new ApiError(response.status, body);
}

/** A JSON call; resolves to the parsed body, rejects with ApiError carrying the API's message. */
export async function api(method, path, body) {
  const response = await send(method, path, body);
  if (!response.ok) throw await failure(response);
  return response.json();
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body);
export const patch = (path, body) => api("PATCH", path, body);

/** A file download through the API (the key is a header, so no plain link can fetch it). */
export async function download(path) {
  const response = await send("GET", path);
  if (!response.ok) throw await failure(response);
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(disposition);
  const text = await response.text();
  return { text, filename: match ? match[1] : "download", type: response.headers.get("Content-Type") || "application/octet-stream" };
}

/** Hand a downloaded file to the browser as a real download. */
export function saveFile(file) {
  const url = URL.createObjectURL(new Blob([file.text], { type: file.type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = file.filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export const path = (strings, ...values) => strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]) : ""), "");
