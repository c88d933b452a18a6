import { afterEach, describe, expect, it } from "vitest";
import { boothzen, type Client, type ClientOptions, campone, createClient } from "../../src/index.js";
import { type MockServer, startMockServer } from "../../src/mock/index.js";
import { createVirtualClock, type VirtualClock } from "../../src/testing/index.js";

/**
 * `client.budget()` against the mock servers over loopback, the client and the mock on one virtual
 * clock that no one moves: every send and answer happens at `T0`, so the times are exact.
 */
const T0 = 1_767_225_600_000;

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

async function setUp(
  dialect: "campone" | "boothzen",
  options: Omit<ClientOptions, "baseUrl">,
): Promise<{ client: Client; server: MockServer; clock: VirtualClock }> {
  const clock = createVirtualClock(T0);
  const server = await startMockServer({ dialect, port: 0, clock });
  const client = createClient({ ...options, baseUrl: server.url, clock });
  open.push(server, client);
  return { client, server, clock };
}

describe("client.budget()", () => {
  it("campone(): no headers, so the rolling hour as the key's own sends count it", async () => {
    const { client, server } = await setUp("campone", { apiKey: "key_live_budget_1", dialect: campone() });
    const hour = { limit: 1000, windowMs: 3_600_000, source: "local" };
    expect(client.budget()).toEqual({
      limits: [{ ...hour, remaining: 1000, resetAt: undefined }],
      waiting: 0,
      inFlight: 0,
      nextSendAt: T0,
    });
    for (let i = 0; i < 3; i++) await client.request({ path: "/sites" });
    expect(server.audit()).toHaveLength(3);
    expect(client.budget()).toEqual({
      limits: [{ ...hour, remaining: 997, resetAt: T0 + 3_600_000 }],
      waiting: 0,
      inFlight: 0,
      nextSendAt: T0,
    });
    // Another key of the same client has spent nothing.
    expect(client.budget({ apiKey: "key_live_budget_2" }).limits).toEqual([
      { ...hour, remaining: 1000, resetAt: undefined },
    ]);
  });

  it("boothzen(): the server's word for the minute, the configured burst window as our sends count it", async () => {
    const { client } = await setUp("boothzen", { apiKey: "key_live_budget_3", dialect: boothzen() });
    for (let i = 0; i < 3; i++) await client.request({ path: "/api/v1/bookings", query: { page_size: 1 } });
    expect(client.budget()).toEqual({
      limits: [
        // The burst of 60 a second, which no header describes.
        { limit: 60, remaining: 57, resetAt: T0 + 1000, windowMs: 1000, source: "local" },
        // RateLimit-Limit: 600, RateLimit-Remaining: 597, RateLimit-Reset: 60.
        { limit: 600, remaining: 597, resetAt: T0 + 60_000, windowMs: 60_000, source: "server" },
      ],
      waiting: 0,
      inFlight: 0,
      nextSendAt: T0,
    });
    // BoothZen has one budget for every route: asked for a path's route, the answer is the same.
    expect(client.budget({ path: "/api/v1/bookings" })).toEqual(client.budget());
  });

  it("refuses an unknown option, and answers for a client with no key of its own", async () => {
    const { client } = await setUp("campone", { apiKey: "key_live_budget_4", dialect: campone() });
    expect(() => client.budget({ key: "x" } as never)).toThrow(/Unknown option `key`/);
    const sdkClient = createClient({
      baseUrl: "https://api.campone.test",
      auth: { fromRequest: "authorization" },
      dialect: campone(),
    });
    open.push(sdkClient);
    expect(sdkClient.budget()).toMatchObject({ limits: [], waiting: 0, inFlight: 0 });
  });
});
