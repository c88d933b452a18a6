import type { Clock } from "../clock/clock.js";
import { PacerDeadlineError } from "../pacer/deadline-error.js";
import { LocalKeyPacer } from "../pacer/local-key-pacer.js";
import type {
  AcquireOptions,
  KeyPacer,
  KeyPacerConfig,
  Permit,
  ReleaseResult,
  SendOutcome,
  WaitInfo,
} from "../pacer/types.js";
import { rateLimitWait } from "../retry/backoff.js";
import type { RedisStoreWarning } from "./options.js";
import type { AcquireReply, Grant, SharedKeyState } from "./shared-state.js";
import { StoreUnavailableError } from "./store-unavailable-error.js";

/** Most permits asked for in one round trip: a process with many waiters gets them in one step. */
const MAX_BATCH = 100;

/** What the pacer of one key needs from its store. */
export interface RedisKeyPacerContext {
  id: string;
  state: SharedKeyState;
  config: KeyPacerConfig;
  onUnavailable: "fail" | "fallback";
  warn(warning: RedisStoreWarning): void;
  /** Whether the store's client is connected now (ioredis `status === "ready"`). */
  redisReady(): boolean;
  /** Called on every `acquire`: the store listens for this key's wake-ups again if it stopped. */
  touch(): void;
  /** Longest a waiter sleeps when its wait depends on responses in flight elsewhere. */
  pollMs: number;
  /** In fallback, how long the key stays in this process before Redis is tried again. */
  retryRedisAfterMs: number;
  /** How long the store keeps this pacer after its last activity (a window plus the grace). */
  idleAfterMs: number;
}

interface Waiter {
  resolve(permit: Permit): void;
  reject(reason: unknown): void;
  options: AcquireOptions;
  deadline: number;
  notified: boolean;
  onAbort: (() => void) | undefined;
}

/**
 * The pacer of one key whose state lives in Redis, shared by every process that uses the key.
 *
 * Each process keeps its own FIFO of waiters and asks Redis for permits for the head of it, up to
 * a batch per round trip, with at most one request outstanding per key. Redis grants them or
 * answers when the next one can be granted; one timer per key sleeps until then, and a release
 * anywhere that lets the key send sooner wakes it early through pub/sub. No polling loop.
 *
 * `release` must answer synchronously (`KeyPacer`), so the gate it reports after a 429 is this
 * process's estimate, made with the same random draw as the authoritative one in Redis; the two
 * differ only when another process's 429 came first.
 */
export class RedisKeyPacer implements KeyPacer {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly queue: Waiter[] = [];
  private calling = false;
  /** A wake-up that came while a request to Redis was out (server time). */
  private pendingWake = Number.POSITIVE_INFINITY;
  private timerAt = Number.POSITIVE_INFINITY;
  private timer: AbortController | undefined;
  /** Server time minus local time, from the latest reply. */
  private offset = 0;
  private inFlight = 0;
  private lastActivity: number;
  /** The earliest local moment the key could send, as of the latest reply. */
  private nextAt = Number.NEGATIVE_INFINITY;
  /** This process's view of the gate's episodes, for the estimate `release` returns. */
  private consecutive429 = 0;
  private episodeLastSeq = -1;
  private newestSeq = -1;
  /** In `"fallback"`: the in-process pacer the key uses while Redis is unreachable. */
  private local: LocalKeyPacer | undefined;
  private degraded = false;
  private retryRedisAt = Number.NEGATIVE_INFINITY;
  private closedWith: { reason: unknown } | undefined;
  /** One `release-failed` warning per outage, not one per permit. */
  private releaseFailing = false;

  constructor(private readonly ctx: RedisKeyPacerContext) {
    this.clock = ctx.config.clock;
    this.random = ctx.config.random ?? Math.random;
    this.lastActivity = this.clock.now();
  }

  acquire(options: AcquireOptions = {}): Promise<Permit> {
    const { signal, deadline = Number.POSITIVE_INFINITY } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closedWith) return Promise.reject(this.closedWith.reason);
    this.lastActivity = this.clock.now();
    this.ctx.touch();
    if (this.degraded && !this.tryRedisAgain()) return this.acquireLocally(options);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, options, deadline, notified: false, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i === -1) return;
          this.queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  get waiting(): number {
    return this.queue.length + (this.local?.waiting ?? 0);
  }

  nextSendAt(): number {
    const now = this.clock.now();
    if (this.degraded && this.local) return this.local.nextSendAt();
    return Math.max(now, this.nextAt);
  }

  isIdle(now: number): boolean {
    return (
      this.queue.length === 0 &&
      !this.calling &&
      this.inFlight === 0 &&
      (this.local?.isIdle(now) ?? true) &&
      now - this.lastActivity > this.ctx.idleAfterMs
    );
  }

  /** A release somewhere announced that the key may send at `serverAt`. */
  wake(serverAt: number): void {
    if (this.queue.length === 0) return;
    if (this.calling) {
      this.pendingWake = Math.min(this.pendingWake, serverAt);
      return;
    }
    const at = serverAt - this.offset;
    if (at <= this.clock.now()) this.pump();
    else if (at < this.timerAt) this.arm(at);
  }

  /** Rejects every waiter with `reason`; permits already granted may still be released. */
  close(reason: unknown): void {
    this.closedWith = { reason };
    for (const waiter of this.queue.splice(0)) {
      this.detach(waiter);
      waiter.reject(reason);
    }
    this.arm(Number.POSITIVE_INFINITY);
    this.local?.close(reason);
  }

  /**
   * Asks Redis for permits for the head of the queue, unless a request is already out. The ask
   * waits for the current task's other `acquire` calls (a microtask), so that a burst of
   * requests made together costs one round trip.
   */
  private pump(): void {
    if (this.calling || this.queue.length === 0 || this.closedWith) return;
    this.calling = true;
    queueMicrotask(() => {
      this.calling = false;
      this.ask();
    });
  }

  private ask(): void {
    if (this.calling || this.queue.length === 0 || this.closedWith) return;
    if (this.degraded && !this.tryRedisAgain()) {
      this.moveQueueToLocal();
      return;
    }
    this.arm(Number.POSITIVE_INFINITY);
    this.calling = true;
    this.pendingWake = Number.POSITIVE_INFINITY;
    const n = Math.min(this.queue.length, MAX_BATCH);
    this.ctx.state
      .acquire(n, (late) => this.cancel(late))
      .then(
        (reply) => {
          this.calling = false;
          this.onReply(reply);
        },
        (error: unknown) => {
          this.calling = false;
          this.onUnavailable(error);
        },
      )
      .catch((error: unknown) => {
        // A fault of ours, not of Redis: fail the waiters rather than leave them hanging.
        this.calling = false;
        for (const waiter of this.queue.splice(0)) {
          this.detach(waiter);
          waiter.reject(error);
        }
      });
  }

  private onReply(reply: AcquireReply): void {
    const now = this.clock.now();
    this.offset = reply.serverNow - now;
    if (this.degraded) {
      this.degraded = false;
      this.ctx.warn({ type: "recovered", id: this.ctx.id });
    }
    const granted: Grant[] = [...reply.grants];
    for (const grant of granted) this.newestSeq = Math.max(this.newestSeq, grant.seq);
    while (granted.length > 0 && this.queue.length > 0) {
      const waiter = this.queue.shift()!;
      this.detach(waiter);
      waiter.resolve(this.permit(granted.shift()!));
    }
    // Waiters that aborted while the request was out leave permits nobody takes.
    if (granted.length > 0) this.cancel(granted);
    if (this.closedWith) return;
    if (!reply.wait) {
      this.nextAt = now;
      this.pump();
      return;
    }
    if (this.queue.length === 0) {
      this.nextAt = this.toLocal(reply.wait.at);
      return;
    }
    const { reason } = reply.wait;
    const at = this.toLocal(reply.wait.at);
    this.nextAt = at;
    this.failWaitersPast(at, reason);
    const info: WaitInfo = { reason, ms: Number.isFinite(at) ? Math.max(0, at - now) : undefined };
    for (const waiter of [...this.queue]) {
      if (waiter.notified) continue;
      waiter.notified = true;
      try {
        waiter.options.onWait?.(info);
      } catch (error) {
        // As where the in-process pacer calls it inside `acquire`: the acquire fails with it.
        this.queue.splice(this.queue.indexOf(waiter), 1);
        this.detach(waiter);
        waiter.reject(error);
      }
    }
    let wakeAt = Number.isFinite(at) ? at : Math.min(this.toLocal(reply.wait.wake), now + this.ctx.pollMs);
    if (Number.isFinite(this.pendingWake)) wakeAt = Math.min(wakeAt, this.toLocal(this.pendingWake));
    this.pendingWake = Number.POSITIVE_INFINITY;
    this.arm(wakeAt);
  }

  private permit(grant: Grant): Permit {
    this.inFlight++;
    let released = false;
    return {
      seq: grant.seq,
      grantedAt: this.clock.now(),
      probe: grant.probe,
      release: (outcome) => {
        if (released) return {};
        released = true;
        this.inFlight--;
        this.lastActivity = this.clock.now();
        return this.release(grant, outcome);
      },
    };
  }

  private release(grant: Grant, outcome: SendOutcome): ReleaseResult {
    const draw = this.random();
    const result: ReleaseResult = {};
    if (outcome.kind === "response" && outcome.status === 429) {
      result.gate = this.estimateGate(grant.seq, outcome, draw);
      this.nextAt = Math.max(this.nextAt, this.clock.now() + result.gate.waitMs);
    }
    this.ctx.state.release(grant, outcome, draw).then(
      (reply) => {
        this.releaseFailing = false;
        this.consecutive429 = reply.consecutive429;
        this.episodeLastSeq = reply.episodeLastSeq;
        if (reply.wakeAt !== undefined) this.wake(reply.wakeAt);
      },
      (error: unknown) => {
        // The reservation stays in Redis until its window and the grace have passed.
        if (this.releaseFailing) return;
        this.releaseFailing = true;
        this.ctx.warn({ type: "release-failed", id: this.ctx.id, error: unavailable(error) });
      },
    );
    return result;
  }

  /** The gate a 429 closes, as `Gate.close` would compute it with what this process knows. */
  private estimateGate(
    seq: number,
    outcome: SendOutcome & { kind: "response" },
    draw: number,
  ): NonNullable<ReleaseResult["gate"]> {
    if (seq > this.episodeLastSeq) {
      this.consecutive429++;
      this.episodeLastSeq = this.newestSeq;
    }
    return rateLimitWait({
      retryAfterMs: outcome.retryAfterMs,
      resetMs: outcome.rateLimit?.resetMs,
      consecutive429: this.consecutive429,
      policy: this.ctx.config.backoff,
      random: () => draw,
    });
  }

  /** Gives permits nobody will use back to Redis. */
  private cancel(grants: Grant[]): void {
    for (const grant of grants) {
      this.ctx.state.release(grant, { kind: "unsent" }, 0).catch(() => {
        // unreachable: the reservation expires after its window and the grace
      });
    }
  }

  private onUnavailable(cause: unknown): void {
    const error = unavailable(cause);
    if (this.ctx.onUnavailable === "fail") {
      for (const waiter of this.queue.splice(0)) {
        this.detach(waiter);
        waiter.reject(error);
      }
      return;
    }
    if (!this.degraded) {
      this.degraded = true;
      this.ctx.warn({ type: "fallback", id: this.ctx.id, error });
    }
    this.retryRedisAt = this.clock.now() + this.ctx.retryRedisAfterMs;
    this.moveQueueToLocal();
  }

  /** In fallback: whether to give Redis another try now (the in-process pacer is drained). */
  private tryRedisAgain(): boolean {
    return this.clock.now() >= this.retryRedisAt && this.ctx.redisReady() && (this.local?.waiting ?? 0) === 0;
  }

  private moveQueueToLocal(): void {
    for (const waiter of this.queue.splice(0)) {
      this.detach(waiter);
      const onWait = waiter.options.onWait;
      this.acquireLocally({
        ...waiter.options,
        onWait: onWait && !waiter.notified ? onWait : undefined,
      }).then(waiter.resolve, waiter.reject);
    }
  }

  private acquireLocally(options: AcquireOptions): Promise<Permit> {
    this.local ??= new LocalKeyPacer(this.ctx.config);
    let acquired: Promise<Permit>;
    try {
      acquired = this.local.acquire(options);
    } catch (error) {
      // An `onWait` that throws makes the local pacer's `acquire` throw.
      return Promise.reject(error);
    }
    return acquired.then((permit) => {
      this.inFlight++;
      let released = false;
      return {
        seq: permit.seq,
        grantedAt: permit.grantedAt,
        probe: permit.probe,
        release: (outcome: SendOutcome) => {
          if (released) return {};
          released = true;
          this.inFlight--;
          this.lastActivity = this.clock.now();
          return permit.release(outcome);
        },
      };
    });
  }

  /** No waiter can send before the head does: those whose deadline comes first fail now. */
  private failWaitersPast(at: number, reason: NonNullable<AcquireReply["wait"]>["reason"]): void {
    if (!Number.isFinite(at)) return;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const waiter = this.queue[i]!;
      if (waiter.deadline > at) continue;
      this.queue.splice(i, 1);
      this.detach(waiter);
      waiter.reject(
        new PacerDeadlineError(
          at,
          Math.max(0, at - this.clock.now()),
          reason === "probe" ? "window" : reason,
        ),
      );
    }
  }

  private toLocal(serverAt: number): number {
    return Number.isFinite(serverAt) ? serverAt - this.offset : serverAt;
  }

  private detach(waiter: Waiter): void {
    if (waiter.onAbort) waiter.options.signal?.removeEventListener("abort", waiter.onAbort);
  }

  /** Keeps exactly one timer per key, set for the moment Redis named (local time). */
  private arm(at: number): void {
    if (at === this.timerAt) return;
    this.timer?.abort();
    this.timer = undefined;
    this.timerAt = at;
    if (!Number.isFinite(at)) return;
    const timer = new AbortController();
    this.timer = timer;
    // One millisecond late rather than early: early, Redis would only answer "not yet".
    this.clock.sleep(Math.max(0, Math.ceil(at - this.clock.now()) + 1), timer.signal).then(
      () => {
        if (this.timer !== timer) return;
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      () => {},
    );
  }
}

function unavailable(cause: unknown): StoreUnavailableError {
  if (cause instanceof StoreUnavailableError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreUnavailableError(`The Redis store is unavailable: ${detail}`, { cause });
}
