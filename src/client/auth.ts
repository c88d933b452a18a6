import { fn, plainObject } from "../internal/validate.js";

/** What a signer is given of one attempt: the request as it will be sent, but for its body. */
export interface SignableRequest {
  method: string;
  url: string;
  /** Names in lower case. */
  headers: Readonly<Record<string, string>>;
}

/**
 * How a request carries its API key.
 *
 * - `"bearer"`: `Authorization: Bearer <key>`.
 * - `{ header, prefix }`: a header of the API's own (`{ header: "x-api-key" }`, Anthropic's), its
 *   value `prefix + key` (`{ header: "authorization", prefix: "Basic " }`).
 * - `{ query }`: a query parameter (`{ query: "api_key" }`).
 * - `{ sign }`: a function that signs each attempt (a signature over the method, URL and headers,
 *   with its date) and returns the headers to add; it runs again for every retry, so a signature
 *   never outlives its clock skew allowance.
 * - `{ fromRequest }`: the key is the credential each request already carries in that header, set
 *   by an SDK whose `fetch` the client is (`{ fromRequest: "authorization" }`). It is never replaced:
 *   each credential is paced as a key of its own, known by its fingerprint. No `apiKey` then.
 *
 * In every case the key never appears in errors, events or logs.
 */
export type Auth =
  | "bearer"
  | { header: string; prefix?: string }
  | { query: string }
  | {
      sign: (
        request: SignableRequest,
        apiKey: string,
      ) => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>;
    }
  | { fromRequest: string };

/** Signs one attempt: the headers to add. */
export type Signer = Extract<Auth, { sign: unknown }>["sign"];

/** `Auth` checked and normalized. */
export type ResolvedAuth =
  | { kind: "header"; name: string; prefix: string }
  | { kind: "query"; name: string }
  | { kind: "sign"; sign: Signer }
  | { kind: "from-request"; name: string };

const BEARER: ResolvedAuth = Object.freeze({ kind: "header", name: "authorization", prefix: "Bearer " });

/** RFC 9110's `token`: what a header name may be spelled with. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Validates the `auth` option; a mistake throws a `TypeError` naming it. */
export function resolveAuth(value: unknown): ResolvedAuth {
  if (value === undefined || value === "bearer") return BEARER;
  if (typeof value === "string") {
    throw new TypeError(`Expected \`auth\` to be "bearer" or an object, got ${JSON.stringify(value)}`);
  }
  const auth = plainObject("auth", value) as Record<string, unknown>;
  const keys = Object.keys(auth);
  const kind = keys.find((k) => k === "header" || k === "query" || k === "sign" || k === "fromRequest");
  const allowed = kind === "header" ? ["header", "prefix"] : kind === undefined ? [] : [kind];
  const unknown = keys.filter((k) => !allowed.includes(k));
  if (kind === undefined || unknown.length > 0) {
    throw new TypeError(
      `Expected \`auth\` to be "bearer", { header, prefix? }, { query }, { sign } or { fromRequest }, got keys ${JSON.stringify(keys)}`,
    );
  }
  if (kind === "sign") return { kind: "sign", sign: fn("auth.sign", auth.sign as Signer) };
  const name = auth[kind];
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`Expected \`auth.${kind}\` to be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (kind === "query") return { kind: "query", name };
  if (!HEADER_NAME.test(name)) {
    throw new TypeError(`Expected \`auth.${kind}\` to be a header name, got ${JSON.stringify(name)}`);
  }
  if (kind === "fromRequest") return { kind: "from-request", name: name.toLowerCase() };
  const prefix = auth.prefix ?? "";
  if (typeof prefix !== "string" || /[\r\n\0]/.test(prefix)) {
    throw new TypeError(
      `Expected \`auth.prefix\` to be a string without line breaks, got ${JSON.stringify(prefix)}`,
    );
  }
  return { kind: "header", name: name.toLowerCase(), prefix };
}

/** The header an auth scheme writes the key to, if any: a caller's own of that name is replaced. */
export function authHeader(auth: ResolvedAuth): string | undefined {
  return auth.kind === "header" ? auth.name : undefined;
}

/** `url` with the key in its query, where the scheme puts it there. */
export function withKeyInQuery(auth: ResolvedAuth, url: string, apiKey: string): string {
  if (auth.kind !== "query") return url;
  const parsed = new URL(url);
  parsed.searchParams.set(auth.name, apiKey);
  return parsed.href;
}
