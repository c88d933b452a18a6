import type { ResolvedOptions } from "./options.js";

type BodyInit = NonNullable<RequestInit["body"]>;
type RequestRedirect = NonNullable<RequestInit["redirect"]>;

/** One call's request, ready to be sent as many times as the retry policy allows. */
export interface PreparedRequest {
  url: URL;
  method: string;
  /** Everything to send, the `Authorization` header included. */
  headers: Headers;
  body: BodyInit | null;
  /** False for a stream body: it can be sent once only, so the call is never retried. */
  replayable: boolean;
  /** Whether sending it twice is harmless: an idempotent method or an `Idempotency-Key` header. */
  idempotent: boolean;
  signal: AbortSignal | undefined;
  redirect: RequestRedirect;
  /** The path below `baseUrl`, with a leading slash: what the dialect's counting rule reads. */
  path: string;
  /** What errors must never show: the API key. */
  secrets: readonly string[];
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

/** Turns `fetch`'s arguments into a request for the API at `baseUrl`, or refuses them. */
export async function prepareRequest(
  options: ResolvedOptions,
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<PreparedRequest> {
  const fromRequest = input instanceof Request ? input : undefined;
  const url = resolveUrl(options.baseUrl, fromRequest ? fromRequest.url : (input as string | URL));
  const method = (init.method ?? fromRequest?.method ?? "GET").toUpperCase();
  const headers = new Headers(options.headers);
  if (!headers.has("user-agent")) headers.set("user-agent", options.userAgent);
  for (const source of [fromRequest?.headers, init.headers]) {
    if (!source) continue;
    for (const [name, value] of new Headers(source)) headers.set(name, value);
  }
  // The key is the client's: a caller's Authorization header never replaces it.
  headers.set("authorization", `Bearer ${options.apiKey}`);
  let body: BodyInit | null = init.body ?? null;
  if (body === null && fromRequest?.body) body = await fromRequest.arrayBuffer();
  return {
    url,
    method,
    headers,
    body,
    replayable: !isStream(body),
    idempotent: IDEMPOTENT.has(method) || headers.has("idempotency-key"),
    signal: init.signal ?? fromRequest?.signal ?? undefined,
    redirect: init.redirect ?? "follow",
    path: pathBelow(options.baseUrl, url),
    secrets: [options.apiKey],
  };
}

/**
 * Resolves a path against the base URL, keeping the base's own path (`/api/v1/x` under
 * `https://h/v2/` is `https://h/v2/api/v1/x`, as ky's `prefixUrl` does). An absolute URL must
 * share the base's origin: the key is never sent anywhere else.
 */
export function resolveUrl(baseUrl: URL, input: string | URL): URL {
  const text = String(input);
  const url = /^[a-z][a-z0-9+.-]*:/i.test(text) ? new URL(text) : new URL(text.replace(/^\/+/, ""), baseUrl);
  // Checked for relative input too: the URL parser drops leading whitespace, tabs and newlines and
  // reads `\` as `/`, so `"\\evil.example/x"` or `" //evil.example"` would name another host.
  if (url.origin !== baseUrl.origin) {
    throw new TypeError(
      `Refusing to send the API key to ${url.origin}: requests must stay on the base URL's origin ${baseUrl.origin}`,
    );
  }
  return url;
}

export function pathBelow(baseUrl: URL, url: URL): string {
  const base = baseUrl.pathname.replace(/\/$/, "");
  return url.pathname.startsWith(`${base}/`) ? url.pathname.slice(base.length) : url.pathname;
}

function isStream(body: BodyInit | null): boolean {
  if (body === null || typeof body !== "object") return false;
  return (
    body instanceof ReadableStream ||
    (Symbol.asyncIterator in body &&
      typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function")
  );
}
