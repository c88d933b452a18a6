import type { FetchLike } from "../../src/client/transport.js";
import type { VirtualClock } from "../../src/clock/virtual-clock.js";
import type { MockApi } from "../../src/mock/index.js";

/** A seeded uniform random source (mulberry32), so a simulation replays the same latencies. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A transport to an in-process mock API on virtual time: each request travels `up` ms to the
 * server, is counted there at that moment, and its response travels `down` ms back; both drawn
 * from `latencyMs`. No socket: thousands of requests of an hour-long window run in milliseconds.
 */
export function simulatedTransport(api: MockApi, clock: VirtualClock, latencyMs: () => number): FetchLike {
  return async (input, init) => {
    await clock.sleep(latencyMs() / 2, init?.signal ?? undefined);
    const response = await api.handle(new Request(input, init));
    await clock.sleep(latencyMs() / 2, init?.signal ?? undefined);
    return response;
  };
}

/** Runs `total` jobs with at most `concurrency` at once; resolves when all are done. */
export async function runPool(
  total: number,
  concurrency: number,
  job: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) await job(next++);
    }),
  );
}
