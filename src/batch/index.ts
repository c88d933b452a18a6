// `pacekeeper/batch`: batch jobs over many keys — a key pool, worker threads, progress and log hooks.
// Not exported: the routing rule, the worker protocol, the progress text and log record helpers.
export { keyFingerprint } from "../internal/fingerprint.js";
export {
  createKeyPool,
  type KeyPool,
  type KeyPoolFromClientsOptions,
  type KeyPoolFromKeysOptions,
  type KeyPoolKeyStats,
  type KeyPoolOptions,
} from "./key-pool.js";
export {
  createLogHooks,
  type LogHooksOptions,
  type LogLevelName,
  type LogRecord,
  type PinoLikeLogger,
} from "./log-hooks.js";
export {
  createProgress,
  type Progress,
  type ProgressBudget,
  type ProgressOptions,
  type ProgressStream,
  type ProgressSummary,
} from "./progress.js";
export {
  type JobOutcome,
  type RunInWorkersOptions,
  runInWorkers,
  type WorkerBatchResult,
} from "./run-in-workers.js";
export type { SerializedError } from "./serialize-error.js";
export { serveWorkerJobs, type WorkerClientContext, type WorkerJobHandler } from "./serve-worker-jobs.js";
export {
  isWorkerCrashedError,
  WorkerCrashedError,
  type WorkerCrashedErrorInit,
} from "./worker-crashed-error.js";
export {
  isWorkerModuleError,
  WorkerModuleError,
  type WorkerModuleErrorInit,
} from "./worker-module-error.js";
