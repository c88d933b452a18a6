/**
 * A diagnostic, not part of `npm run bench`: runs pacekeeper alone against one scenario of the
 * benchmark and shows when the server received each window's requests, and why the client waited.
 *
 *   npm run bench:timeline -- [campone|fixed|rolling|bucket|scale] [--quick] [--repeat=N] [--redis]
 *
 * ("scale": one key of the scale-across-keys runs, at their concurrency per key.) With `--redis`,
 * the key is shared through `pacekeeper/redis` by two clients, each with its own store and Redis
 * connection, as two processes would share it; the jobs alternate between them (bench/tools/redis-server.ts
 * says which Redis). For each run:
 * the time over the server's minimum and when each window's requests arrived. For the run whose
 * window took longest to send (where a wait went wrong, if one did): arrivals per 100 ms, and every
 * wait the client announced (hook `wait`: reason and expected ms) that was longer than 300 ms, with
 * the budget the latest response before it reported.
 */
import { Redis } from "ioredis";
import { createClient, type PacekeeperEvent } from "pacekeeper";
import { type RedisStore, redisStore } from "pacekeeper/redis";
import { benchConfig, jobPath, presetFor, rulesOf } from "../config.js";
import { startServerHost } from "../host/index.js";
import { runJobs } from "../run-jobs.js";
import { idealMinimumMs } from "../server-model.js";
import { redisUrl } from "./redis-server.js";

const which = process.argv[2] ?? "campone";
const repeat = Number(process.argv.find((a) => a.startsWith("--repeat="))?.split("=")[1] ?? 1);
const config = benchConfig(process.argv.includes("--quick"));
const scenario =
  which === "scale"
    ? config.scale.scenario
    : config.scenarios.find((s) =>
        which === "campone" ? s.dialect === "campone" : s.dialect === "boothzen" && s.model === which,
      )!;
const jobs = which === "scale" ? config.scale.jobsPerKey : config.jobs;
const concurrency = which === "scale" ? config.scale.concurrencyPerKey : config.concurrency;
const minimum = idealMinimumMs(scenario.model, rulesOf(scenario), jobs);
const host = await startServerHost();
const redis = process.argv.includes("--redis") ? await redisUrl() : undefined;

interface Run {
  ratio: number;
  /** The longest time any one window's requests took to arrive, ms. */
  longestWindow: number;
  arrivals: number[];
  events: PacekeeperEvent[];
}

const runs: Run[] = [];
for (let r = 0; r < repeat; r++) {
  const server = await host.startMock({
    dialect: scenario.dialect,
    counting: scenario.model,
    limit: scenario.limit,
    windowMs: scenario.windowMs,
    ...(scenario.burst !== undefined ? { burst: scenario.burst, burstWindowMs: scenario.burstWindowMs } : {}),
  });
  const apiKey = `key_diagnose_${r}_${process.pid}`;
  const events: PacekeeperEvent[] = [];
  // Without Redis, one client and the default in-memory store; with it, two "processes".
  const connections = redis ? [new Redis(redis.url), new Redis(redis.url)] : [];
  const stores: (RedisStore | undefined)[] = redis
    ? connections.map((c) => redisStore({ client: c, prefix: `diagnose-${process.pid}-${r}:` }))
    : [undefined];
  const clients = stores.map((store) =>
    createClient({
      baseUrl: server.url,
      apiKey,
      store,
      dialect: presetFor(scenario),
      hooks: { event: (e) => events.push(e) },
    }),
  );
  const outcome = await runJobs(jobs, concurrency, 60_000, async (i, signal) => {
    const res = await clients[i % clients.length]!.fetch(jobPath(scenario, i), { signal });
    await res.arrayBuffer();
    return res.status;
  });
  for (const client of clients) await client.close();
  for (const store of stores) await store?.close();
  for (const connection of connections) connection.disconnect();
  const audit = await server.audit(apiKey);
  await server.close();
  const t0 = audit[0]!.timestamp;
  const arrivals = audit.map((row) => row.timestamp - t0);
  const refused = audit.filter((row) => row.status === 429).length;
  const windows: string[] = [];
  let longestWindow = 0;
  for (let k = 0; k * scenario.limit < arrivals.length; k++) {
    const last = Math.min(arrivals.length, (k + 1) * scenario.limit) - 1;
    windows.push(`${arrivals[k * scenario.limit]}…${arrivals[last]}`);
    longestWindow = Math.max(longestWindow, arrivals[last]! - arrivals[k * scenario.limit]!);
  }
  const ratio = outcome.elapsedMs / minimum;
  console.log(
    `run ${r + 1}: ${(outcome.elapsedMs / 1000).toFixed(2)} s / ${(minimum / 1000).toFixed(2)} s = ${ratio.toFixed(3)}, ` +
      `${refused} × 429; windows arrived (ms) ${windows.join(", ")}`,
  );
  runs.push({ ratio, longestWindow, arrivals, events: events.map((e) => ({ ...e, at: e.at - t0 })) });
}
await host.terminate();
redis?.stop();

const slowest = runs.reduce((a, b) => (b.longestWindow > a.longestWindow ? b : a));
console.log(
  `\n${scenario.label}, run ${runs.indexOf(slowest) + 1} (a window took ${slowest.longestWindow} ms to send): arrivals per 100 ms`,
);
const buckets = new Map<number, number>();
for (const t of slowest.arrivals)
  buckets.set(Math.floor(t / 100), (buckets.get(Math.floor(t / 100)) ?? 0) + 1);
const line: string[] = [];
for (let b = 0; b <= Math.max(...buckets.keys()); b++)
  line.push(`${(b / 10).toFixed(1)}:${buckets.get(b) ?? 0}`);
console.log(line.join(" "));
console.log(
  "\nWaits longer than 300 ms (at = ms after the first arrival), with the last budget seen before:",
);
let budget = "";
for (const e of slowest.events) {
  if (e.type === "response" && e.rateLimit) {
    budget = `remaining ${e.rateLimit.remaining}, reset ${e.rateLimit.resetMs} ms (seen at ${e.at.toFixed(0)})`;
  }
  if (e.type === "wait" && e.ms !== undefined && e.ms > 300) {
    console.log(
      `  at ${e.at.toFixed(0)}: wait ${e.reason} ${e.ms.toFixed(0)} ms — ${budget || "no budget yet"}`,
    );
  }
}
process.exit(0);
