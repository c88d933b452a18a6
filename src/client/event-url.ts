import { createRedactor, redactUrl } from "../errors/redact.js";

/** One text per request URL: every attempt and event of a call shows the same one. */
const shown = new WeakMap<URL, string>();

/**
 * The request URL as hooks and `diagnostics_channel` show it: without what `redactUrl` hides
 * (userinfo, fragment, secret-looking query values), and without the API key wherever the caller
 * put it (`/keys/<key>/usage`, `?q=<key>`) — errors already redact it so; events must not be the leak.
 */
export function eventUrl(request: { url: URL; secrets: readonly string[] }): string {
  let text = shown.get(request.url);
  if (text === undefined) {
    text = createRedactor(request.secrets).text(redactUrl(request.url));
    shown.set(request.url, text);
  }
  return text;
}
