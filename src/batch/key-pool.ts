import { CallPromise, type WithResponse } from "../client/call-promise.js";
import { type Client, createClient, type ShortcutMethod } from "../client/create-client.js";
import { CLIENT_OPTION_NAMES, type ClientOptions } from "../client/options.js";
import type { ClientRequestInit } from "../client/prepare.js";
import type { RequestMethod, RequestOptions } from "../client/request.js";
import type { StandardSchemaV1 } from "../client/standard-schema.js";
import { type Clock, realClock } from "../clock/clock.js";
import { fn, knownKeys, nonEmptyString, plainObject, positiveInteger } from "../internal/validate.js";
import { type KeyLoad, pickKey } from "./pick-key.js";

/** Options shared by both ways of making a pool. */
interface KeyPoolCommonOptions {
  /**
   * Jobs the pool runs at once on one key. More than one keeps a key busy while responses are
   * on their way; the key's pacer still decides when each request is sent.
   * @default 8
   */
  concurrency?: number;
}

/** A pool that makes one client per key, all with the same options. */
export interface KeyPoolFromKeysOptions extends KeyPoolCommonOptions, Omit<ClientOptions, "apiKey"> {
  /** The API keys, one client each; distinct. Required. */
  apiKeys: readonly string[];
}

/** A pool over clients you made (and close yourself). */
export interface KeyPoolFromClientsOptions extends KeyPoolCommonOptions {
  /** One client per key; distinct keys. Required. */
  clients: readonly Client[];
  /**
   * The clock the clients were made with: `nextSendAt()` is read against it.
   * @default the real clock
   */
  clock?: Clock;
}

export type KeyPoolOptions = KeyPoolFromKeysOptions | KeyPoolFromClientsOptions;

/** How much one key of the pool has done. */
export interface KeyPoolKeyStats {
  /** The key's fingerprint. */
  key: string;
  /** Jobs running on the key now. */
  active: number;
  /** Jobs the key has finished, successfully or not. */
  completed: number;
}

export interface KeyPool {
  /**
   * Runs `job` on one key's client, chosen when the job starts: a key that could send now
   * (`client.nextSendAt()`), ties to the one with fewest requests waiting, then fewest jobs
   * running. While no key could send, one job per key waits in the pacer of the key that frees
   * first (its hooks report the wait and its reason) and the rest wait in the pool, so no job sits
   * out one key's window while another key is free. Resolves or rejects as the job does.
   * `signal` takes a job out of the pool's queue if it has not started yet.
   * @example
   * ```ts
   * const status = await pool.run(async (client) => {
   *   const booking = await client.get(`/api/v1/bookings/${id}`, { schema: Booking });
   *   return booking.status; // a job's requests all go to the key it runs on
   * });
   * ```
   */
  run<T>(job: (client: Client) => Promise<T> | T, options?: { signal?: AbortSignal }): Promise<T>;
  /**
   * `client.fetch` on the key chosen as for `run`.
   * @example
   * const response = await pool.fetch("/api/v1/bookings?page_size=200");
   */
  fetch(input: string | URL | Request, init?: ClientRequestInit): Promise<Response>;
  /**
   * `client.request` on the key chosen as for `run`, typed the same way: by `schema` (any Standard
   * Schema), else by a type argument, else `unknown`. It returns the same kind of promise:
   * `.withResponse()` gives the response, its rate-limit snapshot and request id too. The call joins
   * the pool's queue when it is made, however the promise is read; its `signal` takes it out of the
   * queue if no key has taken it yet.
   * @example
   * const { data, rateLimit } = await pool.request({ path: "/api/v1/bookings", schema: BookingList }).withResponse();
   */
  request<S extends StandardSchemaV1>(
    options: RequestOptions<S> & { schema: S },
  ): CallPromise<StandardSchemaV1.InferOutput<S>>;
  request<T = unknown>(options: RequestOptions<undefined>): CallPromise<T>;
  request(options: RequestOptions): CallPromise<unknown>;
  /**
   * `client.get` on the key chosen as for `run`: a `request` with the method set and the path first.
   * @example
   * const booking = await pool.get(`/api/v1/bookings/${id}`, { schema: Booking });
   */
  get: ShortcutMethod;
  /**
   * `client.post` on the key chosen as for `run`.
   * @example
   * await pool.post("/api/v1/bookings", { body: booking });
   */
  post: ShortcutMethod;
  /**
   * `client.put` on the key chosen as for `run`.
   * @example
   * await pool.put(`/api/v1/bookings/${id}`, { body: booking });
   */
  put: ShortcutMethod;
  /**
   * `client.patch` on the key chosen as for `run`.
   * @example
   * await pool.patch(`/api/v1/bookings/${id}`, { body: { ends_at } });
   */
  patch: ShortcutMethod;
  /**
   * `client.delete` on the key chosen as for `run`.
   * @example
   * await pool.delete(`/api/v1/bookings/${id}`);
   */
  delete: ShortcutMethod;
  /** The pool's clients, one per key, in the order given. */
  readonly clients: readonly Client[];
  /** Jobs waiting in the pool for a key. */
  readonly pending: number;
  /** Jobs running. */
  readonly active: number;
  /**
   * Per key: its fingerprint, jobs running and jobs finished.
   * @example
   * ```ts
   * for (const { key, active, completed } of pool.stats()) console.log(key, active, completed);
   * ```
   */
  stats(): KeyPoolKeyStats[];
  /**
   * Rejects the jobs still waiting in the pool with an `AbortError` and closes the clients the
   * pool made (their calls in progress reject). Clients passed in `clients` stay open. Idempotent.
   * @example
   * ```ts
   * await pool.close();
   * ```
   */
  close(): Promise<void>;
}

interface QueuedJob {
  run: (client: Client) => unknown;
  resolve: (value: never) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const COMMON_OPTION_NAMES = ["concurrency"];
/** A pool made from keys: its keys, `concurrency`, and what each key's client is made with. */
const KEYS_OPTION_NAMES = [
  "apiKeys",
  ...COMMON_OPTION_NAMES,
  ...CLIENT_OPTION_NAMES.filter((name) => name !== "apiKey"),
];

/** Turns of the event loop the pool looks again before it waits a millisecond instead. */
const MAX_SPINS = 20;

/**
 * A pool of API keys in one process: K keys give K times one key's throughput, because limits
 * are per key ("parallelise across multiple API keys … limits are per-key, so this scales
 * linearly", BoothZen). Every request still goes through its key's own pacer.
 *
 * @example
 * ```ts
 * import { boothzen } from "pacekeeper";
 * import { createKeyPool } from "pacekeeper/batch";
 *
 * const pool = createKeyPool({
 *   baseUrl: "https://api.boothzen.com",
 *   apiKeys: process.env.BOOTHZEN_KEYS!.split(","),
 *   dialect: boothzen(),
 * });
 * const bookings = await Promise.all(ids.map((id) => pool.request({ path: `/api/v1/bookings/${id}` })));
 * await pool.close();
 * ```
 */
export function createKeyPool(options: KeyPoolOptions): KeyPool {
  plainObject("options", options);
  const { clients, clock, owned } = clientsOf(options);
  const concurrency = positiveInteger("concurrency", options.concurrency ?? 8);

  const queue: QueuedJob[] = [];
  const active = clients.map(() => 0);
  const completed = clients.map(() => 0);
  let running = 0;
  let closed: Promise<void> | undefined;
  let timer: AbortController | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  /** Keys given a job since the last turn of the event loop. */
  const justGiven = new Set<number>();
  let turn: NodeJS.Immediate | undefined;
  /** Turns in a row spent waiting for a key that could send to take its waiting request. */
  let spins = 0;

  /**
   * Starts queued jobs on keys that could send now. When none could, one job goes to wait in the
   * pacer of the key that frees first (so its wait, with the reason, reaches the hooks); the rest
   * wait here until a key frees, so none sits out one key's window while another key is free.
   */
  const dispatch = (): void => {
    while (queue.length > 0 && closed === undefined) {
      const candidates: (KeyLoad & { index: number })[] = [];
      /** The soonest next send of every key, busy ones included. */
      let soonest = Number.POSITIVE_INFINITY;
      for (let i = 0; i < clients.length; i++) {
        const client = clients[i]!;
        const nextSendAt = client.nextSendAt();
        soonest = Math.min(soonest, nextSendAt);
        if (active[i]! < concurrency) {
          candidates.push({ index: i, nextSendAt, waiting: client.waiting, active: active[i]! });
        }
      }
      if (candidates.length === 0) break; // every key is at its concurrency: a job's end wakes us
      // Read after the keys: a key that can send now answers with its own reading of the clock,
      // and the real clock has moved on by a few microseconds since any earlier reading.
      const now = clock.now();
      // A key given a job this turn still looks free until the job's request reaches its pacer:
      // it is asked again on the next turn.
      const settled = candidates.filter((c) => c.waiting === 0 && !justGiven.has(c.index));
      // Every key that can send now is as soon as any other: they differ only by when they were read.
      const ready = settled.filter((c) => c.nextSendAt <= now).map((c) => ({ ...c, nextSendAt: now }));
      let chosen = ready[pickKey(ready)];
      if (chosen === undefined) {
        if (candidates.some((c) => c.nextSendAt <= now)) {
          // A key could send but was just given a job, or its pacer is granting a waiting request
          // at this very moment: look again on the next turn (after a few turns, a millisecond on).
          if (spins++ < MAX_SPINS) nextTurn();
          else arm(now + 1);
          return;
        }
        // Only at the key that frees first: a job parked at a later one could sit out that key's
        // window while the first key frees and takes the rest.
        const parkable = settled.filter((c) => c.nextSendAt === soonest && Number.isFinite(soonest));
        chosen = parkable[pickKey(parkable)];
        if (chosen === undefined) {
          const free = Math.min(...candidates.map((c) => c.nextSendAt));
          if (Number.isFinite(free)) {
            arm(free);
            return;
          }
          // Every free key waits on a probe's answer. One of our jobs ending wakes us; if none is
          // running, the probe is someone else's: queue at the key's pacer rather than stall.
          if (running > 0) break;
          chosen = candidates[pickKey(candidates)]!;
        }
      }
      spins = 0;
      start(queue.shift()!, chosen.index);
      justGiven.add(chosen.index);
      nextTurn();
    }
    arm(Number.POSITIVE_INFINITY);
  };

  const nextTurn = (): void => {
    turn ??= setImmediate(() => {
      turn = undefined;
      justGiven.clear();
      dispatch();
    });
  };

  /** One timer for the pool, at the earliest moment a key could send. */
  const arm = (at: number): void => {
    if (at === timerAt) return;
    timer?.abort();
    timer = undefined;
    timerAt = at;
    if (!Number.isFinite(at)) return;
    const mine = new AbortController();
    timer = mine;
    clock.sleep(Math.max(0, at - clock.now()), mine.signal).then(
      () => {
        if (timer !== mine) return;
        timer = undefined;
        timerAt = Number.POSITIVE_INFINITY;
        dispatch();
      },
      () => {},
    );
  };

  const start = (job: QueuedJob, index: number): void => {
    if (job.onAbort) job.signal?.removeEventListener("abort", job.onAbort);
    active[index]!++;
    running++;
    const finish = (): void => {
      active[index]!--;
      completed[index]!++;
      running--;
      dispatch();
    };
    // A job that throws synchronously rejects its promise like an async one.
    Promise.resolve()
      .then(() => job.run(clients[index]!))
      .then(
        (value) => {
          finish();
          job.resolve(value as never);
        },
        (error: unknown) => {
          finish();
          job.reject(error);
        },
      );
  };

  const run = <T>(job: (client: Client) => Promise<T> | T, runOptions: { signal?: AbortSignal } = {}) => {
    fn("job", job);
    const signal = runOptions.signal;
    if (closed !== undefined) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const queued: QueuedJob = { run: job, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        queued.onAbort = () => {
          const i = queue.indexOf(queued);
          if (i === -1) return;
          queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", queued.onAbort, { once: true });
      }
      queue.push(queued);
      dispatch();
    });
  };

  /**
   * A JSON call on the chosen key, as the promise `client.request` returns: the pool's job is the
   * chosen client's call with its response, so `.withResponse()` reads what that client's did.
   */
  const call = (options: unknown, send: (client: Client) => CallPromise<unknown>): CallPromise<unknown> =>
    new CallPromise(
      run((client): Promise<WithResponse<unknown>> => send(client).withResponse(), {
        signal: signalOf(options),
      }),
    );
  const shortcut = (method: Lowercase<Exclude<RequestMethod, "HEAD" | "OPTIONS">>) =>
    ((path: string, options?: unknown) =>
      call(options, (client) => client[method](path, options as never))) as ShortcutMethod;

  return {
    run,
    fetch: (input, init) => run((client) => client.fetch(input, init), { signal: init?.signal ?? undefined }),
    request: ((requestOptions: unknown) =>
      call(requestOptions, (client) =>
        client.request(requestOptions as RequestOptions),
      )) as KeyPool["request"],
    get: shortcut("get"),
    post: shortcut("post"),
    put: shortcut("put"),
    patch: shortcut("patch"),
    delete: shortcut("delete"),
    clients,
    get pending() {
      return queue.length;
    },
    get active() {
      return running;
    },
    stats: () =>
      clients.map((client, i) => ({ key: client.key, active: active[i]!, completed: completed[i]! })),
    close() {
      closed ??= (async () => {
        arm(Number.POSITIVE_INFINITY);
        if (turn !== undefined) clearImmediate(turn);
        for (const job of queue.splice(0)) {
          if (job.onAbort) job.signal?.removeEventListener("abort", job.onAbort);
          job.reject(closedError());
        }
        await Promise.all(owned.map((client) => client.close()));
      })();
      return closed;
    },
  };
}

/**
 * The `signal` of a call's options, if it is one: what takes the call out of the pool's queue. The
 * options are checked by the client that sends them; whatever they hold, they reach it.
 */
function signalOf(options: unknown): AbortSignal | undefined {
  const signal =
    typeof options === "object" && options !== null ? (options as { signal?: unknown }).signal : undefined;
  return signal instanceof AbortSignal ? signal : undefined;
}

function closedError(): DOMException {
  return new DOMException("The key pool was closed", "AbortError");
}

function clientsOf(options: KeyPoolOptions): { clients: Client[]; clock: Clock; owned: Client[] } {
  if ("clients" in options && options.clients !== undefined) {
    if ("apiKeys" in options)
      throw new TypeError("Pass either `clients` or `apiKeys` to createKeyPool, not both");
    knownKeys("createKeyPool() options with `clients`", options, [
      "clients",
      "clock",
      ...COMMON_OPTION_NAMES,
    ]);
    const clients = [...nonEmptyArray("clients", options.clients)];
    for (const [i, client] of clients.entries()) {
      const c = plainObject(`clients[${i}]`, client);
      fn(`clients[${i}].nextSendAt`, c.nextSendAt);
      fn(`clients[${i}].fetch`, c.fetch);
    }
    distinct(
      "clients",
      clients.map((c) => c.key),
    );
    const clock = options.clock ?? realClock;
    fn("clock.now", clock.now);
    fn("clock.sleep", clock.sleep);
    return { clients, clock, owned: [] };
  }
  // Named here, not by each createClient: the pool's options are not createClient's.
  knownKeys("createKeyPool() options", options, KEYS_OPTION_NAMES);
  const { apiKeys, concurrency: _concurrency, ...clientOptions } = options as KeyPoolFromKeysOptions;
  const keys = nonEmptyArray("apiKeys", apiKeys);
  for (const [i, key] of keys.entries()) nonEmptyString(`apiKeys[${i}]`, key);
  distinct("apiKeys", keys);
  const clients: Client[] = [];
  try {
    for (const apiKey of keys) clients.push(createClient({ ...clientOptions, apiKey }));
  } catch (error) {
    for (const client of clients) void client.close();
    throw error;
  }
  return { clients, clock: clientOptions.clock ?? realClock, owned: clients };
}

function nonEmptyArray<T>(name: string, value: readonly T[] | undefined): readonly T[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(`Expected \`${name}\` to be a non-empty array, got ${describeValue(value)}`);
  }
  return value;
}

function distinct(name: string, values: readonly string[]): void {
  // Two entries of one key would share its pacer and budget: the pool would count it twice.
  if (new Set(values).size !== values.length) {
    throw new TypeError(`Expected \`${name}\` to hold distinct keys: one key's budget cannot be spent twice`);
  }
}

function describeValue(value: unknown): string {
  return Array.isArray(value)
    ? "`[]` (array)"
    : `\`${String(value)}\` (${value === null ? "null" : typeof value})`;
}
