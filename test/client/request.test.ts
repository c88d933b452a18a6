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
