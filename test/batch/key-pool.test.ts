import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { idealMinimumMs } from "../../demo/ideal-schedule.js";
import { createKeyPool, type KeyPool } from "../../src/batch/index.js";
import {
  boothzen,
  type Client,
  campone,
  createClient,
  isHttpError,
  isRequestValidationError,
  isResponseValidationError,
  memoryStore,
  type PacekeeperEvent,
  type StandardSchemaV1,
} from "../../src/index.js";
import { createMockApi } from "../../src/mock/index.js";
import { createVirtualClock, type VirtualClock } from "../../src/testing/index.js";
import { seededRandom, simulatedTransport } from "../helpers/simulated-transport.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const keyNames = (n: number) =>
  Array.from({ length: n }, (_, i) => `key_live_pool_${String(i).padStart(4, "0")}`);

/** A pool of `keys` CampOne keys on a virtual clock, against the CampOne mock in-process. */
function camponePool(options: {
  keys: number;
  limit: number;
  windowMs: number;
  serverLimits?: Record<string, number>;
  concurrency?: number;
  seed?: number;
}) {
  const clock = createVirtualClock(1_700_000_000_000);
  const random = seededRandom(options.seed ?? 1);
  const apiKeys = keyNames(options.keys);
  const api = createMockApi({
    dialect: "campone",
    limit: options.limit,
    windowMs: options.windowMs,
    clock,
    ...(options.serverLimits
      ? {
          keys: Object.fromEntries(
            apiKeys.map((k) => [k, { limit: options.serverLimits?.[k] ?? options.limit }]),
          ),
        }
      : {}),
  });
  const events: PacekeeperEvent[] = [];
  const pool = createKeyPool({
    apiKeys,
    baseUrl: "http://campone.test",
    hooks: { event: (e) => events.push(e) },
    dialect: campone({
      limit: options.limit,
      windowMs: options.windowMs,
      backoff: { retryAfterJitterMs: 0 },
    }),
    fetch: simulatedTransport(api, clock, () => 2 + random() * 38),
    clock,
    store: memoryStore(),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  cleanup.push(() => pool.close());
  return { clock, api, pool, apiKeys, events };
}

/** A job that sends one request and answers with the key that ran it and when it started. */
function probeJob(clock: VirtualClock, path = "/sites") {
  return async (client: Client) => {
    const startedAt = clock.now();
    const res = await client.fetch(path);
    await res.body?.cancel();
    return { key: client.key, startedAt, status: res.status };
  };
}

async function spend(client: Client, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await client.fetch("/sites");
    await res.body?.cancel();
  }
}

describe("createKeyPool: routing", () => {
  it("sends a job to the key whose next send is soonest; while none could send, to the one that frees first", async () => {
    const { clock, pool, events } = camponePool({ keys: 2, limit: 3, windowMs: 10_000 });
    const [a, b] = pool.clients as [Client, Client];
    clock.autoAdvance(true);

    await spend(a, 3); // A's window is full until its oldest send ages out
    expect(a.nextSendAt()).toBeGreaterThan(clock.now());
    expect(b.nextSendAt()).toBe(clock.now());
    const first = await pool.run(probeJob(clock));
    expect(first.key).toBe(b.key);

    await clock.advance(2_000);
    await spend(b, 2); // B is full too now, and frees about 2 s after A
    expect(b.nextSendAt()).toBeGreaterThan(a.nextSendAt());
    const aFreeAt = a.nextSendAt();
    events.length = 0;
    const second = await pool.run(probeJob(clock));
    expect(second.key).toBe(a.key);
    // It waited in A's pacer, which told the hooks why and for how long, and went when A could send.
    expect(events.filter((e) => e.type === "wait")).toEqual([
      expect.objectContaining({ key: a.key, reason: "window", ms: aFreeAt - second.startedAt }),
    ]);
    expect(events.find((e) => e.type === "request")).toMatchObject({ key: a.key, at: aFreeAt });
  });

  it("while no key could send, one job waits at the key that frees first; the rest wait in the pool", async () => {
    const { clock, pool, events } = camponePool({ keys: 2, limit: 2, windowMs: 10_000 });
    const [a, b] = pool.clients as [Client, Client];
    clock.autoAdvance(true);
    await spend(a, 2);
    await spend(b, 2);
    events.length = 0;
    const jobs = Array.from({ length: 5 }, () => pool.run(probeJob(clock)));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(a.nextSendAt()).toBeLessThan(b.nextSendAt());
    expect([a.waiting, b.waiting]).toEqual([1, 0]);
    expect(pool.pending).toBe(4);
    const waits = events.filter((e) => e.type === "wait");
    expect(waits).toEqual([expect.objectContaining({ key: a.key, reason: "window" })]);
    const results = await Promise.all(jobs);
    expect(results.every((r) => r.status === 200)).toBe(true);
    // A's two slots and B's two slots take four; the fifth goes with whichever key frees first then.
    const perKey = [a.key, b.key].map((k) => results.filter((r) => r.key === k).length).sort();
    expect(perKey).toEqual([2, 3]);
  });

  it("never leaves a job waiting at a key that frees later than another: the tail goes to the first key free", async () => {
    const { clock, pool, events } = camponePool({ keys: 2, limit: 2, windowMs: 10_000 });
    const [a, b] = pool.clients as [Client, Client];
    clock.autoAdvance(true);
    await spend(a, 2); // A frees at about +10 s, one slot after the other
    await clock.advance(8_000);
    await spend(b, 2); // B frees at about +18 s
    events.length = 0;
    const aFreeAt = a.nextSendAt();
    const results = await Promise.all([pool.run(probeJob(clock)), pool.run(probeJob(clock))]);
    expect(results.map((r) => r.key)).toEqual([a.key, a.key]);
    for (const e of events.filter((e) => e.type === "request")) expect(e.at).toBeLessThan(aFreeAt + 1_000);
  });

  it("spreads jobs over free keys: ties go to the key with fewest waiting, then fewest running", async () => {
    const { clock, pool } = camponePool({ keys: 4, limit: 100, windowMs: 10_000 });
    clock.autoAdvance(true);
    const results = await Promise.all(Array.from({ length: 8 }, () => pool.run(probeJob(clock))));
    const perKey = new Map<string, number>();
    for (const r of results) perKey.set(r.key, (perKey.get(r.key) ?? 0) + 1);
    expect([...perKey.values()]).toEqual([2, 2, 2, 2]);
    expect(pool.stats().map((s) => s.completed)).toEqual([2, 2, 2, 2]);
  });

  it("routes on a clock that moves between any two readings, as the real one does", async () => {
    const base = createVirtualClock(0);
    let readings = 0;
    // Every reading a microsecond later than the last: a key that can send "now" answers with a
    // time after the pool's own earlier reading.
    const clock = { now: () => base.now() + ++readings * 1e-3, sleep: base.sleep };
    const api = createMockApi({ dialect: "campone", limit: 100, windowMs: 10_000, clock: base });
    const pool = createKeyPool({
      apiKeys: keyNames(4),
      baseUrl: "http://campone.test",
      dialect: campone({ limit: 100, windowMs: 10_000 }),
      fetch: simulatedTransport(api, base, () => 10),
      clock,
      store: memoryStore(),
    });
    cleanup.push(() => pool.close());
    base.autoAdvance(true);
    cleanup.push(() => base.autoAdvance(false));
    const startedAt = base.now();
    const results = await Promise.all(Array.from({ length: 8 }, () => pool.run(probeJob(base))));
    expect(results.map((r) => r.startedAt - startedAt)).toEqual(Array(8).fill(0));
    expect(pool.stats().map((s) => s.completed)).toEqual([2, 2, 2, 2]);
  });

  it("runs at most `concurrency` jobs per key; the rest wait in the pool", async () => {
    const { pool } = camponePool({ keys: 2, limit: 100, windowMs: 10_000, concurrency: 1 });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const runs = Array.from({ length: 5 }, () => pool.run(() => gate));
    await Promise.resolve();
    expect(pool.active).toBe(2);
    expect(pool.pending).toBe(3);
    release();
    await Promise.all(runs);
    expect(pool.active).toBe(0);
    expect(pool.pending).toBe(0);
  });

  it("honours each key's gate: after a 429 the key sends nothing until Retry-After, the other key carries on", async () => {
    // The operator gave key 0 only 2 requests per window; the client was told 5.
    const { clock, pool, api, apiKeys } = camponePool({
      keys: 2,
      limit: 5,
      windowMs: 10_000,
      serverLimits: { [keyNames(2)[0]!]: 2 },
      concurrency: 1,
    });
    clock.autoAdvance(true);
    const results = await Promise.all(Array.from({ length: 12 }, () => pool.run(probeJob(clock))));
    expect(results.every((r) => r.status === 200)).toBe(true);

    const rows = api.audit({ key: apiKeys[0]! });
    const refused = rows.findIndex((r) => r.status === 429);
    expect(refused).toBeGreaterThan(0);
    const retryAfterMs = Math.ceil((rows[0]!.timestamp + 10_000 - rows[refused]!.timestamp) / 1000) * 1000;
    const next = rows[refused + 1];
    if (next !== undefined)
      expect(next.timestamp - rows[refused]!.timestamp).toBeGreaterThanOrEqual(retryAfterMs);
    expect(rows.filter((r) => r.status === 429)).toHaveLength(1);
    // Key 1 did the work key 0 could not.
    expect(api.audit({ key: apiKeys[1]! }).length).toBeGreaterThan(rows.length);
  });
});

describe("createKeyPool: throughput (virtual time, the mock in-process, random latencies)", () => {
  async function measure(dialect: "campone" | "boothzen", keys: number, jobsPerKey: number) {
    const clock = createVirtualClock(1_700_000_000_000);
    const random = seededRandom(keys * 7 + (dialect === "campone" ? 1 : 2));
    const limit = 50;
    const windowMs = 10_000;
    const burst = { burst: 20, burstWindowMs: 1_000 };
    const api = createMockApi(
      dialect === "campone"
        ? { dialect, limit, windowMs, clock }
        : { dialect, limit, windowMs, ...burst, clock },
    );
    const pool = createKeyPool({
      apiKeys: keyNames(keys),
      baseUrl: "http://api.test",
      dialect: dialect === "campone" ? campone({ limit, windowMs }) : boothzen({ limit, windowMs, ...burst }),
      fetch: simulatedTransport(api, clock, () => 2 + random() * 38),
      clock,
      store: memoryStore(),
    });
    cleanup.push(() => pool.close());
    const path = dialect === "campone" ? "/sites" : "/api/v1/bookings/bkg_000001";
    const total = keys * jobsPerKey;
    clock.autoAdvance(true);
    const start = clock.now();
    const statuses = await Promise.all(Array.from({ length: total }, () => pool.run(probeJob(clock, path))));
    const elapsedMs = clock.now() - start;
    clock.autoAdvance(false);
    const rules =
      dialect === "campone"
        ? [{ limit, windowMs }]
        : [
            { limit, windowMs },
            { limit: burst.burst, windowMs: burst.burstWindowMs },
          ];
    return {
      ok: statuses.filter((s) => s.status === 200).length,
      sent: api.audit().length,
      refused: api.audit().filter((r) => r.status === 429).length,
      elapsedMs,
      perSecond: (total * 1000) / elapsedMs,
      minimumMs: idealMinimumMs(dialect === "campone" ? "rolling" : "fixed", rules, jobsPerKey),
    };
  }

  it.each(["campone", "boothzen"] as const)(
    "%s: 4 keys give at least 0.95 × 4 × one key's throughput, with no 429 and every job sent once",
    async (dialect) => {
      const one = await measure(dialect, 1, 175);
      const four = await measure(dialect, 4, 175);
      for (const [run, total] of [
        [one, 175],
        [four, 700],
      ] as const) {
        expect(run.ok).toBe(total);
        expect(run.sent).toBe(total);
        expect(run.refused).toBe(0);
        // Each key runs its share close to the server's own minimum for it.
        expect(run.elapsedMs / run.minimumMs).toBeLessThan(1.05);
      }
      expect(four.perSecond / (4 * one.perSecond)).toBeGreaterThanOrEqual(0.95);
    },
  );
});

describe("createKeyPool: JSON calls, as the client makes them", () => {
  const Site = z.object({ id: z.number(), name: z.string() });

  it("request() parses with the schema, spreads over the keys, and offers withResponse()", async () => {
    const { clock, pool, api } = camponePool({ keys: 2, limit: 10, windowMs: 10_000 });
    clock.autoAdvance(true);
    const sites = await Promise.all(
      [1, 2, 3, 4].map((id) => pool.request({ path: `/sites/${id}`, schema: Site })),
    );
    expect(sites.map((s) => s.id)).toEqual([1, 2, 3, 4]);
    expect(pool.stats().map((s) => s.completed)).toEqual([2, 2]);

    const outcome = await pool
      .request({ path: "/sites", query: { page_size: 2 }, schema: z.object({ results: z.array(Site) }) })
      .withResponse();
    expect(outcome.data.results).toHaveLength(2);
    expect(outcome.response).toBeInstanceOf(Response);
    expect(outcome.response.status).toBe(200);
    expect(Object.keys(outcome).sort()).toEqual(["data", "rateLimit", "requestId", "response"]);
    // Each call was sent once, whether it was read as a value or with its response.
    expect(api.audit()).toHaveLength(5);
  });

  it("get/post/put/patch/delete send their method on the key the pool chose", async () => {
    const { clock, pool, api } = camponePool({ keys: 2, limit: 20, windowMs: 10_000 });
    clock.autoAdvance(true);
    expect(await pool.get("/sites/3", { schema: Site })).toMatchObject({ id: 3 });
    const booking = { site_id: 1, customer_id: 1, arrival: "2025-07-01", departure: "2025-07-03", guests: 2 };
    const created = await pool.post("/bookings", { body: booking, idempotencyKey: "b-1" }).withResponse();
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject(booking);
    // The CampOne mock answers 405 to these: what matters is the method that reached it.
    for (const send of [pool.put, pool.patch, pool.delete]) {
      const error = await send("/sites/1", { body: {} }).catch((e: unknown) => e);
      expect(isHttpError(error) && error.status).toBe(405);
    }
    expect(api.audit().map((row) => row.method)).toEqual(["GET", "POST", "PUT", "PATCH", "DELETE"]);
  });

  it("a schema that fails rejects with ResponseValidationError, through the value and through withResponse()", async () => {
    const { clock, pool } = camponePool({ keys: 1, limit: 10, windowMs: 10_000 });
    clock.autoAdvance(true);
    const refuses: StandardSchemaV1<unknown, never> = {
      "~standard": {
        version: 1,
        vendor: "test",
        validate: () => ({ issues: [{ message: "no", path: ["id"] }] }),
      },
    };
    const error = await pool.get("/sites/1", { schema: refuses }).catch((e: unknown) => e);
    expect(isResponseValidationError(error) && error.issues).toEqual([
      expect.objectContaining({ message: "no" }),
    ]);
    // Read only through withResponse(): its rejection is the only one (no unread promise rejects).
    await expect(pool.get("/sites/1", { schema: refuses }).withResponse()).rejects.toSatisfy(
      isResponseValidationError,
    );
    // Options the client refuses reject the same way as on the client.
    await expect(pool.get("/sites/1", { method: "POST" } as never)).rejects.toSatisfy(
      isRequestValidationError,
    );
    await expect(pool.get("/sites/1", { signal: "soon" } as never)).rejects.toSatisfy(
      isRequestValidationError,
    );
  });

  it("a call's signal takes it out of the pool's queue; a closed pool refuses calls", async () => {
    const { clock, pool, api } = camponePool({ keys: 1, limit: 10, windowMs: 10_000, concurrency: 1 });
    clock.autoAdvance(true);
    let release: () => void = () => {};
    const busy = pool.run(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const queued = pool.get("/sites/1", { signal: controller.signal });
    expect(pool.pending).toBe(1);
    controller.abort(new Error("not needed"));
    await expect(queued.withResponse()).rejects.toThrow("not needed");
    expect(pool.pending).toBe(0);
    await expect(
      pool.request({ path: "/sites/1", signal: AbortSignal.abort(new Error("early")) }),
    ).rejects.toThrow("early");
    release();
    await busy;
    expect(api.audit()).toHaveLength(0);
    await pool.close();
    await expect(pool.get("/sites/1")).rejects.toMatchObject({ name: "AbortError" });
    await expect(pool.post("/bookings", { body: {} }).withResponse()).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});

describe("createKeyPool: lifecycle and options", () => {
  it("rejects a job's error as is, and keeps serving", async () => {
    const { clock, pool } = camponePool({ keys: 2, limit: 10, windowMs: 10_000 });
    clock.autoAdvance(true);
    const boom = new Error("boom");
    await expect(pool.run(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(
      pool.run(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    const res = await pool.fetch("/sites");
    expect(res.status).toBe(200);
    await res.body?.cancel();
    const page = await pool.request<{ results: unknown[] }>({ path: "/sites", query: { page_size: 2 } });
    expect(page.results).toHaveLength(2);
  });

  it("close() rejects queued jobs with an AbortError, closes the clients it made, refuses new jobs", async () => {
    const { pool } = camponePool({ keys: 1, limit: 10, windowMs: 10_000, concurrency: 1 });
    const running = pool.run(() => new Promise(() => {}));
    const queued = pool.run(() => 1);
    await pool.close();
    await expect(queued).rejects.toMatchObject({ name: "AbortError" });
    await expect(pool.run(() => 2)).rejects.toMatchObject({ name: "AbortError" });
    await expect(pool.clients[0]!.fetch("/sites")).rejects.toMatchObject({ name: "AbortError" });
    void running;
  });

  it("a queued job's signal takes it out of the queue", async () => {
    const { pool } = camponePool({ keys: 1, limit: 10, windowMs: 10_000, concurrency: 1 });
    let release: () => void = () => {};
    const first = pool.run(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    let ran = false;
    const second = pool.run(
      () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    controller.abort(new Error("not needed"));
    await expect(second).rejects.toThrow("not needed");
    release();
    await first;
    expect(ran).toBe(false);
    expect(pool.pending).toBe(0);
  });

  it("over clients made elsewhere: routes the same, and leaves them open on close()", async () => {
    const clock = createVirtualClock(1_700_000_000_000);
    const api = createMockApi({ dialect: "campone", limit: 2, windowMs: 10_000, clock });
    const store = memoryStore();
    const clients = keyNames(2).map((apiKey) =>
      createClient({
        apiKey,
        baseUrl: "http://campone.test",
        dialect: campone({ limit: 2, windowMs: 10_000 }),
        fetch: simulatedTransport(api, clock, () => 10),
        clock,
        store,
      }),
    );
    cleanup.push(async () => {
      for (const c of clients) await c.close();
    });
    const pool: KeyPool = createKeyPool({ clients, clock });
    clock.autoAdvance(true);
    await spend(clients[0]!, 2);
    expect((await pool.run(probeJob(clock))).key).toBe(clients[1]!.key);
    await pool.close();
    const res = await clients[0]!.fetch("/sites");
    await res.body?.cancel();
    expect(res.status).toBe(200);
  });

  it.each([
    [{ baseUrl: "http://x.test", apiKeys: [] }, /`apiKeys` to be a non-empty array/],
    [{ baseUrl: "http://x.test", apiKeys: ["key_a", "key_a"] }, /distinct keys/],
    [
      { baseUrl: "http://x.test", apiKeys: ["key_a"], concurrency: 0 },
      /`concurrency` to be an integer from 1/,
    ],
    [{ baseUrl: "http://x.test", apiKeys: ["key_a"], retires: 1 }, /Unknown option `retires`/],
    [
      { baseUrl: "http://x.test", apiKeys: ["key_a"], concurency: 2 },
      /Unknown option `concurency` in createKeyPool\(\) options; expected one of: apiKeys, concurrency, baseUrl/,
    ],
    [{ clients: [] }, /`clients` to be a non-empty array/],
    [{ clients: [{}] }, /`clients\[0\].nextSendAt` to be a function/],
    [{ clients: [{}], baseUrl: "http://x.test" }, /Unknown option `baseUrl`/],
  ])("rejects %j at construction", (options, message) => {
    expect(() => createKeyPool(options as never)).toThrow(message);
  });
});
