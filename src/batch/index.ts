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
  LOG_LEVELS,
  type LogHooksOptions,
  type LogLevelName,
  type LogRecord,
  type PinoLikeLogger,
  toLogRecord,
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
export { type SerializedError, serializeError } from "./serialize-error.js";
export { serveWorkerJobs, type WorkerClientContext, type WorkerJobHandler } from "./serve-worker-jobs.js";
export {
  isWorkerCrashedError,
  WorkerCrashedError,
  type WorkerCrashedErrorInit,
} from "./worker-crashed-error.js";
// Not exported: pickKey (the routing rule), the worker protocol and the progress text helpers.
