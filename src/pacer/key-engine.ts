import type { RateLimitQuota } from "../headers/types.js";
import type { BackoffPolicy } from "../retry/backoff.js";
import type { BudgetLimit, KeyBudget } from "./budget.js";
import { Gate, type GateState } from "./gate.js";
import { RateLearner, type RateLearnerState } from "./rate-learner.js";
import { RollingWindow, type RollingWindowState } from "./rolling-window.js";
import { ServerBucket, type ServerBucketState } from "./server-bucket.js";
import { isRefusal, type Limit, type ReleaseResult, type SendOutcome, type WaitReason } from "./types.js";

/** Whether the key may send at a moment, and if not, why and until when. */
export type Verdict = { ok: true; probe: boolean } | { ok: false; reason: WaitReason; at: number };

/** One send the engine granted: what its release must hand back. */
export interface Grant {
  /** Position of the send in the key's order of sends. */
  readonly seq: number;
  readonly grantedAt: number;
  /** Whether this send is a probe that other requests wait on (the key's first, a bucket's or a route's). */
  readonly probe: boolean;
  /** The route the send was made for (`AcquireOptions.route`). */
  readonly route: string;
  /** The server buckets it is counted against: those of its route when granted, and any learned of since. */
  readonly buckets: GrantedBucket[];
}

interface GrantedBucket {
  name: string;
  /** The send's number among the bucket's sends. */
  seq: number;
  /** Our sends alive in the bucket's log at the grant, this one included. */
  alive: number;
  probe: boolean;
}

/** What the engine is made from: a key's rules, without the clock that drives them. */
export interface EngineConfig {
  /** The configured limits: a starting guess the server's headers override. Empty: nothing is known. */
  limits: readonly Limit[];
  /** Whether the key's first request goes alone, to learn whether the server sends budget headers. */
  probeFirst: boolean;
  backoff: BackoffPolicy;
}

/** The engine's whole state as plain data (JSON-safe but for ±Infinity): what a shared store keeps. */
export interface EngineState {
  windows: RollingWindowState[];
  buckets: [string, ServerBucketState][];
  spent: [string, number][];
  gates: [string, GateState][];
  routes: [string, string[]][];
  learner: RateLearnerState | undefined;
  sentSeq: number;
  inFlight: Grant[];
  probeFirst: boolean;
  headersSeen: boolean;
  lastActivity: number;
}

/** The key-wide gate and bucket: those of a server that names no quota. */
const KEY = "";

const SEND: Verdict = Object.freeze({ ok: true, probe: false });
const SEND_PROBE: Verdict = Object.freeze({ ok: true, probe: true });
const NOTHING: ReleaseResult = Object.freeze({});

/** The longest a key's state is kept without activity, whatever window a server claims: a week. */
const MAX_HORIZON_MS = 7 * 24 * 3_600_000;

/** A rate learned from a server's refusals is kept this long without activity. */
const LEARNED_RATE_KEPT_MS = 600_000;

/** How much sooner than a full window of our sends would free a slot a `Retry-After` may still say it. */
const REFUSAL_TOLERANCE_MS = 2_000;

/** A guess to start a server that says nothing from, when nothing is configured: two sends a second. */
const GUESSED_RATE_PER_MS = 2 / 1000;

/**
 * The rules of one key's pacing, as a state machine over the time it is given: whether a request
 * may be sent now (`verdict`), a send granted (`grant`), how a send ended (`release`). It reads no
 * clock and arms no timer, so the same rules run in this process (`LocalKeyPacer`) and over a state
 * shared through a store (`pacekeeper/redis`).
 *
 * What a send must respect, asked in `verdict` (docs/pacing.md):
 * - the gates a refusal closed: the key's, or the refused bucket's (GitHub's `search`);
 * - the probe: the key's first request goes alone until an answer says whether headers come;
 * - the configured limits, each an exact rolling log of the key's sends (`RollingWindow`), but the
 *   one an unnamed server budget describes, which the server's word replaces;
 * - the server buckets of the request's route, each from the headers of its answers (`ServerBucket`);
 * - quotas in units pacekeeper cannot count (tokens), only while one is spent;
 * - for a server that sends no headers, the rate learned from its refusals (`RateLearner`).
 *
 * Routes (a path's first segment) are how requests find their buckets: an answer names the buckets
 * it was counted against, and the route remembers them. A route seen for the first time, where the
 * server counts routes against different buckets, is probed alone: its bucket may be spent.
 */
export class KeyEngine {
  private readonly windows: RollingWindow[];
  /** Index of the configured window an unnamed server budget describes: the longest. */
  private readonly described: number;
  private readonly buckets: Map<string, ServerBucket>;
  /** Quotas of other units (tokens) that are spent, by name: until when. */
  private readonly spent: Map<string, number>;
  private readonly gates: Map<string, Gate>;
  /** The buckets each route's answers named. */
  private readonly routes: Map<string, string[]>;
  private learner: RateLearner | undefined;
  private sentSeq: number;
  /** The sends in flight by their number, in grant order. */
  private readonly inFlight: Map<number, Grant>;
  private probeFirst: boolean;
  private headersSeen: boolean;
  private activity: number;

  constructor(
    private readonly config: EngineConfig,
    now: number,
    state?: EngineState,
  ) {
    this.described = longestWindow(config.limits);
    this.windows = config.limits.map((l, i) => {
      const saved = state?.windows[i];
      return saved ? RollingWindow.from(saved) : new RollingWindow(l.limit, l.windowMs);
    });
    const assumed = this.describedWindowMs();
    this.buckets = new Map((state?.buckets ?? []).map(([name, s]) => [name, new ServerBucket(assumed, s)]));
    this.spent = new Map(state?.spent ?? []);
    this.gates = new Map(
      (state?.gates ?? [[KEY, undefined]]).map(([name, s]) => [name, new Gate(config.backoff, s)]),
    );
    this.routes = new Map((state?.routes ?? []).map(([route, names]) => [route, [...names]]));
    this.learner = state?.learner ? new RateLearner(now, learnerDefaults(config), state.learner) : undefined;
    this.sentSeq = state?.sentSeq ?? 0;
    this.inFlight = new Map((state?.inFlight ?? []).map((g) => [g.seq, copyGrant(g)]));
    this.probeFirst = state?.probeFirst ?? config.probeFirst;
    this.headersSeen = state?.headersSeen ?? false;
    this.activity = state?.lastActivity ?? now;
  }

  toState(): EngineState {
    return {
      windows: this.windows.map((w) => w.toState()),
      buckets: [...this.buckets].map(([name, b]) => [name, b.toState()]),
      spent: [...this.spent],
      gates: [...this.gates].map(([name, g]) => [name, g.toState()]),
      routes: [...this.routes].map(([route, names]) => [route, [...names]]),
      learner: this.learner?.toState(),
      sentSeq: this.sentSeq,
      inFlight: [...this.inFlight.values()].map(copyGrant),
      probeFirst: this.probeFirst,
      headersSeen: this.headersSeen,
      lastActivity: this.activity,
    };
  }

  /** Sends granted and not yet released. */
  get sendsInFlight(): number {
    return this.inFlight.size;
  }

  /** The last grant or release, or the last request that had to wait. */
  get lastActivity(): number {
    return this.activity;
  }

  /** Something asked for the key (a request waiting counts as activity). */
  touch(now: number): void {
    this.activity = now;
  }

  /** Nothing in flight, every gate open, and no activity for longer than the longest window. */
  isIdle(now: number): boolean {
    if (this.inFlight.size > 0 || now - this.activity <= this.horizonMs) return false;
    for (const gate of this.gates.values()) if (!gate.isOpen(now)) return false;
    return true;
  }

  /**
   * Whether a request of `route` may be sent at `now`; if not, why and until when (`Infinity`:
   * until an answer in flight comes).
   */
  verdict(now: number, route = ""): Verdict {
    const names = this.bucketsOf(route);
    // The gates of the route's buckets (where a refusal closed one), then the key's. The send that
    // tries the server again after a gate reopened is a probe.
    let probe = false;
    for (const name of names) {
      const gate = name === KEY ? undefined : this.gates.get(name);
      if (gate === undefined) continue;
      const held = this.heldAt(gate, now);
      if (held) return held;
      probe ||= gate.untested;
    }
    const keyGate = this.gates.get(KEY)!;
    const held = this.heldAt(keyGate, now);
    if (held) return held;
    probe ||= keyGate.untested;
    const learning = this.probeFirst && !this.headersSeen;
    if (learning && this.inFlight.size > 0)
      return { ok: false, reason: "probe", at: Number.POSITIVE_INFINITY };

    let at = now;
    let reason: WaitReason = "window";
    probe ||= learning;
    // Configured limits: each an exact log of the key's sends, but the one the server's word replaces.
    const replaced = names.length > 0 ? this.described : -1;
    for (let i = 0; i < this.windows.length; i++) {
      if (i === replaced) continue;
      const freeAt = this.windows[i]!.nextFreeAt(now);
      if (freeAt > at) at = freeAt;
    }
    // The route's server buckets.
    for (const name of names) {
      const bucket = this.buckets.get(name);
      if (bucket === undefined) continue;
      const verdict = bucket.verdict(now);
      if (verdict.ok) {
        probe ||= verdict.probe;
        continue;
      }
      if (verdict.at > at || (verdict.at === at && at > now)) {
        at = verdict.at;
        reason = verdict.reason;
      }
    }
    // Quotas in other units (tokens), while spent.
    for (const [name, until] of this.spent) {
      if (until <= now) {
        this.spent.delete(name);
        continue;
      }
      if (until > at) {
        at = until;
        reason = "budget";
      }
    }
    // A route the server has not yet placed in a bucket, where it counts routes against different
    // buckets: probed alone, its bucket may be spent.
    if (!this.routes.has(route) && this.routesDiffer()) {
      for (const g of this.inFlight.values()) {
        if (g.route === route) return { ok: false, reason: "probe", at: Number.POSITIVE_INFINITY };
      }
      probe = true;
    }
    if (this.learner) {
      const freeAt = this.learner.nextFreeAt(now);
      if (freeAt > at) {
        at = freeAt;
        reason = "window";
      }
    }
    if (at > now) return { ok: false, reason, at };
    return probe ? SEND_PROBE : SEND;
  }

  /** The earliest moment a request of `route` could be sent, as far as the engine knows at `now`. */
  nextSendAt(now: number, route = ""): number {
    const verdict = this.verdict(now, route);
    return verdict.ok ? now : verdict.at;
  }

  /**
   * The key's budget at `now` as the verdict for `route` weighs it: the configured windows (but the
   * one the server's word replaces), then every request quota the server described, by name.
   */
  budget(now: number, route = ""): Omit<KeyBudget, "waiting"> {
    const replaced = this.bucketsOf(route).length > 0 ? this.described : -1;
    const limits: BudgetLimit[] = [];
    for (let i = 0; i < this.windows.length; i++) {
      if (i !== replaced) limits.push(this.windows[i]!.budget(now));
    }
    for (const [name, bucket] of this.buckets) {
      const limit = bucket.budget(now);
      if (limit !== undefined) limits.push(name === KEY ? limit : { name, ...limit });
    }
    return { limits, inFlight: this.inFlight.size, nextSendAt: this.nextSendAt(now, route) };
  }

  /** Grants one send at `now`: call it only when `verdict(now, route)` said yes, with its `probe`. */
  grant(now: number, probe: boolean, route = ""): Grant {
    const seq = this.sentSeq++;
    this.activity = now;
    for (const w of this.windows) w.reserve();
    this.learner?.granted(now);
    const buckets: GrantedBucket[] = [];
    for (const name of this.bucketsOf(route)) {
      const bucket = this.buckets.get(name);
      if (bucket === undefined) continue;
      // A bucket's probe: the bucket's verdict asked for one (its window ended).
      const verdict = probe ? bucket.verdict(now) : SEND;
      const bucketProbe = verdict.ok && verdict.probe;
      const { seq: bucketSeq, alive } = bucket.grant(now, bucketProbe);
      buckets.push({ name, seq: bucketSeq, alive, probe: bucketProbe });
    }
    const grant: Grant = { seq, grantedAt: now, probe, route, buckets };
    this.inFlight.set(seq, grant);
    return grant;
  }

  /**
   * How a granted send ended, at `now`. `draw` is a uniform number in [0, 1) for the jitter of a
   * refusal's wait. A send released already, or never granted, is ignored.
   */
  release(released: Grant, outcome: SendOutcome, now: number, draw: number): ReleaseResult {
    // The engine's own record: buckets learned of since the grant were added to it.
    const grant = this.inFlight.get(released.seq);
    if (grant === undefined) return NOTHING;
    this.inFlight.delete(released.seq);
    this.activity = now;
    if (outcome.kind === "unsent") {
      for (const w of this.windows) w.cancel();
      for (const b of grant.buckets) this.buckets.get(b.name)?.endedUnanswered(now, false, b.probe, false);
      return NOTHING;
    }
    if (outcome.kind === "failed") {
      // It may have reached the server: count it.
      for (const w of this.windows) w.complete(now, true);
      for (const b of grant.buckets) this.buckets.get(b.name)?.endedUnanswered(now, true, b.probe, true);
      return NOTHING;
    }
    const refused = isRefusal(outcome);
    for (const w of this.windows) w.complete(now, outcome.counted);
    const named = this.learn(grant, outcome, now, refused);
    if (!refused) {
      this.learner?.accepted(now);
      // Every gate the send passed learns that it got through: its buckets' (as granted, and as the
      // answer named them) and the key's. A gate left untested would let one send go at a time.
      for (const name of named) this.gates.get(name)?.succeeded(grant.seq);
      for (const b of grant.buckets) this.gates.get(b.name)?.succeeded(grant.seq);
      this.gates.get(KEY)!.succeeded(grant.seq);
      return NOTHING;
    }
    return this.refuse(grant, outcome, now, draw, named);
  }

  /**
   * Sends granted more than `maxAgeMs` ago whose release never came (their process died): released
   * as never sent, so that they stop holding the key.
   */
  expire(now: number, maxAgeMs: number): void {
    for (const send of [...this.inFlight.values()].filter((s) => s.grantedAt < now - maxAgeMs)) {
      this.release(send, { kind: "unsent" }, now, 0);
    }
  }

  /** A refusal: the gates of the buckets it names (or the key's) close; what it teaches is learned. */
  private refuse(
    grant: Grant,
    outcome: SendOutcome & { kind: "response" },
    now: number,
    draw: number,
    named: string[],
  ): ReleaseResult {
    let result: ReleaseResult = NOTHING;
    for (const name of this.gateNames(named)) {
      let gate = this.gates.get(name);
      if (gate === undefined) {
        gate = new Gate(this.config.backoff);
        this.gates.set(name, gate);
      }
      if (name === KEY && gate.isNewEpisode(grant.seq)) this.learnFromRefusal(outcome, now);
      // A learned pace names the pause a refusal without a wait of the server's asks for.
      const paceMs = this.learner?.pauseMs;
      const { waitMs, reason } = gate.close(
        now,
        grant.seq,
        this.sentSeq - 1,
        { retryAfterMs: outcome.retryAfterMs, resetMs: outcome.rateLimit?.resetMs, paceMs },
        draw,
      );
      this.buckets.get(name)?.refused();
      if (result.gate === undefined || waitMs > result.gate.waitMs) result = { gate: { waitMs, reason } };
    }
    return result;
  }

  /**
   * Takes in what an answer's headers say of the key's buckets; returns the names of the buckets
   * it described. An answer the server counted without headers tells that it sends none (or stopped).
   */
  private learn(
    grant: Grant,
    outcome: SendOutcome & { kind: "response" },
    now: number,
    refused: boolean,
  ): string[] {
    const snapshot = outcome.rateLimit;
    if (!snapshot) {
      for (const b of grant.buckets)
        this.buckets.get(b.name)?.answeredSilently(now, outcome.counted, b.probe);
      if (outcome.counted) {
        this.probeFirst = false;
        // A server that says nothing, and nothing configured: its rate is learned.
        if (!this.headersSeen && this.windows.length === 0 && !this.learner) {
          this.learner = new RateLearner(now, {
            mode: "slow-start",
            ratePerMs: GUESSED_RATE_PER_MS,
            ceilingPerMs: Number.POSITIVE_INFINITY,
          });
        }
      }
      return [];
    }
    this.headersSeen = true;
    const quotas =
      snapshot.quotas !== undefined && snapshot.quotas.length > 0
        ? snapshot.quotas
        : [fromSnapshot(snapshot)];
    const named: string[] = [];
    for (const quota of quotas) {
      const name = quota.name ?? KEY;
      if (quota.unit !== "requests") {
        if (quota.remaining <= 0) this.spent.set(`${name}:${quota.unit}`, now + quota.resetMs);
        continue;
      }
      named.push(name);
      const bucket = this.buckets.get(name) ?? this.newBucket(name, grant);
      let granted = grant.buckets.find((b) => b.name === name);
      if (granted === undefined) {
        // Counted against a bucket the route was not yet known to use: the answer is news to it.
        const { seq, alive } = bucket.grant(grant.grantedAt, false);
        granted = { name, seq, alive, probe: false };
      }
      bucket.observe(observation(quota, granted, grant.grantedAt, now), outcome.counted);
    }
    // Buckets the send was granted against that the answer did not describe end unanswered.
    for (const b of grant.buckets) {
      if (!named.includes(b.name))
        this.buckets.get(b.name)?.endedUnanswered(now, outcome.counted, b.probe, true);
    }
    if (named.length > 0 && !refused) this.routes.set(grant.route, named);
    else if (named.length > 0 && !this.routes.has(grant.route)) this.routes.set(grant.route, named);
    return named;
  }

  /**
   * A server without budget headers refused us. With a `Retry-After` (CampOne), our configured limit
   * is above the key's real one: the limit is lowered to what the window really held, so that the
   * next window is not refused again. Without one (nginx's `limit_req`), the server limits a rate:
   * it is learned (`RateLearner`). Only on the first refusal of an episode: the others answer sends
   * that were already refused.
   */
  private learnFromRefusal(outcome: SendOutcome & { kind: "response" }, now: number): void {
    if (this.headersSeen) return;
    if (outcome.retryAfterMs !== undefined && this.windows.length > 0) {
      const window = this.windows[this.described]!;
      // The refused send is in the log when the server counts 429s (CampOne); it held one fewer.
      const held = window.countedSince(now) - 1;
      if (held >= 1 && held < window.limit && fullOfOurSends(window, outcome.retryAfterMs, now))
        window.setLimit(held);
      return;
    }
    if (this.learner === undefined) {
      const defaults = learnerDefaults(this.config);
      this.learner = new RateLearner(now, {
        ...defaults,
        mode: "steady",
        ratePerMs: 0.95 * defaults.ceilingPerMs,
      });
      if (!Number.isFinite(defaults.ceilingPerMs)) this.learner.refused(now);
      return;
    }
    this.learner.refused(now);
  }

  /**
   * A bucket an answer described for the first time. The sends still in flight that may be counted
   * against it (all, for the key's; the answered send's route's and those of routes not yet placed,
   * for a named one) are granted to it too, in their order: it must count them as spent.
   */
  private newBucket(name: string, answered: Grant): ServerBucket {
    const bucket = new ServerBucket(name === KEY ? this.describedWindowMs() : undefined);
    this.buckets.set(name, bucket);
    const sends = [answered, ...this.inFlight.values()].sort((a, b) => a.seq - b.seq);
    for (const send of sends) {
      if (name !== KEY && send.route !== answered.route && this.routes.has(send.route)) continue;
      const { seq, alive } = bucket.grant(send.grantedAt, false);
      send.buckets.push({ name, seq, alive, probe: false });
    }
    return bucket;
  }

  /** The buckets a request of `route` is counted against, as far as the engine knows. */
  private bucketsOf(route: string): readonly string[] {
    const known = this.routes.get(route);
    if (known !== undefined) return known;
    // A route not seen yet: the buckets every known route shares (an API with one budget), else none.
    let shared: string[] | undefined;
    for (const names of this.routes.values()) {
      shared = shared === undefined ? [...names] : shared.filter((n) => names.includes(n));
      if (shared.length === 0) break;
    }
    if (shared !== undefined && shared.length > 0) return shared;
    return this.buckets.has(KEY) ? [KEY] : [];
  }

  /**
   * Why `gate` holds a request at `now`, or undefined when it lets it by: closed, or reopened after a
   * refusal while the one send that tries the server again is out. The others follow once a send
   * gets through: a server still refusing would otherwise refuse every request that waited.
   */
  private heldAt(gate: Gate, now: number): Verdict | undefined {
    if (!gate.isOpen(now)) return { ok: false, reason: "gate", at: gate.openAt };
    if (!gate.untested) return undefined;
    for (const grant of this.inFlight.values()) {
      if (gate.grantedSince(grant.seq)) return { ok: false, reason: "probe", at: Number.POSITIVE_INFINITY };
    }
    return undefined;
  }

  /** The gates a refusal closes: the buckets it named, or the key's. */
  private gateNames(named: string[]): string[] {
    return named.length > 0 && named.some((n) => n !== KEY) ? named : [KEY];
  }

  /** Whether the server was seen to count two routes against different buckets (GitHub's `search`). */
  private routesDiffer(): boolean {
    let first: string[] | undefined;
    for (const names of this.routes.values()) {
      if (first === undefined) first = names;
      else if (names.length !== first.length || names.some((n) => !first!.includes(n))) return true;
    }
    return false;
  }

  private describedWindowMs(): number | undefined {
    return this.windows[this.described]?.windowMs;
  }

  /**
   * How long the key's state matters after its last activity: its longest window, configured or
   * described by the server, and for a learned rate `LEARNED_RATE_KEPT_MS` (learning it again costs
   * refusals).
   */
  get horizonMs(): number {
    let longest = this.windows[this.described]?.windowMs ?? 0;
    for (const bucket of this.buckets.values()) longest = Math.max(longest, bucket.window ?? 0);
    if (this.learner) longest = Math.max(longest, LEARNED_RATE_KEPT_MS);
    // A hostile reset of years must not keep a key's state (or its Redis keys) for years.
    return Math.min(longest, MAX_HORIZON_MS);
  }
}

/**
 * Whether a refusal's `Retry-After` says what a window full of our own logged sends would: a slot
 * frees when the oldest of them leaves it. Much sooner, and the server refused for another reason
 * (a moment's overload, another client on the key): what our window held is no limit to learn, and
 * learning it would turn a one-second wait into a window's (an hour, on CampOne). The tolerance
 * covers the seconds' rounding and a round trip.
 */
function fullOfOurSends(window: RollingWindow, retryAfterMs: number, now: number): boolean {
  const oldestLeavesAt = window.oldestLeavesAt();
  if (oldestLeavesAt === undefined) return false;
  const tolerance = Math.max(REFUSAL_TOLERANCE_MS, window.windowMs / 10);
  return now + retryAfterMs + tolerance >= oldestLeavesAt;
}

function copyGrant(g: Grant): Grant {
  return { ...g, buckets: g.buckets.map((b) => ({ ...b })) };
}

function longestWindow(limits: readonly Limit[]): number {
  let best = 0;
  for (let i = 1; i < limits.length; i++) if (limits[i]!.windowMs > limits[best]!.windowMs) best = i;
  return best;
}

/** The rate the configured limits allow at most, or none. */
function learnerDefaults(config: EngineConfig): {
  mode: "slow-start";
  ratePerMs: number;
  ceilingPerMs: number;
} {
  let ceiling = Number.POSITIVE_INFINITY;
  for (const l of config.limits) ceiling = Math.min(ceiling, l.limit / l.windowMs);
  return { mode: "slow-start", ratePerMs: GUESSED_RATE_PER_MS, ceilingPerMs: ceiling };
}

/** A snapshot from before quotas were listed (a custom reader's): its one request quota. */
function fromSnapshot(snapshot: {
  name?: string | undefined;
  limit?: number | undefined;
  remaining: number;
  resetMs: number;
  windowMs?: number | undefined;
}): RateLimitQuota {
  const quota: RateLimitQuota = {
    unit: "requests",
    remaining: snapshot.remaining,
    resetMs: snapshot.resetMs,
  };
  if (snapshot.name !== undefined) quota.name = snapshot.name;
  if (snapshot.limit !== undefined) quota.limit = snapshot.limit;
  if (snapshot.windowMs !== undefined) quota.windowMs = snapshot.windowMs;
  return quota;
}

function observation(
  quota: RateLimitQuota,
  granted: { seq: number; alive: number; probe: boolean },
  grantedAt: number,
  now: number,
) {
  return {
    seq: granted.seq,
    grantedAt,
    observedAt: now,
    probe: granted.probe,
    aliveAtGrant: granted.alive,
    remaining: quota.remaining,
    resetMs: quota.resetMs,
    limit: quota.limit,
    windowMs: quota.windowMs,
    refills: quota.refills,
    resetInEpochSeconds: quota.resetInEpochSeconds,
  };
}
