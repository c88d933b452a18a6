import { afterEach, describe, expect, it } from "vitest";
import { keyFingerprint, runInWorkers } from "../../src/batch/index.js";
import type { PacekeeperEvent } from "../../src/index.js";
import { type MockServer, startMockServer } from "../../src/mock/index.js";

// The worker modules import the built package (dist/), which `npm test` builds first (pretest).
const workerModule = new URL("../helpers/batch-worker.mjs", import.meta.url);
const idleWorkerModule = new URL("../helpers/batch-idle-worker.mjs", import.meta.url);
const KEYS = ["key_live_worker_0001", "key_live_worker_0002", "key_live_worker_0003", "key_live_worker_0004"];

type Job = { id: number; bookingId: number; kind?: "exit" | "throw" | "unclonable" };
type Result = { id: number; bookingId: number; key: string };

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function campOne(): Promise<MockServer> {
  server = await startMockServer({ dialect: "campone", port: 0 });
  return server;
}

const jobsFor = (n: number, special: Record<number, Job["kind"]> = {}): Job[] =>
  Array.from({ length: n }, (_, id) => ({
    id,
    bookingId: id + 1,
    ...(special[id] ? { kind: special[id] } : {}),
  }));

/** How many times the server saw each booking fetched. */
function fetchesPerBooking(mock: MockServer): Map<number, number> {
  const seen = new Map<number, number>();
  for (const row of mock.audit()) {
    const id = Number(row.path.split("/").at(-1));
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return seen;
}

describe("runInWorkers", () => {
  it("runs every job exactly once over one worker per key, results in job order, events on this thread", async () => {
    const mock = await campOne();
    const jobs = jobsFor(40);
    const events: PacekeeperEvent[] = [];
    const settledOrder: number[] = [];
    const result = await runInWorkers<Job, Result>({
      workerModule,
      keys: KEYS,
      jobs,
      // Every job waits until each worker has begun one, so that each key surely gets work.
      workerData: {
        baseUrl: mock.url,
        started: new Int32Array(new SharedArrayBuffer(4)),
        workers: KEYS.length,
      },
      hooks: { event: (e) => events.push(e) },
      onOutcome: (_, index) => settledOrder.push(index),
    });
    expect(result).toMatchObject({ crashes: 0, restarts: 0, requeued: 0 });
    expect(result.outcomes).toHaveLength(40);
    result.outcomes.forEach((outcome, i) => {
      expect(outcome).toMatchObject({ ok: true, value: { id: i, bookingId: i + 1 } });
      if (outcome.ok) expect(outcome.value.key).toBe(outcome.key);
    });
    expect(new Set(settledOrder).size).toBe(40);
    // Each booking fetched exactly once; every key did some of the work.
    expect([...fetchesPerBooking(mock).entries()].sort((a, b) => a[0] - b[0])).toEqual(
      jobs.map((j) => [j.bookingId, 1]),
    );
    expect(new Set(result.outcomes.map((o) => o.key))).toEqual(new Set(KEYS.map(keyFingerprint)));
    expect(events.filter((e) => e.type === "response")).toHaveLength(40);
    expect(JSON.stringify(events)).not.toContain("key_live_worker");
  });

  it("returns a job's error as typed data: the client's errors by their toJSON, the job's own by name and message", async () => {
    const mock = await campOne();
    const jobs: Job[] = [
      { id: 0, bookingId: 1 },
      { id: 1, bookingId: 999_999 },
      { id: 2, bookingId: 2, kind: "throw" },
      { id: 3, bookingId: 3, kind: "unclonable" },
      { id: 4, bookingId: 4 },
    ];
    const { outcomes, crashes } = await runInWorkers<Job, Result>({
      workerModule,
      keys: KEYS.slice(0, 2),
      jobs,
      workerData: { baseUrl: mock.url },
    });
    expect(crashes).toBe(0);
    expect(outcomes[0]).toMatchObject({ ok: true, value: { bookingId: 1 } });
    expect(outcomes[1]).toMatchObject({
      ok: false,
      error: { name: "NotFoundError", code: "not_found", status: 404, method: "GET", attempts: 1 },
    });
    expect(outcomes[2]).toEqual({
      ok: false,
      key: expect.stringMatching(/^key_[0-9a-f]{12}$/),
      error: { name: "TypeError", message: "job 2 is not valid" },
    });
    expect(outcomes[3]).toMatchObject({ ok: false, error: { name: "DataCloneError" } });
    expect(outcomes[4]).toMatchObject({ ok: true, value: { bookingId: 4 } });
    expect(JSON.stringify(outcomes)).not.toContain("key_live_worker");
  });

  it("a worker that crashes mid-batch: its started job fails typed, its unstarted jobs run elsewhere, none twice", async () => {
    const mock = await campOne();
    // Job 0 is the first a worker receives, so the jobs sent with it are still unstarted when it dies.
    const jobs = jobsFor(30, { 0: "exit" });
    const result = await runInWorkers<Job, Result>({
      workerModule,
      keys: KEYS.slice(0, 2),
      jobs,
      concurrency: 4,
      workerData: { baseUrl: mock.url },
    });
    expect(result.crashes).toBe(1);
    expect(result.restarts).toBe(1);
    expect(result.requeued).toBeGreaterThanOrEqual(1);
    expect(result.outcomes[0]).toMatchObject({
      ok: false,
      error: { name: "WorkerCrashedError", code: "worker_crashed", started: true, exitCode: 3 },
    });
    for (const outcome of result.outcomes.slice(1)) expect(outcome.ok).toBe(true);
    const fetched = fetchesPerBooking(mock);
    expect(fetched.has(1)).toBe(false);
    for (const job of jobs.slice(1)) expect(fetched.get(job.bookingId)).toBe(1);
  });

  it("with no worker left, the jobs still waiting fail as never started", async () => {
    const mock = await campOne();
    const jobs = jobsFor(6, { 0: "exit" });
    const { outcomes, crashes, restarts } = await runInWorkers<Job, Result>({
      workerModule,
      keys: KEYS.slice(0, 1),
      jobs,
      concurrency: 1,
      maxRestarts: 0,
      workerData: { baseUrl: mock.url },
    });
    expect({ crashes, restarts }).toEqual({ crashes: 1, restarts: 0 });
    expect(outcomes[0]).toMatchObject({ ok: false, error: { code: "worker_crashed", started: true } });
    for (const outcome of outcomes.slice(1)) {
      expect(outcome).toMatchObject({ ok: false, error: { code: "worker_crashed", started: false } });
    }
    expect(mock.audit()).toHaveLength(0);
  });

  it("a module that never serves jobs: every job fails, the crash says why", async () => {
    const { outcomes, crashes, restarts } = await runInWorkers({
      workerModule: idleWorkerModule,
      keys: KEYS.slice(0, 2),
      jobs: [1, 2, 3],
      maxRestarts: 1,
    });
    expect({ crashes, restarts }).toEqual({ crashes: 4, restarts: 2 });
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ ok: false, error: { code: "worker_crashed", started: false } });
      if (!outcome.ok) expect(outcome.error.message).toContain("serveWorkerJobs()");
    }
  });

  it("an empty batch starts no worker", async () => {
    expect(await runInWorkers({ workerModule, keys: KEYS, jobs: [] })).toEqual({
      outcomes: [],
      crashes: 0,
      restarts: 0,
      requeued: 0,
    });
  });

  it.each([
    [{ keys: [] }, /`keys` to be a non-empty array/],
    [{ keys: ["a", "a"] }, /distinct keys/],
    [{ workerModule: "./no/such/worker.mjs" }, /`workerModule` to be an existing file/],
    [{ concurrency: 0 }, /`concurrency` to be an integer from 1 and up/],
    [{ maxRestarts: 1.5 }, /`maxRestarts` to be an integer/],
    [{ retries: 1 }, /Unknown option `retries`/],
  ])("rejects %j before starting any worker", (override, message) => {
    expect(() => runInWorkers({ workerModule, keys: KEYS, jobs: [1], ...override } as never)).toThrow(
      message,
    );
  });
});
