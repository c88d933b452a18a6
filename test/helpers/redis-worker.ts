/**
 * One process of a fleet that shares API keys through `pacekeeper/redis`, run by
 * test/helpers/redis-fleet.ts as `node --import tsx test/helpers/redis-worker.ts '<json>'`.
 *
 * Started with a `WorkerBoot`, it connects to Redis, warms up (JIT, connections, the scripts)
 * against a mock server on a key of its own, and prints `ready`. Then, line by line on stdin:
 * `prepare <WorkerJob>` builds the job's store and client and answers `prepared`; `go` runs it
 * (printing `done <n>` after each request when asked) and answers `result <WorkerResult>`;
 * `exit` closes everything. Each process is started once and runs several jobs, so that the
 * tests pay for starting Node and warming up only once.
 */
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { realClock } from "../../src/clock/clock.js";
import { boothzen, type Client, type Clock, campone, createClient } from "../../src/index.js";
import { type RedisStore, redisStore } from "../../src/redis/index.js";

export interface WorkerBoot {
  redisPort: number;
  /** A CampOne mock with its default limits, for the warm-up. */
  warmupUrl: string;
  /** Tells the processes' warm-up keys apart. */
  index: number;
}

export interface WorkerJob {
  dialect: "campone" | "boothzen";
  baseUrl: string;
  apiKey: string;
  requests: number;
  concurrency: number;
  limit: number;
  windowMs: number;
  burst?: number;
  burstWindowMs?: number;
  /** Added to this process's `Date.now()`: machines whose clocks disagree. */
  skewMs?: number;
  reservationGraceMs?: number;
  /** The store's prefix. */
  prefix?: string;
  /** Held after each response before it is reported to the pacer (a slow consumer; a kill lands here). */
  holdMs?: number;
  /** Print `done <n>` after each request. */
  progress?: boolean;
}

export interface WorkerResult {
  statuses: Record<string, number>;
  errors: string[];
}

const boot = JSON.parse(process.argv[2] ?? "{}") as WorkerBoot;
const redis = new Redis(boot.redisPort, "127.0.0.1");

function dialectOf(job: WorkerJob) {
  return job.dialect === "campone"
    ? campone({ limit: job.limit, windowMs: job.windowMs })
    : boothzen({
        limit: job.limit,
        windowMs: job.windowMs,
        burst: job.burst ?? 40,
        burstWindowMs: job.burstWindowMs ?? 1000,
      });
}

function pathOf(job: Pick<WorkerJob, "dialect">): string {
  return job.dialect === "campone" ? "/sites" : "/api/v1/bookings?page_size=1";
}

async function warmUp(): Promise<void> {
  const store = redisStore({ client: redis });
  const client = createClient({
    baseUrl: boot.warmupUrl,
    apiKey: `key_live_warmup_${boot.index}`,
    dialect: campone(),
    store,
  });
  await Promise.all(
    Array.from({ length: 5 }, async () => {
      for (let i = 0; i < 8; i++) await (await client.fetch("/sites")).arrayBuffer();
    }),
  );
  await client.close();
  await store.close();
}

interface Prepared {
  job: WorkerJob;
  store: RedisStore;
  client: Client;
}

function prepare(job: WorkerJob): Prepared {
  const skew = job.skewMs ?? 0;
  const clock: Clock = { now: () => realClock.now() + skew, sleep: realClock.sleep };
  const store = redisStore({
    client: redis,
    reservationGraceMs: job.reservationGraceMs ?? 30_000,
    ...(job.prefix ? { prefix: job.prefix } : {}),
  });
  const hold = job.holdMs ?? 0;
  const client = createClient({
    baseUrl: job.baseUrl,
    apiKey: job.apiKey,
    dialect: dialectOf(job),
    clock,
    store,
    // A response that reached the process but not yet the pacer: what a kill interrupts.
    fetch:
      hold > 0
        ? async (input, init) => {
            const res = await fetch(input, init);
            await new Promise((r) => setTimeout(r, hold));
            return res;
          }
        : undefined,
  });
  return { job, store, client };
}

async function run({ job, store, client }: Prepared): Promise<WorkerResult> {
  const result: WorkerResult = { statuses: {}, errors: [] };
  const path = pathOf(job);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      while (next < job.requests) {
        next++;
        try {
          const res = await client.fetch(path);
          await res.arrayBuffer();
          result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
        } catch (error) {
          result.errors.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
        }
        done++;
        if (job.progress) process.stdout.write(`done ${done}\n`);
      }
    }),
  );
  await client.close();
  await store.close();
  return result;
}

await redis.ping();
await warmUp();
process.stdout.write("ready\n");

let prepared: Prepared | undefined;
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.startsWith("prepare ")) {
    prepared = prepare(JSON.parse(line.slice(8)) as WorkerJob);
    process.stdout.write("prepared\n");
  } else if (line === "go" && prepared) {
    const result = await run(prepared);
    prepared = undefined;
    process.stdout.write(`result ${JSON.stringify(result)}\n`);
  } else if (line === "exit") {
    break;
  }
}
lines.close();
process.stdin.destroy();
redis.disconnect();
