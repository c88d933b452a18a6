/**
 * What `runInWorkers` (the main thread) and `serveWorkerJobs` (each worker) say to each other.
 * Internal: both sides come from the same version of the package.
 */
import type { PacekeeperEvent } from "../events/hooks.js";
import type { SerializedError } from "./serialize-error.js";

/**
 * Each job's state lives in shared memory (one `Int32` per job), so that after a worker dies the
 * main thread knows, without a message that may never have arrived, whether the job had started:
 * the worker moves it from ASSIGNED to STARTED with a compare-and-swap before running it.
 */
export const JOB_QUEUED = 0;
export const JOB_ASSIGNED = 1;
export const JOB_STARTED = 2;

/** The key of `workerData` under which a worker finds its setup. */
export const WORKER_DATA_KEY = "pacekeeper:batch";

export interface WorkerSetup {
  apiKey: string;
  /** The key's fingerprint. */
  key: string;
  keyIndex: number;
  /** One `Int32` per job: `JOB_QUEUED`, `JOB_ASSIGNED` or `JOB_STARTED`. */
  states: SharedArrayBuffer;
  /** Jobs the worker runs at once, at most. */
  concurrency: number;
  /** Whether the worker posts its client's events to the main thread. */
  forwardEvents: boolean;
  /** The caller's `workerData`. */
  data: unknown;
}

export type ToWorker = { type: "job"; id: number; job: unknown } | { type: "close" };

/**
 * `credit`: how many more jobs the worker takes now, replacing what it said before; `received`:
 * how many jobs it had received when it said so, so that the jobs still on their way to it count
 * against the credit. A worker asks for jobs only when its key could send at once, so no job
 * waits out a window in one worker while another key is free. `nextAt`: when its key cannot send
 * now, the time (epoch ms) it could; `canPark`: nothing waits at the key. As the key pool does, the
 * main thread gives one job to wait with to the worker whose key frees first, if it can park.
 */
export type FromWorker =
  | { type: "ready"; credit: number }
  | { type: "credit"; credit: number; received: number; nextAt: number | undefined; canPark: boolean }
  | { type: "result"; id: number; ok: true; value: unknown }
  | { type: "result"; id: number; ok: false; error: SerializedError }
  | { type: "event"; event: PacekeeperEvent };
