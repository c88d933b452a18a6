import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { emit, type Hooks } from "../events/hooks.js";
import { keyFingerprint } from "../internal/fingerprint.js";
import { fn, nonEmptyString, nonNegativeNumber, plainObject, positiveInteger } from "../internal/validate.js";
import { type SerializedError, serializeError } from "./serialize-error.js";
import { WorkerCrashedError } from "./worker-crashed-error.js";
import {
  type FromWorker,
  JOB_ASSIGNED,
  JOB_QUEUED,
  type ToWorker,
  WORKER_DATA_KEY,
  type WorkerSetup,
} from "./worker-protocol.js";

export interface RunInWorkersOptions<J, R> {
  /**
   * The worker module: a path (relative to the working directory) or a `file:` URL of a JavaScript
   * module that calls `serveWorkerJobs()`. For TypeScript, point at the compiled file, or at a small
   * `.mjs` that registers a loader (`tsx/esm/api`'s `register()`) and then imports the `.ts`. Required.
   */
  workerModule: string | URL;
  /** The API keys: one worker, owning one client, per key. Required, distinct. */
  keys: readonly string[];
  /** The jobs, each posted to a worker as is (so it must survive `structuredClone`). Required. */
  jobs: readonly J[];
  /**
   * Jobs one worker runs at once, at most. More than one keeps a key busy while responses are on
   * their way. Past its first jobs, a worker asks for the next one only when its key could send at
   * once, so no job waits out a key's window while another key is free.
   * @default 4
   */
  concurrency?: number;
  /** Passed to the worker's `createClient` as `data` (must survive `structuredClone`). */
  workerData?: unknown;
  /**
   * Hooks on this thread that receive every worker client's events (request, wait, response,
   * rate-limited, retry, give-up) — feed a progress reporter or a logger with them. The events are
   * also published on this thread's `diagnostics_channel`s.
   */
  hooks?: Hooks;
  /** Called on this thread as each job settles, in the order they settle. */
  onOutcome?: (outcome: JobOutcome<R>, index: number) => void;
  /**
   * Times a crashed worker is started again for its key (over the whole batch, per key).
   * @default 2
   */
  maxRestarts?: number;
  /** `execArgv` of each worker. @default inherited from this process */
  execArgv?: string[];
  /**
   * After the last job, how long a worker may take to close its client and end before it is
   * terminated, in milliseconds.
   * @default 5_000
   */
  closeTimeoutMs?: number;
}

/** How one job ended: its value, or its error as plain data; `key` is the fingerprint of the key that ran it. */
export type JobOutcome<R> =
  | { ok: true; value: R; key: string }
  | { ok: false; error: SerializedError; key: string };

export interface WorkerBatchResult<R> {
  /** One outcome per job, in the order of `jobs`. */
  outcomes: JobOutcome<R>[];
  /** Workers that ended before they were told to (threw, exited, ran out of memory). */
  crashes: number;
  /** Workers started again after a crash. */
  restarts: number;
  /** Jobs a crashed worker held but had not started, run by another worker instead. */
  requeued: number;
}

interface WorkerSlot {
  worker: Worker;
  keyIndex: number;
  ready: boolean;
  closing: boolean;
  /** Jobs posted to this worker and not settled yet. */
  held: Set<number>;
  /** Jobs the worker asked for and was not sent yet. */
  credit: number;
  /** Jobs posted to the worker, ever. */
  sent: number;
  /** When the worker's key could send, while it cannot now. */
  nextAt: number | undefined;
  /** Nothing waits at the worker's key: it may take one job to wait with. */
  canPark: boolean;
  /** What the worker threw, as `name: message`. */
  error: string | undefined;
}

const OPTION_NAMES = [
  "workerModule",
  "keys",
  "jobs",
  "concurrency",
  "workerData",
  "hooks",
  "onOutcome",
  "maxRestarts",
  "execArgv",
  "closeTimeoutMs",
];

/**
 * Runs `jobs` over `keys` with `worker_threads`: one worker per key, each with its own client
 * and so its own pacer, for batches whose jobs need CPU of their own (parsing, transforming).
 *
 * Every job ends exactly once in `outcomes`: a job's error comes back as data; the jobs a
 * crashed worker held but had not started go to another worker; a job that had started in it
 * fails with a `WorkerCrashedError` (it may have sent a request, and a non-idempotent request
 * must not be sent twice); when no worker is left, the jobs still waiting fail the same way.
 * Resolves once every job has settled and every worker has ended; never rejects after starting.
 */
export function runInWorkers<J, R = unknown>(
  options: RunInWorkersOptions<J, R>,
): Promise<WorkerBatchResult<R>> {
  const o = validate(options);
  const { jobs, keys, concurrency, maxRestarts, hooks, onOutcome } = o;
  const fingerprints = keys.map(keyFingerprint);
  const states = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, jobs.length)));
  const outcomes: (JobOutcome<R> | undefined)[] = new Array(jobs.length).fill(undefined);
  const queue: number[] = jobs.map((_, i) => i);
  const live = new Set<WorkerSlot>();
  const restartsOf = keys.map(() => 0);
  let settled = 0;
  let crashes = 0;
  let requeued = 0;
  let finishing = false;
  let done: (result: WorkerBatchResult<R>) => void = () => {};
  const finished = new Promise<WorkerBatchResult<R>>((r) => {
    done = r;
  });

  const settle = (id: number, outcome: JobOutcome<R>): void => {
    if (outcomes[id] !== undefined) return;
    outcomes[id] = outcome;
    settled++;
    if (onOutcome) {
      try {
        onOutcome(outcome, id);
      } catch (error) {
        process.emitWarning(`runInWorkers: onOutcome threw: ${String(error)}`, "PacekeeperHookWarning");
      }
    }
  };

  const post = (slot: WorkerSlot): void => {
    const id = queue.shift()!;
    slot.sent++;
    // What the worker said of its key is stale until it answers this job.
    slot.nextAt = undefined;
    slot.canPark = false;
    Atomics.store(states, id, JOB_ASSIGNED);
    slot.held.add(id);
    slot.worker.postMessage({ type: "job", id, job: jobs[id] } satisfies ToWorker);
  };

  /**
   * Jobs to the workers that asked for them; then, if jobs are left that no key can take now, one
   * to wait with to the worker whose key frees first, if nothing waits at it yet.
   */
  const feed = (): void => {
    const open = [...live].filter((s) => s.ready && !s.closing);
    for (const slot of open) {
      while (slot.credit > 0 && slot.held.size < concurrency && queue.length > 0) {
        slot.credit--;
        post(slot);
      }
    }
    // Park only knowing when every key frees: one that might free sooner could take the job.
    if (queue.length === 0 || open.some((s) => s.credit > 0 || s.nextAt === undefined)) return;
    let first: WorkerSlot | undefined;
    for (const slot of open) {
      if (slot.nextAt !== undefined && (first === undefined || slot.nextAt < first.nextAt!)) first = slot;
    }
    if (first?.canPark && first.held.size < concurrency) {
      first.canPark = false;
      post(first);
    }
  };

  const maybeFinish = (): void => {
    if (settled < jobs.length) return;
    if (!finishing) {
      finishing = true;
      for (const slot of live) close(slot);
    }
    if (live.size === 0) {
      done({ outcomes: outcomes as JobOutcome<R>[], crashes, restarts: sum(restartsOf), requeued });
    }
  };

  const close = (slot: WorkerSlot): void => {
    slot.closing = true;
    slot.worker.postMessage({ type: "close" } satisfies ToWorker);
    setTimeout(() => void slot.worker.terminate(), o.closeTimeoutMs).unref();
  };

  const spawn = (keyIndex: number): void => {
    const setup: WorkerSetup = {
      apiKey: keys[keyIndex]!,
      key: fingerprints[keyIndex]!,
      keyIndex,
      concurrency,
      states: states.buffer as SharedArrayBuffer,
      forwardEvents: hooks !== undefined,
      data: o.workerData,
    };
    const slot: WorkerSlot = {
      worker: new Worker(o.workerModule, {
        workerData: { [WORKER_DATA_KEY]: setup },
        ...(o.execArgv === undefined ? {} : { execArgv: o.execArgv }),
      }),
      keyIndex,
      ready: false,
      closing: false,
      held: new Set(),
      credit: 0,
      sent: 0,
      nextAt: undefined,
      canPark: false,
      error: undefined,
    };
    live.add(slot);
    slot.worker.on("message", (message: FromWorker) => {
      if (message.type === "ready" || message.type === "credit") {
        slot.ready = true;
        // Jobs sent that the worker had not received when it asked count against what it asks for.
        const onTheirWay = message.type === "ready" ? 0 : slot.sent - message.received;
        slot.credit = Math.max(0, message.credit - onTheirWay);
        slot.nextAt = message.type === "credit" ? message.nextAt : undefined;
        slot.canPark = message.type === "credit" && message.canPark && onTheirWay === 0;
        feed();
      } else if (message.type === "result") {
        if (!slot.held.delete(message.id)) return;
        const key = fingerprints[keyIndex]!;
        settle(
          message.id,
          message.ok
            ? { ok: true, value: message.value as R, key }
            : { ok: false, error: message.error, key },
        );
        feed();
        maybeFinish();
      } else if (message.type === "event" && hooks) {
        emit(hooks, message.event);
      }
    });
    slot.worker.on("error", (error) => {
      slot.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    });
    slot.worker.on("exit", (exitCode) => onExit(slot, exitCode));
  };

  const onExit = (slot: WorkerSlot, exitCode: number): void => {
    live.delete(slot);
    if (slot.closing) {
      maybeFinish();
      return;
    }
    crashes++;
    const key = fingerprints[slot.keyIndex]!;
    const reason =
      slot.error ??
      (slot.ready
        ? undefined
        : "it ended before serving jobs; does the worker module call serveWorkerJobs()?");
    const back: number[] = [];
    for (const id of slot.held) {
      // The worker is gone, so the state can no longer change under us.
      if (Atomics.load(states, id) === JOB_ASSIGNED) {
        Atomics.store(states, id, JOB_QUEUED);
        back.push(id);
      } else {
        const error = new WorkerCrashedError({ key, exitCode, started: true, reason });
        settle(id, { ok: false, error: serializeError(error), key });
      }
    }
    slot.held.clear();
    requeued += back.length;
    queue.unshift(...back.sort((a, b) => a - b));
    if (settled < jobs.length && restartsOf[slot.keyIndex]! < maxRestarts) {
      restartsOf[slot.keyIndex]!++;
      try {
        spawn(slot.keyIndex);
      } catch {
        // It could not start again (out of threads or memory): the other workers carry on.
      }
    }
    if (live.size === 0) {
      for (const id of queue.splice(0)) {
        const error = new WorkerCrashedError({ key, exitCode, started: false, reason });
        settle(id, { ok: false, error: serializeError(error), key });
      }
    }
    feed();
    maybeFinish();
  };

  if (jobs.length === 0) return Promise.resolve({ outcomes: [], crashes: 0, restarts: 0, requeued: 0 });
  try {
    for (let i = 0; i < Math.min(keys.length, jobs.length); i++) spawn(i);
  } catch (error) {
    // A worker refused to start (bad `execArgv`): stop the ones already started.
    finishing = true;
    for (const slot of live) {
      slot.closing = true;
      void slot.worker.terminate();
    }
    return Promise.reject(error);
  }
  return finished;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

interface ValidOptions<J, R> {
  workerModule: URL;
  keys: readonly string[];
  jobs: readonly J[];
  concurrency: number;
  maxRestarts: number;
  closeTimeoutMs: number;
  workerData: unknown;
  hooks: Hooks | undefined;
  onOutcome: ((outcome: JobOutcome<R>, index: number) => void) | undefined;
  execArgv: string[] | undefined;
}

function validate<J, R>(options: RunInWorkersOptions<J, R>): ValidOptions<J, R> {
  plainObject("options", options);
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name)) {
      throw new TypeError(
        `Unknown option \`${name}\` in runInWorkers() options; expected one of: ${OPTION_NAMES.join(", ")}`,
      );
    }
  }
  if (!Array.isArray(options.keys) || options.keys.length === 0) {
    throw new TypeError("Expected `keys` to be a non-empty array of API keys");
  }
  for (const [i, key] of options.keys.entries()) nonEmptyString(`keys[${i}]`, key);
  if (new Set(options.keys).size !== options.keys.length) {
    throw new TypeError("Expected `keys` to hold distinct keys: one key's budget cannot be spent twice");
  }
  if (!Array.isArray(options.jobs)) throw new TypeError("Expected `jobs` to be an array");
  if (options.hooks !== undefined) plainObject("hooks", options.hooks);
  if (options.onOutcome !== undefined) fn("onOutcome", options.onOutcome);
  if (options.execArgv !== undefined && !Array.isArray(options.execArgv)) {
    throw new TypeError("Expected `execArgv` to be an array of strings");
  }
  const maxRestarts = nonNegativeNumber("maxRestarts", options.maxRestarts ?? 2);
  if (!Number.isInteger(maxRestarts)) {
    throw new RangeError(`Expected \`maxRestarts\` to be an integer from 0 and up, got \`${maxRestarts}\``);
  }
  return {
    workerModule: moduleUrl(options.workerModule),
    keys: options.keys,
    jobs: options.jobs,
    concurrency: positiveInteger("concurrency", options.concurrency ?? 4),
    maxRestarts,
    closeTimeoutMs: nonNegativeNumber("closeTimeoutMs", options.closeTimeoutMs ?? 5_000),
    workerData: options.workerData,
    hooks: options.hooks,
    onOutcome: options.onOutcome,
    execArgv: options.execArgv,
  };
}

/** The module as a `file:` URL, checked to exist now rather than failing in every worker later. */
function moduleUrl(value: unknown): URL {
  let url: URL;
  if (value instanceof URL) url = value;
  else if (typeof value === "string" && value.startsWith("file:")) url = new URL(value);
  else if (typeof value === "string" && value !== "") url = pathToFileURL(resolve(value));
  else throw new TypeError(`Expected \`workerModule\` to be a path or a file: URL, got \`${String(value)}\``);
  if (url.protocol !== "file:") {
    throw new TypeError(`Expected \`workerModule\` to be a file: URL, got ${JSON.stringify(url.protocol)}`);
  }
  if (!existsSync(fileURLToPath(url))) {
    throw new TypeError(`Expected \`workerModule\` to be an existing file, got ${JSON.stringify(url.href)}`);
  }
  return url;
}
