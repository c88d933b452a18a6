/** The worked examples of docs/mock-servers.md, kept runnable: an integration tested with msw and with the real server. */
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMockHandlers, type MockServer, startMockServer } from "../../src/mock/index.js";
import { body } from "../helpers/mock-body.js";

/** Integration 1 (CampOne): pages through March's bookings, honouring Retry-After. */
async function marchBookings(baseUrl: string, apiKey: string, sleep: (ms: number) => Promise<void>) {
  const results: unknown[] = [];
  for (let page = 1; ; ) {
    const url = `${baseUrl}/bookings?from=2025-03-01&to=2025-03-31&page_size=200&page=${page}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
    if (response.status === 429) {
      await sleep(Number(response.headers.get("retry-after")) * 1000);
      continue;
    }
    const page_ = await body(response);
    results.push(...page_.results);
    if (page_.next === null) return results;
    page = page_.next;
  }
}

/** Integration 2 (BoothZen): follows next_cursor, and waits RateLimit-Reset when RateLimit-Remaining is 0. */
async function allBookings(baseUrl: string, apiKey: string, sleep: (ms: number) => Promise<void>) {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? "" : `&cursor=${cursor}`;
    const response = await fetch(`${baseUrl}/api/v1/bookings?page_size=200${query}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const list = await body(response);
    ids.push(...list.data.map((booking: { id: string }) => booking.id));
    cursor = list.next_cursor;
    if (response.headers.get("ratelimit-remaining") === "0") {
      await sleep(Number(response.headers.get("ratelimit-reset")) * 1000);
    }
  } while (cursor !== null);
  return ids;
}

describe("docs: testing an integration with the msw handlers", () => {
  let now = 0;
  const clock = { now: () => now };
  const campone = createMockHandlers({
    dialect: "campone",
    baseUrl: "https://api.campone.test",
    keys: { key_live_a: { tenant: "acme", limit: 1 } },
    clock,
  });
  const server = setupServer(...campone.handlers);
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterAll(() => server.close());
  afterEach(() => campone.reset());

  it("reads every booking of March, waiting exactly Retry-After once", async () => {
    const bookings = await marchBookings("https://api.campone.test", "key_live_a", async (ms) => {
      now += ms;
    });
    expect(bookings).toHaveLength(255);
    expect(campone.audit().map((row) => row.status)).toEqual([200, 429, 200]);
    expect(now).toBe(3_600_000);
  });
});

describe("docs: testing an integration with the real server", () => {
  let server: MockServer;
  afterEach(() => server.close());

  it("reads all 2000 bookings in 10 requests and never sees a 429", async () => {
    let now = 0;
    server = await startMockServer({ dialect: "boothzen", port: 0, limit: 4, clock: { now: () => now } });
    const ids = await allBookings(server.url, "key_live_a", async (ms) => {
      now += ms;
    });
    expect(ids).toHaveLength(2000);
    expect(server.audit().map((row) => row.status)).toEqual(Array(10).fill(200));
    expect(now).toBe(120_000);
  });
});
