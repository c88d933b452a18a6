import { isPaced } from "../dialects/dialect.js";
import { withKeyInQuery } from "./auth.js";
import type { ResolvedOptions } from "./options.js";
import { type PreparedRequest, pathBelow } from "./prepare.js";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Hops a call follows before it returns the redirect itself. */
export const MAX_REDIRECTS = 5;

/**
 * The request a redirect asks for, or undefined when the response is not one to follow.
 *
 * Redirects are followed by the client, not by fetch, so that a hop on the API's origin is paced
 * like any request, and a hop to another origin never carries the key: it goes without the
 * credential, the cookies and the key in the query, and unpaced (it is not the API's budget).
 * Method rewriting follows the Fetch standard: 303 becomes GET, and so do 301/302 after a POST.
 */
export function redirectedRequest(
  response: Response,
  status: number,
  request: PreparedRequest,
  options: ResolvedOptions,
): PreparedRequest | undefined {
  const { baseUrl } = options;
  if (request.redirect !== "follow" || !REDIRECTS.has(status)) return undefined;
  const location = response.headers.get("location");
  if (location === null) return undefined;
  let url: URL;
  try {
    url = new URL(location, request.url);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  const toGet =
    (status === 303 && request.method !== "HEAD") ||
    ((status === 301 || status === 302) && request.method === "POST");
  if (!toGet && !request.replayable && request.body !== null) return undefined;
  const headers = { ...request.headers };
  const sameOrigin = options.origins.has(url.origin);
  if (!sameOrigin) {
    delete headers.authorization;
    delete headers.cookie;
    delete headers["proxy-authorization"];
    // The header the key goes in, where it is one of the API's own (`x-api-key`).
    if (options.auth.kind === "header" || options.auth.kind === "from-request")
      delete headers[options.auth.name];
    if (options.auth.kind === "query") url.searchParams.delete(options.auth.name);
  }
  if (toGet) {
    for (const name of [
      "content-type",
      "content-length",
      "content-encoding",
      "content-language",
      "content-location",
    ]) {
      delete headers[name];
    }
  }
  const path = pathBelow(baseUrl, url);
  return {
    ...request,
    // A hop on the API's origins carries the key in its query as the first request did.
    url:
      sameOrigin && request.credential
        ? withKeyInQuery(options.auth, url.href, request.credential.secret)
        : url.href,
    method: toGet ? "GET" : request.method,
    headers,
    body: toGet ? null : request.body,
    path,
    paced: sameOrigin && isPaced(options.dialect, path),
    credential: sameOrigin ? request.credential : undefined,
  };
}
