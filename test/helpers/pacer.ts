import { createVirtualClock, type VirtualClock } from "../../src/clock/virtual-clock.js";
import type { RateLimitSnapshot } from "../../src/headers/types.js";
import { LocalKeyPacer } from "../../src/pacer/local-key-pacer.js";
import type { Limit, Permit } from "../../src/pacer/types.js";

/** A key pacer on a fresh virtual clock, with jitter switched off so waits are exact. */
export function pacerOnVirtualTime(
  limits: Limit[],
  options: { probeFirst?: boolean; capMs?: number; jitterMs?: number } = {},
): { pacer: LocalKeyPacer; clock: VirtualClock } {
  const clock = createVirtualClock(1_000_000);
  const pacer = new LocalKeyPacer({
    limits,
    probeFirst: options.probeFirst ?? false,
    backoff: {
      baseMs: 1000,
      capMs: options.capMs ?? 60_000,
      factor: 2,
      retryAfterJitterMs: options.jitterMs ?? 0,
    },
    clock,
    random: () => 0.5,
  });
  return { pacer, clock };
}

/** A response as the pacer sees it. */
export function ok(rateLimit?: Partial<RateLimitSnapshot>) {
  return {
    kind: "response" as const,
    status: 200,
    counted: true,
    rateLimit: rateLimit
      ? { remaining: 0, resetMs: 0, policies: [], source: "ietf-06" as const, ...rateLimit }
      : undefined,
  };
}

export function tooMany(retryAfterMs: number | undefined, rateLimit?: Partial<RateLimitSnapshot>) {
  return { ...ok(rateLimit), status: 429, retryAfterMs };
}

/** Collects grant times: each acquire records the clock's time when its permit arrives. */
export function recorder(clock: VirtualClock) {
  const grants: { id: number; at: number; permit: Permit }[] = [];
  return {
    grants,
    track(id: number, promise: Promise<Permit>) {
      return promise.then((permit) => {
        grants.push({ id, at: clock.now(), permit });
        return permit;
      });
    },
  };
}
