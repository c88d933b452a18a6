import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { emit, type Hooks } from "../events/hooks.js";
import { keyFingerprint } from "../internal/fingerprint.js";
import { fn, nonEmptyString, nonNegativeNumber, plainObject, positiveInteger } from "../internal/validate.js";
import { type SerializedError, serializeError } from "./serialize-error.js";
import { splitKeys } from "./split-keys.js";
import { WorkerCrashedError } from "./worker-crashed-error.js";
import { WorkerModuleError } from "./worker-module-error.js";
import {
  type FromWorker,
  JOB_ASSIGNED,
  JOB_QUEUED,
  keyOfStarted,
  type ToWorker,
  WORKER_DATA_KEY,
  type WorkerSetup,
} from "./worker-protocol.js";

/** `D` is the type of `workerData`, which each worker's `createClient` receives as `data`. */
export interface RunInWorkersOptions<J, R, D = unknown> {
  /**
   * The worker module: a path (relative to the working directory) or a `file:` URL of a JavaScript
   * module that calls `serveWorkerJobs()`. For TypeScript, point at the compiled file, or at a small
   * `.mjs` that registers a loader (`tsx/esm/api`'s `register()`) and then imports the `.ts`. A
   * module that cannot serve jobs (missing, failing to load, never calling `serveWorkerJobs()`)
   * rejects the batch with a `WorkerModuleError` before any job starts. Required.
   */
  workerModule: string | URL;
  /** The API keys, one client each. Required, distinct. */
  keys: readonly string[];
  /**
   * Keys one worker thread owns, at most: the keys are split into `ceil(keys.length /
   * keysPerWorker)` workers, in order, as evenly as possible. Each worker makes one client per key
   * and runs each job on the key of its own that can send soonest. One key per worker gives each
   * key a core of its own; more keys than cores gain nothing from more threads than cores, so with
   * many keys pass `Math.ceil(keys.length / os.availableParallelism())`.
   * @default 1
   */
  keysPerWorker?: number;
  /** The jobs, each posted to a worker as is (so it must survive `structuredClone`). Required. */
  jobs: readonly J[];
  /**
   * Jobs one key runs at once, at most (a worker with several keys runs this many per key). More
   * than one keeps a key busy while responses are on their way. Past its first jobs, a worker asks
   * for the next one only when a key of its could send at once, so no job waits out a key's window
   * while another key is free.
   * @default 4
   */
  concurrency?: number;
  /** Passed to the worker's `createClient` as `data` (must survive `structuredClone`). */
  workerData?: D;
  /**
   * Hooks on this thread that receive every worker client's events (request, wait, response,
   * rate-limited, retry, give-up) — feed a progress reporter or a logger with them. The events are
   * also published on this thread's `diagnostics_channel`s.
   */
  hooks?: Hooks;
  /** Called on this thread as each job settles, in the order they settle. */
  onOutcome?: (outcome: JobOutcome<R>, index: number) => void;
  /**
   * Times a crashed worker is started again for its keys (over the whole batch, per worker).
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

/**
 * How one job ended: its value, or its error as plain data. `key` is the fingerprint of the key
 * that ran it (of a key of the last worker that crashed, for a job no worker was left to start).
 */
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
  /** The worker's position in the groups of keys. */
  group: number;
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
  /** What the worker threw. */
  error: unknown;
}

const OPTION_NAMES = [
  "workerModule",
  "keys",
  "keysPerWorker",
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
 * Runs `jobs` over `keys` with `worker_threads`: one worker per key (or per `keysPerWorker` keys),
 * each key with its own client and so its own pacer, for batches whose jobs need CPU of their own
 * (parsing, transforming).
 *
 * Every job ends exactly once in `outcomes`: a job's error comes back as data; the jobs a
 * crashed worker held but had not started go to another worker; a job that had started in it
 * fails with a `WorkerCrashedError` (it may have sent a request, and a non-idempotent request
 * must not be sent twice); when no worker is left, the jobs still waiting fail the same way.
 * Resolves once every job has settled and every worker has ended.
 *
 * Rejects with a `WorkerModuleError`, before any job starts, when the worker module cannot serve
 * jobs: the file is missing, it fails to load (TypeScript on Node 20, an import that throws), its
 * `createClient` throws, or it never calls `serveWorkerJobs()`. Once a worker has served, it never
 * rejects.
 * @throws TypeError or RangeError, at once, for an invalid option.
 *
 * @example
 * ```ts
 * import { runInWorkers } from "pacekeeper/batch";
 *
 * const { outcomes, crashes } = await runInWorkers<{ id: string }, Summary, { baseUrl: string }>({
 *   workerModule: new URL("./sync-worker.js", import.meta.url), // calls serveWorkerJobs()
 *   keys: process.env.CAMPONE_KEYS!.split(","),
 *   keysPerWorker: 2, // 8 keys, 4 threads
 *   jobs: ids.map((id) => ({ id })),
 *   workerData: { baseUrl: "https://api.campone.example" },
 *   hooks: progress.hooks,
 *   onOutcome: (outcome) => (outcome.ok ? progress.tick() : progress.fail()),
 * });
 * ```
 */
export function runInWorkers<J, R = unknown, D = unknown>(
  options: RunInWorkersOptions<J, R, D>,
): Promise<WorkerBatchResult<R>> {
  const o = validate(options);
  const { jobs, keys, concurrency, maxRestarts, hooks, onOutcome } = o;
  const fingerprints = keys.map(keyFingerprint);
  const groups = splitKeys(keys.length, o.keysPerWorker);
  const moduleHref = o.workerModule.href;
  if (!existsSync(fileURLToPath(o.workerModule))) {
    return Promise.reject(
      new WorkerModuleError({
        module: moduleHref,
        key: undefined,
        exitCode: undefined,
        reason: "no such file",
      }),
    );
  }
  const states = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, jobs.length)));
  const outcomes: (JobOutcome<R> | undefined)[] = new Array(jobs.length).fill(undefined);
  const queue: number[] = jobs.map((_, i) => i);
  const live = new Set<WorkerSlot>();
  const restartsOf = groups.map(() => 0);
  let settled = 0;
  let crashes = 0;
  let requeued = 0;
  let finishing = false;
  /** Whether any worker has served: from then on a failing worker is a crash, not a broken module. */
  let served = false;
  let done: (result: WorkerBatchResult<R>) => void = () => {};
  let fail: (error: unknown) => void = () => {};
  const finished = new Promise<WorkerBatchResult<R>>((resolve, reject) => {
    done = resolve;
    fail = reject;
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

  /** Jobs one worker holds at once, at most: `concurrency` per key it owns. */
  const capacity = (slot: WorkerSlot): number => concurrency * groups[slot.group]!.length;

  const post = (slot: WorkerSlot): void => {
    const id = queue.shift()!;
    slot.sent++;
    // What the worker said of its keys is stale until it answers this job.
    slot.nextAt = undefined;
    slot.canPark = false;
    Atomics.store(states, id, JOB_ASSIGNED);
    slot.held.add(id);
    slot.worker.postMessage({ type: "job", id, job: jobs[id] } satisfies ToWorker);
  };

  /**
   * Jobs to the workers that asked for them; then, if jobs are left that no key can take now, one
   * to wait with to the worker whose key frees first, if nothing waits at that key yet.
   */
  const feed = (): void => {
    const open = [...live].filter((s) => s.ready && !s.closing);
    for (const slot of open) {
      while (slot.credit > 0 && slot.held.size < capacity(slot) && queue.length > 0) {
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
    if (first?.canPark && first.held.size < capacity(first)) {
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

  /** The module cannot serve: stop every worker, then reject; no job was sent to any. */
  const failModule = (slot: WorkerSlot, exitCode: number): void => {
    finishing = true;
    const error = new WorkerModuleError({
      module: moduleHref,
      key: fingerprints[groups[slot.group]![0]!],
      exitCode,
      reason: whyNotServing(slot.error, o.workerModule),
      cause: slot.error,
      secrets: keys,
    });
    const others = [...live];
    for (const other of others) other.closing = true;
    void Promise.all(others.map((other) => other.worker.terminate())).then(() => fail(error));
  };

  const spawn = (group: number): void => {
    const setup: WorkerSetup = {
      keys: groups[group]!.map((keyIndex) => ({
        apiKey: keys[keyIndex]!,
        key: fingerprints[keyIndex]!,
        keyIndex,
      })),
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
      group,
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
        served = true;
        // Jobs sent that the worker had not received when it asked count against what it asks for.
        const onTheirWay = message.type === "ready" ? 0 : slot.sent - message.received;
        slot.credit = Math.max(0, message.credit - onTheirWay);
        slot.nextAt = message.type === "credit" ? message.nextAt : undefined;
        slot.canPark = message.type === "credit" && message.canPark && onTheirWay === 0;
        feed();
      } else if (message.type === "result") {
        if (!slot.held.delete(message.id)) return;
        const key = fingerprints[message.keyIndex]!;
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
      slot.error ??= error;
    });
    slot.worker.on("exit", (exitCode) => onExit(slot, exitCode));
  };

  const onExit = (slot: WorkerSlot, exitCode: number): void => {
    live.delete(slot);
    if (slot.closing) {
      maybeFinish();
      return;
    }
    // No worker has served yet and this one never did: the module itself cannot (it would fail the
    // same way in every worker, every restart).
    if (!served && !slot.ready) {
      failModule(slot, exitCode);
      return;
    }
    crashes++;
    const crashedKey = fingerprints[groups[slot.group]![0]!]!;
    const reason =
      slot.error === undefined
        ? slot.ready
          ? undefined
          : "it ended before serving jobs; does the worker module call serveWorkerJobs()?"
        : describeError(slot.error);
    const back: number[] = [];
    for (const id of slot.held) {
      // The worker is gone, so the state can no longer change under us.
      const state = Atomics.load(states, id);
      const startedKey = keyOfStarted(state);
      if (startedKey === undefined) {
        Atomics.store(states, id, JOB_QUEUED);
        back.push(id);
      } else {
        const key = fingerprints[startedKey]!;
        const error = new WorkerCrashedError({ key, exitCode, started: true, reason });
        settle(id, { ok: false, error: serializeError(error), key });
      }
    }
    slot.held.clear();
    requeued += back.length;
    queue.unshift(...back.sort((a, b) => a - b));
    if (settled < jobs.length && restartsOf[slot.group]! < maxRestarts) {
      restartsOf[slot.group]!++;
      try {
        spawn(slot.group);
      } catch {
        // It could not start again (out of threads or memory): the other workers carry on.
      }
    }
    if (live.size === 0) {
      for (const id of queue.splice(0)) {
        const error = new WorkerCrashedError({ key: crashedKey, exitCode, started: false, reason });
        settle(id, { ok: false, error: serializeError(error), key: crashedKey });
      }
    }
    feed();
    maybeFinish();
  };

  if (jobs.length === 0) return Promise.resolve({ outcomes: [], crashes: 0, restarts: 0, requeued: 0 });
  try {
    for (let g = 0; g < Math.min(groups.length, jobs.length); g++) spawn(g);
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

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Why a worker that never served ended, with what to do where it is a known mistake. */
function whyNotServing(error: unknown, module: URL): string {
  if (error === undefined) return "it ended without serving jobs (does it call serveWorkerJobs()?)";
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_UNKNOWN_FILE_EXTENSION" && /\.[cm]?ts$/.test(module.pathname)) {
    return `${describeError(error)}. On Node ${process.versions.node} a worker thread cannot load TypeScript: point \`workerModule\` at the compiled .js, or at a .mjs that registers tsx (tsx/esm/api) and imports the .ts`;
  }
  return `it threw before serving jobs: ${describeError(error)}`;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

interface ValidOptions<J, R> {
  workerModule: URL;
  keys: readonly string[];
  keysPerWorker: number;
  jobs: readonly J[];
  concurrency: number;
  maxRestarts: number;
  closeTimeoutMs: number;
  workerData: unknown;
  hooks: Hooks | undefined;
  onOutcome: ((outcome: JobOutcome<R>, index: number) => void) | undefined;
  execArgv: string[] | undefined;
}

function validate<J, R, D>(options: RunInWorkersOptions<J, R, D>): ValidOptions<J, R> {
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
    keysPerWorker: positiveInteger("keysPerWorker", options.keysPerWorker ?? 1),
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

/** The module as a `file:` URL (whether it exists is the batch's business: a `WorkerModuleError`). */
function moduleUrl(value: unknown): URL {
  let url: URL;
  if (value instanceof URL) url = value;
  else if (typeof value === "string" && value.startsWith("file:")) url = new URL(value);
  else if (typeof value === "string" && value !== "") url = pathToFileURL(resolve(value));
  else throw new TypeError(`Expected \`workerModule\` to be a path or a file: URL, got \`${String(value)}\``);
  if (url.protocol !== "file:") {
    throw new TypeError(`Expected \`workerModule\` to be a file: URL, got ${JSON.stringify(url.protocol)}`);
  }
  return url;
}
