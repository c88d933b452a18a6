/**
 * Throughput of K keys against one key, over real loopback:
 *
 *     npm run bench:keys
 *
 * (the workers load the built package, as a user's compiled worker module would). For each
 * dialect: a fresh mock server with windows of a few seconds, and a batch of one-request jobs
 * sized to three windows of every key — first one key alone (one client, 8 requests at once),
 * then 4 keys through a key pool, then 4 keys with worker_threads (one worker and client per key).
 * Prints each run's throughput against 4 × one key's, three ways (see the legend it prints).
 * `BENCH_DIALECT=campone` runs one dialect; `BENCH_WINDOWS=9` makes the batch three times longer.
 * Not a test.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { boothzen, type Client, campone, createClient } from "pacekeeper";
import { createKeyPool, runInWorkers } from "pacekeeper/batch";
import { type MockServer, startMockServer } from "pacekeeper/mock";
import { idealMinimumMs } from "../../demo/ideal-schedule.js";
import { presetFor } from "../config.js";

type DialectName = "campone" | "boothzen";

interface Setup {
  dialect: DialectName;
  limit: number;
  windowMs: number;
  burst?: number;
  burstWindowMs?: number;
}

// Per-key rates of a few requests a second, like the real APIs' (CampOne: 1000 an hour; BoothZen:
// 10 a second), so that 4 keys stay well within what one process can send and serve over loopback.
const SETUPS: Setup[] = [
  { dialect: "campone", limit: 30, windowMs: 5_000 },
  { dialect: "boothzen", limit: 30, windowMs: 5_000, burst: 15, burstWindowMs: 1_000 },
];
const KEYS = 4;
/** Windows of jobs per key: a longer batch spreads the workers' start over more work. */
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 3);

interface Run {
  mode: string;
  keys: number;
  requests: number;
  refused: number;
  failed: number;
  wallMs: number;
  /** The server's first to last request. */
  spanMs: number;
  /** Each key's requests over its own first-to-last request, summed: requests per second. */
  keyRates: number;
  minimumMs: number;
}

const pathOf = (dialect: DialectName) => (dialect === "campone" ? "/sites/1" : "/api/v1/bookings/bkg_000001");

async function oneRequest(client: Client, path: string): Promise<number> {
  const res = await client.fetch(path);
  await res.body?.cancel();
  return res.status;
}

/** The worker module: plain JavaScript on the built package, written to a temporary file. */
function writeWorkerModule(): string {
  const dist = new URL("../../dist/index.js", import.meta.url);
  const batch = new URL("../../dist/batch/index.js", import.meta.url);
  if (!existsSync(dist)) {
    console.error("bench/tools/keys.ts: dist/ is missing; run `npm run build` first");
    process.exit(1);
  }
  const file = join(mkdtempSync(join(tmpdir(), "pacekeeper-bench-")), "worker.mjs");
  writeFileSync(
    file,
    `import { boothzen, campone, createClient } from ${JSON.stringify(dist.href)};
import { serveWorkerJobs } from ${JSON.stringify(batch.href)};
serveWorkerJobs({
  createClient: ({ apiKey, data: { url, setup } }) =>
    createClient({
      baseUrl: url,
      apiKey,
      dialect: setup.dialect === "campone"
        ? campone({ limit: setup.limit, windowMs: setup.windowMs })
        : boothzen({ limit: setup.limit, windowMs: setup.windowMs, burst: setup.burst ?? 60, burstWindowMs: setup.burstWindowMs ?? 1000 }),
    }),
  async run(path, client) {
    const res = await client.fetch(path);
    await res.body?.cancel();
    return res.status;
  },
});
`,
  );
  return file;
}

/**
 * A throwaway batch first, so that no measured run pays for this process's cold start (JIT,
 * sockets) or the worker module's first load from disk.
 */
async function warmUp(workerModule: string): Promise<void> {
  for (const dialect of ["campone", "boothzen"] as const) {
    const server = await startMockServer({ dialect, port: 0, limit: 100_000, windowMs: 60_000 });
    const pool = createKeyPool({
      apiKeys: ["key_live_bench_warm_1", "key_live_bench_warm_2"],
      baseUrl: server.url,
      dialect:
        dialect === "campone" ? campone({ limit: 100_000 }) : boothzen({ limit: 100_000, burst: 100_000 }),
    });
    await Promise.all(Array.from({ length: 400 }, () => pool.run((c) => oneRequest(c, pathOf(dialect)))));
    await pool.close();
    await runInWorkers<string, number>({
      workerModule: pathToFileURL(workerModule),
      keys: ["key_live_bench_warm_3"],
      jobs: [pathOf(dialect)],
      workerData: { url: server.url, setup: { dialect, limit: 100_000, windowMs: 60_000 } },
    });
    await server.close();
  }
}

async function measure(
  setup: Setup,
  mode: string,
  keys: number,
  minimumMs: number,
  body: (server: MockServer) => Promise<number[]>,
): Promise<Run> {
  const { dialect, limit, windowMs } = setup;
  const server = await startMockServer(
    dialect === "campone"
      ? { dialect, port: 0, limit, windowMs }
      : {
          dialect,
          port: 0,
          limit,
          windowMs,
          burst: setup.burst ?? 60,
          burstWindowMs: setup.burstWindowMs ?? 1_000,
        },
  );
  const started = performance.now();
  const statuses = await body(server);
  const wallMs = performance.now() - started;
  const audit = server.audit();
  await server.close();
  const times = audit.map((row) => row.timestamp);
  let keyRates = 0;
  for (const key of new Set(audit.map((row) => row.key))) {
    const own = audit.filter((row) => row.key === key).map((row) => row.timestamp);
    keyRates += (own.length * 1000) / (Math.max(...own) - Math.min(...own));
  }
  return {
    mode,
    keys,
    requests: audit.length,
    refused: audit.filter((row) => row.status === 429).length,
    failed: statuses.filter((s) => s !== 200).length,
    wallMs,
    spanMs: Math.max(...times) - Math.min(...times),
    keyRates,
    minimumMs,
  };
}

async function runSetup(setup: Setup, workerModule: string): Promise<Run[]> {
  const perKey = WINDOWS * setup.limit;
  const rules =
    setup.dialect === "campone"
      ? [{ limit: setup.limit, windowMs: setup.windowMs }]
      : [
          { limit: setup.limit, windowMs: setup.windowMs },
          { limit: setup.burst ?? 60, windowMs: setup.burstWindowMs ?? 1_000 },
        ];
  const minimumMs = idealMinimumMs(setup.dialect === "campone" ? "rolling" : "fixed", rules, perKey);
  const keys = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => `key_live_bench_${tag}_${i + 1}`);
  const path = pathOf(setup.dialect);

  const one = await measure(setup, "one key, one client", 1, minimumMs, async (server) => {
    const client = createClient({
      baseUrl: server.url,
      apiKey: keys(1, "one")[0]!,
      dialect: presetFor(setup),
    });
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < perKey) {
          next++;
          statuses.push(await oneRequest(client, path));
        }
      }),
    );
    await client.close();
    return statuses;
  });

  const pool = await measure(setup, "4 keys, key pool", KEYS, minimumMs, async (server) => {
    const keyPool = createKeyPool({
      apiKeys: keys(KEYS, "pool"),
      baseUrl: server.url,
      dialect: presetFor(setup),
    });
    const statuses = await Promise.all(
      Array.from({ length: KEYS * perKey }, () => keyPool.run((c) => oneRequest(c, path))),
    );
    await keyPool.close();
    return statuses;
  });

  const workers = await measure(setup, "4 keys, worker_threads", KEYS, minimumMs, async (server) => {
    const result = await runInWorkers<string, number>({
      workerModule: pathToFileURL(workerModule),
      keys: keys(KEYS, "workers"),
      jobs: Array.from({ length: KEYS * perKey }, () => path),
      concurrency: 8,
      workerData: { url: server.url, setup },
    });
    return result.outcomes.map((o) => (o.ok ? o.value : 0));
  });
  return [one, pool, workers];
}

function row(dialect: string, run: Run, one: Run): string {
  const perSecond = (r: Run, ms: number) => (r.requests * 1000) / ms;
  const wallRatio = perSecond(run, run.wallMs) / (run.keys * perSecond(one, one.wallMs));
  const spanRatio = perSecond(run, run.spanMs) / (run.keys * perSecond(one, one.spanMs));
  const keyRatio = run.keyRates / (run.keys * one.keyRates);
  return [
    dialect.padEnd(9),
    run.mode.padEnd(24),
    String(run.requests).padStart(5),
    String(run.refused).padStart(5),
    String(run.failed).padStart(7),
    `${(run.wallMs / 1000).toFixed(2)}s`.padStart(7),
    `${perSecond(run, run.wallMs).toFixed(1)}/s`.padStart(8),
    wallRatio.toFixed(3).padStart(10),
    spanRatio.toFixed(3).padStart(10),
    keyRatio.toFixed(3).padStart(10),
    `${(run.spanMs / run.minimumMs).toFixed(3)}x`.padStart(9),
  ].join("  ");
}

const workerModule = writeWorkerModule();
await warmUp(workerModule);
const lines: string[] = [];
const setups = SETUPS.filter((s) => !process.env.BENCH_DIALECT || s.dialect === process.env.BENCH_DIALECT);
for (const setup of setups) {
  const runs = await runSetup(setup, workerModule);
  for (const run of runs) lines.push(row(setup.dialect, run, runs[0]!));
}

const limits = setups.map((s) =>
  s.dialect === "campone"
    ? `campone ${s.limit} per ${s.windowMs / 1000} s rolling`
    : `boothzen ${s.limit} per ${s.windowMs / 1000} s fixed + burst ${s.burst} per ${(s.burstWindowMs ?? 1000) / 1000} s`,
);
console.log(
  `\npacekeeper: ${KEYS} keys vs one key, real loopback (${limits.join("; ")}; ${WINDOWS} windows of jobs per key)\n`,
);
console.log(
  [
    "dialect  ",
    "mode                    ",
    "  req",
    " 429s",
    " failed",
    "   wall",
    "   req/s",
    "ratio wall",
    "ratio span",
    "ratio keys",
    " span/min",
  ].join("  "),
);
for (const line of lines) console.log(line);
console.log(
  [
    "",
    "ratio = throughput / (keys × one key's throughput), three ways:",
    "  wall: requests / the whole batch call (for workers, starting and ending the threads included);",
    "  span: requests / the server's first-to-last request (a worker that started later ends later);",
    "  keys: each key's requests / its own first-to-last request, summed (the keys' pacing once running).",
    "span/min: the span against the least time the server's counting allows for one key's share.",
  ].join("\n"),
);
