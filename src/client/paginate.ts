import { linkPagination } from "../dialects/link-pagination.js";
import type { NextPage, PageContext, PageQuery } from "../dialects/pagination.js";
import { redactUrl } from "../errors/redact.js";
import { ResponseValidationError } from "../errors/validation-errors.js";
import { fn, knownKeys, plainObject, positiveInteger } from "../internal/validate.js";
import type { CallResult } from "./call.js";
import type { ClientRuntime } from "./context.js";
import { resolveUrl } from "./prepare.js";
import { type QueryValue, type RequestOptions, requestJson } from "./request.js";
import type { StandardSchemaV1 } from "./standard-schema.js";
import { isStandardSchema, validateWithSchema } from "./validate-with-schema.js";

export interface PaginateOptions<T = unknown>
  extends Pick<RequestOptions, "path" | "query" | "headers" | "signal" | "totalTimeoutMs" | "apiKey"> {
  /**
   * A schema of **one item**, from any Standard Schema library (zod, valibot, ArkType…): each item
   * is parsed by it, and the items are its output. An item
   * that does not match fails its page with a `ResponseValidationError` whose issues say where
   * (`items[3].id`: the page's fourth item).
   */
  schema?: StandardSchemaV1;
  /**
   * Where a page's items are in its body, for an API the dialect does not know.
   * @default the dialect's `pagination.items`
   */
  items?: (body: unknown) => readonly T[] | undefined;
  /**
   * What to ask for after a page: the next page's whole query (the path stays), its URL (absolute,
   * or relative to the page's URL, on the client's origins), or undefined after the last page.
   * @default the dialect's `pagination.next`
   */
  next?: (page: PageContext) => NextPage | undefined;
  /**
   * The most pages read: iteration ends after the last of them, whatever the API says comes next.
   * @default Infinity
   */
  maxPages?: number;
}

/** `client.paginate`, declared here so that `Client` gains it by one `extends`. */
export interface Paginates {
  /**
   * Every item of a list, page after page, as an async iterable. Each page is one `client.request`
   * (paced, validated, retried, its errors thrown as they are); the next page is asked for only once
   * the items of this one are consumed, so `break` sends nothing more. It ends on a page with no
   * items or no next page. The dialect knows how its API pages (`Dialect.pagination`); the first
   * page asks for the dialect's `maxPageSize` unless `query` sets the page size.
   *
   * @example
   * const Booking = z.object({ id: z.string(), starts_at: z.string() });
   * for await (const booking of client.paginate({ path: "/api/v1/bookings", schema: Booking })) {
   *   console.log(booking.id); // typed by the schema; 200 a page, BoothZen's most
   * }
   */
  paginate<S extends StandardSchemaV1>(
    options: PaginateOptions & { schema: S },
  ): AsyncIterable<StandardSchemaV1.InferOutput<S>>;
  /**
   * Every item of a list, page after page; without a schema the items are unchecked (`T` is only
   * asserted). `items` and `next` page an API the dialect does not know.
   *
   * @example
   * const rows = client.paginate({
   *   path: "/v2/rows",
   *   items: (body) => (body as { rows: Row[] }).rows,
   *   next: ({ body, query }) => {
   *     const token = (body as { continuation?: string }).continuation;
   *     return token === undefined ? undefined : { ...query, continuation: token };
   *   },
   *   maxPages: 50,
   * });
   */
  paginate<T = unknown>(options: PaginateOptions<T>): AsyncIterable<T>;
}

/** What the strategy of `Link` headers is to any dialect that names no strategy of its own. */
const BY_LINK_HEADER = linkPagination("page_size");

const OPTION_NAMES = [
  "path",
  "query",
  "schema",
  "items",
  "next",
  "maxPages",
  "headers",
  "signal",
  "totalTimeoutMs",
  "apiKey",
];

/** A page as the page schema hands it over: its body, and its items (parsed by the caller's schema). */
interface Page {
  body: unknown;
  items: readonly unknown[];
}

/** Where a page is: a path (or an absolute URL without its query) and its query. */
interface Target {
  path: string;
  query: PageQuery;
}

/**
 * `client.paginate`: checks its own options now (a mistake throws a `TypeError` or `RangeError` at
 * the call), and reads nothing until iterated. Each iteration reads the list again from its start.
 */
export function paginate(runtime: ClientRuntime, options: PaginateOptions): AsyncIterable<unknown> {
  plainObject("options", options);
  knownKeys("paginate() options", options, OPTION_NAMES);
  const dialect = runtime.options.dialect.pagination ?? BY_LINK_HEADER;
  const items =
    options.items === undefined ? (body: unknown) => dialect.items(body) : fn("items", options.items);
  const next =
    options.next === undefined ? (page: PageContext) => dialect.next(page) : fn("next", options.next);
  const maxPages =
    options.maxPages === undefined ? Number.POSITIVE_INFINITY : positiveInteger("maxPages", options.maxPages);
  if (options.schema !== undefined && !isStandardSchema(options.schema)) {
    throw new TypeError(
      "Expected `schema` to be a schema of one item (zod, valibot, ArkType: any Standard Schema)",
    );
  }
  const first: Target = {
    path: options.path,
    query: withPageSize(options.query, dialect.pageSizeParam, runtime.options.dialect.maxPageSize),
  };
  const schema = pageSchema(items, options.schema);
  return {
    [Symbol.asyncIterator]: () => readPages(runtime, options, first, schema, next, maxPages),
  };
}

async function* readPages(
  runtime: ClientRuntime,
  options: PaginateOptions,
  first: Target,
  schema: StandardSchemaV1,
  next: (page: PageContext) => NextPage | undefined,
  maxPages: number,
): AsyncGenerator<unknown, void, undefined> {
  const shared: Omit<RequestOptions, "path"> = {};
  if (options.headers !== undefined) shared.headers = options.headers;
  if (options.signal !== undefined) shared.signal = options.signal;
  if (options.totalTimeoutMs !== undefined) shared.totalTimeoutMs = options.totalTimeoutMs;
  if (options.apiKey !== undefined) shared.apiKey = options.apiKey;
  let target = first;
  for (let read = 0; read < maxPages; read++) {
    options.signal?.throwIfAborted();
    let result: CallResult | undefined;
    const { data } = await requestJson(
      runtime,
      { ...shared, path: target.path, query: target.query as Record<string, QueryValue>, schema },
      undefined,
      (answered) => {
        result = answered;
      },
    );
    const page = data as Page;
    if (page.items.length === 0) return;
    yield* page.items;
    if (read + 1 >= maxPages) return;
    const answered = result!;
    const url = withoutKey(runtime, answered.request.url);
    const after = next({ body: page.body, response: answered.response, query: target.query, url });
    if (after === undefined) return;
    const following = targetOf(runtime, after, target, url, answered);
    if (hrefOf(runtime, following) === hrefOf(runtime, target)) {
      throw cannotPage(answered, `its next page is the page itself (${redactUrl(url)})`);
    }
    target = following;
  }
}

/** The first page's query: the dialect's largest page, unless the caller's query has the parameter. */
function withPageSize(
  query: RequestOptions["query"],
  param: string | undefined,
  max: number | undefined,
): PageQuery {
  if (param === undefined || max === undefined) return query ?? {};
  if (query === undefined) return { [param]: max };
  // Anything but an object is `client.request`'s to refuse, with its own message.
  if (typeof query !== "object" || query === null || Object.hasOwn(query, param)) return query;
  return { ...query, [param]: max };
}

/**
 * The schema `client.request` parses each page with: the strategy finds the items, the caller's
 * schema parses each one. Its issues then reach a `ResponseValidationError` as any schema's do,
 * placed in the page (`items[3].id`).
 */
function pageSchema(
  items: (body: unknown) => readonly unknown[] | undefined,
  item: StandardSchemaV1 | undefined,
): StandardSchemaV1<unknown, Page> {
  const validate = async (body: unknown): Promise<StandardSchemaV1.Result<Page>> => {
    const found = items(body);
    if (!Array.isArray(found)) {
      return {
        issues: [
          {
            message:
              "Expected a page of items: the dialect's pagination found none (give `items` to say where)",
          },
        ],
      };
    }
    if (item === undefined) return { value: { body, items: found } };
    const parsed: unknown[] = [];
    const issues: StandardSchemaV1.Issue[] = [];
    for (let i = 0; i < found.length; i++) {
      const result = await validateWithSchema(item, found[i]);
      if (result.ok) parsed.push(result.value);
      else for (const issue of result.issues) issues.push({ ...issue, path: ["items", i, ...issue.path] });
    }
    return issues.length > 0 ? { issues } : { value: { body, items: parsed } };
  };
  return { "~standard": { version: 1, vendor: "pacekeeper", validate } };
}

/** The page a `next` names, or a refusal of what no page can be. */
function targetOf(
  runtime: ClientRuntime,
  next: NextPage,
  current: Target,
  pageUrl: string,
  answered: CallResult,
): Target {
  if (typeof next === "string" || next instanceof URL) {
    let url: URL;
    try {
      url = new URL(next, pageUrl);
    } catch {
      throw cannotPage(answered, `its next page ${JSON.stringify(String(next))} is not a URL`);
    }
    const query: Record<string, QueryValue> = {};
    const keyParam = runtime.options.auth.kind === "query" ? runtime.options.auth.name : undefined;
    for (const name of new Set(url.searchParams.keys())) {
      if (name === keyParam) continue;
      const values = url.searchParams.getAll(name);
      query[name] = values.length === 1 ? values[0]! : values;
    }
    url.search = "";
    url.hash = "";
    return { path: url.href, query };
  }
  if (typeof next !== "object" || next === null) {
    throw new TypeError(
      `Expected \`next\` to return the next page's query, its URL or undefined, got ${typeof next}`,
    );
  }
  return { path: current.path, query: next };
}

/** The absolute URL a target is asked at, as `client.request` builds it: to tell two pages apart. */
function hrefOf(runtime: ClientRuntime, target: Target): string {
  const url = resolveUrl(runtime.options.baseUrl, target.path);
  for (const [name, value] of Object.entries(target.query)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  return url.href;
}

/** A page's URL as a `next` may see it: without the key, where the key goes in the query. */
function withoutKey(runtime: ClientRuntime, href: string): string {
  const { auth } = runtime.options;
  if (auth.kind !== "query") return href;
  const url = new URL(href);
  url.searchParams.delete(auth.name);
  return url.href;
}

/** The server's page says something no next page can be made of. */
function cannotPage(answered: CallResult, problem: string): ResponseValidationError {
  const { request, response } = answered;
  const requestId = response.headers.get("x-request-id") ?? undefined;
  return new ResponseValidationError({
    message: `Response to ${request.method} ${redactUrl(request.url)} (${response.status}) cannot be paged: ${problem}`,
    status: response.status,
    method: request.method,
    url: request.url,
    attempts: answered.attempts,
    issues: [{ message: problem, path: [] }],
    secrets: request.secrets,
    ...(requestId === undefined ? {} : { requestId }),
    ...(answered.rateLimit === undefined ? {} : { rateLimit: answered.rateLimit }),
  });
}
