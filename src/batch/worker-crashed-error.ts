import { isBranded, registerErrorClass } from "../errors/brand.js";
import { PacekeeperError } from "../errors/pacekeeper-error.js";

export interface WorkerCrashedErrorInit {
  /** The fingerprint of the key the worker owned. */
  key: string;
  /** The worker's exit code, where it exited. */
  exitCode: number | undefined;
  /**
   * Whether the job had started in the worker: then it may have sent requests, so it is
   * reported failed rather than run again (a non-idempotent request must not be sent twice).
   * False: no worker was left to run the job, so it never started.
   */
  started: boolean;
  /** What the worker threw, where it threw something (summarised in the message). */
  reason?: string;
}

/**
 * A job of `runInWorkers` could not finish because its worker crashed (threw outside a job,
 * exited, or ran out of memory) — after the job had started, or with no worker left to run it.
 * Jobs a crashed worker held but had not started are run by another worker instead.
 *
 * An outcome carries it as data (`outcome.error.code === "worker_crashed"`); the class is for code
 * that rebuilds or throws it.
 *
 * @example
 * ```ts
 * const { outcomes } = await runInWorkers({ workerModule, keys, jobs });
 * const crashed = outcomes.filter((o) => !o.ok && o.error.code === "worker_crashed" && o.error.started);
 * // These may have sent their requests: check on the server before running them again.
 * ```
 */
export class WorkerCrashedError extends PacekeeperError {
  static {
    registerErrorClass(WorkerCrashedError, "WorkerCrashedError");
  }

  override readonly name = "WorkerCrashedError" as const;
  readonly code = "worker_crashed" as const;
  readonly key: string;
  readonly exitCode: number | undefined;
  readonly started: boolean;

  constructor(init: WorkerCrashedErrorInit) {
    const exit = init.exitCode === undefined ? "" : ` (exit code ${init.exitCode})`;
    const why = init.reason === undefined ? "" : `: ${init.reason}`;
    super(
      init.started
        ? `The worker of ${init.key} crashed while running the job${exit}${why}; the job may have sent requests, so it is not run again`
        : `No worker was left to run the job; the last, of ${init.key}, crashed${exit}${why}`,
    );
    this.key = init.key;
    this.exitCode = init.exitCode;
    this.started = init.started;
  }
}

/**
 * A `WorkerCrashedError`, from this copy of the package or another. (An outcome's serialized error:
 * check `code === "worker_crashed"`.)
 *
 * @example
 * ```ts
 * try {
 *   await rerun(job);
 * } catch (error) {
 *   if (isWorkerCrashedError(error) && error.started) console.warn(`${error.key}: may have sent`);
 *   throw error;
 * }
 * ```
 */
export function isWorkerCrashedError(error: unknown): error is WorkerCrashedError {
  return isBranded(error, ["WorkerCrashedError"]);
}
