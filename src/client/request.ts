import { z } from "zod";
import { createHttpError } from "../errors/create-http-error.js";
import { MAX_ERROR_BODY_BYTES, parseJsonSafely } from "../errors/error-body.js";
import {
  RequestValidationError,
  ResponseValidationError,
  type ValidationIssue,
} from "../errors/validation-errors.js";
import { type CallResult, emitGiveUp, runCall } from "./call.js";
import type { CallContext, ClientRuntime } from "./context.js";
import { connectionFailed } from "./failures.js";
import { type ClientRequestInit, type PreparedRequest, prepareRequest, resolveUrl } from "./prepare.js";
import { readText } from "./read-body.js";

/** A query value: arrays repeat the parameter (`?id=1&id=2`); `undefined` and `null` leave it out. */
export type QueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[];

export interface RequestOptions {
  /** @default "GET" */
  method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
  /** Path below `baseUrl`, e.g. `/api/v1/bookings`. */
  path: string;
  query?: Record<string, QueryValue>;
  /** A JSON value, sent as `application/json`. */
  body?: unknown;
  /** A zod schema the query must match before the request is sent. */
  querySchema?: z.ZodType;
  /** A zod schema the body must match before the request is sent. */
  bodySchema?: z.ZodType;
  /** A zod schema that parses the response body into the result. */
  schema?: z.ZodType;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * Sent as `Idempotency-Key`: makes a POST safe to retry after a transient failure, since the
   * server will not process it twice.
   */
  idempotencyKey?: string;
  /** Overrides the client's `totalTimeoutMs` for this call, in milliseconds. */
  totalTimeoutMs?: number;
  /** Another API key than the client's for this call: it is paced as a key of its own. */
  apiKey?: string;
}

const scalar = z.union([
  z.string(),
  z.number().refine(Number.isFinite, "Expected a finite number"),
  z.boolean(),
]);

const requestShape = z.strictObject({
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).optional(),
  path: z.string().min(1),
  query: z.record(z.string(), z.union([scalar, z.null(), z.undefined(), z.array(scalar)])).optional(),
  body: z.json().optional(),
  querySchema: z.custom<z.ZodType>((v) => v instanceof z.ZodType).optional(),
  bodySchema: z.custom<z.ZodType>((v) => v instanceof z.ZodType).optional(),
  schema: z.custom<z.ZodType>((v) => v instanceof z.ZodType).optional(),
  headers: z.record(z.string(), z.string().regex(/^[^\r\n\0]*$/, "Expected no line breaks")).optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal).optional(),
  idempotencyKey: z.string().min(1).max(255).optional(),
  apiKey: z.string().optional(),
  totalTimeoutMs: z.number().positive().finite().optional(),
});

type RequestShape = z.output<typeof requestShape>;

/**
 * `client.request`: validates everything before a byte is sent (CampOne counts a 400 against
 * the key's budget, so a request that can only fail must never leave), then calls, then parses.
 */
export async function requestJson(
  runtime: ClientRuntime,
  input: RequestOptions,
  /** Told the final response before its body is read (`client.paginate` reads its `Link` header). */
  onResult?: (result: CallResult) => void,
): Promise<unknown> {
  const { options } = runtime;
  let call: { req: RequestShape; prepared: PreparedRequest };
  try {
    call = await prepareJson(runtime, input);
  } catch (error) {
    // A call refused before it started still ends in an error the hooks hear of.
    const method = typeof input?.method === "string" ? input.method.toUpperCase() : "GET";
    const path = typeof input?.path === "string" ? input.path : "";
    emitGiveUp(
      runtime,
      { method, url: `${options.baseUrl.href}${path.replace(/^\/+/, "")}`, secrets: options.secrets },
      0,
      error,
    );
    throw error;
  }
  const { req, prepared } = call;
  return runCall(runtime, prepared, req.totalTimeoutMs, async (result, ctx) => {
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
      });
    }
    if (text === "" && !req.schema) return undefined;
    const data = text === "" ? undefined : parseJsonSafely(text, Number.POSITIVE_INFINITY);
    const requestId = response.headers.get("x-request-id") ?? undefined;
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
    if (!req.schema) return data;
    const parsed = req.schema.safeParse(data);
    if (!parsed.success) throw new ResponseValidationError({ ...base, issues: parsed.error.issues });
    return parsed.data;
  });
}

/** Validates a JSON call's options and prepares its request, or throws `RequestValidationError`. */
async function prepareJson(
  runtime: ClientRuntime,
  input: RequestOptions,
): Promise<{ req: RequestShape; prepared: PreparedRequest }> {
  const { options } = runtime;
  const method = (typeof input?.method === "string" ? input.method : "GET").toUpperCase();
  const invalid = (part: "path" | "query" | "headers" | "body", issues: readonly ValidationIssue[]) =>
    new RequestValidationError({ issues, part, method, secrets: options.secrets });

  const shape = requestShape.safeParse(input);
  if (!shape.success) {
    const first = String(shape.error.issues[0]?.path[0] ?? "path");
    throw invalid(
      first === "query" ? "query" : first === "body" ? "body" : first === "headers" ? "headers" : "path",
      shape.error.issues,
    );
  }
  const req = shape.data;
  // A user's query schema may transform (dates to strings): its output is what is sent.
  const query = (
    req.querySchema ? parsePart(req.querySchema, req.query ?? {}, (i) => invalid("query", i)) : req.query
  ) as Record<string, QueryValue> | undefined;
  const body = req.bodySchema ? parsePart(req.bodySchema, req.body, (i) => invalid("body", i)) : req.body;
  checkPageSize(options, query, (i) => invalid("query", i));

  const url = resolveUrl(options.baseUrl, req.path);
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, QueryValue>)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  const headers: Record<string, string> = { ...req.headers };
  if (!Object.keys(headers).some((name) => name.toLowerCase() === "accept"))
    headers.accept = "application/json";
  if (body !== undefined) headers["content-type"] = "application/json";
  if (req.idempotencyKey !== undefined) headers["idempotency-key"] = req.idempotencyKey;
  const init: ClientRequestInit = {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    signal: req.signal,
  };
  if (req.apiKey !== undefined) init.apiKey = req.apiKey;
  const prepared = await prepareRequest(options, runtime.credentials, url, init);
  return { req, prepared };
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

function parsePart(schema: z.ZodType, value: unknown, fail: (issues: z.core.$ZodIssue[]) => Error): unknown {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw fail(parsed.error.issues);
  return parsed.data;
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
