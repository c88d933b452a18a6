import { isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Client } from "../client/create-client.js";
import { type Clock, realClock } from "../clock/clock.js";
import type { Hooks } from "../events/hooks.js";
import { fn, plainObject } from "../internal/validate.js";
import { serializeError } from "./serialize-error.js";
import {
  type FromWorker,
  JOB_ASSIGNED,
  JOB_STARTED,
  type ToWorker,
  WORKER_DATA_KEY,
  type WorkerSetup,
} from "./worker-protocol.js";

/** What a worker's `createClient` is given. */
export interface WorkerClientContext {
  /** The API key this worker owns. Pass it to `createClient`; never log it. */
  apiKey: string;
  /** The key's fingerprint, for logs. */
  key: string;
  /** The key's position in `runInWorkers`' `keys`. */
  keyIndex: number;
  /** The `workerData` given to `runInWorkers`. */
  data: unknown;
  /**
   * Hooks that send the client's events to `runInWorkers`' `hooks` on the main thread (so one
   * progress reporter or logger sees every worker); undefined when the caller gave no `hooks`.
   * Pass them to `createClient`.
   */
  hooks: Hooks | undefined;
}

export interface WorkerJobHandler<J, R> {
  /**
   * The clock the worker's client was made with: the worker asks for a job when the key's
   * `nextSendAt()` has come on it.
   * @default the real clock
   */
  clock?: Clock;
  /** Makes the worker's one client, once, before the first job. */
  createClient(context: WorkerClientContext): Client | Promise<Client>;
  /**
   * Runs one job with the worker's client. What it returns must survive `structuredClone`;
   * what it throws reaches the caller as a `SerializedError` (the error's `toJSON()`).
   */
  run(job: J, client: Client): Promise<R> | R;
}

/**
 * The worker side of `runInWorkers`: call it once, at the top level of the worker module. It
 * makes the worker's client, runs each job it is sent (several at once, as `concurrency` says)
 * and posts back the result or the error; on the main thread's signal it closes the client
 * and lets the thread end.
 * @throws Error outside a worker started by `runInWorkers`.
 */
export function serveWorkerJobs<J = unknown, R = unknown>(handler: WorkerJobHandler<J, R>): void {
  plainObject("handler", handler);
  fn("handler.createClient", handler.createClient);
  fn("handler.run", handler.run);
  if (handler.clock !== undefined) fn("handler.clock.now", handler.clock.now);
  const setup = (workerData as Record<string, unknown> | null | undefined)?.[WORKER_DATA_KEY] as
    | WorkerSetup
    | undefined;
  const port = parentPort;
  if (isMainThread || port === null || setup === undefined) {
    throw new Error("serveWorkerJobs() must run in a worker started by runInWorkers()");
  }
  const states = new Int32Array(setup.states);
  const post = (message: FromWorker): void => port.postMessage(message);
  const hooks: Hooks | undefined = setup.forwardEvents
    ? { event: (event) => post({ type: "event", event }) }
    : undefined;

  const clock = handler.clock ?? realClock;
  let ready: Client | undefined;
  let running = 0;
  /** Job messages received so far. */
  let received = 0;
  let closing = false;
  /** The last credit, next send and park state posted, to post only changes (and every credit). */
  let lastSaid = "";
  let turn: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;

  /**
   * Asks for one more job when the key could send at once, and for none otherwise (then again
   * when it could). One at a time, a turn of the event loop apart, so that the last job's request
   * has reached the key's pacer before the key is asked again.
   */
  const askForWork = (): void => {
    turn = undefined;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (ready === undefined || closing) return;
    let credit = 0;
    let nextAt: number | undefined;
    const canPark = ready.waiting === 0 && running < setup.concurrency;
    const next = ready.nextSendAt();
    const now = clock.now(); // after the key's own reading
    // When no key can send, one job may wait at the key that frees first (its wait and reason
    // reach the hooks): tell the main thread when this one does.
    if (Number.isFinite(next)) nextAt = next;
    if (next <= now) {
      if (canPark) credit = 1;
    } else if (Number.isFinite(next)) {
      if (running < setup.concurrency) {
        timer = setTimeout(askSoon, Math.min(Math.max(1, Math.ceil(next - now)), 2_147_483_647));
        timer.unref();
      }
    }
    // An infinite next send waits on a probe's answer: a job's end asks again.
    const said = `${credit} ${next <= now ? "now" : nextAt} ${canPark}`;
    if (credit > 0 || said !== lastSaid) post({ type: "credit", credit, received, nextAt, canPark });
    lastSaid = said;
  };
  const askSoon = (): void => {
    turn ??= setImmediate(askForWork);
  };

  const client = Promise.resolve().then(() =>
    handler.createClient({
      apiKey: setup.apiKey,
      key: setup.key,
      keyIndex: setup.keyIndex,
      data: setup.data,
      hooks,
    }),
  );
  client.then(
    (c) => {
      ready = c;
      // A fresh key can send at once: the first jobs come together.
      lastSaid = `${setup.concurrency}`;
      post({ type: "ready", credit: setup.concurrency });
    },
    (error: unknown) => {
      // The worker cannot serve without its client: crash it, so the main thread reassigns its jobs.
      setImmediate(() => {
        throw error;
      });
    },
  );

  const runJob = async (id: number, job: J): Promise<void> => {
    running++;
    askSoon();
    let message: FromWorker;
    try {
      message = { type: "result", id, ok: true, value: await handler.run(job, await client) };
    } catch (error) {
      message = { type: "result", id, ok: false, error: serializeError(error) };
    }
    running--;
    try {
      post(message);
    } catch (error) {
      // The result could not be cloned (a function, a socket): the job did run, so it fails.
      post({ type: "result", id, ok: false, error: serializeError(error) });
    }
    askSoon();
  };

  port.on("message", (message: ToWorker) => {
    if (message.type === "job") {
      received++;
      lastSaid = ""; // the main thread forgot what this worker said of its key: say it again
      // Synchronously, before anything can fail: from here the job counts as started, so a
      // crash makes it fail instead of running again elsewhere.
      if (Atomics.compareExchange(states, message.id, JOB_ASSIGNED, JOB_STARTED) !== JOB_ASSIGNED) return;
      void runJob(message.id, message.job as J);
    } else if (message.type === "close") {
      closing = true;
      if (turn !== undefined) clearImmediate(turn);
      if (timer !== undefined) clearTimeout(timer);
      void client
        .then((c) => c.close())
        .catch(() => {})
        .finally(() => port.close());
    }
  });
}
