import { inspect } from "node:util";

/**
 * Keeping the API key out of errors. Two mechanisms:
 *
 * - `redactUrl` removes what *looks* secret in a URL whatever the key is: userinfo, the fragment,
 *   and the value of any query parameter whose name says key/token/secret/password/signature.
 * - `createRedactor(secrets)` replaces every occurrence of the given strings (the API key, in the
 *   forms it takes when percent- or JSON-encoded) by `[REDACTED]`, wherever a server reflected it:
 *   status text, body, message, request id, a wrapped `cause`.
 */

/** What replaces a secret found in text. */
export const REDACTED = "[REDACTED]";

/** What replaces the value of a query parameter that looks secret (URL-safe, no brackets). */
const REDACTED_QUERY_VALUE = "REDACTED";

/** Whole words of a parameter name that mark it secret (`api_key`, `X-Amz-Signature`, `sig`). */
const SECRET_WORDS = new Set([
  "key",
  "apikey",
  "token",
  "secret",
  "password",
  "passwd",
  "pwd",
  "signature",
  "sig",
  "credential",
  "credentials",
  "auth",
  "authorization",
  "session",
  "jwt",
]);

/** Endings that mark a run-together name secret (`accesstoken`, `clientsecret`, `xapikey`). */
const SECRET_SUFFIXES = ["token", "secret", "password", "apikey", "signature", "credential"];

/** True when a query parameter's name looks like it carries a credential. Over-matching only hides a value in an error. */
export function isSecretParamName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
  return words.some((word) => SECRET_WORDS.has(word) || SECRET_SUFFIXES.some((end) => word.endsWith(end)));
}

const RELATIVE_BASE = "http://relative.invalid";

/**
 * The URL as an error may show it: no userinfo, no fragment (never sent anyway; OAuth puts tokens
 * there), secret-looking query values replaced by `REDACTED`. Other parameters keep their exact
 * encoding. A relative URL stays relative. Never throws.
 */
export function redactUrl(input: string | URL): string {
  let text: string;
  try {
    text = typeof input === "string" ? input : input.href;
  } catch {
    return "";
  }
  let parsed: URL | undefined;
  let relative = false;
  try {
    parsed = new URL(text);
  } catch {
    try {
      parsed = new URL(text, RELATIVE_BASE);
      relative = parsed.origin === RELATIVE_BASE;
    } catch {
      parsed = undefined;
    }
  }
  if (parsed === undefined) return stripQueryAndUserinfo(text);
  const query = redactQuery(parsed.search.slice(1));
  parsed.username = "";
  parsed.password = "";
  parsed.hash = "";
  parsed.search = "";
  const base = relative ? parsed.href.slice(RELATIVE_BASE.length) : parsed.href;
  return query === "" ? base : `${base}?${query}`;
}

function redactQuery(query: string): string {
  if (query === "") return "";
  return query
    .split("&")
    .map((part) => {
      const eq = part.indexOf("=");
      const rawName = eq === -1 ? part : part.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, " "));
      } catch {
        // a malformed escape: judge the raw name
      }
      return isSecretParamName(name) ? `${rawName}=${REDACTED_QUERY_VALUE}` : part;
    })
    .join("&");
}

/** Last resort for text no URL parser accepts: drop everything after `?`/`#` and any `userinfo@`. */
function stripQueryAndUserinfo(text: string): string {
  const cut = text.search(/[?#]/);
  const head = cut === -1 ? text : text.slice(0, cut);
  return head.replace(/\/\/[^/]*@/, "//");
}

/** Replaces known secrets in text and in values that hold text. */
export interface Redactor {
  /** False when no secret was given: every method returns its input unchanged. */
  readonly active: boolean;
  text(value: string): string;
  /** A copy of a JSON-like value with secrets replaced in every string (keys included). */
  deep(value: unknown): unknown;
  /** The cause unchanged when no secret is in it, else a redacted copy of the same class. */
  cause(value: unknown): unknown;
}

const MAX_DEPTH = 32;

/**
 * A redactor for the given secrets. Each secret is matched in every encoding a server may reflect
 * it in, character by character: as it is, percent-encoded in either case (`%2F`, `%2f`),
 * JSON-escaped (`\u002f`, `\/`) and as an HTML character reference (`&#47;`, `&#x2F;`, `&sol;`).
 * Empty strings are ignored.
 *
 * Values that hold text where a plain walk of own properties cannot see it (`Headers`, `Map`, a
 * `Request`: an `Authorization` header among them) are copied into plain objects when they hold a
 * secret; any other object that `util.inspect` would show a secret in becomes its redacted text.
 */
export function createRedactor(secrets: readonly string[] | undefined): Redactor {
  const pattern = secretPattern(secrets);
  if (pattern === undefined) {
    return { active: false, text: (value) => value, deep: (value) => value, cause: (value) => value };
  }
  const mentions = (value: string) => {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(value); match !== null; match = pattern.exec(value)) {
      if (match[0] !== REDACTED) return true;
    }
    return false;
  };
  const text = (value: string) => value.replace(pattern, () => REDACTED);
  const deep = (value: unknown, depth = 0, seen = new WeakSet<object>()): unknown => {
    if (typeof value === "string") return text(value);
    if (typeof value !== "object" || value === null) return value;
    if (seen.has(value) || depth >= MAX_DEPTH) return "[…]";
    seen.add(value);
    if (Array.isArray(value)) return value.map((item) => deep(item, depth + 1, seen));
    const contents = containerContents(value);
    if (contents !== undefined) return deep(contents, depth + 1, seen);
    if (!isPlain(value) && !(value instanceof Error)) {
      const shown = inspected(value);
      return shown !== undefined && mentions(shown) ? text(shown) : value;
    }
    const entries: [string, unknown][] = [];
    for (const key of Object.keys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined || !("value" in descriptor)) continue; // never run a getter
      entries.push([text(key), deep(descriptor.value, depth + 1, seen)]);
    }
    // fromEntries defines own properties: a `__proto__` key stays a key, it sets no prototype.
    return Object.fromEntries(entries);
  };
  const containsSecret = (value: unknown, depth: number, seen: WeakSet<object>): boolean => {
    if (typeof value === "string") return mentions(value);
    if (typeof value !== "object" || value === null || depth >= MAX_DEPTH || seen.has(value)) return false;
    seen.add(value);
    const contents = containerContents(value);
    if (contents !== undefined) return containsSecret(contents, depth + 1, seen);
    if (!isPlain(value) && !Array.isArray(value) && !(value instanceof Error)) {
      const shown = inspected(value);
      if (shown !== undefined && mentions(shown)) return true;
    }
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key === "string" && mentions(key)) return true;
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (
        descriptor !== undefined &&
        "value" in descriptor &&
        containsSecret(descriptor.value, depth + 1, seen)
      ) {
        return true;
      }
    }
    return false;
  };
  const cause = (value: unknown, depth = 0): unknown => {
    if (!containsSecret(value, 0, new WeakSet())) return value;
    if (!(value instanceof Error)) return deep(value);
    return copyError(value, depth);
  };
  // Never mutate the caller's error (it may be shared); copy it with the same prototype, so
  // `instanceof` and `code` checks on `err.cause` keep working.
  const copyError = (error: Error, depth: number): Error => {
    const message = typeof error.message === "string" ? text(error.message) : "";
    let copy: Error;
    try {
      const target = typeof error.constructor === "function" ? error.constructor : Error;
      copy = Reflect.construct(Error, [message], target) as Error;
    } catch {
      copy = new Error(message);
    }
    for (const key of Reflect.ownKeys(error)) {
      if (key === "message") continue;
      const descriptor = Object.getOwnPropertyDescriptor(error, key);
      if (descriptor === undefined || !("value" in descriptor)) continue;
      let redacted: unknown;
      if (key === "cause") redacted = depth >= 4 ? undefined : cause(descriptor.value, depth + 1);
      else if (key === "stack" && typeof descriptor.value === "string") redacted = text(descriptor.value);
      else redacted = deep(descriptor.value);
      try {
        Object.defineProperty(copy, key, { ...descriptor, value: redacted });
      } catch {
        // a non-configurable property of the copy's own: keep the copy's value
      }
    }
    return copy;
  };
  return { active: true, text, deep: (value) => deep(value), cause: (value) => cause(value) };
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * What a container holds, as plain data: the entries of `Headers`, `Map` and `URLSearchParams`,
 * the values of a `Set`, a `Request`'s or `Response`'s method, URL and headers, a `URL`'s href.
 * `undefined` for anything else.
 */
function containerContents(value: object): unknown {
  try {
    if (value instanceof Headers || value instanceof URLSearchParams) return Object.fromEntries(value);
    if (value instanceof Map) return [...value.entries()];
    if (value instanceof Set) return [...value.values()];
    if (value instanceof URL) return value.href;
    if (typeof Request !== "undefined" && value instanceof Request) {
      return { method: value.method, url: value.url, headers: Object.fromEntries(value.headers) };
    }
    if (typeof Response !== "undefined" && value instanceof Response) {
      return { status: value.status, url: value.url, headers: Object.fromEntries(value.headers) };
    }
  } catch {
    // a hostile object pretending to be one: judged by what util.inspect shows
  }
  return undefined;
}

/** What `util.inspect` would show of `value`, as a log line would; undefined when it throws. */
function inspected(value: object): string | undefined {
  try {
    return inspect(value, { depth: 4, showHidden: true, breakLength: Number.POSITIVE_INFINITY });
  } catch {
    return undefined;
  }
}

function secretPattern(secrets: readonly string[] | undefined): RegExp | undefined {
  const alternatives = new Set<string>();
  for (const secret of secrets ?? []) {
    if (typeof secret !== "string" || secret === "") continue;
    const encoded = [...secret].map(anyEncoding).join("");
    // A short secret (a test's `"k"`) is found in ordinary words ("Network"): only a whole one is it.
    alternatives.add(secret.length < WHOLE_WORD_BELOW ? `(?<![a-z0-9])${encoded}(?![a-z0-9])` : encoded);
  }
  if (alternatives.size === 0) return undefined;
  // The marker first, so that text redacted once is left as it is: a secret found inside the
  // marker (a key "e") would mangle it. Then the longest first, so that a secret that contains
  // another is replaced whole. Regardless of case: a key a server upper- or lower-cased is still it.
  const ordered = [...alternatives].sort((a, b) => b.length - a.length);
  return new RegExp([escapeRegExp(REDACTED), ...ordered].join("|"), "gi");
}

/** Secrets shorter than this are matched only where no letter or digit adjoins them. */
const WHOLE_WORD_BELOW = 8;

/** HTML's named character references, for the characters a key may hold. */
const NAMED_REFERENCES: Record<string, string[]> = {
  "&": ["amp"],
  "<": ["lt"],
  ">": ["gt"],
  '"': ["quot"],
  "'": ["apos"],
  "/": ["sol"],
  "+": ["plus"],
  "=": ["equals"],
  ":": ["colon"],
  "%": ["percnt"],
  ".": ["period"],
  _: ["lowbar"],
  "-": ["dash", "hyphen"],
};

/** A regular expression matching one character in any encoding a server may reflect it in. */
function anyEncoding(char: string): string {
  const code = char.codePointAt(0)!;
  const forms = [escapeRegExp(char)];
  // Percent-encoded UTF-8, each hex digit in either case.
  forms.push(
    [...new TextEncoder().encode(char)]
      .map((byte) => `%${hexDigit(byte >> 4)}${hexDigit(byte & 15)}`)
      .join(""),
  );
  // JSON: \uXXXX (any case; a surrogate pair as two), and the short escapes.
  const units = char.length === 2 ? [char.charCodeAt(0), char.charCodeAt(1)] : [code];
  forms.push(units.map((unit) => String.raw`\\u${hex(unit, 4)}`).join(""));
  if (char === "/") forms.push(String.raw`\\/`);
  if (char === '"') forms.push(String.raw`\\"`);
  if (char === "\\") forms.push(String.raw`\\\\`);
  // HTML character references: decimal, hexadecimal, named.
  forms.push(`&#0*${code};`, `&#[xX]0*${hex(code, 1)};`);
  for (const name of NAMED_REFERENCES[char] ?? []) forms.push(`&${name};`);
  if (char === " ") forms.push(String.raw`\+`);
  return `(?:${forms.join("|")})`;
}

/** A hex digit that matches either case. */
function hexDigit(n: number): string {
  const digit = n.toString(16);
  return /[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit;
}

/** `n` in hex, at least `width` digits, each letter in either case. */
function hex(n: number, width: number): string {
  return [...n.toString(16).padStart(width, "0")].map((d) => hexDigit(Number.parseInt(d, 16))).join("");
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
