import { afterEach, describe, expect, it } from "vitest";
import { createClient, ietf } from "../../src/index.js";
import { pacedBatch } from "../helpers/paced-batch.js";
import {
  HEADER_LIMITERS,
  HEADERLESS_LIMITERS,
  type LimiterKind,
  type LimiterProcess,
  startLimiter,
} from "../helpers/real-limiters.js";

/**
 * `ietf()` against rate limiters no one here wrote, each in a process of its own over loopback:
 * express-rate-limit in each header mode, @fastify/rate-limit, rate-limiter-flexible,
 * hono-rate-limiter, and a leaky bucket that sends no header at all (as nginx's `limit_req`).
 * Fixed windows of 20 per 2 s; 60 requests at concurrency 16, so three windows turn over.
 * Assertions are on counts, and on the ratio to the server's minimum with the margins the
 * project promises: a wall-clock bound of a whole window's slack would hide nothing.
 */
const L = 20;
const W = 2000;
const N = 60;

const limiters: LimiterProcess[] = [];
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()));
});

/** The server's minimum: windows that start at their first request; the leaky bucket's rate after its burst. */
function minimumMs(kind: LimiterKind): number {
  if (kind === "leaky") return (N - Math.floor(L / 2) - 1) * (W / L);
  if (kind === "leaky-delay") return (N - 1) * (W / L);
  return (Math.ceil(N / L) - 1) * W;
}

async function run(kind: LimiterKind, limits: { limit: number; windowMs: number }[] = []) {
  const server = await startLimiter(kind, L, W);
  limiters.push(server);
  const client = createClient({ baseUrl: server.url, apiKey: "key_real_limiter", dialect: ietf({ limits }) });
  const { failed, elapsedMs: elapsed } = await pacedBatch(client, N);
  const audit = await server.audit();
  return {
    failed,
    served: audit.filter((a) => a.status === 200).length,
    refused: audit.filter((a) => a.status === 429).length,
    ratio: elapsed / minimumMs(kind),
  };
}

/** Servers whose only reset is an epoch second (`X-RateLimit-Reset: 1700000003`) and no window. */
const EPOCH_SECONDS_ONLY: readonly LimiterKind[] = ["express-legacy", "flexible"];

describe("ietf() with no configuration against real rate limiters", () => {
  // The epoch-second servers among them tell a window's end to a second only: the window's length,
  // guessed in whole seconds from its first answer, pins it.
  it.each(HEADER_LIMITERS)(
    "%s: every request served, zero 429s, within 1.10x of the minimum",
    async (kind) => {
      const result = await run(kind);
      expect(result.failed).toBe(0);
      expect(result.served).toBe(N);
      expect(result.refused).toBe(0);
      expect(result.ratio).toBeLessThanOrEqual(1.1);
    },
  );

  it.each(HEADERLESS_LIMITERS)(
    "%s (no header at all): the pace is learned with at most 8 refusals, within 1.5x",
    async (kind) => {
      const result = await run(kind);
      expect(result.failed).toBe(0);
      expect(result.served).toBe(N);
      expect(result.refused).toBeLessThanOrEqual(8);
      expect(result.ratio).toBeLessThanOrEqual(1.5);
    },
  );
});

describe("ietf({ limits }) with the operator's documented limits", () => {
  it.each(EPOCH_SECONDS_ONLY)(
    "%s: the window's length pins its end: zero 429s, within 1.10x",
    async (kind) => {
      const result = await run(kind, [{ limit: L, windowMs: W }]);
      expect(result.refused).toBe(0);
      expect(result.ratio).toBeLessThanOrEqual(1.1);
    },
  );

  it.each(HEADERLESS_LIMITERS)("%s: at most 8 refusals, within 1.3x", async (kind) => {
    const result = await run(kind, [{ limit: L / 2, windowMs: W / 2 }]);
    expect(result.failed).toBe(0);
    expect(result.refused).toBeLessThanOrEqual(8);
    expect(result.ratio).toBeLessThanOrEqual(1.3);
  });
});
