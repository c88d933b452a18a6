/**
 * Scale across keys: the same per-key batch on 1, 2, 4 and 8 keys against one mock server.
 * Limits are per key (both documents), so K keys should give K times one key's throughput.
 *
 * Strategies are pluggable. "per-key clients" is what any user can do today: one
 * `createClient` per key, each running its share of the jobs, all at once. The key pool of
 * src/batch (one queue routed to the key that can send soonest) is picked up here as
 * soon as `createKeyPool` is exported from src/index.ts; see `keyPoolStrategy`.
 */
import * as pacekeeper from "pacekeeper";
import { boothzen } from "pacekeeper";
import { type BenchConfig, jobPath, rulesOf, type Scenario } from "./config.js";
import type { ServerHost } from "./host/index.js";
import { runJobs } from "./run-jobs.js";
import { idealMinimumMs } from "./server-model.js";
import { fixed, sleep } from "./stats.js";

export interface ScaleRun {
  /** The scenario's server URL, the keys to spread the jobs over, the jobs per key. */
  baseUrl: string;
  keys: string[];
  jobsPerKey: number;
  /** Requests in flight per key (a strategy with one queue uses `keys.length ×` this in all). */
  concurrencyPerKey: number;
  scenario: Scenario;
}

export interface ScaleStrategy {
  name: string;
  /** Runs `keys.length × jobsPerKey` GETs; resolves with how many ended in a 2xx and when. */
  run(run: ScaleRun): Promise<{ done: number; elapsedMs: number }>;
}

function dialectOf(s: Scenario) {
  return boothzen({
    limit: s.limit,
    windowMs: s.windowMs,
    burst: s.burst ?? 60,
    burstWindowMs: s.burstWindowMs ?? 1_000,
  });
}

/** One client per key, each running its own share at the same time. */
export const perKeyClients: ScaleStrategy = {
  name: "per-key clients",
  async run({ baseUrl, keys, jobsPerKey, concurrencyPerKey, scenario }) {
    const start = performance.now();
    const outcomes = await Promise.all(
      keys.map(async (apiKey, k) => {
        const client = pacekeeper.createClient({ baseUrl, apiKey, dialect: dialectOf(scenario) });
        try {
          return await runJobs(jobsPerKey, concurrencyPerKey, 120_000, async (i) => {
            const res = await client.fetch(jobPath(scenario, k * jobsPerKey + i));
            await res.arrayBuffer();
            return res.status;
          });
        } finally {
          await client.close();
        }
      }),
    );
    return {
      done: outcomes.reduce((n, o) => n + o.done, 0),
      elapsedMs: Math.max(...outcomes.map((o) => o.elapsedMs)) || performance.now() - start,
    };
  },
};

/** The part of the key pool this benchmark uses. */
interface KeyPoolLike {
  fetch(input: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}
type CreateKeyPool = (options: {
  apiKeys: readonly string[];
  baseUrl: string;
  dialect: pacekeeper.Dialect;
  concurrency: number;
}) => KeyPoolLike;

/**
 * The hook for the key pool: one queue over all the keys, `createKeyPool({ apiKeys,
 * baseUrl, dialect, concurrency })`, each job through `pool.fetch(path)`. Undefined until
 * src/index.ts exports `createKeyPool`; if its options change, adapt `CreateKeyPool` above.
 */
export function keyPoolStrategy(): ScaleStrategy | undefined {
  const create = (pacekeeper as Record<string, unknown>).createKeyPool as CreateKeyPool | undefined;
  if (typeof create !== "function") return undefined;
  return {
    name: "key pool (createKeyPool)",
    async run({ baseUrl, keys, jobsPerKey, concurrencyPerKey, scenario }) {
      const pool = create({
        apiKeys: keys,
        baseUrl,
        dialect: dialectOf(scenario),
        concurrency: concurrencyPerKey,
      });
      try {
        const outcome = await runJobs(
          keys.length * jobsPerKey,
          keys.length * concurrencyPerKey,
          120_000,
          async (i) => {
            const res = await pool.fetch(jobPath(scenario, i));
            await res.arrayBuffer();
            return res.status;
          },
        );
        return { done: outcome.done, elapsedMs: outcome.elapsedMs };
      } finally {
        await pool.close();
      }
    },
  };
}

export interface ScaleResult {
  strategy: string;
  keys: number;
  /** Requests per second, all keys together (for context). */
  rps: number;
  /** This throughput over `keys ×` the same strategy's one-key throughput of the same run. */
  scaling: number;
  /** This throughput over what the server allows `keys` keys at best. */
  ofIdeal: number;
  done: number;
  jobs: number;
}

export async function runScale(host: ServerHost, config: BenchConfig): Promise<ScaleResult[]> {
  const { keyCounts, jobsPerKey, concurrencyPerKey, repeats, scenario } = config.scale;
  const strategies = [perKeyClients, keyPoolStrategy()].filter((s): s is ScaleStrategy => s !== undefined);
  const idealRps = (jobsPerKey / idealMinimumMs(scenario.model, rulesOf(scenario), jobsPerKey)) * 1000;
  const results: ScaleResult[] = [];

  const runOnce = async (strategy: ScaleStrategy, k: number, repeat: number) => {
    const server = await host.startMock({
      dialect: "boothzen",
      counting: scenario.model,
      limit: scenario.limit,
      windowMs: scenario.windowMs,
      burst: scenario.burst,
      burstWindowMs: scenario.burstWindowMs,
    });
    const keys = Array.from(
      { length: k },
      (_, i) => `key_scale_${results.length}_${k}_${repeat}_${i}_${process.pid}`,
    );
    try {
      return await strategy.run({ baseUrl: server.url, keys, jobsPerKey, concurrencyPerKey, scenario });
    } catch (error) {
      console.log(`  ${strategy.name}: ${k} keys failed: ${String(error)}`);
      return undefined;
    } finally {
      await server.close();
      await sleep(300);
    }
  };

  for (const strategy of strategies) {
    let oneKeyRps = Number.NaN;
    for (const k of keyCounts) {
      // Best of `repeats` runs: work elsewhere on the machine can only slow a run down.
      let best: { done: number; elapsedMs: number } | undefined;
      for (let r = 0; r < repeats; r++) {
        const outcome = await runOnce(strategy, k, r);
        if (outcome === undefined) break;
        if (!best || outcome.done / outcome.elapsedMs > best.done / best.elapsedMs) best = outcome;
      }
      if (best === undefined) break;
      const rps = (best.done / best.elapsedMs) * 1000;
      if (k === 1) oneKeyRps = rps;
      const row: ScaleResult = {
        strategy: strategy.name,
        keys: k,
        rps,
        scaling: rps / (k * oneKeyRps),
        ofIdeal: rps / (k * idealRps),
        done: best.done,
        jobs: k * jobsPerKey,
      };
      results.push(row);
      console.log(
        `  ${strategy.name.padEnd(26)} ${k} keys: ${rps.toFixed(0)} req/s, ${fixed(row.scaling)} × ${k} × one key, ` +
          `${fixed(row.ofIdeal)} of the server's best, done ${row.done}/${row.jobs}`,
      );
    }
  }
  return results;
}
