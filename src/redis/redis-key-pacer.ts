import type { Clock } from "../clock/clock.js";
import type { KeyBudget } from "../pacer/budget.js";
import { type Grant, KeyEngine } from "../pacer/key-engine.js";
import { LocalKeyPacer } from "../pacer/local-key-pacer.js";
import {
  type AcquireOptions,
  isRefusal,
  type KeyPacer,
  type KeyPacerConfig,
  type Permit,
  type ReleaseResult,
  type SendOutcome,
} from "../pacer/types.js";
import { Waiters } from "../pacer/waiters.js";
import type { RedisStoreWarning } from "./options.js";
import type { SharedKeyState, Snapshot, WriteReply } from "./shared-state.js";
import { StoreUnavailableError } from "./store-unavailable-error.js";

/** Most permits asked for in one round trip: a process with many waiters gets them in one step. */
const MAX_BATCH = 100;

/** Writes lost to other processes' in a row before a step gives up: only under absurd contention. */
const MAX_CONFLICTS = 50;

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
  /** A reservation whose process never reported back is freed after its window and this grace. */
  graceMs: number;
  /** The time of the key's state: Redis' own, or a clock every process of the key shares (a test's). */
  time: "redis" | Clock;
}

/** One step's change to the key's state, run on the newest state Redis has, again if someone wrote in between. */
type Change = (engine: KeyEngine, now: number) => void;

/**
 * The pacer of one key whose state lives in Redis, shared by every process that uses the key. The
 * rules are the in-process pacer's (`KeyEngine`), run in this process on the state Redis holds and
 * written back only if no other process wrote in between (`SharedKeyState`).
 *
 * Each process keeps its own FIFO of waiters and, one step at a time, asks for permits for the head
 * of it (up to a batch per round trip), together with the releases reported since. When the key
 * cannot send, one timer sleeps until it can; a release in another process that lets the key send
 * sooner wakes it through pub/sub. No polling loop.
 *
 * The key's state is kept in Redis' time (processes on machines with skewed clocks then agree), or
 * in a clock the store was given (a test's virtual one); timers run on the client's clock.
 *
 * `release` must answer synchronously (`KeyPacer`), so the gate it reports after a 429 is this
 * process's estimate from the state it knows, made with the same random draw as the authoritative
 * one; the two differ only when another process's 429 came first.
 */
export class RedisKeyPacer implements KeyPacer {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly waiters: Waiters;
  /** The key's state as of the last step, and its version in Redis (`""`: none yet). */
  private engine: KeyEngine;
  private version = "";
  /** Releases reported since the last step. */
  private readonly changes: Change[] = [];
  private stepping = false;
  private steppingAgain = false;
  private readonly onSettled: (() => void)[] = [];
  /** Redis' time minus the client's clock, as measured on the replies. */
  private redisOffset = 0;
  private bestRoundTripMs = Number.POSITIVE_INFINITY;
  /** Whether a reply has told this pacer the key's state and Redis' time yet. */
  private synced = false;
  private inFlight = 0;
  private lastActivity: number;
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
    this.engine = new KeyEngine(ctx.config, this.sharedNow());
    this.waiters = new Waiters(this.clock, () => this.step());
  }

  acquire(options: AcquireOptions = {}): Promise<Permit> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    if (this.closedWith) return Promise.reject(this.closedWith.reason);
    this.lastActivity = this.clock.now();
    this.ctx.touch();
    if (this.degraded && !this.tryRedisAgain()) return this.acquireLocally(options);
    const permit = this.waiters.add(options);
    this.step();
    return permit;
  }

  get waiting(): number {
    return this.waiters.length + (this.local?.waiting ?? 0);
  }

  nextSendAt(route = ""): number {
    if (this.degraded && this.local) return this.local.nextSendAt(route);
    const at = this.engine.nextSendAt(this.sharedNow(), route) - this.offset;
    return Math.max(this.clock.now(), at);
  }

  /**
   * The key's budget as of the last round trip to Redis (sends of other processes since are not in
   * it), its times turned to the client's clock.
   */
  budget(route = ""): KeyBudget {
    if (this.degraded && this.local) return { ...this.local.budget(route), waiting: this.waiting };
    const { limits, inFlight } = this.engine.budget(this.sharedNow(), route);
    const offset = this.offset;
    return {
      limits: limits.map((l) => (l.resetAt === undefined ? l : { ...l, resetAt: l.resetAt - offset })),
      waiting: this.waiting,
      inFlight,
      nextSendAt: this.nextSendAt(route),
    };
  }

  isIdle(now: number): boolean {
    return (
      this.waiters.length === 0 &&
      !this.stepping &&
      this.changes.length === 0 &&
      this.inFlight === 0 &&
      (this.local?.isIdle(now) ?? true) &&
      now - this.lastActivity > this.engine.horizonMs + this.ctx.graceMs
    );
  }

  /** A release somewhere announced that the key may send at `serverAt`. */
  wake(serverAt: number): void {
    if (this.waiters.length === 0) return;
    const at = serverAt - this.offset;
    if (at <= this.clock.now()) this.step();
    else if (at < this.waiters.wakeAt) this.waiters.arm(at, this.lateMs);
  }

  /** Rejects every waiter with `reason`; permits already granted may still be released. */
  close(reason: unknown): void {
    this.closedWith = { reason };
    this.waiters.rejectAll(reason);
    this.local?.close(reason);
  }

  /** Resolves once no step is running or due: what tests wait for instead of sleeping. */
  settled(): Promise<void> {
    if (!this.stepping && this.changes.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.onSettled.push(resolve));
  }

  /** Runs a step now, or right after the one running. */
  private step(): void {
    if (this.closedWith && this.changes.length === 0) return;
    if (this.stepping) {
      this.steppingAgain = true;
      return;
    }
    this.stepping = true;
    // The step waits for the current task's other acquires (a microtask), so that a burst of
    // requests made together costs one round trip.
    queueMicrotask(() => {
      this.run().catch((error: unknown) => {
        // A fault of ours, not of Redis: fail the waiters rather than leave them hanging.
        this.waiters.rejectAll(error);
      });
    });
  }

  private async run(): Promise<void> {
    try {
      do {
        this.steppingAgain = false;
        await this.oneStep();
      } while ((this.steppingAgain || this.changes.length > 0) && !this.degraded);
    } finally {
      this.stepping = false;
      for (const resolve of this.onSettled.splice(0)) resolve();
    }
  }

  /** One round trip: the releases reported since, and permits for the head of the queue. */
  private async oneStep(): Promise<void> {
    if (this.degraded && this.waiters.length > 0 && !this.tryRedisAgain()) {
      this.moveWaitersToLocal();
      return;
    }
    const changes = this.changes.splice(0);
    const wanted = this.closedWith ? 0 : Math.min(this.waiters.length, MAX_BATCH);
    if (changes.length === 0 && wanted === 0) return;
    if (!this.synced) {
      // The first step reads before it writes: its times must be the key's, not this clock's guess.
      const sentAt = this.clock.now();
      let read: Awaited<ReturnType<SharedKeyState["read"]>>;
      try {
        read = await this.ctx.state.read();
      } catch (error) {
        this.changes.unshift(...changes);
        this.onUnavailable(error, false);
        return;
      }
      this.learnOffset(read.serverNow, sentAt);
      this.adopt(read.snapshot);
      this.synced = true;
    }
    const routes = this.waiters.heads();
    let grants: Grant[] = [];
    let next: KeyEngine | undefined;
    for (let conflicts = 0; next === undefined; conflicts++) {
      if (conflicts > MAX_CONFLICTS)
        throw new StoreUnavailableError("Too many concurrent writes to one key in Redis");
      const now = Math.max(this.sharedNow(), this.engine.lastActivity);
      const engine = new KeyEngine(this.ctx.config, now, this.engine.toState());
      engine.expire(now, engine.horizonMs + this.ctx.graceMs);
      for (const change of changes) change(engine, now);
      grants = [];
      for (const route of routes) {
        for (let i = this.waiters.countOf(route); i > 0 && grants.length < wanted; i--) {
          const verdict = engine.verdict(now, route);
          if (!verdict.ok) break;
          grants.push(engine.grant(now, verdict.probe, route));
        }
      }
      if (grants.length < wanted) engine.touch(now);
      const waitingStill = this.waiters.length > grants.length;
      let reply: WriteReply;
      const sentAt = this.clock.now();
      try {
        reply = await this.ctx.state.write(
          this.version,
          engine.toState(),
          {
            now,
            ttlMs: engine.horizonMs + this.ctx.graceMs,
            wake: changes.length > 0 ? engine.nextSendAt(now) : undefined,
            lease: waitingStill ? now + 3 * this.ctx.pollMs : undefined,
          },
          (late) => this.undoLate(late, grants),
        );
      } catch (error) {
        this.onUnavailable(error, changes.length > 0);
        return;
      }
      this.learnOffset(reply.serverNow, sentAt);
      if (reply.written) {
        this.version = reply.version;
        next = engine;
      } else {
        this.adopt(reply.snapshot);
      }
    }
    this.engine = next;
    this.recovered();
    this.hand(grants);
  }

  /** Gives the grants to the heads of their routes; then, if some still wait, says why and sleeps. */
  private hand(grants: Grant[]): void {
    for (const grant of grants) {
      if (this.waiters.countOf(grant.route) > 0) this.waiters.grantHead(grant.route, this.permit(grant));
      else {
        // Its waiter aborted while the step was out.
        this.changes.push(releaseChange(grant, { kind: "unsent" }, 0));
        this.steppingAgain = true;
      }
    }
    if (this.waiters.length === 0) {
      this.waiters.arm(Number.POSITIVE_INFINITY);
      return;
    }
    const serverNow = Math.max(this.sharedNow(), this.engine.lastActivity);
    const now = this.clock.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const route of this.waiters.heads()) {
      const verdict = this.engine.verdict(serverNow, route);
      if (verdict.ok) {
        this.steppingAgain = true;
        return;
      }
      const at = Number.isFinite(verdict.at) ? verdict.at - this.offset : verdict.at;
      this.waiters.failPast(route, at, verdict.reason);
      this.waiters.tell(route, {
        reason: verdict.reason,
        ms: Number.isFinite(at) ? Math.max(0, at - now) : undefined,
      });
      // A wait on responses in flight elsewhere has no time of its own: look again after `pollMs`,
      // or sooner when a release there publishes a wake-up.
      wakeAt = Math.min(wakeAt, Number.isFinite(at) ? at : now + this.ctx.pollMs);
    }
    this.waiters.arm(wakeAt, this.lateMs);
  }

  private permit(grant: Grant): Permit {
    this.inFlight++;
    let released = false;
    return {
      seq: grant.seq,
      grantedAt: grant.grantedAt - this.offset,
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
    let result: ReleaseResult = {};
    if (isRefusal(outcome)) {
      // The estimate: the same rule and draw on the state this process knows.
      const now = Math.max(this.sharedNow(), this.engine.lastActivity);
      const estimate = new KeyEngine(this.ctx.config, now, this.engine.toState());
      result = estimate.release(grant, outcome, now, draw);
    }
    this.changes.push(releaseChange(grant, outcome, draw));
    this.step();
    return result;
  }

  /** A write that happened after its step had given up: its grants go back. */
  private undoLate(reply: WriteReply, grants: Grant[]): void {
    if (!reply.written || grants.length === 0) return;
    for (const grant of grants) this.changes.push(releaseChange(grant, { kind: "unsent" }, 0));
    this.step();
  }

  private adopt(snapshot: Snapshot): void {
    this.version = snapshot.version;
    this.engine = new KeyEngine(this.ctx.config, this.sharedNow(), snapshot.state);
  }

  /**
   * How late a timer wakes: in Redis' time a millisecond, as the offset to it is an estimate and a
   * step a little early would only be told "not yet"; in a shared clock's, none.
   */
  private get lateMs(): number {
    return this.ctx.time === "redis" ? 1 : 0;
  }

  /** The key's time minus the client's clock: what turns one into the other. */
  private get offset(): number {
    const { time } = this.ctx;
    return time === "redis" ? this.redisOffset : time.now() - this.clock.now();
  }

  /** The key's time now. */
  private sharedNow(): number {
    return this.clock.now() + this.offset;
  }

  /** Keeps the offset to Redis' time measured on the fastest round trip: the least uncertain. */
  private learnOffset(serverNow: number, sentAt: number): void {
    if (this.ctx.time !== "redis") return;
    const now = this.clock.now();
    const roundTrip = now - sentAt;
    if (roundTrip > this.bestRoundTripMs * 2) return;
    this.bestRoundTripMs = Math.min(this.bestRoundTripMs, roundTrip);
    this.redisOffset = serverNow - (sentAt + roundTrip / 2);
  }

  private onUnavailable(cause: unknown, hadReleases: boolean): void {
    const error = unavailable(cause);
    if (hadReleases && !this.releaseFailing) {
      // The reservations stay in Redis until their window and the grace have passed.
      this.releaseFailing = true;
      this.ctx.warn({ type: "release-failed", id: this.ctx.id, error });
    }
    if (this.ctx.onUnavailable === "fail") {
      this.waiters.rejectAll(error);
      return;
    }
    if (!this.degraded) {
      this.degraded = true;
      this.ctx.warn({ type: "fallback", id: this.ctx.id, error });
    }
    this.retryRedisAt = this.clock.now() + this.ctx.retryRedisAfterMs;
    this.moveWaitersToLocal();
  }

  private recovered(): void {
    this.releaseFailing = false;
    if (!this.degraded) return;
    this.degraded = false;
    this.ctx.warn({ type: "recovered", id: this.ctx.id });
  }

  /** In fallback: whether to give Redis another try now (the in-process pacer is drained). */
  private tryRedisAgain(): boolean {
    return this.clock.now() >= this.retryRedisAt && this.ctx.redisReady() && (this.local?.waiting ?? 0) === 0;
  }

  private moveWaitersToLocal(): void {
    this.waiters.handOver((options) => this.acquireLocally(options));
  }

  private acquireLocally(options: AcquireOptions): Promise<Permit> {
    this.local ??= new LocalKeyPacer(this.ctx.config);
    return this.local.acquire(options).then((permit) => {
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
}

function releaseChange(grant: Grant, outcome: SendOutcome, draw: number): Change {
  return (engine, now) => {
    engine.release(grant, outcome, now, draw);
  };
}

function unavailable(cause: unknown): StoreUnavailableError {
  if (cause instanceof StoreUnavailableError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StoreUnavailableError(`The Redis store is unavailable: ${detail}`, { cause });
}
