/**
 * What `runInWorkers` (the main thread) and `serveWorkerJobs` (each worker) say to each other.
 * Internal: both sides come from the same version of the package.
 */
import type { PacekeeperEvent } from "../events/hooks.js";
import type { SerializedError } from "./serialize-error.js";

/**
 * Each job's state lives in shared memory (one `Int32` per job), so that after a worker dies the
 * main thread knows, without a message that may never have arrived, whether the job had started
 * and on which key: the worker moves it from ASSIGNED to `JOB_STARTED + keyIndex` with a
 * compare-and-swap before running it.
 */
export const JOB_QUEUED = 0;
export const JOB_ASSIGNED = 1;
export const JOB_STARTED = 2;

/** The state of a job started on the key at `keyIndex` of `runInWorkers`' `keys`. */
export function startedOn(keyIndex: number): number {
  return JOB_STARTED + keyIndex;
}

/** The key a started job runs on, or undefined for a job not started. */
export function keyOfStarted(state: number): number | undefined {
  return state >= JOB_STARTED ? state - JOB_STARTED : undefined;
}

/** The key of `workerData` under which a worker finds its setup. */
export const WORKER_DATA_KEY = "pacekeeper:batch";

/** One key of a worker. */
export interface WorkerKey {
  apiKey: string;
  /** The key's fingerprint. */
  key: string;
  /** The key's position in `runInWorkers`' `keys`. */
  keyIndex: number;
}

export interface WorkerSetup {
  /** The keys the worker owns: one client each. */
  keys: WorkerKey[];
  /** One `Int32` per job: `JOB_QUEUED`, `JOB_ASSIGNED` or `startedOn(keyIndex)`. */
  states: SharedArrayBuffer;
  /** Jobs the worker runs at once on one key, at most. */
  concurrency: number;
  /** Whether the worker posts its client's events to the main thread. */
  forwardEvents: boolean;
  /** The caller's `workerData`. */
  data: unknown;
}

export type ToWorker = { type: "job"; id: number; job: unknown } | { type: "close" };

/**
 * `credit`: how many more jobs the worker takes now, replacing what it said before (one per key
 * that could send at once); `received`: how many jobs it had received when it said so, so that the
 * jobs still on their way to it count against the credit. A worker asks for jobs only when a key
 * of its could send at once, so no job waits out a window in one worker while another key is free.
 * `nextAt`: the soonest time (epoch ms) a key of its could send; `canPark`: nothing waits at that
 * key. As the key pool does, the main thread gives one job to wait with to the worker whose key
 * frees first, if it can park. A result names the key that ran the job.
 */
export type FromWorker =
  | { type: "ready"; credit: number }
  | { type: "credit"; credit: number; received: number; nextAt: number | undefined; canPark: boolean }
  | { type: "result"; id: number; keyIndex: number; ok: true; value: unknown }
  | { type: "result"; id: number; keyIndex: number; ok: false; error: SerializedError }
  | { type: "event"; event: PacekeeperEvent };
