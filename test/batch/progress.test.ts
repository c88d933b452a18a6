import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createKeyPool, createProgress, type ProgressStream } from "../../src/batch/index.js";
import { campone, memoryStore, type PacekeeperEvent } from "../../src/index.js";
import { createMockApi } from "../../src/mock/index.js";
import { createVirtualClock, type VirtualClock } from "../../src/testing/index.js";
import { seededRandom, simulatedTransport } from "../helpers/simulated-transport.js";

const T0 = 1_700_000_000_000;

function fakeStream(tty: boolean, columns = 120): ProgressStream & { chunks: string[]; text(): string } {
  const chunks: string[] = [];
  return { isTTY: tty, columns, chunks, write: (c: string) => chunks.push(c), text: () => chunks.join("") };
}

const base = (clock: VirtualClock, key = "key_000000000001") => ({
  key,
  dialect: "campone",
  method: "GET",
  url: "http://api.test/sites",
  at: clock.now(),
});

function request(clock: VirtualClock, key?: string): PacekeeperEvent {
  return { type: "request", attempt: 1, ...base(clock, key) };
}

function response(clock: VirtualClock, status = 200, limit?: number, key?: string): PacekeeperEvent {
  return {
    type: "response",
    attempt: 1,
    status,
    latencyMs: 5,
    counted: true,
    rateLimit:
      limit === undefined
        ? undefined
        : { limit, remaining: 0, resetMs: 1000, policies: [], source: "ietf-06" },
    ...base(clock, key),
  };
}

/** One job done: its request and response went through the hooks, then the caller ticked. */
function completeJob(progress: ReturnType<typeof createProgress>, clock: VirtualClock, key?: string) {
  progress.hooks.event?.(request(clock, key));
  progress.hooks.event?.(response(clock, 200, undefined, key));
  progress.tick();
}

describe("createProgress", () => {
  it("on a terminal: one line redrawn with \\r at most every intervalMs, a newline only at stop()", async () => {
    const clock = createVirtualClock(T0);
    const stream = fakeStream(true);
    const progress = createProgress({ total: 10, label: "campone", stream, clock, intervalMs: 1_000 });
    completeJob(progress, clock); // renders at once: the first render is never held back
    completeJob(progress, clock); // within the interval: not drawn
    expect(stream.chunks).toHaveLength(1);
    await clock.advance(1_000);
    completeJob(progress, clock);
    expect(stream.chunks).toHaveLength(2);
    for (const chunk of stream.chunks) {
      expect(chunk.startsWith("\r")).toBe(true);
      expect(chunk.endsWith("\x1b[K")).toBe(true);
      expect(chunk).not.toContain("\n");
    }
    // Drawn on the first event after the interval: two jobs done in one second.
    expect(stream.chunks[1]).toBe(
      `\rcampone [${"█".repeat(5)}${"░".repeat(19)}] 2/10 20% · 2.00/s · ETA 4.0s · 429s 0\x1b[K`,
    );
    const summary = progress.stop();
    expect(stream.chunks.at(-1)).toBe("\n");
    expect(stream.chunks.at(-2)).toContain("3/10 30%");
    expect(summary).toMatchObject({ done: 3, total: 10, requests: 3, statuses: { 200: 3 } });
    progress.tick();
    expect(stream.chunks.at(-1)).toBe("\n"); // nothing is drawn after stop()
  });

  it("keeps a redrawn line within the terminal's width", () => {
    const clock = createVirtualClock(T0);
    const stream = fakeStream(true, 40);
    const progress = createProgress({ total: 10, label: "a-long-label", stream, clock });
    progress.render();
    expect(stream.chunks[0]!.replace("\r", "").replace("\x1b[K", "").length).toBeLessThan(40);
    progress.stop();
  });

  it("fits a redrawn line to 80 columns when the terminal does not say, keeping the wait and its reason", async () => {
    const clock = createVirtualClock(T0);
    const wide = fakeStream(true, 200);
    const narrow: ProgressStream & { chunks: string[] } = {
      isTTY: true,
      chunks: [],
      write: (c: string) => narrow.chunks.push(c),
    };
    const make = (stream: ProgressStream) =>
      createProgress({ total: 5_000, label: "campone-bookings-sync", stream, clock, intervalMs: 1 });
    const progresses = [make(wide), make(narrow)];
    for (const progress of progresses) {
      for (let i = 0; i < 2_100; i++) progress.tick();
      progress.hooks.event?.(response(clock, 429));
      for (const key of KEYS4) {
        progress.hooks.event?.({ type: "wait", reason: "window", ms: 12_400, ...base(clock, key) });
      }
      await clock.advance(1);
      progress.render();
    }
    const text = (chunk: string) => chunk.replace("\r", "").replace("\x1b[K", "");
    // Wide enough: everything, the bar at its full width.
    expect(text(wide.chunks.at(-1)!)).toMatch(
      /^campone-bookings-sync \[█{10}░{14}\] 2100\/5000 42% · [\d.]+\/s · ETA \S+ · 429s 1 · waiting: window 12\.4s \(4 keys\)$/,
    );
    // 80 columns: the rate and the bar go first; the wait, its reason and the keys waiting stay.
    const line = text(narrow.chunks.at(-1)!);
    expect(line.length).toBeLessThan(80);
    expect(line).toContain("2100/5000 42%");
    expect(line).toContain("ETA ");
    expect(line).toContain("429s 1");
    expect(line).toMatch(/waiting: window 12\.4s \(4 keys\)$/);
    expect(line).not.toContain("/s ·");
    for (const progress of progresses) progress.stop();
  });

  it("at stop(), a batch over several keys ends with one line per key: requests, 429s, waits", async () => {
    const clock = createVirtualClock(T0);
    const stream = fakeStream(false);
    const progress = createProgress({ total: 3, label: "boothzen", stream, clock });
    const [a, b] = KEYS4 as [string, string];
    completeJob(progress, clock, a);
    progress.hooks.event?.({ type: "wait", reason: "window", ms: 1_500, ...base(clock, b) });
    await clock.advance(1_500);
    completeJob(progress, clock, b);
    progress.hooks.event?.(request(clock, b));
    progress.hooks.event?.(response(clock, 429, undefined, b));
    progress.hooks.event?.({ type: "wait", reason: "gate", ms: 2_000, ...base(clock, b) });
    await clock.advance(2_000);
    completeJob(progress, clock, b);
    const summary = progress.stop();
    expect(summary.byKey).toEqual({
      [a]: { requests: 1, rateLimited: 0, waits: 0, waitMs: 0 },
      [b]: { requests: 3, rateLimited: 1, waits: 2, waitMs: 3_500 },
    });
    // After the last progress line; every line ends with a newline.
    expect(stream.text().split("\n").slice(-5)).toEqual([
      "boothzen by key:",
      "  key               requests  429s  waits  waited (sum)",
      `  ${a}         1     0      0           0ms`,
      `  ${b}         3     1      2          3.5s`,
      "",
    ]);
  });

  it("elsewhere (CI logs): plain lines every intervalMs with the elapsed time, and a last line at stop()", async () => {
    const clock = createVirtualClock(T0);
    const stream = fakeStream(false);
    const progress = createProgress({ total: 4, label: "boothzen", stream, clock, intervalMs: 5_000 });
    completeJob(progress, clock);
    await clock.advance(2_000);
    completeJob(progress, clock);
    await clock.advance(3_000);
    completeJob(progress, clock);
    progress.stop();
    expect(stream.chunks).toEqual([
      "boothzen t+0ms 0/4 (0%) · 0/s · ETA ? · 429s 0\n",
      "boothzen t+5.0s 2/4 (50%) · 0.40/s · ETA 5.0s · 429s 0\n",
      "boothzen t+5.0s 3/4 (75%) · 0.60/s · ETA 1.7s · 429s 0\n",
    ]);
    expect(stream.text()).not.toContain("\r");
  });

  it("without a budget, extrapolates the rate observed so far", async () => {
    const clock = createVirtualClock(T0);
    const progress = createProgress({ total: 30, stream: fakeStream(false), clock });
    expect(progress.summary().etaMs).toBeUndefined();
    await clock.advance(2_000);
    for (let i = 0; i < 10; i++) progress.tick();
    expect(progress.summary().etaMs).toBe(4_000);
    progress.stop();
  });

  it("shows 429s and the current wait with its reason, and counts waits by reason", async () => {
    const clock = createVirtualClock(T0);
    const stream = fakeStream(false);
    const progress = createProgress({ total: 10, stream, clock, intervalMs: 1 });
    const emit = (e: PacekeeperEvent) => progress.hooks.event?.(e);

    emit({ type: "wait", reason: "probe", ms: undefined, ...base(clock) });
    expect(stream.chunks.at(-1)).toContain("waiting: probe\n");
    await clock.advance(10);
    emit(response(clock, 200));
    expect(stream.chunks.at(-1)).not.toContain("waiting");

    // Behind the key's other waiters the wait has no known length: it lasts until the key sends.
    await clock.advance(10);
    emit({ type: "wait", reason: "window", ms: undefined, ...base(clock) });
    expect(stream.chunks.at(-1)).toContain("waiting: window\n");
    await clock.advance(10);
    emit(request(clock));
    expect(stream.chunks.at(-1)).not.toContain("waiting");

    await clock.advance(10);
    emit({ type: "wait", reason: "window", ms: 850, ...base(clock) });
    expect(stream.chunks.at(-1)).toContain("waiting: window 850ms\n");

    await clock.advance(10);
    emit(response(clock, 429));
    await clock.advance(1);
    emit({
      type: "rate-limited",
      attempt: 1,
      retryAfterMs: 5_000,
      gateMs: 5_000,
      gateReason: "retry-after",
      ...base(clock, "key_000000000002"),
    });
    expect(stream.chunks.at(-1)).toContain("429s 1 · waiting: gate 5.0s (2 keys)\n");

    await clock.advance(5_000);
    progress.render();
    expect(stream.chunks.at(-1)).not.toContain("waiting");
    expect(progress.stop()).toMatchObject({
      rateLimited: 1,
      statuses: { 200: 1, 429: 1 },
      waits: {
        probe: { count: 1, ms: 0 },
        window: { count: 2, ms: 850 },
        gate: { count: 0 },
        budget: { count: 0 },
      },
      keys: 2,
    });
  });

  it("counts failed jobs as done, shown apart", () => {
    const clock = createVirtualClock(T0);
    const stream = fakeStream(false);
    const progress = createProgress({ total: 3, stream, clock });
    progress.tick(2);
    progress.fail();
    progress.stop();
    expect(stream.chunks.at(-1)).toContain("3/3 (100%)");
    expect(stream.chunks.at(-1)).toContain("failed 1");
    expect(progress.summary()).toMatchObject({ done: 3, failed: 1, etaMs: 0 });
  });

  it("with the real clock, its redraw timer is unref'd and stop() clears it", async () => {
    const stream = fakeStream(false);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const progress = createProgress({ total: 5, stream, intervalMs: 5 });
    expect(timers()).toBe(before); // unref'd: it cannot keep the process alive
    progress.stop();
    const written = stream.chunks.length;
    await sleep(30);
    expect(stream.chunks.length).toBe(written);
  });

  it.each([
    [{ total: -1 }, /`total` to be a finite number from 0 and up/],
    [{ total: 1.5 }, /`total` to be an integer/],
    [{ total: 1, intervalMs: 0 }, /`intervalMs` to be a finite number above 0/],
    [{ total: 1, budget: { limits: [] } }, /`budget.limits` to be a non-empty array/],
    [{ total: 1, budget: { limits: [{ limit: 1, windowMs: 1 }], keys: 0 } }, /`budget.keys`/],
    [{ total: 1, color: true }, /Unknown option `color`/],
  ])("rejects %j", (options, message) => {
    expect(() => createProgress({ stream: fakeStream(false), ...options } as never)).toThrow(message);
  });
});

/** `count` jobs of one request each, all sent and answered now, spread over `keys` in turn. */
function completeJobs(
  progress: ReturnType<typeof createProgress>,
  clock: VirtualClock,
  count: number,
  keys: readonly string[],
) {
  for (let i = 0; i < count; i++) completeJob(progress, clock, keys[i % keys.length]);
}

const KEYS4 = ["key_000000000001", "key_000000000002", "key_000000000003", "key_000000000004"];

describe("createProgress: the ETA from the budget and what the keys' events say", () => {
  const budget = { keys: 4, limits: [{ limit: 10, windowMs: 1_000 }] };

  it("counts the fresh keys' whole first windows: 100 jobs on 4 keys of 10 per second take 2 s, not 2.5", () => {
    const clock = createVirtualClock(T0);
    const progress = createProgress({ total: 100, stream: fakeStream(false), clock, budget });
    // 40 at once, 40 a second later, the last 20 two seconds in.
    expect(progress.summary().etaMs).toBe(2_000);
    // 40 jobs that fit in the first windows: the estimate does not move.
    const fits = createProgress({ total: 40, stream: fakeStream(false), clock, budget });
    expect(fits.summary().etaMs).toBe(0);
    progress.stop();
    fits.stop();
  });

  it("counts down while every key waits for its window, instead of freezing", async () => {
    const clock = createVirtualClock(T0);
    const progress = createProgress({ total: 100, stream: fakeStream(false), clock, budget });
    completeJobs(progress, clock, 40, KEYS4); // every key's window is full until T0 + 1 s
    // 60 left: 40 when the windows free, 20 a second later; plus the last answer's 5 ms.
    expect(progress.summary().etaMs).toBe(2_005);
    await clock.advance(500);
    expect(progress.summary().etaMs).toBe(1_505);
    await clock.advance(499);
    expect(progress.summary().etaMs).toBe(1_006);
    progress.stop();
  });

  it("a 429's gate, a spent server budget or a watched client's nextSendAt holds its key", async () => {
    const clock = createVirtualClock(T0);
    const progress = createProgress({ total: 60, stream: fakeStream(false), clock, budget });
    const event = (e: PacekeeperEvent) => progress.hooks.event?.(e);
    // Fresh keys: 40 at once, 20 a second later.
    expect(progress.summary().etaMs).toBe(1_000);
    // Key 1 is gated for 5 s: the other three send 30 at once, 30 a second later.
    event({
      type: "rate-limited",
      attempt: 1,
      retryAfterMs: 5_000,
      gateMs: 5_000,
      gateReason: "retry-after",
      ...base(clock, KEYS4[0]),
    });
    expect(progress.summary().etaMs).toBe(1_000);
    // Key 2's server budget is spent for 30 s: two keys left, 20 a second: 60 take 2 s.
    event({ type: "wait", reason: "budget", ms: 30_000, ...base(clock, KEYS4[1]) });
    expect(progress.summary().etaMs).toBe(2_000);
    // A watched client knows key 3 cannot send for 10 s: key 4 alone sends 10 a second, the 60th
    // five seconds in.
    progress.watch([{ key: KEYS4[2]!, nextSendAt: () => T0 + 10_000 }]);
    expect(progress.summary().etaMs).toBe(5_000);
    progress.stop();
  });

  it("takes a RateLimit-Limit for the longest window's limit, and learns what a job costs", () => {
    const clock = createVirtualClock(T0);
    const limits = [
      { limit: 100, windowMs: 1_000 },
      { limit: 60, windowMs: 60_000 },
    ];
    const progress = createProgress({
      total: 200,
      stream: fakeStream(false),
      clock,
      budget: { keys: 2, limits },
    });
    // 60 per key per minute binds: 120 at once, the rest a minute later.
    expect(progress.summary().etaMs).toBe(60_000);
    // Both keys' answers say 600 a minute: 100 per key per second binds, 200 go at once.
    for (const key of KEYS4.slice(0, 2)) progress.hooks.event?.(response(clock, 200, 600, key));
    expect(progress.summary().etaMs).toBe(5); // the answer's latency
    // Jobs of two requests each: after 10, the 90 left cost 180 requests.
    const doubled = createProgress({
      total: 100,
      stream: fakeStream(false),
      clock,
      budget: { keys: 1, limits },
    });
    for (let i = 0; i < 10; i++) {
      for (let r = 0; r < 2; r++) {
        doubled.hooks.event?.(request(clock));
        doubled.hooks.event?.(response(clock));
      }
      doubled.tick();
    }
    // The key sent 20 and has 40 of its 60 a minute left now; each minute frees 60 more: 40, 100,
    // 160, 220 sent by 0, 1, 2, 3 minutes. The 180th goes three minutes in, and its answer after.
    expect(doubled.summary().etaMs).toBe(180_000 + 5);
    progress.stop();
    doubled.stop();
  });
});

/**
 * A real batch: a key pool against the CampOne mock on a virtual clock, the progress fed by its
 * hooks and watching its clients. Every 50 ms of virtual time the ETA is read; the batch's real end
 * judges each reading.
 */
async function etaOfBatch(options: { jobs: number; keys: number; limit: number; windowMs: number }) {
  const clock = createVirtualClock(T0);
  const random = seededRandom(7);
  const api = createMockApi({ dialect: "campone", limit: options.limit, windowMs: options.windowMs, clock });
  const dialect = campone({ limit: options.limit, windowMs: options.windowMs });
  const progress = createProgress({
    total: options.jobs,
    stream: fakeStream(false),
    clock,
    budget: { limits: dialect.limits, keys: options.keys },
  });
  const pool = createKeyPool({
    apiKeys: Array.from({ length: options.keys }, (_, i) => `key_live_eta_${i}`),
    baseUrl: "http://campone.test",
    dialect,
    fetch: simulatedTransport(api, clock, () => 2 + random() * 38),
    clock,
    store: memoryStore(),
    hooks: progress.hooks,
  });
  progress.watch(pool.clients);
  const readings: { at: number; etaMs: number | undefined; done: number }[] = [];
  let endedAt: number | undefined;
  const batch = Promise.all(
    Array.from({ length: options.jobs }, () =>
      pool.run(async (client) => {
        const res = await client.fetch("/sites");
        await res.body?.cancel();
        progress.tick();
      }),
    ),
  ).then(() => {
    endedAt = clock.now();
  });
  while (endedAt === undefined) {
    const s = progress.summary();
    readings.push({ at: clock.now(), etaMs: s.etaMs, done: s.done });
    await clock.advance(50);
  }
  await batch;
  progress.stop();
  await pool.close();
  expect(api.audit().filter((row) => row.status === 429)).toEqual([]);
  return { readings, endedAt, elapsedMs: endedAt - T0 };
}

describe("createProgress: the ETA of a real batch on a virtual clock", () => {
  it("a batch that fits in the keys' first windows: the ETA says so from the start", async () => {
    // 100 jobs, 4 keys of 30 per 10 s: all go at once (a rate of 12/s would say 8 s).
    const { readings, elapsedMs } = await etaOfBatch({ jobs: 100, keys: 4, limit: 30, windowMs: 10_000 });
    expect(elapsedMs).toBeLessThan(500);
    for (const r of readings) expect(r.etaMs).toBeLessThanOrEqual(200);
  });

  it("over several windows: each reading's end is the batch's real end, give or take, and counts down through the waits", async () => {
    // 130 jobs, 4 keys of 10 per second: 40 at once, then 40, 40 and 10 a second apart.
    const { readings, endedAt, elapsedMs } = await etaOfBatch({
      jobs: 130,
      keys: 4,
      limit: 10,
      windowMs: 1_000,
    });
    expect(elapsedMs).toBeGreaterThan(3_000);
    expect(elapsedMs).toBeLessThan(3_300);
    for (const r of readings) {
      expect(r.etaMs).toBeDefined();
      // The predicted end stays within 150 ms of the real one, whether jobs finish or all keys wait.
      expect(Math.abs(r.at + r.etaMs! - endedAt)).toBeLessThanOrEqual(150);
    }
    // Readings while nothing finished (every key waiting for its window) count down, never freeze.
    const idle = readings.filter((r, i) => i > 0 && r.done === readings[i - 1]!.done && r.done > 0);
    expect(idle.length).toBeGreaterThan(10);
    for (const r of idle) {
      const before = readings[readings.indexOf(r) - 1]!;
      expect(r.etaMs!).toBeLessThan(before.etaMs!);
    }
  });
});
