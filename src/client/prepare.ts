import { firstSegment, isPaced } from "../dialects/dialect.js";
import { withKeyInQuery } from "./auth.js";
import type { Credential, Credentials } from "./credentials.js";
import { invalidRequest } from "./failures.js";
import { apiKeyOf, type ResolvedOptions } from "./options.js";

type BodyInit = NonNullable<RequestInit["body"]>;
type RequestRedirect = NonNullable<RequestInit["redirect"]>;

/** One call's request, ready to be sent as many times as the retry policy allows. */
export interface PreparedRequest {
  /** Absolute; a string, as `fetch` parses what it is given anyway. */
  url: string;
  method: string;
  /** Everything to send, the credential included; names in lower case. Never mutated. */
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
  /** Which of the key's server buckets the request spends, by its path (`Dialect.route`). */
  route: string;
  /** Whether the server counts requests to `path`: only those wait for the key's pacer (`isPaced`). */
  paced: boolean;
  /** The key the request carries and is paced as; undefined on a hop to another origin, which carries none. */
  credential: Credential | undefined;
  /** What errors must never show: the API key. */
  secrets: readonly string[];
  /** undici's `dispatcher` (a proxy agent, say), where the caller gave one. */
  dispatcher?: unknown;
}

/** Methods fetch sends in upper case whatever case they are given in (the Fetch standard's "normalize"). */
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
/** Methods fetch refuses outright. */
const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);
/** RFC 9110's `token`: what a method may be spelled with. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** `fetch`'s options, and the key to send the request with where it is not the client's `apiKey`. */
export type ClientRequestInit = RequestInit & { apiKey?: string };

/**
 * Turns `fetch`'s arguments into a request for the API at `baseUrl`, or refuses them with a
 * `RequestValidationError` before anything is sent: what fetch itself would refuse (a body on a GET,
 * a header value that is not a byte string, a method that is not a token), a URL on another
 * origin, which would carry the key elsewhere, and a request without a key. Synchronous but for a
 * `Request` with a body, which is read once here so that it can be sent again.
 */
export function prepareRequest(
  options: ResolvedOptions,
  credentials: Credentials,
  input: string | URL | Request,
  init?: ClientRequestInit,
): PreparedRequest | Promise<PreparedRequest> {
  const fromRequest = input instanceof Request ? input : undefined;
  if (fromRequest?.body && init?.body == null) {
    return fromRequest
      .arrayBuffer()
      .then((body) => prepareRequest(options, credentials, fromRequest, { ...init, body }));
  }
  const given = init?.method ?? fromRequest?.method ?? "GET";
  const failed = (
    part: "url" | "method" | "headers" | "body",
    message: string,
    path: PropertyKey[] = [part],
  ) =>
    invalidRequest(part, message, path, { method: given, url: String(fromRequest?.url ?? input), options });
  const method = methodOf(given, failed);
  const target = targetOf(
    options.baseUrl,
    fromRequest ? fromRequest.url : (input as string | URL),
    failed,
    options.origins,
  );
  const { path } = target;
  const { auth } = options;
  let credential: Credential;
  let headers: Readonly<Record<string, string>>;
  if (auth.kind === "from-request") {
    // The request's own credential (an SDK's): sent as it is, and paced as a key of its own.
    headers = mergeHeaders(options.headers, fromRequest?.headers, init?.headers, failed);
    const secret = headers[auth.name];
    if (secret === undefined || secret === "") {
      throw failed(
        "headers",
        `The request carries no credential in \`${auth.name}\` (auth: { fromRequest })`,
      );
    }
    credential = credentials.of(secret);
  } else {
    credential =
      init?.apiKey === undefined ? credentials.of(options.apiKey!) : keyOf(credentials, init.apiKey, failed);
    headers = mergeHeaders(credential.headers, fromRequest?.headers, init?.headers, failed);
    // The key is the client's to send: a caller's header of the same name never replaces it.
    if (auth.kind === "header" && headers[auth.name] !== credential.headers[auth.name]) {
      headers = { ...headers, [auth.name]: credential.headers[auth.name]! };
    }
  }
  const url = withKeyInQuery(auth, target.url, credential.secret);
  const body: BodyInit | null = init?.body ?? null;
  if (body !== null && (method === "GET" || method === "HEAD")) {
    throw failed("body", `A ${method} request cannot have a body, as fetch says`);
  }
  const prepared: PreparedRequest = {
    url,
    method,
    headers,
    body,
    replayable: !isStream(body),
    idempotent: IDEMPOTENT.has(method) || "idempotency-key" in headers,
    signal: init?.signal ?? fromRequest?.signal ?? undefined,
    redirect: init?.redirect ?? fromRequest?.redirect ?? "follow",
    path,
    route: options.dialect.route ? options.dialect.route(path) : firstSegment(path),
    paced: isPaced(options.dialect, path),
    credential,
    secrets: credential.secrets,
  };
  const dispatcher = (init as { dispatcher?: unknown } | undefined)?.dispatcher;
  if (dispatcher !== undefined) prepared.dispatcher = dispatcher;
  return prepared;
}

/** The method as fetch would send it, or a refusal. */
function methodOf(given: string, failed: (part: "method", message: string) => Error): string {
  if (given === "GET") return given;
  if (typeof given !== "string" || !TOKEN.test(given)) {
    throw failed("method", `${JSON.stringify(String(given))} is not a valid HTTP method`);
  }
  const upper = given.toUpperCase();
  if (FORBIDDEN.has(upper)) throw failed("method", `${upper} requests are not allowed by fetch`);
  return NORMALIZED.has(upper) ? upper : given;
}

/**
 * The client's headers with the caller's over them. Validated as fetch validates them (names are
 * tokens, values byte strings without line breaks). A request adding none shares the client's
 * frozen object.
 */
function mergeHeaders(
  client: Readonly<Record<string, string>>,
  fromRequest: Headers | undefined,
  fromInit: RequestInit["headers"] | undefined,
  failed: (part: "headers", message: string, path: PropertyKey[]) => Error,
): Readonly<Record<string, string>> {
  if (fromRequest === undefined && fromInit === undefined) return client;
  // No prototype: a header named `__proto__` is a header like any other.
  const merged: Record<string, string> = Object.assign(Object.create(null), client);
  for (const source of [fromRequest, fromInit]) {
    if (!source) continue;
    let parsed: Headers;
    try {
      parsed = source instanceof Headers ? source : new Headers(source);
    } catch (error) {
      throw failed("headers", (error as Error).message, ["headers"]);
    }
    for (const [name, value] of parsed) merged[name] = value;
  }
  return merged;
}

/** A per-request `apiKey`, checked as the client's is. */
function keyOf(
  credentials: Credentials,
  apiKey: unknown,
  failed: (part: "headers", message: string, path: PropertyKey[]) => Error,
): Credential {
  try {
    return credentials.of(apiKeyOf("apiKey", apiKey));
  } catch (error) {
    throw failed("headers", (error as Error).message, ["apiKey"]);
  }
}

/**
 * Where a request goes: its absolute URL, and its path below the base URL's (what the dialect's
 * counting rule reads). Refused when it is no URL at all, or on another origin than the base URL's:
 * the key is never sent anywhere else.
 *
 * A plain relative path (`/bookings/bkg_1?page=2`: only characters the URL parser keeps as they are,
 * no dot segment) cannot leave the base's origin and is joined to the base as text, as the parser
 * would join it (a property test compares the two). It is what nearly every request passes, and a
 * parse per request was about a third of the client's own time (docs/design.md, "Performance").
 */
export function targetOf(
  baseUrl: URL,
  input: string | URL,
  failed: (part: "url", message: string) => Error = (_part, message) => new TypeError(message),
  origins: ReadonlySet<string> = new Set([baseUrl.origin]),
): { url: string; path: string } {
  if (typeof input === "string" && PLAIN_PATH.test(input) && !DOT_SEGMENT.test(input)) {
    const relative = input.replace(LEADING_SLASHES, "");
    const query = relative.indexOf("?");
    return { url: baseUrl.href + relative, path: `/${query === -1 ? relative : relative.slice(0, query)}` };
  }
  let url: URL;
  try {
    url = resolveUrl(baseUrl, input);
  } catch {
    throw failed("url", `${JSON.stringify(String(input))} is not a URL below ${baseUrl.href}`);
  }
  // Checked for relative input too: the URL parser drops leading whitespace, tabs and newlines and
  // reads `\` as `/`, so `"\\evil.example/x"` or `" //evil.example"` would name another host.
  if (!origins.has(url.origin)) {
    throw failed(
      "url",
      `Refusing to send the API key to ${url.origin}: requests must stay on the base URL's origin ${baseUrl.origin}${origins.size > 1 ? " or one of `origins`" : ""}`,
    );
  }
  return { url: url.href, path: pathBelow(baseUrl, url) };
}

/**
 * A path and query of characters the URL parser keeps as they are: letters, digits, `-._~!$&()*+,;=@/`,
 * and `:` in the query; at most one `?`, no fragment. Not a `:` in the path (it may end a scheme),
 * `%` (`%2e` is a dot), `'` (escaped in a query), `\`, whitespace or anything else.
 */
const PLAIN_PATH = /^[\w\-.~!$&()*+,;=@/]*(?:\?[\w\-.~!$&()*+,;=@/:]*)?$/;
/** A `.` or `..` segment, which the parser removes (one in the query is sent to the parser too: harmless). */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:[/?]|$)/;
const LEADING_SLASHES = /^\/+/;

/**
 * Resolves a path against the base URL, keeping the base's own path (`/api/v1/x` under
 * `https://h/v2/` is `https://h/v2/api/v1/x`, as ky's `prefixUrl` does); an absolute URL as it is.
 */
export function resolveUrl(baseUrl: URL, input: string | URL): URL {
  if (input instanceof URL) return input;
  const text = String(input);
  return /^[a-z][a-z0-9+.-]*:/i.test(text)
    ? new URL(text)
    : new URL(text.replace(LEADING_SLASHES, ""), baseUrl);
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

/** A body that can be read once only: a web stream, a Node stream or any async iterable. */
export function isStream(body: BodyInit | null): boolean {
  if (body === null || typeof body !== "object") return false;
  return (
    body instanceof ReadableStream ||
    (Symbol.asyncIterator in body &&
      typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function")
  );
}
