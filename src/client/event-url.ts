import { createRedactor, redactUrl } from "../errors/redact.js";

/** One text per request: every attempt and event of a call shows the same one. */
const shown = new WeakMap<object, string>();

/**
 * The request URL as hooks and `diagnostics_channel` show it: without what `redactUrl` hides
 * (userinfo, fragment, secret-looking query values), and without the API key wherever the caller
 * put it (`/keys/<key>/usage`, `?q=<key>`) — errors already redact it so; events must not be the leak.
 */
export function eventUrl(request: { url: string; secrets: readonly string[] }): string {
  let text = shown.get(request);
  if (text === undefined) {
    text = createRedactor(request.secrets).text(redactUrl(request.url));
    shown.set(request, text);
  }
  return text;
}
