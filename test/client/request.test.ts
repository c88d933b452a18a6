import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  AuthenticationError,
  boothzen,
  type ClientOptions,
  campone,
  createClient,
  isRateLimitError,
  memoryStore,
  NotFoundError,
  RequestValidationError,
  ResponseValidationError,
  ServerError,
  TimeoutError,
} from "../../src/index.js";
import { createVirtualClock } from "../../src/testing/index.js";
import { json, scriptedFetch } from "../helpers/scripted-fetch.js";

const KEY = "key_live_request_test_0001";
const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function setup(fetch: ReturnType<typeof scriptedFetch>, options: Partial<ClientOptions> = {}) {
  const clock = createVirtualClock(1_700_000_000_000);
  clock.autoAdvance(true);
  const client = createClient({
    baseUrl: "http://127.0.0.1:1",
    apiKey: KEY,
    dialect: campone(),
    fetch,
    clock,
    store: memoryStore(),
    retry: { retries: 0 },
    ...options,
  });
  clients.push(client, { close: async () => clock.autoAdvance(false) });
  return client;
}

const Booking = z.object({ id: z.string(), site: z.string() });
const Page = z.object({ results: z.array(Booking), next: z.string().nullable() });

describe("client.request", () => {
  it("sends JSON, builds the query, and parses the response with the schema into a typed result", async () => {
    const fetch = scriptedFetch([json(200, { results: [{ id: "b1", site: "s1" }], next: null })]);
    const client = setup(fetch);
    const page = await client.request({
      path: "/bookings",
      query: { page_size: 200, from: "2026-01-01", tag: ["a", "b"], skip: undefined },
      schema: Page,
    });
    expectTypeOf(page).toEqualTypeOf<z.output<typeof Page>>();
    expect(page.results[0]!.id).toBe("b1");
    expect(fetch.seen[0]!.url).toBe("http://127.0.0.1:1/bookings?page_size=200&from=2026-01-01&tag=a&tag=b");
    expect(fetch.seen[0]!.headers.get("accept")).toBe("application/json");
  });

  it("is typed unknown without a schema", async () => {
    const client = setup(scriptedFetch([json(200, { a: 1 })]));
    const data = await client.request({ path: "/x" });
    expectTypeOf(data).toBeUnknown();
    expect(data).toEqual({ a: 1 });
  });

  it("posts a JSON body with an idempotency key", async () => {
    const fetch = scriptedFetch([json(201, { id: "b9", site: "s" })]);
    const created = await setup(fetch).request({
      method: "POST",
      path: "/bookings",
      body: { site: "s", nights: 2 },
      idempotencyKey: "create-b9",
      schema: Booking,
    });
    expect(created.id).toBe("b9");
    expect(fetch.seen[0]!.body).toBe('{"site":"s","nights":2}');
    expect(fetch.seen[0]!.headers.get("content-type")).toBe("application/json");
    expect(fetch.seen[0]!.headers.get("idempotency-key")).toBe("create-b9");
  });

  it("validates before sending: a page over the dialect's maximum never leaves (CampOne counts a 400)", async () => {
    const fetch = scriptedFetch();
    const error = await setup(fetch)
      .request({ path: "/bookings", query: { page_size: 500 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).part).toBe("query");
    expect((error as Error).message).toMatch(/page_size/);
    expect(fetch.seen).toHaveLength(0);
  });

  it("validates the body against a bodySchema and non-JSON values before sending", async () => {
    const fetch = scriptedFetch();
    const client = setup(fetch);
    const bad = await client
      .request({
        method: "POST",
        path: "/b",
        body: { nights: -1 },
        bodySchema: z.object({ nights: z.number().min(1) }),
      })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RequestValidationError);
    expect((bad as Error).message).toMatch(/nights/);
    const notJson = await client
      .request({ method: "POST", path: "/b", body: { n: 1n } })
      .catch((e: unknown) => e);
    expect(notJson).toBeInstanceOf(RequestValidationError);
    const badQuery = await client
      .request({ path: "/b", query: { when: new Date() as never } })
      .catch((e: unknown) => e);
    expect(badQuery).toBeInstanceOf(RequestValidationError);
    const objectInQuery = await client
      .request({ path: "/b", query: { filter: { a: 1 } as never } })
      .catch((e: unknown) => e);
    expect((objectInQuery as Error).message).toMatch(/got an object/);
    expect(fetch.seen).toHaveLength(0);
  });

  it("maps statuses to typed errors carrying the request id, the parsed body and the rate-limit snapshot", async () => {
    const body = {
      error: {
        type: "not_found",
        code: "booking_not_found",
        message: "No such booking",
        request_id: "req_1",
      },
    };
    const fetch = scriptedFetch([
      json(404, body, {
        "x-request-id": "req_1",
        "ratelimit-limit": "600",
        "ratelimit-remaining": "597",
        "ratelimit-reset": "41",
      }),
    ]);
    const client = setup(fetch, { dialect: boothzen() });
    const error = (await client
      .request({ path: "/api/v1/bookings/nope" })
      .catch((e: unknown) => e)) as NotFoundError;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.requestId).toBe("req_1");
    expect(error.body?.message).toBe("No such booking");
    expect(error.rateLimit).toMatchObject({ limit: 600, remaining: 597, resetMs: 41_000 });
    expect(error.message).not.toContain(KEY);
  });

  it("throws AuthenticationError on 401 and ServerError on 5xx", async () => {
    const client = setup(scriptedFetch([json(401, { detail: "Invalid key" }), json(502, {})]));
    await expect(client.request({ path: "/a" })).rejects.toBeInstanceOf(AuthenticationError);
    await expect(client.request({ path: "/a" })).rejects.toBeInstanceOf(ServerError);
  });

  it("throws a RateLimitError with retryAfterMs once the 429 retries are spent", async () => {
    const client = setup(
      scriptedFetch([
        json(
          429,
          { detail: "Request was throttled. Expected available in 5 seconds." },
          { "retry-after": "5" },
        ),
      ]),
      {
        retry: { rateLimitRetries: 0 },
      },
    );
    const error = await client.request({ path: "/a" }).catch((e: unknown) => e);
    expect(isRateLimitError(error)).toBe(true);
    expect(error).toMatchObject({ retryAfterMs: 5000, status: 429, decidedLocally: false });
  });

  it("throws ResponseValidationError when the body does not match the schema, or is not JSON", async () => {
    const client = setup(
      scriptedFetch([json(200, { results: "nope" }), new Response("<html>", { status: 200 })]),
    );
    await expect(client.request({ path: "/a", schema: Page })).rejects.toBeInstanceOf(
      ResponseValidationError,
    );
    await expect(client.request({ path: "/a" })).rejects.toBeInstanceOf(ResponseValidationError);
  });

  it("keeps hostile JSON keys from reaching any prototype", async () => {
    const client = setup(
      scriptedFetch([
        new Response('{"__proto__": {"polluted": true}, "a": {"constructor": {"prototype": {"x": 1}}}}'),
      ]),
    );
    const data = (await client.request({ path: "/a" })) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect((data as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe("client.request: the body is JSON, or it is not sent", () => {
  it.each([
    [{ startsAt: new Date(0) }, "body.startsAt", "got a Date (JSON has no dates"],
    [{ items: [{ at: 1 }, { at: new Map() }] }, "body.items[1].at", "got an instance of Map"],
    [{ nights: Number.NaN }, "body.nights", "got NaN"],
    [{ total: 10n }, "body.total", "got a bigint"],
    [{ format: () => "x" }, "body.format", "got a function"],
    [[1, undefined], "body[1]", "got undefined in an array"],
    [new Date(0), "body", "got a Date"],
  ])("refuses %o, naming %s", async (body, path, problem) => {
    const fetch = scriptedFetch();
    const error = await setup(fetch)
      .request({ method: "POST", path: "/bookings", body })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).part).toBe("body");
    expect((error as Error).message).toContain(
      `Invalid request body at "${path}": Expected a JSON value, ${problem}`,
    );
    expect(fetch.seen).toHaveLength(0);
  });

  it("refuses a body that refers to itself", async () => {
    const body: Record<string, unknown> = { a: { b: 1 } };
    (body.a as Record<string, unknown>).self = body;
    const error = await setup(scriptedFetch())
      .request({ method: "POST", path: "/x", body })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain(
      'at "body.a.self": Expected a JSON value, got a circular reference',
    );
  });

  it("sends the same object twice in one body, which is no cycle", async () => {
    const fetch = scriptedFetch([json(200, {})]);
    const shared = { id: "s1" };
    await setup(fetch).request({ method: "POST", path: "/x", body: { from: shared, to: shared } });
    expect(fetch.seen[0]!.body).toBe('{"from":{"id":"s1"},"to":{"id":"s1"}}');
  });

  it("leaves an undefined member out, as JSON.stringify does (an optional field not set)", async () => {
    const fetch = scriptedFetch([json(200, {})]);
    await setup(fetch).request({ method: "POST", path: "/x", body: { a: 1, note: undefined } });
    expect(fetch.seen[0]!.body).toBe('{"a":1}');
  });

  it("names a query value that is not a string, a number or a boolean", async () => {
    const error = await setup(scriptedFetch())
      .request({ path: "/x", query: { from: new Date(0) as never } })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain('Invalid request query at "query.from"');
    expect((error as Error).message).toContain("got a Date");
  });
});

describe("client.request: options of one call", () => {
  it("merges `retry` over the client's policy: what it leaves out is the client's", async () => {
    // The client retries nothing, and only 503s; the call allows one retry, of those statuses.
    const options = { retry: { retries: 0, statuses: [503] } };
    const retried = scriptedFetch([json(503, {}), json(200, { ok: true })]);
    await expect(setup(retried, options).request({ path: "/a", retry: { retries: 1 } })).resolves.toEqual({
      ok: true,
    });
    expect(retried.seen).toHaveLength(2);

    const notRetried = scriptedFetch([json(500, {}), json(200, { ok: true })]);
    const error = await setup(notRetried, options)
      .request({ path: "/a", retry: { retries: 1 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(notRetried.seen).toHaveLength(1);
  });

  it("turns the client's retries off for one call", async () => {
    const fetch = scriptedFetch([json(503, {}), json(200, {})]);
    const error = await setup(fetch, { retry: { retries: 2 } })
      .request({ path: "/a", retry: { retries: 0 } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, attempts: 1 });
  });

  it("times the call's attempts by its own `timeoutMs`, the client's others by the client's", async () => {
    // Answers only by rejecting when the attempt's signal aborts it.
    const fetch = Object.assign(
      (_input: string | URL | Request, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) =>
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
        ),
      { seen: [] },
    );
    const client = setup(fetch, { timeoutMs: 60_000 });
    const error = await client.request({ path: "/a", timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ scope: "attempt", timeoutMs: 1_000 });
    const other = await client.request({ path: "/a" }).catch((e: unknown) => e);
    expect(other).toMatchObject({ scope: "attempt", timeoutMs: 60_000 });
  });

  it.each([
    [{ timeoutMs: 0 }, "timeoutMs", "Expected `timeoutMs` to be a finite number above 0, got `0` (number)"],
    [{ retry: { retries: -1 } }, "retry", "Expected `retry.retries` to be a finite number from 0 and up"],
    [{ retry: { statuses: [429] } }, "retry", "`retry.statuses` must not include 429"],
    [{ retry: { tries: 1 } }, "retry", "Unknown option `tries` in retry options"],
  ])("refuses %j with createClient's message, before sending", async (options, field, message) => {
    const fetch = scriptedFetch();
    const error = await setup(fetch)
      .request({ path: "/a", ...(options as object) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).part).toBe("options");
    expect((error as Error).message).toContain(`Invalid request options at "${field}": ${message}`);
    expect(fetch.seen).toHaveLength(0);
  });
});
