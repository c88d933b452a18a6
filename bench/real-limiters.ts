/**
 * Side by side against rate limiters no one here wrote (express-rate-limit in each header mode,
 * @fastify/rate-limit, rate-limiter-flexible, hono-rate-limiter) and a leaky bucket that sends no
 * header, each in a process of its own: pacekeeper with no configuration, pacekeeper with the
 * documented limits, and the peers configured with the same limits. Each pair runs several times;
 * the worst run is the figure to read (the tail is where keys lose whole windows).
 */
import { createClient, ietf } from "pacekeeper";
import {
  HEADER_LIMITERS,
  HEADERLESS_LIMITERS,
  type LimiterKind,
  startLimiter,
} from "../test/helpers/real-limiters.js";
import { bottleneckClient } from "./clients/bottleneck.js";
import { kyClient } from "./clients/ky.js";
import { benchClientOf } from "./clients/pacekeeper.js";
import type { BenchClient, Target } from "./clients/types.js";
import { undiciRetryClient } from "./clients/undici-retry.js";
import { runJobs } from "./run-jobs.js";
import { fixed } from "./stats.js";

export interface RealLimiterConfig {
  /** Requests per window of the fixed-window limiters; the leaky bucket lets `limit / 2` through per `windowMs / 2`. */
  limit: number;
  windowMs: number;
  jobs: number;
  concurrency: number;
  runs: number;
}

export interface RealLimiterResult {
  limiter: LimiterKind;
  client: string;
  /** Completion time over the server's minimum, run by run. */
  ratios: number[];
  /** 429s the server sent, run by run. */
  refused: number[];
  /** Jobs that did not end in a 200, over all runs. */
  failed: number;
}

export const REAL_LIMITER_CONFIG: RealLimiterConfig = {
  limit: 30,
  windowMs: 3000,
  jobs: 100,
  concurrency: 16,
  runs: 3,
};

type Make = (target: Target, stop: AbortSignal) => BenchClient;

function pacekeeper(configured: boolean): { name: string; make: Make } {
  return {
    name: configured ? "pacekeeper ietf({ limits })" : "pacekeeper ietf()",
    make(target) {
      const client = createClient({
        baseUrl: target.baseUrl,
        apiKey: target.apiKey,
        dialect: ietf(configured ? { limits: [{ limit: target.limit, windowMs: target.windowMs }] } : {}),
        retry: { rateLimitRetries: target.retries },
      });
      return benchClientOf(client);
    },
  };
}

const CLIENTS: { name: string; make: Make }[] = [
  pacekeeper(false),
  pacekeeper(true),
  { name: kyClient.name, make: (t, s) => kyClient.create(t, s) },
  { name: undiciRetryClient.name, make: (t, s) => undiciRetryClient.create(t, s) },
  { name: bottleneckClient.name, make: (t, s) => bottleneckClient.create(t, s) },
];

/** The server's minimum: windows that start at their first request; the leaky bucket's rate after its burst. */
function minimumMs(kind: LimiterKind, c: RealLimiterConfig): number {
  if (kind === "leaky") return (c.jobs - Math.floor(c.limit / 2) - 1) * (c.windowMs / c.limit);
  if (kind === "leaky-delay") return (c.jobs - 1) * (c.windowMs / c.limit);
  return (Math.ceil(c.jobs / c.limit) - 1) * c.windowMs;
}

export async function runRealLimiters(
  config: RealLimiterConfig,
  log: (line: string) => void = console.log,
): Promise<RealLimiterResult[]> {
  const results: RealLimiterResult[] = [];
  for (const kind of [...HEADER_LIMITERS, ...HEADERLESS_LIMITERS]) {
    const headerless = (HEADERLESS_LIMITERS as readonly string[]).includes(kind);
    for (const client of CLIENTS) {
      const result: RealLimiterResult = {
        limiter: kind,
        client: client.name,
        ratios: [],
        refused: [],
        failed: 0,
      };
      for (let run = 0; run < config.runs; run++) {
        const server = await startLimiter(kind, config.limit, config.windowMs);
        const minimum = minimumMs(kind, config);
        const stop = new AbortController();
        // Peers are told the documented limit: the leaky bucket's is its rate, `limit / 2` per `windowMs / 2`.
        const target: Target = {
          dialect: "boothzen",
          baseUrl: server.url,
          apiKey: `key_real_${run}`,
          limit: headerless ? config.limit / 2 : config.limit,
          windowMs: headerless ? config.windowMs / 2 : config.windowMs,
          burst: undefined,
          burstWindowMs: undefined,
          retries: 10,
        };
        const bench = client.make(target, stop.signal);
        const capMs = Math.max(5 * minimum, minimum + 10_000);
        const outcome = await runJobs(
          config.jobs,
          config.concurrency,
          capMs,
          (i, signal) => bench.get(`/items/${i}`, signal),
          stop,
        );
        const elapsed = outcome.elapsedMs;
        await bench.close();
        const audit = await server.audit();
        await server.close();
        result.ratios.push(elapsed / minimum);
        result.refused.push(audit.filter((a) => a.status === 429).length);
        result.failed += config.jobs - outcome.done;
      }
      results.push(result);
      log(
        `  ${kind.padEnd(16)} ${client.name.padEnd(28)} worst ${fixed(Math.max(...result.ratios))}x, ` +
          `429s ${result.refused.join("/")}, failed ${result.failed}`,
      );
    }
  }
  return results;
}
