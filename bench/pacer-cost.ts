/**
 * The pacer's own cost, without HTTP: nanoseconds per acquire + release (the release is where a
 * response is observed) on the in-memory pacer when the budget does not bind, and heap bytes per
 * idle key; how both grow with the window log's size and with the number of keys.
 *
 * Time is a hand-moved clock (`now()` reads a variable): it lets a CampOne log hold 1000 live
 * entries per key ("full log") without waiting an hour, and costs nothing itself. No wait ever
 * happens, so `sleep` is never called.
 *
 * Run by bench/run.ts in a child process started with `--expose-gc` (memory needs `global.gc`):
 * `node --expose-gc --import tsx bench/pacer-cost.ts [--quick]` prints the results as JSON.
 */
import {
  boothzen,
  type Clock,
  campone,
  createPacer,
  type Dialect,
  type KeyPacerConfig,
  memoryStore,
  type SendOutcome,
} from "pacekeeper";
import { LocalKeyPacer } from "../src/pacer/local-key-pacer.js";
import { median } from "./stats.js";

export interface CostRow {
  /** What was measured. */
  case: string;
  /** Entries each key's main window log holds (its limit) and how many keys took turns. */
  logSize: number;
  keys: number;
  /** Median over repetitions, nanoseconds per acquire + release. */
  nsPerRequest: number;
}

export interface MemoryRow {
  case: string;
  logSize: number;
  keys: number;
  /** Heap bytes per key: the heap after making the keys, less before, over the key count. */
  bytesPerKey: number;
}

export interface PacerCostResult {
  cost: CostRow[];
  memory: MemoryRow[];
}

/** A clock moved by hand. */
function handClock(start = 1_700_000_000_000): Clock & { t: number } {
  const clock = {
    t: start,
    now: () => clock.t,
    sleep: () => Promise.reject(new Error("the budget was meant never to bind")),
  };
  return clock;
}

const COUNTED: SendOutcome = { kind: "response", status: 200, counted: true };

function configOf(dialect: Dialect, clock: Clock): KeyPacerConfig {
  return {
    limits: dialect.limits,
    probeFirst: dialect.sendsRateLimitHeaders,
    backoff: dialect.backoff,
    clock,
  };
}

/**
 * Nanoseconds of CPU time per `step`, median of `reps` runs of at least `minMs` each. CPU time,
 * not wall time: other work on the machine then slows the figure less (it still competes for caches).
 */
async function timePerStep(step: () => Promise<void>, reps: number, minMs: number): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    let count = 0;
    const start = process.cpuUsage();
    let elapsedUs = 0;
    while (elapsedUs < minMs * 1000) {
      for (let i = 0; i < 1_000; i++) await step();
      count += 1_000;
      const used = process.cpuUsage(start);
      elapsedUs = used.user + used.system;
    }
    samples.push((elapsedUs * 1000) / count);
  }
  return median(samples);
}

/**
 * Requests to `keys` pacers in turn, one every `dt` ms of hand-moved time, so that each key's log
 * holds `logSize - 2` live entries once filled: full, and still never binding.
 */
async function campOneCost(logSize: number, keys: number, reps: number, minMs: number): Promise<number> {
  const clock = handClock();
  const windowMs = 3_600_000;
  const dialect = campone({ limit: logSize, windowMs });
  const store = memoryStore();
  const pacers = Array.from({ length: keys }, (_, k) =>
    store.pacerFor(`bench ${k}`, configOf(dialect, clock)),
  );
  const dt = windowMs / ((logSize - 2) * keys);
  let k = 0;
  const step = async () => {
    clock.t += dt;
    const permit = await pacers[k]!.acquire();
    permit.release(COUNTED);
    k = k + 1 === keys ? 0 : k + 1;
  };
  // Fill every log first (and a second window's worth): a log still filling does less work.
  for (let i = 0; i < 2 * logSize * keys; i++) await step();
  return timePerStep(step, reps, minMs);
}

/**
 * BoothZen's preset (600 per minute, 60 per second), each response carrying RateLimit headers
 * from a fixed-window server, one request every ~100 ms: the minute's log is full (598 live).
 */
async function boothZenCost(reps: number, minMs: number): Promise<number> {
  const clock = handClock();
  const dialect = boothzen();
  const pacer = new LocalKeyPacer(configOf(dialect, clock));
  const dt = 60_000 / 598;
  let windowStart = clock.t;
  let used = 0;
  const step = async () => {
    clock.t += dt;
    const permit = await pacer.acquire();
    if (clock.t - windowStart >= 60_000) {
      windowStart += 60_000;
      used = 0;
    }
    used++;
    permit.release({
      kind: "response",
      status: 200,
      counted: true,
      rateLimit: {
        limit: 600,
        remaining: 600 - used,
        resetMs: Math.ceil((windowStart + 60_000 - clock.t) / 1000) * 1000,
        policies: [],
        source: "ietf-06",
      },
    });
  };
  for (let i = 0; i < 2_000; i++) await step();
  return timePerStep(step, reps, minMs);
}

/** `createPacer().acquire(name)`: the key's name is looked up (and fingerprinted) on every call. */
async function byNameCost(logSize: number, keys: number, reps: number, minMs: number): Promise<number> {
  const clock = handClock();
  const windowMs = 3_600_000;
  const pacer = createPacer({ limits: [{ limit: logSize, windowMs }], clock });
  const names = Array.from({ length: keys }, (_, k) => `key_live_${String(k).padStart(8, "0")}`);
  const dt = windowMs / ((logSize - 2) * keys);
  let k = 0;
  const step = async () => {
    clock.t += dt;
    const permit = await pacer.acquire(names[k]!);
    permit.release(COUNTED);
    k = k + 1 === keys ? 0 : k + 1;
  };
  for (let i = 0; i < 2 * logSize * keys; i++) await step();
  return timePerStep(step, reps, minMs);
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("memory needs global.gc: run node with --expose-gc");
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Heap bytes per key for `keys` idle keys, each after `sends` sends, all still inside the window:
 * the keys send in turn, each no faster than its tightest limit allows.
 */
async function memoryPerKey(dialect: Dialect, keys: number, sends: number): Promise<number> {
  const clock = handClock();
  const before = heapUsed();
  const store = memoryStore();
  const pacers = Array.from({ length: keys }, (_, k) =>
    store.pacerFor(`bench ${k}`, configOf(dialect, clock)),
  );
  const spacing = Math.max(...dialect.limits.map((l) => l.windowMs / l.limit)) * 1.01;
  for (let i = 0; i < sends; i++) {
    for (const pacer of pacers) {
      clock.t += spacing / keys;
      const permit = await pacer.acquire();
      permit.release(COUNTED);
    }
  }
  const after = heapUsed();
  if (pacers.length !== keys || store.size !== keys) throw new Error("keys were dropped");
  return (after - before) / keys;
}

export async function runPacerCost(quick: boolean): Promise<PacerCostResult> {
  const reps = quick ? 3 : 5;
  const minMs = quick ? 150 : 300;
  const cost: CostRow[] = [];
  const add = (row: CostRow) => {
    cost.push(row);
    console.error(`  ${row.case} (log ${row.logSize}, ${row.keys} keys): ${row.nsPerRequest.toFixed(0)} ns`);
  };
  const full = "CampOne shape, full log";
  add({ case: full, logSize: 1000, keys: 1, nsPerRequest: await campOneCost(1000, 1, reps, minMs) });
  add({
    case: "BoothZen preset + RateLimit headers",
    logSize: 600,
    keys: 1,
    nsPerRequest: await boothZenCost(reps, minMs),
  });
  for (const logSize of [10, 100, 10_000]) {
    add({ case: full, logSize, keys: 1, nsPerRequest: await campOneCost(logSize, 1, reps, minMs) });
  }
  for (const keys of [100, 10_000]) {
    add({ case: full, logSize: 100, keys, nsPerRequest: await campOneCost(100, keys, reps, minMs) });
  }
  for (const keys of [1, 10_000]) {
    add({
      case: "createPacer().acquire(name), full log",
      logSize: 100,
      keys,
      nsPerRequest: await byNameCost(100, keys, reps, minMs),
    });
  }

  const memory: MemoryRow[] = [];
  const mem = async (label: string, dialect: Dialect, logSize: number, keys: number, sends: number) => {
    // A heap delta moves with what the collector happens to keep (a run of 2026-12-02 read 6 bytes
    // per key for "10 sends", against 1,278 the run before): the median of three.
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push(await memoryPerKey(dialect, keys, sends));
    const row = { case: label, logSize, keys, bytesPerKey: median(runs) };
    memory.push(row);
    console.error(`  ${row.case} (log ${logSize}, ${keys} keys): ${row.bytesPerKey.toFixed(0)} B/key`);
  };
  await mem("CampOne preset, never used", campone(), 1000, 10_000, 0);
  await mem("CampOne preset, 10 sends", campone(), 1000, 10_000, 10);
  await mem("CampOne shape, full log", campone({ limit: 100 }), 100, 10_000, 99);
  // Full logs of large windows on fewer keys: the bytes per key do not depend on how many keys
  // there are, and filling 10,000 logs of 1,000 entries alone takes minutes at today's cost per send.
  await mem("CampOne preset, full log", campone(), 1000, 1_000, 999);
  await mem("BoothZen preset, full minute log", boothzen(), 600, 1_000, 599);
  await mem("CampOne shape, full log", campone({ limit: 10_000 }), 10_000, 100, 9_999);
  return { cost, memory };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ""))) {
  const result = await runPacerCost(process.argv.includes("--quick"));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
