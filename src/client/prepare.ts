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

const SLASH = 47;

/**
 * Turns `fetch`'s arguments into a request for the API at `baseUrl`, or refuses them. Synchronous
 * but for a `Request` with a body, which is read once here so that it can be sent again.
 */
export function prepareRequest(
  options: ResolvedOptions,
  input: string | URL | Request,
  init?: RequestInit,
): PreparedRequest | Promise<PreparedRequest> {
  // A path is what nearly every call passes: then neither `instanceof Request` (~15 ns each, on
  // every request) is asked.
  const fromRequest = typeof input !== "string" && input instanceof Request ? input : undefined;
  if (fromRequest?.body && init?.body == null) {
    return fromRequest.arrayBuffer().then((body) => prepareRequest(options, fromRequest, { ...init, body }));
  }
  const { url, path } = targetOf(options.baseUrl, fromRequest ? fromRequest.url : (input as string | URL));
  // Not `"GET".toUpperCase()` on every call: V8 calls into C++ for it (~20 ns).
  const given = init?.method ?? fromRequest?.method;
  const method = given === undefined ? "GET" : given.toUpperCase();
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

/**
 * Where a request goes: its absolute URL, and its path below the base URL's (what the dialect's
 * counting rule reads). A plain path (`/bookings/bkg_1?page=2`) is joined to the base as text;
 * anything else is resolved by the URL parser (`resolveUrl`). The join is what the parser would
 * give (test/prepare.test.ts checks it against the parser on generated inputs); it skips a parse
 * that re-reads the base URL on every request.
 */
export function targetOf(baseUrl: URL, input: string | URL): { url: string; path: string } {
  if (typeof input === "string") {
    const slashes = leadingSlashes(input);
    const relative = slashes === 0 ? input : input.slice(slashes);
    const pathEnd = plainPathEnd(relative);
    if (pathEnd !== -1) {
      // The path is cut out of the caller's string where it has a slash to begin with (`"/x"` is
      // `"/x"` itself): a `"/"` joined to a slice is a rope, which V8 copies into a flat string at
      // the dialect's first `startsWith`, on every request.
      const path =
        slashes === 0 ? `/${input.slice(0, pathEnd)}` : input.slice(slashes - 1, slashes + pathEnd);
      return { url: baseUrl.href + relative, path };
    }
  }
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

/** An absolute URL as it is; anything else below the base's path. */
function parseAgainst(baseUrl: URL, text: string): URL {
  return /^[a-z][a-z0-9+.-]*:/i.test(text)
    ? new URL(text)
    : new URL(text.slice(leadingSlashes(text)), baseUrl);
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

/**
 * How many slashes `path` begins with: without them it is relative to the base URL's path (`/api/x`
 * under `https://h/v2/` is `https://h/v2/api/x`).
 */
function leadingSlashes(path: string): number {
  let count = 0;
  while (path.charCodeAt(count) === SLASH) count++;
  return count;
}

/**
 * A plain relative reference: only characters that the URL parser keeps as they are, in a path and
 * in a query (letters, digits, `-._~!$&()*+,;=@/`, and `:` in the query), at most one `?`, and no
 * fragment. A `:` in the path (it may end a scheme), `%` (`%2e` is a dot), `'` (escaped in a query),
 * `\`, whitespace or anything else: not plain. A regular expression rather than a loop over the
 * characters: V8 compiles it to native code, and it runs on every request (`targetOf`: 133 → 97 ns
 * for a 27-character path).
 */
const PLAIN_REFERENCE = /^[\w\-.~!$&()*+,;=@/]*(?:\?[\w\-.~!$&()*+,;=@/:]*)?$/;

/** A `.` or `..` segment, which the parser removes; one in the query is refused too (harmless: parsed). */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:[/?]|$)/;

/** Where the path of a plain relative reference ends (at its `?`, or its length), or -1 when it is not one. */
function plainPathEnd(text: string): number {
  if (!PLAIN_REFERENCE.test(text) || hasDotSegment(text)) return -1;
  const queryAt = text.indexOf("?");
  return queryAt === -1 ? text.length : queryAt;
}

/**
 * Whether `text` holds a dot segment. Most paths hold no `.` at all: looking for one (~10 ns) spares
 * them the regular expression (~25 ns).
 */
function hasDotSegment(text: string): boolean {
  return text.includes(".") && DOT_SEGMENT.test(text);
}

function isStream(body: BodyInit | null): boolean {
  if (body === null || typeof body !== "object") return false;
  return (
    body instanceof ReadableStream ||
    (Symbol.asyncIterator in body &&
      typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function")
  );
}
