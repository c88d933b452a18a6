import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createProgress, type ProgressStream } from "../../src/batch/index.js";
import type { PacekeeperEvent } from "../../src/index.js";
import { createVirtualClock, type VirtualClock } from "../../src/testing/index.js";

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

  it("computes the ETA from the budget: limit per window × keys, the tightest limit, RateLimit-Limit when a response says it", () => {
    const clock = createVirtualClock(T0);
    const stream = fakeStream(false);
    const progress = createProgress({
      total: 100,
      stream,
      clock,
      budget: {
        keys: 4,
        limits: [
          { limit: 10, windowMs: 1_000 }, // 10/s per key
          { limit: 1_200, windowMs: 60_000 }, // 20/s per key: not the one that binds
        ],
      },
    });
    for (let i = 0; i < 20; i++) completeJob(progress, clock);
    // 80 left at 4 keys × 10/s.
    expect(progress.summary().etaMs).toBe(2_000);
    // A job that costs two requests doubles it.
    progress.hooks.event?.(request(clock));
    progress.hooks.event?.(request(clock));
    progress.tick();
    expect(progress.summary().etaMs).toBeCloseTo((79 * (22 / 21) * 1000) / 40, 6);

    // Both keys' responses announce 600 a minute on the longest window: 10/s per key instead of 1/s.
    const learned = createProgress({
      total: 100,
      stream,
      clock,
      budget: {
        keys: 2,
        limits: [
          { limit: 100, windowMs: 1_000 },
          { limit: 60, windowMs: 60_000 },
        ],
      },
    });
    expect(learned.summary().etaMs).toBe(100_000 / 2); // 1/s per key before any header
    for (const key of ["key_000000000001", "key_000000000002"])
      learned.hooks.event?.(response(clock, 200, 600, key));
    expect(learned.summary().etaMs).toBe(5_000); // 100 at 2 × 10/s
    progress.stop();
    learned.stop();
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
