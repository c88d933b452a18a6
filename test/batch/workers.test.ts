import { afterEach, describe, expect, it } from "vitest";
import {
  isWorkerModuleError,
  keyFingerprint,
  runInWorkers,
  WorkerModuleError,
} from "../../src/batch/index.js";
import type { PacekeeperEvent } from "../../src/index.js";
import { type MockServer, startMockServer } from "../../src/mock/index.js";

// The worker modules import the built package (dist/), which `npm test` builds first (pretest).
const workerModule = new URL("../helpers/batch-worker.mjs", import.meta.url);
const idleWorkerModule = new URL("../helpers/batch-idle-worker.mjs", import.meta.url);
const throwingWorkerModule = new URL("../helpers/batch-throwing-worker.mjs", import.meta.url);
const typescriptWorkerModule = new URL("../helpers/batch-typescript-worker.ts", import.meta.url);
const KEYS = ["key_live_worker_0001", "key_live_worker_0002", "key_live_worker_0003", "key_live_worker_0004"];

type Job = {
  id: number;
  bookingId: number;
  kind?: "exit" | "exit-after-request" | "throw" | "unclonable";
};
type Result = { id: number; bookingId: number; key: string; thread: number };

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

  describe("a worker module that cannot serve jobs rejects the batch at once, typed, no job started", () => {
    /** Runs a batch of 3 jobs over 2 keys (2 restarts each, were they crashes) and returns its rejection. */
    async function rejection(workerModule: URL | string, workerData?: unknown): Promise<WorkerModuleError> {
      const outcomes: unknown[] = [];
      const error = await runInWorkers({
        workerModule,
        keys: KEYS.slice(0, 2),
        jobs: [1, 2, 3],
        workerData,
        onOutcome: (outcome) => outcomes.push(outcome),
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WorkerModuleError);
      expect(isWorkerModuleError(error)).toBe(true);
      expect(outcomes).toEqual([]); // no job settled, as none started
      const typed = error as WorkerModuleError;
      expect(typed).toMatchObject({ name: "WorkerModuleError", code: "worker_module_failed" });
      expect(typed.message).toContain("no job was started");
      expect(JSON.stringify(typed.toJSON())).not.toContain("key_live_worker");
      return typed;
    }

    it("a module that throws while it is imported: the first failure ends the batch, no worker restarted", async () => {
      const loads = new Int32Array(new SharedArrayBuffer(4));
      const error = await rejection(throwingWorkerModule, { loads });
      expect(error.module).toBe(throwingWorkerModule.href);
      expect(error.exitCode).toBe(1);
      expect(error.key).toMatch(/^key_[0-9a-f]{12}$/);
      expect(error.message).toContain("the module is broken");
      // The key the module put in its message is redacted, in the message and the cause alike.
      expect(error.message).toContain("[REDACTED]");
      expect(String((error.cause as Error).message)).not.toContain("key_live_worker");
      // Two workers were started (one per key); as crashes they would have been started 6 times.
      expect(Atomics.load(loads, 0)).toBeGreaterThanOrEqual(1);
      expect(Atomics.load(loads, 0)).toBeLessThanOrEqual(2);
    });

    it("a TypeScript module: on Node 20 a worker cannot load it, and the error says what to do", async () => {
      const error = await rejection(typescriptWorkerModule);
      const nodeStripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);
      if (nodeStripsTypes) {
        expect(error.message).toContain("serveWorkerJobs()");
      } else {
        expect(error.message).toContain("Unknown file extension");
        expect(error.message).toContain("cannot load TypeScript");
        expect(error.message).toContain("tsx/esm/api");
      }
    });

    it("a missing file: rejected before any worker starts", async () => {
      const error = await rejection("./no/such/worker.mjs");
      expect(error.message).toContain("no such file");
      expect(error.module).toMatch(/^file:\/\/.*\/no\/such\/worker\.mjs$/);
      expect({ key: error.key, exitCode: error.exitCode }).toEqual({ key: undefined, exitCode: undefined });
    });

    it("a module whose createClient throws (here: no baseUrl in workerData)", async () => {
      const error = await rejection(workerModule, {});
      expect(error.message).toContain("baseUrl");
    });

    it("a module that never calls serveWorkerJobs(): the error says so", async () => {
      const error = await rejection(idleWorkerModule);
      expect(error.exitCode).toBe(0);
      expect(error.message).toContain("serveWorkerJobs()");
    });
  });

  it("keysPerWorker: several keys per thread, each job on one of its thread's keys, every key used, every job once", async () => {
    const mock = await campOne();
    const jobs = jobsFor(40);
    const result = await runInWorkers<Job, Result, { baseUrl: string; started: Int32Array; workers: number }>(
      {
        workerModule,
        keys: KEYS,
        keysPerWorker: 2,
        jobs,
        concurrency: 2,
        // Every job waits until both threads have begun one, so that each thread surely gets work.
        workerData: { baseUrl: mock.url, started: new Int32Array(new SharedArrayBuffer(4)), workers: 2 },
      },
    );
    expect(result).toMatchObject({ crashes: 0, restarts: 0, requeued: 0 });
    const keysOfThread = new Map<number, Set<string>>();
    result.outcomes.forEach((outcome, i) => {
      expect(outcome).toMatchObject({ ok: true, value: { id: i, bookingId: i + 1 } });
      if (!outcome.ok) return;
      expect(outcome.value.key).toBe(outcome.key);
      const seen = keysOfThread.get(outcome.value.thread) ?? new Set();
      keysOfThread.set(outcome.value.thread, seen.add(outcome.key));
    });
    // Two threads, each with two keys of its own, split in order: keys 1 and 2, keys 3 and 4.
    const fingerprints = KEYS.map(keyFingerprint);
    expect([...keysOfThread.values()].map((keys) => [...keys].sort()).sort()).toEqual(
      [fingerprints.slice(0, 2).sort(), fingerprints.slice(2).sort()].sort(),
    );
    expect([...fetchesPerBooking(mock).entries()].sort((a, b) => a[0] - b[0])).toEqual(
      jobs.map((j) => [j.bookingId, 1]),
    );
  });

  it("keysPerWorker: a job started when its thread crashed fails under the key it ran on", async () => {
    const mock = await campOne();
    // Jobs 0 and 1 come together to the one thread: job 0 to its first key, job 1 to its second
    // (the first is busy), which sends job 1's request and then kills the thread.
    const jobs = jobsFor(8, { 1: "exit-after-request" });
    const result = await runInWorkers<Job, Result>({
      workerModule,
      keys: KEYS.slice(0, 2),
      keysPerWorker: 2,
      jobs,
      concurrency: 1,
      maxRestarts: 1,
      workerData: { baseUrl: mock.url },
    });
    expect(result).toMatchObject({ crashes: 1, restarts: 1 });
    // The server saw job 1's request under the thread's second key: the crash names that key, not
    // the thread's first.
    const sentUnder = mock.audit().filter((row) => row.path === "/bookings/2")[0]?.key;
    expect(sentUnder).toBe(KEYS[1]);
    expect(result.outcomes[1]).toEqual({
      ok: false,
      key: keyFingerprint(KEYS[1]!),
      error: expect.objectContaining({
        code: "worker_crashed",
        started: true,
        key: keyFingerprint(KEYS[1]!),
      }),
    });
    // The thread's first key had at most one job in flight when the thread died (job 0, or job 2 if
    // job 0 had finished by then): that one fails too, as started, never retried. Every other job ran.
    const others = result.outcomes.filter((_, i) => i !== 1);
    const failed = others.filter((outcome) => !outcome.ok);
    expect(failed.length).toBeLessThanOrEqual(1);
    for (const outcome of failed) {
      expect(outcome).toMatchObject({
        key: keyFingerprint(KEYS[0]!),
        error: { code: "worker_crashed", started: true },
      });
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
    [{ workerModule: 42 }, /`workerModule` to be a path or a file: URL/],
    [{ keysPerWorker: 0 }, /`keysPerWorker` to be an integer from 1 and up/],
    [{ concurrency: 0 }, /`concurrency` to be an integer from 1 and up/],
    [{ maxRestarts: 1.5 }, /`maxRestarts` to be an integer/],
    [{ retries: 1 }, /Unknown option `retries`/],
  ])("rejects %j before starting any worker", (override, message) => {
    expect(() => runInWorkers({ workerModule, keys: KEYS, jobs: [1], ...override } as never)).toThrow(
      message,
    );
  });
});
