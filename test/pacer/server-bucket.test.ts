import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BucketObservation, ServerBucket } from "../../src/pacer/server-bucket.js";

/** Grants a send at `at` and returns what its answer must carry of it. */
function send(bucket: ServerBucket, at: number, probe = false) {
  const { seq, alive } = bucket.grant(at, probe);
  return (answer: {
    at: number;
    remaining: number;
    resetMs: number;
    limit?: number;
    windowMs?: number;
    epoch?: boolean;
  }) =>
    bucket.observe(
      {
        seq,
        grantedAt: at,
        observedAt: answer.at,
        probe,
        aliveAtGrant: alive,
        remaining: answer.remaining,
        resetMs: answer.resetMs,
        limit: answer.limit,
        windowMs: answer.windowMs,
        resetInEpochSeconds: answer.epoch,
      } satisfies BucketObservation,
      true,
    );
}

/**
 * The rest of a window spent: sends granted at `at`, answered at `arrival` with `from`, `from − 1`…
 * 0 left, each reset the epoch second that ends at `resetAtMs`.
 */
function spendRest(
  bucket: ServerBucket,
  at: number,
  arrival: number,
  from: number,
  limit: number,
  resetAtMs: number,
) {
  for (let i = from; i >= 0; i--)
    send(bucket, at)({ at: arrival, remaining: i, resetMs: resetAtMs - arrival, limit, epoch: true });
}

describe("ServerBucket", () => {
  it("takes the lowest remaining of a window as its word: an answer counted earlier corrects nothing", () => {
    const bucket = new ServerBucket(undefined);
    const first = send(bucket, 0);
    const second = send(bucket, 1);
    // The second send reached the server first and is answered first: 1 left.
    second({ at: 20, remaining: 1, resetMs: 10_000, limit: 10 });
    first({ at: 30, remaining: 2, resetMs: 10_000, limit: 10 });
    expect(bucket.verdict(30)).toEqual({ ok: true, probe: false });
    send(bucket, 30);
    expect(bucket.verdict(31)).toMatchObject({ ok: false, reason: "budget" });
  });

  it("bounds the window's end by the earliest arrival plus reset: whole-second resets, millisecond ends", () => {
    const bucket = new ServerBucket(undefined);
    // The window ends at 10,400 ms; resets are whole seconds rounded up.
    send(bucket, 0)({ at: 0, remaining: 2, resetMs: 11_000, limit: 5 });
    send(bucket, 390)({ at: 400, remaining: 1, resetMs: 10_000, limit: 5 });
    send(bucket, 400)({ at: 401, remaining: 0, resetMs: 10_000, limit: 5 });
    expect(bucket.nextFreeAt(401)).toBe(10_400);
    // At the end one probe asks; the others wait for its answer.
    expect(bucket.verdict(10_400)).toEqual({ ok: true, probe: true });
    send(bucket, 10_400, true);
    expect(bucket.verdict(10_400)).toEqual({ ok: false, reason: "probe", at: Number.POSITIVE_INFINITY });
  });

  it("sees a short bucket refill through whole-second resets: its 'full again' recedes as tokens are spent", () => {
    // 30 per 3 s, refilled at 10 per second; each answer's reset is the time to full, rounded up.
    const bucket = new ServerBucket(3000);
    send(bucket, 0)({ at: 10, remaining: 29, resetMs: 1000, limit: 30 });
    for (let i = 1; i < 25; i++)
      send(bucket, 10)({ at: 20, remaining: 29 - i, resetMs: Math.ceil(i / 10) * 1000, limit: 30 });
    // 5 left and full in 2.5 s: the last answer ends later than the first could, with fewer left.
    send(bucket, 20)({ at: 30, remaining: 4, resetMs: 3000, limit: 30 });
    for (let i = 0; i < 4; i++) send(bucket, 30);
    // No window would free a slot before its end; the bucket frees one every 100 ms or so.
    const next = bucket.nextFreeAt(30);
    expect(next).toBeGreaterThan(30);
    expect(next).toBeLessThan(300);
  });

  it("a window's first answer (one spent, the whole window to go) rules a refill out, for good", () => {
    const bucket = new ServerBucket(3000);
    send(bucket, 0)({ at: 10, remaining: 29, resetMs: 3000, limit: 30 });
    for (let i = 1; i < 25; i++) send(bucket, 10)({ at: 20, remaining: 29 - i, resetMs: 3000, limit: 30 });
    // An answer that looks like a bucket's after the ruling changes nothing: the window's end decides.
    send(bucket, 20)({ at: 2_500, remaining: 0, resetMs: 3000, limit: 30 });
    expect(bucket.nextFreeAt(2_500)).toBeGreaterThanOrEqual(3_000);
  });

  it("more left in the answer to a send granted after the lowest arrived: the window turned over early", () => {
    // Fixed windows of 1 s that end at 350 ms, 1,350 ms…: the first answers say only "by 1,010".
    const bucket = new ServerBucket(1000);
    send(bucket, 0)({ at: 10, remaining: 2, resetMs: 1000, limit: 3 });
    send(bucket, 10)({ at: 20, remaining: 1, resetMs: 1000, limit: 3 });
    // The last slot's send lands past 350 ms, in the next window: 2 left there.
    send(bucket, 500)({ at: 510, remaining: 2, resetMs: 1000, limit: 3 });
    send(bucket, 510)({ at: 520, remaining: 1, resetMs: 1000, limit: 3 });
    send(bucket, 520)({ at: 530, remaining: 0, resetMs: 1000, limit: 3 });
    // That window's end, not the first one's, holds the next send: no probe at 1,010 ms.
    expect(bucket.nextFreeAt(530)).toBeGreaterThanOrEqual(1_350);
  });

  it("a count that went down by less than a new window holds is a rolling window: the log, not a probe, says when", () => {
    // 10 per 3 s, counted in a rolling window; our sends fill it.
    const bucket = new ServerBucket(3000);
    for (let i = 0; i < 5; i++) send(bucket, 0)({ at: 10, remaining: 9 - i, resetMs: 3000, limit: 10 });
    for (let i = 0; i < 5; i++)
      send(bucket, 1_000)({ at: 1_030, remaining: 4 - i, resetMs: 2000, limit: 10 });
    // The first five age out at 3,000; one send takes a slot: 4 left, where a new window would hold 9.
    send(bucket, 3_010)({ at: 3_020, remaining: 4, resetMs: 1000, limit: 10 });
    for (let i = 0; i < 4; i++)
      send(bucket, 3_020)({ at: 3_030, remaining: 3 - i, resetMs: 1000, limit: 10 });
    // The resets (1 s) told of the sends of 1,000 ms; the log knows they leave it at 4,030 (their
    // answers' time), and no probe goes before.
    expect(bucket.verdict(4_020)).toEqual({ ok: false, reason: "budget", at: 4_030 });
    expect(bucket.verdict(4_030)).toEqual({ ok: true, probe: false });
  });

  it("after a window ends, sends one request the log allows and waits for its answer: no probe beside it", () => {
    // A rolling server of 2 per second that our own sends explain: its window ended at 1,000 ms.
    const bucket = new ServerBucket(1000);
    send(bucket, 0)({ at: 0, remaining: 1, resetMs: 1000, limit: 2 });
    send(bucket, 500)({ at: 500, remaining: 0, resetMs: 1000, limit: 2 });
    // At 1,000 the first send has aged out of the log: one send goes...
    expect(bucket.verdict(1000)).toEqual({ ok: true, probe: false });
    send(bucket, 1000);
    // ...and the next waits for its answer, rather than going as the window's probe.
    expect(bucket.verdict(1000)).toEqual({ ok: false, reason: "probe", at: Number.POSITIVE_INFINITY });
  });

  it("lets a window of known length end no later than that length after its answer", () => {
    const bucket = new ServerBucket(3000);
    // An epoch-second reset rounds the end up to 4 s away; the window is 3 s long.
    send(bucket, 0)({ at: 2, remaining: 0, resetMs: 3_998, limit: 10 });
    expect(bucket.nextFreeAt(2)).toBe(3_002);
  });

  it("guesses a whole-second window from a window's first answer where resets are epoch seconds, and probes its end", () => {
    // 5 per 2 s from the first send, counted at 300 ms: the window ends at 2,300 ms; every answer
    // says the epoch second 3 (3,000 ms).
    const bucket = new ServerBucket(undefined);
    send(bucket, 295)({ at: 305, remaining: 4, resetMs: 3_000 - 305, limit: 5, epoch: true });
    spendRest(bucket, 305, 310, 3, 5, 3_000);
    // Not 3,000 ms: 2 s after the first answer's arrival, one probe alone.
    expect(bucket.nextFreeAt(310)).toBe(2_305);
    expect(bucket.verdict(2_305)).toEqual({ ok: true, probe: true });
    const probe = send(bucket, 2_305, true);
    expect(bucket.verdict(2_306)).toMatchObject({ ok: false, reason: "probe" });
    // The next window opens at the probe (counted at 2,307, ends 4,307, epoch second 5).
    probe({ at: 2_310, remaining: 4, resetMs: 5_000 - 2_310, limit: 5, epoch: true });
    expect(bucket.verdict(2_310)).toEqual({ ok: true, probe: false });
    spendRest(bucket, 2_310, 2_315, 3, 5, 5_000);
    expect(bucket.nextFreeAt(2_315)).toBe(4_310);
  });

  it("in a guessed window, a send answered before the first one frees no slot early: the end is waited for", () => {
    // The second send is answered first (at 300), so its log slot frees at 2,300, before the
    // guessed end (2,305): the log does not speak for a guessed window, before its end or at it.
    const bucket = new ServerBucket(undefined);
    const first = send(bucket, 295);
    send(bucket, 295)({ at: 300, remaining: 3, resetMs: 3_000 - 300, limit: 5, epoch: true });
    first({ at: 305, remaining: 4, resetMs: 3_000 - 305, limit: 5, epoch: true });
    spendRest(bucket, 305, 310, 2, 5, 3_000);
    expect(bucket.verdict(310)).toEqual({ ok: false, reason: "budget", at: 2_305 });
    expect(bucket.verdict(2_300)).toEqual({ ok: false, reason: "budget", at: 2_305 });
  });

  it("a refusal of the guessed window's probe ends the guess for good: the rounded resets decide", () => {
    // 20 per 2 s on the server's own grid (windows end at 2,000 ms, 4,000 ms): the first answer
    // allows "1 s from the first send".
    const bucket = new ServerBucket(undefined);
    send(bucket, 795)({ at: 805, remaining: 19, resetMs: 2_000 - 805, limit: 20, epoch: true });
    spendRest(bucket, 805, 810, 18, 20, 2_000);
    expect(bucket.nextFreeAt(810)).toBe(1_805);
    send(bucket, 1_805, true)({ at: 1_810, remaining: 0, resetMs: 190, limit: 20, epoch: true });
    bucket.refused();
    // The next window's first answer allows "1 s" again: no guess now, the reset's end holds.
    send(bucket, 2_005, true)({ at: 2_010, remaining: 19, resetMs: 4_000 - 2_010, limit: 20, epoch: true });
    spendRest(bucket, 2_010, 2_015, 18, 20, 4_000);
    expect(bucket.nextFreeAt(2_015)).toBe(4_000);
  });

  it("a later window whose first answer allows another length ends the guess before it costs a 429", () => {
    const bucket = new ServerBucket(undefined);
    send(bucket, 295)({ at: 305, remaining: 4, resetMs: 3_000 - 305, limit: 5, epoch: true });
    expect(bucket.nextFreeAt(306)).toBe(306);
    spendRest(bucket, 305, 310, 3, 5, 3_000);
    // The window was 2.5 s, not 2 s, yet it ended by the probe (a server that changed its window):
    // the probe's answer allows 2 s no more, and the next end is the reset's.
    send(bucket, 2_805, true)({ at: 2_810, remaining: 4, resetMs: 6_000 - 2_810, limit: 5, epoch: true });
    spendRest(bucket, 2_810, 2_815, 3, 5, 6_000);
    expect(bucket.nextFreeAt(2_815)).toBe(6_000);
  });

  it("guesses nothing from resets in delta seconds: they bracket the end as closely as a guess", () => {
    const bucket = new ServerBucket(undefined);
    send(bucket, 295)({ at: 305, remaining: 4, resetMs: 2_000, limit: 5 });
    for (let i = 3; i >= 0; i--) send(bucket, 305)({ at: 310, remaining: i, resetMs: 2_000, limit: 5 });
    expect(bucket.nextFreeAt(310)).toBe(2_305);
    expect(bucket.toState().windowGuess).toBe("none");
  });

  it("forgets a configured length the server contradicts with a longer reset", () => {
    const bucket = new ServerBucket(1000);
    send(bucket, 0)({ at: 1, remaining: 0, resetMs: 60_000, limit: 10 });
    expect(bucket.nextFreeAt(1)).toBe(60_001);
  });

  it("believes a later send's answer over a hostile reset of years", () => {
    const bucket = new ServerBucket(undefined);
    send(bucket, 0)({ at: 1, remaining: 500, resetMs: 999_999_999_000, limit: 600 });
    send(bucket, 2)({ at: 3, remaining: 0, resetMs: 60_000, limit: 600 });
    expect(bucket.nextFreeAt(3)).toBe(60_003);
  });

  it("paces a refilling bucket from the answer that leaves the fewest tokens, not the latest", () => {
    const bucket = new ServerBucket(undefined);
    // OpenAI-like: full again in `resetMs`, refilling continuously at 1 token per 100 ms.
    const refill = (remaining: number, at: number) => ({
      at,
      remaining,
      resetMs: (10 - remaining) * 100,
      limit: 10,
    });
    const { seq } = bucket.grant(0, false);
    const second = send(bucket, 1);
    // The later send reached the server first (5 left); the earlier one was counted after it (3 left).
    second(refill(5, 10));
    bucket.observe(
      { seq, grantedAt: 0, observedAt: 12, probe: false, aliveAtGrant: 1, ...refill(3, 12), refills: true },
      true,
    );
    expect(bucket.nextFreeAt(12)).toBe(12);
    // Three tokens, not the five the later send's answer said.
    send(bucket, 12);
    send(bucket, 12);
    send(bucket, 12);
    expect(bucket.nextFreeAt(12)).toBeGreaterThan(12);
  });

  it("never throws, and answers a time no earlier than now, whatever the answers say (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            gap: fc.nat(5000),
            latency: fc.nat(2000),
            remaining: fc.nat(1000),
            resetMs: fc.oneof(fc.nat(120_000), fc.constant(Number.MAX_SAFE_INTEGER)),
            limit: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
            windowMs: fc.option(fc.integer({ min: 1, max: 120_000 }), { nil: undefined }),
            answered: fc.boolean(),
          }),
          { maxLength: 100 },
        ),
        fc.option(fc.integer({ min: 1, max: 120_000 }), { nil: undefined }),
        (steps, assumed) => {
          const bucket = new ServerBucket(assumed);
          let now = 0;
          for (const step of steps) {
            now += step.gap;
            const verdict = bucket.verdict(now);
            const answer = send(bucket, now, verdict.ok && verdict.probe);
            now += step.latency;
            if (step.answered) answer({ at: now, ...step });
            else bucket.endedUnanswered(now, true, false, true);
            const next = bucket.nextFreeAt(now);
            expect(next >= now).toBe(true);
            expect(Number.isNaN(next)).toBe(false);
            // Its state as plain data (what a shared store keeps) makes the same bucket.
            expect(new ServerBucket(assumed, structuredClone(bucket.toState())).nextFreeAt(now)).toBe(next);
          }
        },
      ),
    );
  });
});
