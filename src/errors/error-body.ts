import { z } from "zod";

/**
 * Error bodies of each dialect, parsed with zod into one shape. A parser never throws: a body
 * that is not JSON, too large, hostile or not what the dialect promises yields `undefined`, and
 * the error is still typed by its status.
 */

/** What an error body said, normalized across dialects. */
export interface ParsedErrorBody {
  /** The human-readable message of the body (`detail`, `error.message`, `title`…). */
  message: string;
  /** A machine-readable code, where the body has one (BoothZen `error.code`). */
  code?: string;
  /** The error's category, where the body has one (BoothZen `error.type`, problem+json `type`). */
  type?: string;
  /** The request id the body carries (BoothZen `error.request_id`). */
  requestId?: string;
  /** The whole parsed JSON, without `__proto__`/`constructor`/`prototype` keys. */
  raw: unknown;
}

/** Turns the text of an error response into a `ParsedErrorBody`, or `undefined`. Never throws. */
export type ErrorBodyParser = (bodyText: string) => ParsedErrorBody | undefined;

/** Bodies larger than this (UTF-8 bytes) are not parsed: an error body that big is not an API's error envelope. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Keys that could reach a prototype if the parsed object were later merged or assigned from. */
const HOSTILE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * `JSON.parse` that never throws and drops the keys `__proto__`, `constructor` and `prototype` at
 * every depth. Returns `undefined` for text that is not JSON, not a string, over `maxBytes`
 * UTF-8 bytes, or nested too deep for the stack.
 */
export function parseJsonSafely(text: unknown, maxBytes: number = MAX_ERROR_BODY_BYTES): unknown {
  if (typeof text !== "string" || utf8Exceeds(text, maxBytes)) return undefined;
  try {
    return JSON.parse(text, (key, value: unknown) => (HOSTILE_KEYS.has(key) ? undefined : value));
  } catch {
    return undefined;
  }
}

function utf8Exceeds(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
    if (bytes > maxBytes) return true;
  }
  return false;
}

/** An optional string field: a wrong type drops the field instead of rejecting the body. */
export const optionalText = z.string().optional().catch(undefined);
/** An optional code: numbers (Google's `error.code: 404`) become strings. */
const optionalCode = z
  .union([z.string(), z.number().transform(String)])
  .optional()
  .catch(undefined);

export function parsedBody(raw: unknown, fields: Omit<ParsedErrorBody, "raw">): ParsedErrorBody {
  const body: ParsedErrorBody = { message: fields.message, raw };
  if (fields.code !== undefined) body.code = fields.code;
  if (fields.type !== undefined) body.type = fields.type;
  if (fields.requestId !== undefined) body.requestId = fields.requestId;
  return body;
}

// ---- Any API ------------------------------------------------------------------------------

const requestIdFields = { request_id: optionalText, requestId: optionalText };

/** `{ "error": { "message", "code"?, "type"? } }`: BoothZen, OpenAI, Google and many more. */
const NestedErrorSchema = z.object({
  error: z.object({ message: z.string(), code: optionalCode, type: optionalText, ...requestIdFields }),
  ...requestIdFields,
});

/** `{ "error": "invalid_token", "error_description"?: "…" }` (OAuth 2.0, RFC 6749 §5.2). */
const StringErrorSchema = z.object({
  error: z.string(),
  error_description: optionalText,
  ...requestIdFields,
});

/** RFC 9457 problem details: `{ type?, title?, status?, detail?, instance? }`; title or detail required. */
const ProblemDetailsSchema = z
  .object({
    type: optionalText,
    title: optionalText,
    status: z.number().optional().catch(undefined),
    detail: optionalText,
  })
  .refine((problem) => problem.title !== undefined || problem.detail !== undefined);

/** `{ "errors": [{ "message" | "detail" | "title" }] }` (GraphQL, JSON:API): the first one. */
const ErrorListSchema = z.object({
  errors: z
    .array(z.object({ message: optionalText, detail: optionalText, title: optionalText, code: optionalCode }))
    .min(1),
});

/** `{ "message": "…", "code"? }`. */
const MessageSchema = z.object({
  message: z.string(),
  code: optionalCode,
  type: optionalText,
  ...requestIdFields,
});

/**
 * Any API's error body, tried in order: `{error: {message}}`, `{error: "…"}`, RFC 9457
 * problem+json (`detail`, else `title`), `{errors: [{message}]}`, `{message}`. Parses CampOne's
 * `{detail}` and BoothZen's envelope too.
 */
export const genericErrorBody: ErrorBodyParser = (bodyText) => {
  const raw = parseJsonSafely(bodyText);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;

  const nested = NestedErrorSchema.safeParse(raw);
  if (nested.success) {
    const { error } = nested.data;
    return parsedBody(raw, {
      message: error.message,
      code: error.code,
      type: error.type,
      requestId: error.request_id ?? error.requestId ?? nested.data.request_id ?? nested.data.requestId,
    });
  }
  const flat = StringErrorSchema.safeParse(raw);
  if (flat.success) {
    const { error, error_description } = flat.data;
    return parsedBody(raw, {
      message: error_description ?? error,
      code: error_description === undefined ? undefined : error,
      requestId: flat.data.request_id ?? flat.data.requestId,
    });
  }
  const problem = ProblemDetailsSchema.safeParse(raw);
  if (problem.success) {
    const { type, title, detail } = problem.data;
    return parsedBody(raw, { message: detail ?? title ?? "", type });
  }
  const list = ErrorListSchema.safeParse(raw);
  if (list.success) {
    const first = list.data.errors.find((e) => (e.message ?? e.detail ?? e.title) !== undefined);
    if (first !== undefined) {
      return parsedBody(raw, {
        message: first.message ?? first.detail ?? first.title ?? "",
        code: first.code,
      });
    }
  }
  const message = MessageSchema.safeParse(raw);
  if (message.success) {
    const { code, type, request_id, requestId } = message.data;
    return parsedBody(raw, { message: message.data.message, code, type, requestId: request_id ?? requestId });
  }
  return undefined;
};
