/**
 * What sharing a key through Redis costs per request, side by side with the in-memory store in
 * the same run: the pacer alone (acquire + release, the budget never binding) and whole requests
 * over loopback HTTP to the mock server, one at a time and 32 at once. Prints a table of medians
 * and, for each row, the median ratio Redis / in-memory of runs made back to back.
 *
 *   npm run bench:redis [-- --quick]
 *
 * Uses `REDIS_URL` when set; otherwise starts a throwaway `redis-server` on a free loopback port
 * (it must be on PATH). Not a test: figures for docs/benchmarks.md, not assertions.
 */
import { Redis } from "ioredis";
import { campone, createClient, type KeyPacerConfig, memoryStore, type PacerStore } from "pacekeeper";
import { startMockServer } from "pacekeeper/mock";
import { redisStore } from "pacekeeper/redis";
import { realClock } from "../../src/clock/clock.js";
import type { KeyPacer } from "../../src/pacer/types.js";
import { DEFAULT_BACKOFF } from "../../src/retry/backoff.js";
import { redisUrl } from "./redis-server.js";

const quick = process.argv.includes("--quick");
const REPS = quick ? 5 : 11;
const PACER_OPS = quick ? 2_000 : 5_000;
const HTTP_REQUESTS = quick ? 200 : 400;

interface Row {
  case: string;
  /** Medians, µs per request. */
  memory: number;
  redis: number;
  /** Median of the ratios of runs made back to back: steadier than the ratio of medians on a busy machine. */
  ratio: number;
  unit: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Wall time per operation (µs): Redis' cost is mostly waiting on the socket, not CPU. */
async function perOp(total: number, concurrency: number, op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return ((performance.now() - start) * 1000) / total;
}

const ROOMY: KeyPacerConfig = {
  // Never binds: every acquire is granted at once, so only the bookkeeping is measured.
  limits: [{ limit: 1_000_000_000, windowMs: 60_000 }],
  probeFirst: false,
  backoff: DEFAULT_BACKOFF,
  clock: realClock,
};

async function pacerCost(store: PacerStore, concurrency: number, rep: number): Promise<number> {
  const pacer: KeyPacer = store.pacerFor(`bench pacer ${concurrency} ${rep} ${Date.now()}`, ROOMY);
  await perOp(50, concurrency, async () => {
    (await pacer.acquire()).release({ kind: "unsent" });
  });
  return perOp(PACER_OPS, concurrency, async () => {
    const permit = await pacer.acquire();
    permit.release({ kind: "response", status: 200, counted: true });
  });
}

async function httpCost(url: string, store: PacerStore, concurrency: number, rep: number): Promise<number> {
  const client = createClient({
    baseUrl: url,
    apiKey: `key_live_bench_${concurrency}_${rep}_${Date.now()}`,
    dialect: campone({ limit: 1_000_000, windowMs: 60_000 }),
    store,
  });
  const one = async () => {
    const res = await client.fetch("/sites");
    await res.arrayBuffer();
  };
  await perOp(50, concurrency, one);
  const us = await perOp(HTTP_REQUESTS, concurrency, one);
  await client.close();
  return us;
}

const redis = await redisUrl();
const client = new Redis(redis.url);
const shared = redisStore({ client });
const mock = await startMockServer({ dialect: "campone", port: 0, limit: 1_000_000, windowMs: 60_000 });
const rows: Row[] = [];
try {
  const cases: [string, string, (store: PacerStore, rep: number) => Promise<number>][] = [
    ["pacer: acquire + release, one at a time", "µs", (s, r) => pacerCost(s, 1, r)],
    ["pacer: acquire + release, 32 at once", "µs", (s, r) => pacerCost(s, 32, r)],
    ["HTTP request to the mock, one at a time", "µs", (s, r) => httpCost(mock.url, s, 1, r)],
    ["HTTP request to the mock, 32 at once", "µs", (s, r) => httpCost(mock.url, s, 32, r)],
  ];
  for (const [name, unit, measure] of cases) {
    const memory: number[] = [];
    const viaRedis: number[] = [];
    // Alternate the stores, so that a slow moment of the machine hits both alike.
    for (let rep = 0; rep < REPS; rep++) {
      memory.push(await measure(memoryStore(), rep));
      viaRedis.push(await measure(shared, rep));
    }
    rows.push({
      case: name,
      memory: median(memory),
      redis: median(viaRedis),
      ratio: median(viaRedis.map((r, i) => r / memory[i]!)),
      unit,
    });
  }
} finally {
  await shared.close();
  client.disconnect();
  await mock.close();
  redis.stop();
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
console.log(`\nRedis store vs in-memory store, per request (median of ${REPS}; Node ${process.version})\n`);
console.log("| case | in-memory | Redis | Redis / in-memory |");
console.log("| --- | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.case} | ${fmt(r.memory)} ${r.unit} | ${fmt(r.redis)} ${r.unit} | ${r.ratio.toFixed(r.ratio >= 10 ? 0 : 2)}× |`,
  );
}
console.log(`\n${JSON.stringify(rows)}`);
