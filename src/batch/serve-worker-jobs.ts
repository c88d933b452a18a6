import { isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Client } from "../client/create-client.js";
import { type Clock, realClock } from "../clock/clock.js";
import type { Hooks } from "../events/hooks.js";
import { fn, plainObject } from "../internal/validate.js";
import { pickKey } from "./pick-key.js";
import { serializeError } from "./serialize-error.js";
import {
  type FromWorker,
  JOB_ASSIGNED,
  startedOn,
  type ToWorker,
  WORKER_DATA_KEY,
  type WorkerSetup,
} from "./worker-protocol.js";

/**
 * What a worker's `createClient` is given, once per key the worker owns. `D` is the type of
 * `runInWorkers`' `workerData`.
 */
export interface WorkerClientContext<D = unknown> {
  /** The API key of the client to make. Pass it to `createClient`; never log it. */
  apiKey: string;
  /** The key's fingerprint, for logs. */
  key: string;
  /** The key's position in `runInWorkers`' `keys`. */
  keyIndex: number;
  /** The `workerData` given to `runInWorkers` (a structured clone of it). */
  data: D;
  /**
   * Hooks that send the client's events to `runInWorkers`' `hooks` on the main thread (so one
   * progress reporter or logger sees every worker); undefined when the caller gave no `hooks`.
   * Pass them to `createClient`.
   */
  hooks: Hooks | undefined;
}

/** The worker's side of a batch: how to make a key's client, and how to run a job with it. */
export interface WorkerJobHandler<J, R, D = unknown> {
  /**
   * The clock the worker's clients were made with: the worker asks for a job when a key's
   * `nextSendAt()` has come on it.
   * @default the real clock
   */
  clock?: Clock;
  /**
   * Makes the client of one key, once per key the worker owns (one, unless `runInWorkers` was
   * given `keysPerWorker`), before the first job. What it throws fails the worker before it serves
   * any job: `runInWorkers` rejects with a `WorkerModuleError`.
   */
  createClient(context: WorkerClientContext<D>): Client | Promise<Client>;
  /**
   * Runs one job with the client of the key chosen for it. What it returns must survive
   * `structuredClone`; what it throws reaches the caller as a `SerializedError` (the error's
   * `toJSON()`).
   */
  run(job: J, client: Client): Promise<R> | R;
}

/** One key of this worker: its client once made, and the jobs running on it. */
interface KeySlot {
  apiKey: string;
  key: string;
  keyIndex: number;
  client: Client | undefined;
  running: number;
}

/**
 * The worker side of `runInWorkers`: call it once, at the top level of the worker module. It
 * makes the worker's clients (one per key it owns), runs each job it is sent on the key that can
 * send soonest (several at once, as `concurrency` says) and posts back the result or the error;
 * on the main thread's signal it closes the clients and lets the thread end.
 * @throws Error outside a worker started by `runInWorkers`.
 *
 * @example
 * ```js
 * // sync-worker.js: a JavaScript module (on Node 20 a worker cannot load TypeScript)
 * import { campone, createClient } from "pacekeeper";
 * import { serveWorkerJobs } from "pacekeeper/batch";
 *
 * serveWorkerJobs({
 *   createClient: ({ apiKey, data, hooks }) =>
 *     createClient({ baseUrl: data.baseUrl, apiKey, dialect: campone(), hooks }),
 *   async run(job, client) {
 *     const booking = await client.request({ path: `/bookings/${job.id}` });
 *     return { id: job.id, nights: booking.nights }; // CPU work here runs on this thread
 *   },
 * });
 * ```
 */
export function serveWorkerJobs<J = unknown, R = unknown, D = unknown>(
  handler: WorkerJobHandler<J, R, D>,
): void {
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
  const concurrency = setup.concurrency;
  const slots: KeySlot[] = setup.keys.map((k) => ({ ...k, client: undefined, running: 0 }));
  let ready = false;
  /** Job messages received so far. */
  let received = 0;
  let closing = false;
  /** The last credit, next send and park state posted, to post only changes (and every credit). */
  let lastSaid = "";
  let turn: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;

  /** Nothing waits at the key and it runs fewer jobs than it may: it can take one more. */
  const free = (slot: KeySlot): boolean => slot.client!.waiting === 0 && slot.running < concurrency;

  /**
   * Asks for one more job per key that could send at once, and for none otherwise (then again
   * when one could). A turn of the event loop after the last job began, so that its request has
   * reached its key's pacer before the key is asked again.
   */
  const askForWork = (): void => {
    turn = undefined;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!ready || closing) return;
    const next = slots.map((slot) => slot.client!.nextSendAt());
    const now = clock.now(); // after the keys' own readings
    let credit = 0;
    let soonest = Number.POSITIVE_INFINITY;
    let wakeAt = Number.POSITIVE_INFINITY;
    slots.forEach((slot, i) => {
      const at = next[i]!;
      soonest = Math.min(soonest, at);
      if (at <= now) {
        if (free(slot)) credit++;
      } else if (Number.isFinite(at) && slot.running < concurrency) {
        wakeAt = Math.min(wakeAt, at);
      }
    });
    // When no key anywhere can send, one job may wait at the key that frees first (its wait and
    // reason reach the hooks): say when this worker's first key frees, and whether it can take it.
    const nextAt = Number.isFinite(soonest) ? soonest : undefined;
    const canPark = slots.some((slot, i) => next[i] === soonest && free(slot));
    if (Number.isFinite(wakeAt)) {
      timer = setTimeout(askSoon, Math.min(Math.max(1, Math.ceil(wakeAt - now)), 2_147_483_647));
      timer.unref();
    }
    // An infinite next send waits on a probe's answer: a job's end asks again.
    const said = `${credit} ${soonest <= now ? "now" : nextAt} ${canPark}`;
    if (credit > 0 || said !== lastSaid) post({ type: "credit", credit, received, nextAt, canPark });
    lastSaid = said;
  };
  const askSoon = (): void => {
    turn ??= setImmediate(askForWork);
  };

  /** The key a job goes to: one that could send now, then fewest waiting, then fewest running. */
  const chooseKey = (): KeySlot => {
    const now = clock.now();
    const open = slots.filter((slot) => slot.running < concurrency);
    const candidates = open.length > 0 ? open : slots;
    const loads = candidates.map((slot) => ({
      // Every key that can send now is as soon as any other: they differ only by when they were read.
      nextSendAt: Math.max(now, slot.client!.nextSendAt()),
      waiting: slot.client!.waiting,
      active: slot.running,
    }));
    return candidates[pickKey(loads)]!;
  };

  const made = Promise.all(
    slots.map(async (slot) => {
      slot.client = await handler.createClient({
        apiKey: slot.apiKey,
        key: slot.key,
        keyIndex: slot.keyIndex,
        data: setup.data as D,
        hooks,
      });
    }),
  );
  made.then(
    () => {
      ready = true;
      // Fresh keys can send at once: the first jobs come together.
      lastSaid = `${concurrency * slots.length}`;
      post({ type: "ready", credit: concurrency * slots.length });
    },
    (error: unknown) => {
      // The worker cannot serve without its clients: crash it, so the main thread hears why.
      setImmediate(() => {
        throw error;
      });
    },
  );

  const runJob = async (id: number, job: J, slot: KeySlot): Promise<void> => {
    slot.running++;
    askSoon();
    let message: FromWorker;
    try {
      const value = await handler.run(job, slot.client!);
      message = { type: "result", id, keyIndex: slot.keyIndex, ok: true, value };
    } catch (error) {
      message = { type: "result", id, keyIndex: slot.keyIndex, ok: false, error: serializeError(error) };
    }
    slot.running--;
    try {
      post(message);
    } catch (error) {
      // The result could not be cloned (a function, a socket): the job did run, so it fails.
      post({ type: "result", id, keyIndex: slot.keyIndex, ok: false, error: serializeError(error) });
    }
    askSoon();
  };

  port.on("message", (message: ToWorker) => {
    if (message.type === "job") {
      received++;
      lastSaid = ""; // the main thread forgot what this worker said of its keys: say it again
      const slot = chooseKey();
      // Synchronously, before anything can fail: from here the job counts as started on this key,
      // so a crash makes it fail instead of running again elsewhere.
      const started = startedOn(slot.keyIndex);
      if (Atomics.compareExchange(states, message.id, JOB_ASSIGNED, started) !== JOB_ASSIGNED) return;
      void runJob(message.id, message.job as J, slot);
    } else if (message.type === "close") {
      closing = true;
      if (turn !== undefined) clearImmediate(turn);
      if (timer !== undefined) clearTimeout(timer);
      // Clients still being made are closed once made.
      void made
        .catch(() => {})
        .then(() => Promise.all(slots.map((slot) => slot.client?.close().catch(() => {}))))
        .finally(() => port.close());
    }
  });
}
