import { isBranded, registerErrorClass } from "../errors/brand.js";
import { PacekeeperError } from "../errors/pacekeeper-error.js";

export interface WorkerModuleErrorInit {
  /** The worker module, as a `file:` URL. */
  module: string;
  /** The fingerprint of a key of the worker that failed; undefined when no worker was started. */
  key: string | undefined;
  /** The worker's exit code, where one was started and exited. */
  exitCode: number | undefined;
  /** What went wrong, in a sentence: what the worker threw, or why none was started. */
  reason: string;
  /** What the worker threw, where it threw something. */
  cause?: unknown;
  /** Strings that must not appear in the message or the cause (the API keys). */
  secrets?: readonly string[];
}

/**
 * `runInWorkers` rejects with this when its worker module cannot serve jobs: the file is missing,
 * it is TypeScript on a Node that cannot run TypeScript in a worker, it throws while it is imported,
 * its `createClient` throws, or it never calls `serveWorkerJobs()`. Every worker failed this way
 * before any job was sent to it, so no job was started; the batch is not run at all.
 *
 * A worker that fails after the module served jobs is a crash instead: its jobs end as
 * `WorkerCrashedError` outcomes and the batch goes on.
 *
 * @example
 * ```ts
 * try {
 *   await runInWorkers({ workerModule: "./dist/sync-worker.js", keys, jobs });
 * } catch (error) {
 *   if (isWorkerModuleError(error)) console.error(`fix the worker module: ${error.message}`);
 *   throw error;
 * }
 * ```
 */
export class WorkerModuleError extends PacekeeperError {
  static {
    registerErrorClass(WorkerModuleError, "WorkerModuleError");
  }

  override readonly name = "WorkerModuleError" as const;
  readonly code = "worker_module_failed" as const;
  /** The worker module, as a `file:` URL. */
  readonly module: string;
  readonly key: string | undefined;
  readonly exitCode: number | undefined;

  constructor(init: WorkerModuleErrorInit) {
    const exit = init.exitCode === undefined ? "" : ` (exit code ${init.exitCode})`;
    super(`The worker module ${init.module} cannot serve jobs${exit}: ${init.reason}; no job was started`, {
      cause: init.cause,
      secrets: init.secrets ?? [],
    });
    this.module = init.module;
    this.key = init.key;
    this.exitCode = init.exitCode;
  }
}

/**
 * A `WorkerModuleError`, from this copy of the package or another.
 *
 * @example
 * ```ts
 * const result = await runInWorkers(options).catch((error) => {
 *   if (isWorkerModuleError(error)) return undefined; // the module is broken: nothing ran
 *   throw error;
 * });
 * ```
 */
export function isWorkerModuleError(error: unknown): error is WorkerModuleError {
  return isBranded(error, ["WorkerModuleError"]);
}
