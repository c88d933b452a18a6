/**
 * A lenient reader of RFC 8941 / RFC 9651 (Structured Field Values) Lists of Items and
 * Dictionaries: the syntax of the draft -08 to -10 `RateLimit` / `RateLimit-Policy` fields (Lists),
 * of draft -07's `RateLimit` (a Dictionary) and of the draft -06 integer fields.
 *
 * RFC 8941 says a parse failure fails the whole field; the rate-limit drafts say malformed fields
 * are ignored. Reading member by member and skipping only the malformed ones keeps what the server
 * did say correctly (a policy we cannot read must not hide the one we can). Inner lists are skipped:
 * no rate-limit field uses them.
 */

/** A bare item of RFC 8941 §3.3, tagged with its type. Byte sequences keep their base64 text. */
export type SfBareItem =
  | { type: "integer"; value: number }
  | { type: "decimal"; value: number }
  | { type: "string"; value: string }
  | { type: "token"; value: string }
  | { type: "boolean"; value: boolean }
  | { type: "bytes"; value: string };

/** An Item with its Parameters (a key without `=value` is boolean true). */
export interface SfItem {
  value: SfBareItem;
  params: Map<string, SfBareItem>;
}

/**
 * Parses a List of Items, skipping members that are not a well-formed Item (and inner lists).
 * Tolerates whitespace around `;` and `=` and upper-case parameter keys (lower-cased), which
 * RFC 8941 rejects but servers send. Never throws.
 * @param input a field value; several fields of the same name arrive joined by `", "`.
 */
export function parseSfList(input: string | null | undefined): SfItem[] {
  return parseSfMembers(input).filter((item) => item !== undefined);
}

/**
 * Like `parseSfList`, but keeps every member's position: a malformed member is `undefined`.
 * An absent field is `[]`; an empty one is `[undefined]`.
 */
export function parseSfMembers(input: string | null | undefined): Array<SfItem | undefined> {
  if (typeof input !== "string") return [];
  return splitMembers(input).map(parseSfItem);
}

/**
 * Parses one whole Item (bare item and parameters, nothing after them), or `undefined`.
 * Surrounding whitespace is ignored.
 */
export function parseSfItem(input: string): SfItem | undefined {
  const text = input.trim();
  const cursor = { pos: 0 };
  const value = parseBareItem(text, cursor);
  if (!value) return undefined;
  const params = new Map<string, SfBareItem>();
  for (;;) {
    skipSpaces(text, cursor);
    if (cursor.pos >= text.length) return { value, params };
    if (text[cursor.pos] !== ";") return undefined;
    cursor.pos++;
    skipSpaces(text, cursor);
    const key = parseKey(text, cursor);
    if (key === undefined) return undefined;
    skipSpaces(text, cursor);
    if (text[cursor.pos] === "=") {
      cursor.pos++;
      skipSpaces(text, cursor);
      const paramValue = parseBareItem(text, cursor);
      if (!paramValue) return undefined;
      params.set(key, paramValue);
    } else {
      params.set(key, { type: "boolean", value: true });
    }
  }
}

/**
 * Parses a Dictionary (`limit=100, remaining=50, reset=5`), skipping members that are not a
 * well-formed `key=Item` or bare `key` (boolean true). The last of a repeated key wins, as RFC 8941
 * says. Never throws.
 */
export function parseSfDictionary(input: string | null | undefined): Map<string, SfItem> {
  const dictionary = new Map<string, SfItem>();
  if (typeof input !== "string") return dictionary;
  for (const member of splitMembers(input)) {
    const text = member.trim();
    const cursor = { pos: 0 };
    const key = parseKey(text, cursor);
    if (key === undefined) continue;
    if (text[cursor.pos] !== "=") {
      // A bare key is `true`, with the parameters that follow.
      const params = parseSfItem(`?1${text.slice(cursor.pos)}`);
      if (params) dictionary.set(key, params);
      continue;
    }
    const item = parseSfItem(text.slice(cursor.pos + 1));
    if (item) dictionary.set(key, item);
  }
  return dictionary;
}

/** The value of an integer item or parameter, else `undefined`. */
export function sfInteger(item: SfBareItem | undefined): number | undefined {
  return item?.type === "integer" ? item.value : undefined;
}

/** Splits at top-level commas, i.e. outside quoted strings. */
function splitMembers(input: string): string[] {
  const members: string[] = [];
  let start = 0;
  let inString = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === ",") {
      members.push(input.slice(start, i));
      start = i + 1;
    }
  }
  members.push(input.slice(start));
  return members;
}

interface Cursor {
  pos: number;
}

function skipSpaces(text: string, cursor: Cursor): void {
  while (text[cursor.pos] === " " || text[cursor.pos] === "\t") cursor.pos++;
}

const KEY_FIRST = /[a-z*]/;
const KEY_REST = /[a-z0-9_\-.*]/;
const TOKEN_FIRST = /[A-Za-z*]/;
const TOKEN_REST = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/]/;
const BASE64 = /[A-Za-z0-9+/=]/;

function parseKey(text: string, cursor: Cursor): string | undefined {
  const first = text[cursor.pos]?.toLowerCase();
  if (first === undefined || !KEY_FIRST.test(first)) return undefined;
  let key = first;
  cursor.pos++;
  for (;;) {
    const c = text[cursor.pos]?.toLowerCase();
    if (c === undefined || !KEY_REST.test(c)) return key;
    key += c;
    cursor.pos++;
  }
}

function parseBareItem(text: string, cursor: Cursor): SfBareItem | undefined {
  const c = text[cursor.pos];
  if (c === undefined) return undefined;
  if (c === "-" || (c >= "0" && c <= "9")) return parseNumber(text, cursor);
  if (c === '"') return parseString(text, cursor);
  if (c === ":") return parseBytes(text, cursor);
  if (c === "?") return parseBoolean(text, cursor);
  if (TOKEN_FIRST.test(c)) return parseToken(text, cursor);
  return undefined;
}

/** RFC 8941 §4.2.4: integers up to 15 digits, decimals up to 12 + 3 digits. */
function parseNumber(text: string, cursor: Cursor): SfBareItem | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?/.exec(text.slice(cursor.pos));
  if (!m) return undefined;
  const [all, sign, whole = "", fraction] = m;
  if (fraction === undefined) {
    if (whole.length > 15) return undefined;
    cursor.pos += all.length;
    return { type: "integer", value: Number(sign + whole) };
  }
  if (whole.length > 12 || fraction.length > 3) return undefined;
  cursor.pos += all.length;
  return { type: "decimal", value: Number(`${sign}${whole}.${fraction}`) };
}

function parseString(text: string, cursor: Cursor): SfBareItem | undefined {
  let value = "";
  let i = cursor.pos + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\\") {
      const next = text[i + 1];
      if (next !== '"' && next !== "\\") return undefined;
      value += next;
      i += 2;
    } else if (c === '"') {
      cursor.pos = i + 1;
      return { type: "string", value };
    } else {
      const code = c.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) return undefined;
      value += c;
      i++;
    }
  }
  return undefined; // unterminated
}

function parseToken(text: string, cursor: Cursor): SfBareItem {
  let end = cursor.pos + 1;
  while (end < text.length && TOKEN_REST.test(text[end]!)) end++;
  const value = text.slice(cursor.pos, end);
  cursor.pos = end;
  return { type: "token", value };
}

function parseBytes(text: string, cursor: Cursor): SfBareItem | undefined {
  let end = cursor.pos + 1;
  while (end < text.length && BASE64.test(text[end]!)) end++;
  if (text[end] !== ":") return undefined;
  const value = text.slice(cursor.pos + 1, end);
  cursor.pos = end + 1;
  return { type: "bytes", value };
}

function parseBoolean(text: string, cursor: Cursor): SfBareItem | undefined {
  const c = text[cursor.pos + 1];
  if (c !== "0" && c !== "1") return undefined;
  cursor.pos += 2;
  return { type: "boolean", value: c === "1" };
}
