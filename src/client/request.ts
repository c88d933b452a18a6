import { z } from "zod";
import { createHttpError } from "../errors/create-http-error.js";
import { MAX_ERROR_BODY_BYTES, parseJsonSafely } from "../errors/error-body.js";
import {
  type RequestPart,
  RequestValidationError,
  ResponseValidationError,
  type ValidationIssue,
} from "../errors/validation-errors.js";
import { requestIdOf } from "../headers/request-id.js";
import { positiveNumber } from "../internal/validate.js";
import { type CallResult, emitGiveUp, runCall } from "./call.js";
import type { WithResponse } from "./call-promise.js";
import type { CallContext, ClientRuntime } from "./context.js";
import { type OptionChanges, runtimeForCall } from "./derive.js";
import { connectionFailed } from "./failures.js";
import { nonJsonIssue } from "./json-value.js";
import { type RetryOptions, resolveRetry } from "./options.js";
import { type ClientRequestInit, type PreparedRequest, prepareRequest, resolveUrl } from "./prepare.js";
import { queryIssue } from "./query-value.js";
import { readText } from "./read-body.js";
import type { StandardSchemaV1 } from "./standard-schema.js";
import { isStandardSchema, validateWithSchema } from "./validate-with-schema.js";

/** A query value: arrays repeat the parameter (`?id=1&id=2`); `undefined` and `null` leave it out. */
export type QueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[];

/** The methods `client.request` sends. */
export type RequestMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

/**
 * The options of `client.request`. `S` is the type of `schema`, which types the result.
 */
export interface RequestOptions<S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> {
  /**
   * The method, in any case, normalized as fetch normalizes it: `get` is sent as `GET`, and so are
   * `delete`, `head`, `options`, `post` and `put`; `patch` is sent as it is, as fetch sends it
   * (servers tend to answer 405), so write `PATCH`.
   * @default "GET"
   */
  method?: RequestMethod | Lowercase<RequestMethod>;
  /** Path below `baseUrl`, e.g. `/api/v1/bookings`. */
  path: string;
  query?: Record<string, QueryValue>;
  /**
   * A JSON value, sent as `application/json`. A value JSON cannot carry (a `Date`, a `Map`, `NaN`,
   * a `bigint`) is refused before sending, with its path (`body.startsAt`); an `undefined` member
   * of an object is left out, as `JSON.stringify` leaves it out.
   */
  body?: unknown;
  /** A Standard Schema (zod, valibot, ArkType…) the query must match before the request is sent; its output is what is sent. */
  querySchema?: StandardSchemaV1;
  /** A Standard Schema the body must match before the request is sent; its output is what is sent. */
  bodySchema?: StandardSchemaV1;
  /** A Standard Schema (zod, valibot, ArkType…) that parses the response body into the result, and types it. */
  schema?: S;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * Sent as `Idempotency-Key`: makes a POST safe to retry after a transient failure, since the
   * server will not process it twice.
   */
  idempotencyKey?: string;
  /** Overrides the client's `timeoutMs` (one attempt, to the response headers) for this call, in milliseconds. */
  timeoutMs?: number;
  /** Overrides the client's `totalTimeoutMs` for this call, in milliseconds. */
  totalTimeoutMs?: number;
  /** Overrides the client's retry policy for this call: what it leaves out is the client's. */
  retry?: RetryOptions;
  /** Another API key than the client's for this call: it is paced as a key of its own. */
  apiKey?: string;
}

/** The options of `client.get`, `post`, `put`, `patch` and `delete`: `request`'s but the method and path. */
export type ShortcutOptions<S extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> = Omit<
  RequestOptions<S>,
  "path" | "method"
>;

/** A shortcut's method and path, which its options may not name again. */
export interface Shortcut {
  method: RequestMethod;
  path: unknown;
}

const METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

const standardSchema = (name: string) =>
  z.custom<StandardSchemaV1>(isStandardSchema, {
    error: `Expected \`${name}\` to be a Standard Schema (zod, valibot, ArkType…): an object with a \`~standard\` property`,
  });

/**
 * The shape of the options. The method, the query's values, the body and the timeouts are checked
 * apart, with messages of their own; the query and the body after their schemas, whose output is
 * what is sent.
 */
const requestShape = z.strictObject({
  method: z.unknown().optional(),
  path: z.string().min(1),
  query: z.record(z.string(), z.unknown()).optional(),
  body: z.unknown().optional(),
  querySchema: standardSchema("querySchema").optional(),
  bodySchema: standardSchema("bodySchema").optional(),
  schema: standardSchema("schema").optional(),
  headers: z.record(z.string(), z.string().regex(/^[^\r\n\0]*$/, "Expected no line breaks")).optional(),
  signal: z
    .custom<AbortSignal>((v) => v instanceof AbortSignal, { error: "Expected an AbortSignal" })
    .optional(),
  idempotencyKey: z.string().min(1).max(255).optional(),
  apiKey: z.string().optional(),
  timeoutMs: z.unknown().optional(),
  totalTimeoutMs: z.unknown().optional(),
  retry: z.unknown().optional(),
});

type RequestShape = z.output<typeof requestShape>;

/** Which part of the request each option is: what a `RequestValidationError` names. */
const PART_OF: Readonly<Record<string, RequestPart>> = {
  method: "method",
  path: "path",
  query: "query",
  querySchema: "query",
  body: "body",
  bodySchema: "body",
  headers: "headers",
  idempotencyKey: "headers",
  apiKey: "headers",
};

/**
 * `client.request` and the shortcuts: validates everything before a byte is sent (CampOne counts
 * a 400 against the key's budget, so a request that can only fail must never leave), then calls,
 * then parses. Resolves with the parsed body and the response it came from.
 */
export async function requestJson(
  runtime: ClientRuntime,
  input: unknown,
  shortcut?: Shortcut,
  /** Told the final response before its body is read (`client.paginate` reads its URL and `Link` header). */
  onResult?: (result: CallResult) => void,
): Promise<WithResponse<unknown>> {
  const { options } = runtime;
  let call: { req: RequestShape; prepared: PreparedRequest; runtime: ClientRuntime };
  try {
    call = await prepareJson(runtime, input, shortcut);
  } catch (error) {
    // A call refused before it started still ends in an error the hooks hear of.
    const given = input as { method?: unknown; path?: unknown } | undefined;
    const method =
      shortcut?.method ?? (typeof given?.method === "string" ? given.method.toUpperCase() : "GET");
    const path = shortcut ? shortcut.path : given?.path;
    emitGiveUp(
      runtime,
      {
        method,
        url: `${options.baseUrl.href}${typeof path === "string" ? path.replace(/^\/+/, "") : ""}`,
        secrets: options.secrets,
      },
      0,
      error,
    );
    throw error;
  }
  const { req, prepared } = call;
  return runCall(call.runtime, prepared, req.totalTimeoutMs as number | undefined, async (result, ctx) => {
    onResult?.(result);
    const { response } = result;
    // An error body is read up to what the error keeps of it; a success body whole, to parse it.
    const text = await readBody(ctx, result, response.ok ? undefined : MAX_ERROR_BODY_BYTES);
    const common = {
      method: result.request.method,
      url: result.request.url,
      attempts: result.attempts,
      secrets: options.secrets,
    };
    if (!response.ok) {
      throw createHttpError({
        ...common,
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        bodyText: text,
        errorBody: options.dialect.errorBody,
        rateLimit: result.rateLimit,
        retryAfterMs: result.retryAfterMs,
        rateLimited: result.rateLimited,
        now: result.receivedAt,
      });
    }
    const requestId = requestIdOf(response.headers);
    const outcome = (data: unknown): WithResponse<unknown> => ({
      data,
      response,
      rateLimit: result.rateLimit,
      requestId,
    });
    if (text === "" && !req.schema) return outcome(undefined);
    const data = text === "" ? undefined : parseJsonSafely(text, Number.POSITIVE_INFINITY);
    const base = {
      ...common,
      status: response.status,
      rateLimit: result.rateLimit,
      ...(requestId ? { requestId } : {}),
    };
    if (text !== "" && data === undefined) {
      throw new ResponseValidationError({
        ...base,
        issues: [],
        cause: new SyntaxError("The body is not JSON"),
      });
    }
    if (!req.schema) return outcome(data);
    const parsed = await validateWithSchema(req.schema, data);
    if (!parsed.ok) throw new ResponseValidationError({ ...base, issues: parsed.issues });
    return outcome(parsed.value);
  });
}

/**
 * Validates a JSON call's options and prepares its request, or throws `RequestValidationError`
 * naming the part of the request that is wrong. Also gives the runtime the call runs in: the
 * client's, or one with the call's own `timeoutMs` and `retry`.
 */
async function prepareJson(
  runtime: ClientRuntime,
  given: unknown,
  shortcut: Shortcut | undefined,
): Promise<{ req: RequestShape; prepared: PreparedRequest; runtime: ClientRuntime }> {
  const { options } = runtime;
  const input = shortcut ? shortcutInput(given, shortcut, options.secrets) : given;
  const named = (input as { method?: unknown } | undefined)?.method;
  const givenMethod = named === undefined ? "GET" : named;
  const method = typeof givenMethod === "string" ? givenMethod.toUpperCase() : "GET";
  const invalid = (part: RequestPart, issues: readonly ValidationIssue[]) =>
    new RequestValidationError({ issues, part, method, secrets: options.secrets });

  const shape = requestShape.safeParse(input);
  if (!shape.success) {
    const first = shape.error.issues[0]?.path[0];
    throw invalid((typeof first === "string" && PART_OF[first]) || "options", shape.error.issues);
  }
  const req = shape.data;
  if (typeof givenMethod !== "string" || !METHODS.has(method)) {
    throw invalid("method", [
      {
        message: `Expected one of ${[...METHODS].join(", ")} (in any case), got ${JSON.stringify(String(givenMethod))}`,
        path: ["method"],
        code: "invalid_value",
      },
    ]);
  }
  // The call's own timeouts and retry policy, checked as `createClient` checks the client's.
  const changes: OptionChanges = {};
  const option = <T>(name: string, read: () => T): T => {
    try {
      return read();
    } catch (error) {
      throw invalid("options", [{ message: (error as Error).message, path: [name], code: "invalid_option" }]);
    }
  };
  if (req.timeoutMs !== undefined)
    changes.timeoutMs = option("timeoutMs", () => positiveNumber("timeoutMs", req.timeoutMs));
  if (req.totalTimeoutMs !== undefined)
    option("totalTimeoutMs", () => positiveNumber("totalTimeoutMs", req.totalTimeoutMs));
  if (req.retry !== undefined) {
    const retry = option("retry", () => resolveRetry(req.retry, options));
    changes.retries = retry.retries;
    changes.rateLimitRetries = retry.rateLimitRetries;
    changes.retryStatuses = retry.retryStatuses;
  }

  // A user's schema may transform (dates to strings): its output is what is sent, so the query's
  // values and the body are checked after it.
  let query = req.query;
  if (req.querySchema) {
    const parsed = await validateWithSchema(req.querySchema, req.query ?? {});
    if (!parsed.ok) throw invalid("query", parsed.issues);
    query = parsed.value as RequestShape["query"];
  }
  const badQuery = queryIssue(query);
  if (badQuery) throw invalid("query", [badQuery]);
  let body = req.body;
  if (req.bodySchema) {
    const parsed = await validateWithSchema(req.bodySchema, req.body);
    if (!parsed.ok) throw invalid("body", parsed.issues);
    body = parsed.value;
  }
  const badBody = body === undefined ? undefined : nonJsonIssue(body, ["body"]);
  if (badBody) throw invalid("body", [badBody]);
  const values = query as Record<string, QueryValue> | undefined;
  checkPageSize(options, values, (i) => invalid("query", i));

  const url = resolveUrl(options.baseUrl, req.path);
  for (const [name, value] of Object.entries(values ?? {})) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  const headers: Record<string, string> = { ...req.headers };
  if (!Object.keys(headers).some((name) => name.toLowerCase() === "accept"))
    headers.accept = "application/json";
  if (body !== undefined) headers["content-type"] = "application/json";
  if (req.idempotencyKey !== undefined) headers["idempotency-key"] = req.idempotencyKey;
  const init: ClientRequestInit = {
    // As given: `prepareRequest` normalizes it as fetch does.
    method: givenMethod,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    signal: req.signal,
  };
  if (req.apiKey !== undefined) init.apiKey = req.apiKey;
  const prepared = await prepareRequest(options, runtime.credentials, url, init);
  const hasChanges = Object.keys(changes).length > 0;
  return { req, prepared, runtime: hasChanges ? runtimeForCall(runtime, changes) : runtime };
}

/**
 * A shortcut's options as `request`'s: the shortcut's method and path added. Options that name a
 * method or a path of their own are refused rather than silently overridden.
 */
function shortcutInput(options: unknown, shortcut: Shortcut, secrets: readonly string[]): unknown {
  const refuse = (message: string, path: PropertyKey[]) =>
    new RequestValidationError({
      issues: [{ message, path, code: "invalid_option" }],
      part: "options",
      method: shortcut.method,
      secrets,
    });
  if (options === undefined) return { method: shortcut.method, path: shortcut.path };
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw refuse(
      `Expected the options to be an object, got ${options === null ? "null" : typeof options}`,
      [],
    );
  }
  for (const name of ["method", "path"]) {
    if (name in options) {
      throw refuse(
        `\`${name}\` is not an option of client.${shortcut.method.toLowerCase()}(), which sets it: use client.request() to choose it`,
        [name],
      );
    }
  }
  return { ...options, method: shortcut.method, path: shortcut.path };
}

/**
 * The body as text. A body cut short (the connection reset mid-body) is a `ConnectionError`,
 * as `docs/errors.md` promises, not undici's bare `TypeError: terminated`; an abort or the total
 * deadline during the read rejects with the signal's reason, as everywhere else.
 */
async function readBody(ctx: CallContext, result: CallResult, maxBytes?: number): Promise<string> {
  try {
    return await readText(result.response, maxBytes);
  } catch (error) {
    if (ctx.aborted) throw ctx.reason;
    throw connectionFailed(error, result.request, result.attempts);
  }
}

/** One big page costs the same as one small page, but a page over the API's maximum is a 400 that counts. */
function checkPageSize(
  options: ClientRuntime["options"],
  query: Record<string, unknown> | undefined,
  fail: (issues: z.core.$ZodIssue[]) => Error,
): void {
  const max = options.dialect.maxPageSize;
  if (max === undefined || query?.page_size === undefined) return;
  const schema = z.object({ page_size: z.coerce.number().int().min(1).max(max) });
  const parsed = schema.safeParse({ page_size: query.page_size });
  if (!parsed.success) throw fail(parsed.error.issues);
}
