import { isPaced } from "../dialects/dialect.js";
import type { ResolvedOptions } from "./options.js";

type BodyInit = NonNullable<RequestInit["body"]>;
type RequestRedirect = NonNullable<RequestInit["redirect"]>;

/** One call's request, ready to be sent as many times as the retry policy allows. */
export interface PreparedRequest {
  /** Absolute, on the base URL's origin; a string, as `fetch` parses what it is given anyway. */
  url: string;
  method: string;
  /** Everything to send, the `Authorization` header included; names in lower case. Never mutated. */
  headers: Readonly<Record<string, string>>;
  body: BodyInit | null;
  /** False for a stream body: it can be sent once only, so the call is never retried. */
  replayable: boolean;
  /** Whether sending it twice is harmless: an idempotent method or an `Idempotency-Key` header. */
  idempotent: boolean;
  signal: AbortSignal | undefined;
  redirect: RequestRedirect;
  /** The path below `baseUrl`, with a leading slash: what the dialect's counting rule reads. */
  path: string;
  /** Whether the server counts requests to `path`: only those wait for the key's pacer (`isPaced`). */
  paced: boolean;
  /** What errors must never show: the API key. */
  secrets: readonly string[];
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

/**
 * Turns `fetch`'s arguments into a request for the API at `baseUrl`, or refuses them. Synchronous
 * but for a `Request` with a body, which is read once here so that it can be sent again.
 */
export function prepareRequest(
  options: ResolvedOptions,
  input: string | URL | Request,
  init?: RequestInit,
): PreparedRequest | Promise<PreparedRequest> {
  const fromRequest = input instanceof Request ? input : undefined;
  if (fromRequest?.body && init?.body == null) {
    return fromRequest.arrayBuffer().then((body) => prepareRequest(options, fromRequest, { ...init, body }));
  }
  const { url, path } = targetOf(options.baseUrl, fromRequest ? fromRequest.url : (input as string | URL));
  const method = (init?.method ?? fromRequest?.method ?? "GET").toUpperCase();
  const headers = mergeHeaders(options.headers, fromRequest?.headers, init?.headers);
  const body: BodyInit | null = init?.body ?? null;
  return {
    url,
    method,
    headers,
    body,
    replayable: !isStream(body),
    idempotent: IDEMPOTENT.has(method) || "idempotency-key" in headers,
    signal: init?.signal ?? fromRequest?.signal ?? undefined,
    redirect: init?.redirect ?? "follow",
    path,
    paced: isPaced(options.dialect, path),
    secrets: options.secrets,
  };
}

/**
 * The client's headers with the caller's over them — but the key is the client's: a caller's
 * `Authorization` never replaces it. A request adding none shares the client's frozen object.
 */
function mergeHeaders(
  client: Readonly<Record<string, string>>,
  fromRequest: Headers | undefined,
  fromInit: RequestInit["headers"] | undefined,
): Readonly<Record<string, string>> {
  if (fromRequest === undefined && fromInit === undefined) return client;
  // No prototype: a header named `__proto__` is a header like any other.
  const merged: Record<string, string> = Object.assign(Object.create(null), client);
  for (const source of [fromRequest, fromInit]) {
    if (!source) continue;
    for (const [name, value] of new Headers(source)) merged[name] = value;
  }
  merged.authorization = client.authorization!;
  return merged;
}

/** Where a request goes: its absolute URL, and its path below the base URL's (what the dialect's counting rule reads). */
export function targetOf(baseUrl: URL, input: string | URL): { url: string; path: string } {
  const url = resolveUrl(baseUrl, input);
  return { url: url.href, path: pathBelow(baseUrl, url) };
}

/**
 * Resolves a path against the base URL, keeping the base's own path (`/api/v1/x` under
 * `https://h/v2/` is `https://h/v2/api/v1/x`, as ky's `prefixUrl` does). An absolute URL must
 * share the base's origin: the key is never sent anywhere else.
 */
export function resolveUrl(baseUrl: URL, input: string | URL): URL {
  // A `URL` is parsed already (`client.request` resolves its path first, to add the query).
  const url = input instanceof URL ? input : parseAgainst(baseUrl, String(input));
  // Checked for relative input too: the URL parser drops leading whitespace, tabs and newlines and
  // reads `\` as `/`, so `"\\evil.example/x"` or `" //evil.example"` would name another host.
  if (url.origin !== baseUrl.origin) {
    throw new TypeError(
      `Refusing to send the API key to ${url.origin}: requests must stay on the base URL's origin ${baseUrl.origin}`,
    );
  }
  return url;
}

/**
 * An absolute URL as it is; anything else below the base's path, its leading slashes dropped
 * (`/api/x` under `https://h/v2/` is `https://h/v2/api/x`).
 */
function parseAgainst(baseUrl: URL, text: string): URL {
  return /^[a-z][a-z0-9+.-]*:/i.test(text) ? new URL(text) : new URL(text.replace(/^\/+/, ""), baseUrl);
}

/**
 * The path below the base's, with its leading slash (the base's path ends in `/`: options.ts makes
 * it so); a path outside the base's as it is.
 */
export function pathBelow(baseUrl: URL, url: URL): string {
  const base = baseUrl.pathname;
  const path = url.pathname;
  return path.startsWith(base) ? path.slice(base.length - 1) : path;
}

function isStream(body: BodyInit | null): boolean {
  if (body === null || typeof body !== "object") return false;
  return (
    body instanceof ReadableStream ||
    (Symbol.asyncIterator in body &&
      typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function")
  );
}
