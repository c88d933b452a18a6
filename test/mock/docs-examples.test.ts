/** The worked examples of docs/mock-servers.md, kept runnable: an integration tested with msw and with the real server. */
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { boothzen, type Client, createClient } from "../../src/index.js";
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

/** Integration 2 (BoothZen): every booking's id, page after page, paced by the key's budget. */
async function allBookings(client: Client): Promise<string[]> {
  const ids: string[] = [];
  const Booking = z.object({ id: z.string() });
  for await (const booking of client.paginate({ path: "/api/v1/bookings", schema: Booking })) {
    ids.push(booking.id);
  }
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
  let client: Client;
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it("reads all 2000 bookings in 10 requests and never sees a 429", async () => {
    const limits = { limit: 4, windowMs: 200, burst: 4, burstWindowMs: 100 };
    server = await startMockServer({ dialect: "boothzen", port: 0, ...limits });
    client = createClient({ baseUrl: server.url, apiKey: "key_live_a", dialect: boothzen(limits) });
    const ids = await allBookings(client);
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
    expect(server.audit().map((row) => row.status)).toEqual(Array(10).fill(200));
  });
});
