import { afterEach, describe, expect, it } from "vitest";
import { idealMinimumMs } from "../../demo/ideal-schedule.js";
import { boothzen, type Client, campone, createClient } from "../../src/index.js";
import { type CountingModel, startMockServer } from "../../src/mock/index.js";
import { startMockProcess } from "../helpers/mock-process.js";
import { runPool } from "../helpers/simulated-transport.js";

/**
 * The client over real loopback HTTP against the mock servers, with windows scaled down to
 * seconds (the headers' whole seconds keep them from going lower). Assertions are on counts and
 * on the ratio to the server's minimum, with the margin the issue allows (1.15x). Four windows per
 * batch, so that what no client avoids (the first round trip, sending and answering the last
 * window's requests: about 0.3 s on two cores) does not decide the ratio.
 */
const servers: { close(): Promise<void> }[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** For the ratio tests: the server in a process of its own, so it does not share the client's CPU. */
async function serverProcess(flags: Record<string, string | number>) {
  const s = await startMockProcess(flags);
  servers.push(s);
  return s;
}

async function server(options: Parameters<typeof startMockServer>[0]) {
  const s = await startMockServer({ port: 0, ...options });
  servers.push(s);
  return s;
}

function client(options: Parameters<typeof createClient>[0]) {
  const c = createClient(options);
  clients.push(c);
  return c;
}

async function batch(c: Client, total: number, path: (i: number) => string) {
  const start = performance.now();
  await runPool(total, 32, async (i) => {
    const res = await c.fetch(path(i));
    await res.body?.cancel();
  });
  return performance.now() - start;
}

describe("1,000 requests at concurrency 32 over loopback: zero 429s, within 1.15x of the server's minimum", () => {
  const L = 300;
  const W = 3000;
  const B = 150;
  const BW = 1000;

  it.each(["fixed", "rolling", "bucket"] as CountingModel[])("BoothZen, %s counting", async (counting) => {
    const s = await serverProcess({
      dialect: "boothzen",
      counting,
      limit: L,
      "window-ms": W,
      burst: B,
      "burst-window-ms": BW,
    });
    const c = client({
      baseUrl: s.url,
      apiKey: `key_live_loopback_${counting}`,
      dialect: boothzen({ limit: L, windowMs: W, burst: B, burstWindowMs: BW }),
    });
    const elapsed = await batch(c, 1000, (i) => `/api/v1/bookings/${(i % 300) + 1}`);
    const statuses = (await s.audit()).map((e) => e.status);
    expect(statuses).toHaveLength(1000);
    expect(statuses.filter((x) => x === 429)).toHaveLength(0);
    const minimum = idealMinimumMs(
      counting,
      [
        { limit: L, windowMs: W },
        { limit: B, windowMs: BW },
      ],
      1000,
    );
    expect(elapsed / minimum).toBeLessThanOrEqual(1.15);
  });

  it("CampOne, rolling window, no headers", async () => {
    const s = await serverProcess({ dialect: "campone", limit: L, "window-ms": W });
    const c = client({
      baseUrl: s.url,
      apiKey: "key_live_loopback_campone",
      dialect: campone({ limit: L, windowMs: W }),
    });
    const elapsed = await batch(c, 1000, () => "/sites");
    const statuses = (await s.audit()).map((e) => e.status);
    expect(statuses).toHaveLength(1000);
    expect(statuses.filter((x) => x === 429)).toHaveLength(0);
    expect(elapsed / idealMinimumMs("rolling", [{ limit: L, windowMs: W }], 1000)).toBeLessThanOrEqual(1.15);
  });
});

describe("keys and clients", () => {
  it("two clients of the same key share one budget: together they are never refused", async () => {
    const s = await server({ dialect: "campone", limit: 100, windowMs: 1500 });
    const options = {
      baseUrl: s.url,
      apiKey: "key_live_shared_0001",
      dialect: campone({ limit: 100, windowMs: 1500 }),
    };
    const [a, b] = [client(options), client(options)];
    await Promise.all([batch(a, 75, () => "/sites"), batch(b, 75, () => "/customers")]);
    const statuses = s.audit().map((e) => e.status);
    expect(statuses).toHaveLength(150);
    expect(statuses.filter((x) => x === 429)).toHaveLength(0);
  });

  it("clients of different keys never slow each other", async () => {
    const s = await server({ dialect: "campone", limit: 5, windowMs: 3000 });
    const slow = client({
      baseUrl: s.url,
      apiKey: "key_live_busy_00001",
      dialect: campone({ limit: 5, windowMs: 3000 }),
    });
    const fast = client({
      baseUrl: s.url,
      apiKey: "key_live_free_00001",
      dialect: campone({ limit: 5, windowMs: 3000 }),
    });
    // The busy key has 10 to send: five now, five a window later. The free key's five go at once.
    const busy = batch(slow, 10, () => "/sites");
    await batch(fast, 5, () => "/sites");
    await busy;
    const audit = s.audit();
    const lastFree = audit.findLastIndex((e) => e.key === "key_live_free_00001");
    const busySentBeforeFreeDone = audit
      .slice(0, lastFree + 1)
      .filter((e) => e.key === "key_live_busy_00001").length;
    expect(busySentBeforeFreeDone).toBeLessThanOrEqual(5);
    expect(audit.filter((e) => e.status === 429)).toHaveLength(0);
  });
});
