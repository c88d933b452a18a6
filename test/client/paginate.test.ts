import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  boothzen,
  type Client,
  type ClientOptions,
  campone,
  createClient,
  ietf,
  RequestValidationError,
  ResponseValidationError,
} from "../../src/index.js";
import { type MockServer, startMockServer } from "../../src/mock/index.js";

/**
 * `client.paginate` over real loopback HTTP: the mock servers with the presets' own strategies (no
 * configuration), small node:http servers speaking `Link` headers or a shape of their own, and
 * what ends an iteration early. What the servers saw (the mocks' audit, the small servers' log) is
 * what the tests count: each page is one request, and nothing is sent that was not asked for.
 */

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

async function mock(dialect: "campone" | "boothzen"): Promise<MockServer> {
  const server = await startMockServer({ dialect, port: 0 });
  open.push(server);
  return server;
}

function client(options: ClientOptions): Client {
  const made = createClient(options);
  open.push(made);
  return made;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** A page a small server answers with. */
interface Answer {
  body: unknown;
  headers?: Record<string, string>;
}

/** A loopback server answering each request by `answer(url)`, with a RateLimit trio so that `ietf()` paces by it. */
async function pageServer(answer: (url: URL) => Answer): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.push(`${url.pathname}${url.search}`);
    const { body, headers = {} } = answer(url);
    res.writeHead(200, {
      "content-type": "application/json",
      "ratelimit-limit": "100",
      "ratelimit-remaining": String(100 - seen.length),
      "ratelimit-reset": "60",
      ...headers,
    });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  open.push({
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return { url: `http://127.0.0.1:${port}`, seen };
}

/** Items 1 to `count`, `size` a page, page `n` of them (1-based). */
function slice(count: number, size: number, n: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1).slice((n - 1) * size, n * size);
}

describe("client.paginate with no configuration: each preset knows how its API pages", () => {
  it("campone(): reads all 3,000 bookings once each, 200 a page (CampOne's most): 15 requests", async () => {
    const server = await mock("campone");
    const camp = client({ baseUrl: server.url, apiKey: "key_live_pages_1", dialect: campone() });
    const bookings = await collect(
      camp.paginate({ path: "/bookings", schema: z.object({ id: z.number() }) }),
    );
    expect(bookings.map((b) => b.id)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    const audit = server.audit();
    expect(audit).toHaveLength(15);
    expect(audit.every((row) => row.path === "/bookings" && row.status === 200)).toBe(true);
  });

  it("campone(): keeps the caller's filters on every page, and the caller's page size where it gives one", async () => {
    const server = await mock("campone");
    const camp = client({ baseUrl: server.url, apiKey: "key_live_pages_2", dialect: campone() });
    const march = await collect(
      camp.paginate({ path: "/bookings", query: { from: "2025-03-01", to: "2025-03-31" } }),
    );
    // 255 bookings arrive in March: a page of 200, then one of 55.
    expect(march).toHaveLength(255);
    expect(march.every((b) => (b as { arrival: string }).arrival.startsWith("2025-03"))).toBe(true);
    expect(server.audit()).toHaveLength(2);
    const customers = await collect(camp.paginate({ path: "/customers", query: { page_size: 100 } }));
    expect(new Set(customers.map((c) => (c as { id: number }).id)).size).toBe(600);
    expect(server.audit()).toHaveLength(2 + 6);
  });

  it("boothzen(): follows next_cursor through all 2,000 bookings once each, 200 a page: 10 requests", async () => {
    const server = await mock("boothzen");
    const booths = client({ baseUrl: server.url, apiKey: "key_live_pages_3", dialect: boothzen() });
    const pages = booths.paginate({ path: "/api/v1/bookings", schema: z.object({ id: z.string() }) });
    expectTypeOf(pages).toEqualTypeOf<AsyncIterable<{ id: string }>>();
    const ids = (await collect(pages)).map((b) => b.id);
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
    expect(ids[0]).toBe("bkg_000001");
    expect(ids.at(-1)).toBe("bkg_002000");
    const audit = server.audit();
    expect(audit.map((row) => row.status)).toEqual(Array(10).fill(200));
  });

  it("fails a page whose items do not match the schema, saying which item", async () => {
    const server = await mock("boothzen");
    const booths = client({ baseUrl: server.url, apiKey: "key_live_pages_4", dialect: boothzen() });
    const error = await collect(
      booths.paginate({ path: "/api/v1/bookings", schema: z.object({ id: z.number() }) }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as ResponseValidationError).issues[0]?.path).toEqual(["items", 0, "id"]);
    expect((error as ResponseValidationError).status).toBe(200);
    expect(server.audit()).toHaveLength(1);
  });
});

describe("client.paginate with ietf(): RFC 8288 Link headers", () => {
  it("follows rel=next among several links, quoted parameters and relative URLs, and stops without one", async () => {
    const api = await pageServer((url) => {
      const page = Number(url.pathname.split("/")[3] ?? 1);
      const links: Record<number, string> = {
        1: '</v1/items/2?sort=id>; rel="next", </v1/items/3?sort=id>; rel="last"',
        // Relative to the page's URL (not the base URL), a title holding a comma and a semicolon,
        // two relation types.
        2: '<3?sort=id>; title="two, then; three"; rel="prefetch next", <1?sort=id>; rel=prev',
        3: '</v1/items/1?sort=id>; rel="first"',
      };
      return { body: slice(7, 3, page), headers: { link: links[page]! } };
    });
    const c = client({ baseUrl: `${api.url}/v1/`, apiKey: "key_live_pages_5", dialect: ietf() });
    expect(await collect(c.paginate({ path: "/items", query: { sort: "id" } }))).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(api.seen).toEqual(["/v1/items?sort=id", "/v1/items/2?sort=id", "/v1/items/3?sort=id"]);
  });

  it("refuses a next link to another origin before sending anything there, unless `origins` allows it", async () => {
    const elsewhere = await pageServer(() => ({ body: [3, 4] }));
    const api = await pageServer(() => ({
      body: [1, 2],
      headers: { link: `<${elsewhere.url}/items?page=2>; rel="next"` },
    }));
    const c = client({ baseUrl: api.url, apiKey: "key_live_pages_6" });
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const item of c.paginate({ path: "/items" })) seen.push(item);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect(seen).toEqual([1, 2]);
    expect(elsewhere.seen).toEqual([]);

    const allowed = client({ baseUrl: api.url, apiKey: "key_live_pages_6", origins: [elsewhere.url] });
    expect(await collect(allowed.paginate({ path: "/items" }))).toEqual([1, 2, 3, 4]);
    expect(elsewhere.seen).toEqual(["/items?page=2"]);
  });

  it("fails when the next page is the page itself, rather than reading it forever", async () => {
    const api = await pageServer(() => ({ body: [1], headers: { link: '</items?page=1>; rel="next"' } }));
    const c = client({ baseUrl: api.url, apiKey: "key_live_pages_7" });
    const error = await collect(c.paginate({ path: "/items", query: { page: 1 } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as Error).message).toMatch(/next page is the page itself/);
    expect(api.seen).toEqual(["/items?page=1"]);
  });

  it("stops at an empty page, whatever its links say", async () => {
    const api = await pageServer((url) => {
      const page = Number(url.searchParams.get("page") ?? 1);
      return { body: page === 1 ? [1, 2] : [], headers: { link: `</items?page=${page + 1}>; rel="next"` } };
    });
    const c = client({ baseUrl: api.url, apiKey: "key_live_pages_8" });
    expect(await collect(c.paginate({ path: "/items" }))).toEqual([1, 2]);
    expect(api.seen).toEqual(["/items", "/items?page=2"]);
  });

  it("sends the page size at ietf({ maxPageSize }) on the first page, and the links carry it on", async () => {
    const api = await pageServer((url): Answer => {
      const page = Number(url.searchParams.get("page") ?? 1);
      const size = url.searchParams.get("page_size");
      return {
        body: slice(4, 2, page),
        headers: page < 2 ? { link: `</items?page=${page + 1}&page_size=${size}>; rel="next"` } : {},
      };
    });
    const c = client({ baseUrl: api.url, apiKey: "key_live_pages_9", dialect: ietf({ maxPageSize: 2 }) });
    expect(await collect(c.paginate({ path: "/items" }))).toEqual([1, 2, 3, 4]);
    expect(api.seen).toEqual(["/items?page_size=2", "/items?page=2&page_size=2"]);
  });
});

describe("client.paginate: overrides for an API no dialect knows", () => {
  it("takes the items and the next page from `items` and `next`, typed by `items`", async () => {
    interface Row {
      n: number;
    }
    const api = await pageServer((url) => {
      const token = Number(url.searchParams.get("continuation") ?? 0);
      const rows = slice(5, 2, token + 1).map((n) => ({ n }));
      return { body: { rows, continuation: token < 2 ? String(token + 1) : null, other: [] } };
    });
    const c = client({ baseUrl: api.url, apiKey: "key_live_pages_10" });
    const rows = c.paginate({
      path: "/rows",
      query: { region: "eu" },
      items: (body) => (body as { rows: Row[] }).rows,
      next: ({ body, query }) => {
        const token = (body as { continuation: string | null }).continuation;
        return token === null ? undefined : { ...query, continuation: token };
      },
    });
    expectTypeOf(rows).toEqualTypeOf<AsyncIterable<Row>>();
    expect((await collect(rows)).map((r) => r.n)).toEqual([1, 2, 3, 4, 5]);
    expect(api.seen).toEqual([
      "/rows?region=eu",
      "/rows?region=eu&continuation=1",
      "/rows?region=eu&continuation=2",
    ]);
  });

  it("says where to look when the dialect finds no items in a body", async () => {
    const api = await pageServer(() => ({ body: { a: [1], b: [2] } }));
    const c = client({ baseUrl: api.url, apiKey: "key_live_pages_11" });
    const error = await collect(c.paginate({ path: "/x" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as Error).message).toMatch(/give `items`/);
  });

  it("overrides one part of a preset's strategy, and `maxPages` ends the reading", async () => {
    const server = await mock("campone");
    const camp = client({ baseUrl: server.url, apiKey: "key_live_pages_12", dialect: campone() });
    expect(await collect(camp.paginate({ path: "/bookings", next: () => undefined }))).toHaveLength(200);
    expect(server.audit()).toHaveLength(1);
    expect(await collect(camp.paginate({ path: "/bookings", maxPages: 2 }))).toHaveLength(400);
    expect(server.audit()).toHaveLength(3);
  });

  it("refuses its own options at the call, before anything is sent", async () => {
    const server = await mock("campone");
    const camp = client({ baseUrl: server.url, apiKey: "key_live_pages_13", dialect: campone() });
    expect(() => camp.paginate({ path: "/bookings", maxPages: 0 })).toThrow(RangeError);
    expect(() => camp.paginate({ path: "/bookings", items: "results" as never })).toThrow(TypeError);
    expect(() => camp.paginate({ path: "/bookings", pageSize: 10 } as never)).toThrow(
      /Unknown option `pageSize`/,
    );
    // The request's own options are `client.request`'s to check, as it checks them: before sending.
    const error = await collect(camp.paginate({ path: "/bookings", query: { page_size: 500 } })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RequestValidationError);
    expect(server.audit()).toHaveLength(0);
  });
});

describe("client.paginate: ending early", () => {
  it("sends nothing more once the loop breaks", async () => {
    const server = await mock("campone");
    const camp = client({ baseUrl: server.url, apiKey: "key_live_pages_14", dialect: campone() });
    let seen = 0;
    for await (const _ of camp.paginate({ path: "/bookings" })) {
      if (++seen === 250) break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.audit()).toHaveLength(2);
  });

  it("stops at the caller's abort between pages, with the signal's reason", async () => {
    const server = await mock("boothzen");
    const booths = client({ baseUrl: server.url, apiKey: "key_live_pages_15", dialect: boothzen() });
    const controller = new AbortController();
    const reason = new Error("enough");
    let seen = 0;
    const error = await (async () => {
      for await (const _ of booths.paginate({ path: "/api/v1/bookings", signal: controller.signal })) {
        if (++seen === 200) controller.abort(reason);
      }
    })().catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(seen).toBe(200);
    expect(server.audit()).toHaveLength(1);
  });

  it("stops at the caller's abort while the next page waits for the key's budget", async () => {
    const server = await mock("campone");
    const controller = new AbortController();
    const reason = new Error("not waiting an hour");
    const camp = client({
      baseUrl: server.url,
      apiKey: "key_live_pages_16",
      // One request an hour: the second page waits for the pacer, and the wait is where we abort.
      dialect: campone({ limit: 1 }),
      hooks: { wait: () => controller.abort(reason) },
    });
    let seen = 0;
    const error = await (async () => {
      for await (const _ of camp.paginate({ path: "/bookings", signal: controller.signal })) seen++;
    })().catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(seen).toBe(200);
    expect(server.audit()).toHaveLength(1);
    expect(camp.waiting).toBe(0);
  });
});
