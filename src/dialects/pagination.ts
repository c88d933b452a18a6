/**
 * A page's query as `client.request` sends it (its `QueryValue`s): arrays repeat the parameter,
 * `undefined` and `null` leave it out.
 */
export type PageQuery = Readonly<
  Record<string, string | number | boolean | null | undefined | readonly (string | number | boolean)[]>
>;

/** What a page was, for deciding what comes after it. */
export interface PageContext {
  /** The page's body, parsed from JSON (its items not yet checked by the caller's `schema`). */
  readonly body: unknown;
  /** The page's response: its status and headers (`Link`); its body has been read already. */
  readonly response: Response;
  /** The query the page was asked for with. */
  readonly query: PageQuery;
  /** The page's URL, after redirects, without an API key sent in the query (`auth: { query }`). */
  readonly url: string;
}

/**
 * The page after this one: its whole query (the path stays), or its URL (absolute, or relative to
 * the page's URL as a `Link` header's is), on the client's origins only.
 */
export type NextPage = PageQuery | string | URL;

/** How an API's lists page: where a page's items are, and how to ask for the next page. */
export interface Pagination {
  /**
   * The query parameter that sets a page's size (`page_size`, GitHub's `per_page`, OpenAI's
   * `limit`): `client.paginate` sends it at the dialect's `maxPageSize` unless the caller's query
   * sets it, since one big page costs the key as much as one small page.
   */
  readonly pageSizeParam?: string | undefined;
  /** The items of a page's body; undefined when the body is no page this strategy knows. */
  items(body: unknown): readonly unknown[] | undefined;
  /** What to ask for after a page: the next page's query or URL, or undefined after the last page. */
  next(page: PageContext): NextPage | undefined;
}

/** A field of a JSON object body, its own only; undefined for anything else. */
export function fieldOf(body: unknown, name: string): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  return Object.hasOwn(body, name) ? (body as Record<string, unknown>)[name] : undefined;
}

/** The array in a field of a JSON object body, or undefined. */
export function arrayAt(body: unknown, name: string): readonly unknown[] | undefined {
  const value = fieldOf(body, name);
  return Array.isArray(value) ? value : undefined;
}

/**
 * The items of a page whose shape is not known: a body that is an array (GitHub's lists), or the
 * one array of an object body (`{ data: [...] }`, GitHub's search `{ total_count, items: [...] }`).
 * An object holding several arrays is ambiguous: undefined, and the caller says with `items`.
 */
export function itemsOf(body: unknown): readonly unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (typeof body !== "object" || body === null) return undefined;
  let found: unknown[] | undefined;
  for (const value of Object.values(body)) {
    if (!Array.isArray(value)) continue;
    if (found !== undefined) return undefined;
    found = value;
  }
  return found;
}
