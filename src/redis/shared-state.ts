import { MAX_LOGGED } from "../pacer/rolling-window.js";
import type { KeyPacerConfig, SendOutcome } from "../pacer/types.js";
import type { KeyNames } from "./key-names.js";
import { PACER_LUA } from "./lua.js";
import { luaScript, type ScriptRunner } from "./script-runner.js";

export const PACER_SCRIPT = luaScript(PACER_LUA);

/** A permit granted in Redis. */
export interface Grant {
  seq: number;
  probe: boolean;
  /**
   * The described window's sends alive at the grant, this one included: what the server can hold
   * of the key's sends when it counts this one. Its release hands it back to the script.
   */
  aliveAtGrant: number;
}

/** What the acquire script answered; all times are the Redis server's, in epoch ms. */
export interface AcquireReply {
  serverNow: number;
  grants: Grant[];
  /** Set when fewer permits than asked for were granted: why the rest wait, and until when. */
  wait?: {
    reason: "gate" | "budget" | "window" | "probe";
    /** When the next permit can be granted; `Infinity` while it depends on responses in flight. */
    at: number;
    /** When to look again at the latest: `at`, or when a reservation in flight expires. */
    wake: number;
  };
}

export interface ReleaseReply {
  /** Set after a 429: the gate's wait in ms, from the server's point of view. */
  gate?: { waitMs: number; reason: "retry-after" | "reset" | "backoff" };
  consecutive429: number;
  episodeLastSeq: number;
  /** Server time at which the key may send next, where someone waits; else undefined. */
  wakeAt: number | undefined;
}

/**
 * One key's state in Redis, spoken to through the two scripts of `lua.ts`. Knows the key's
 * names and configuration and turns outcomes into script arguments and replies into objects;
 * holds no state of its own.
 */
export class SharedKeyState {
  private readonly keys: string[];
  private readonly common: (string | number)[];

  constructor(
    names: KeyNames,
    private readonly config: KeyPacerConfig,
    graceMs: number,
    private readonly runner: ScriptRunner,
    private readonly channel: string,
    /** The most arrivals a log keeps one by one, as `RollingWindow` does (smaller in tests). */
    maxLogged = MAX_LOGGED,
  ) {
    this.keys = [names.meta, names.inflight, ...names.logs];
    const { limits } = config;
    this.common = [limits.length];
    for (const l of limits) this.common.push(l.windowMs, l.limit);
    this.common.push(longestWindow(limits) + 1, config.probeFirst ? 1 : 0, graceMs, maxLogged);
  }

  /** Asks for up to `n` permits. A reply that comes after the timeout has its grants handed to `onLate`. */
  async acquire(n: number, onLate: (grants: Grant[]) => void): Promise<AcquireReply> {
    const late = (reply: unknown) => {
      try {
        onLate(parseAcquire(reply).grants);
      } catch {
        // unreadable: its reservations expire after their window and the grace
      }
    };
    return parseAcquire(await this.runner.run(PACER_SCRIPT, this.keys, [...this.common, "acquire", n], late));
  }

  async release(grant: Grant, outcome: SendOutcome, random: number): Promise<ReleaseReply> {
    const { backoff } = this.config;
    let fields: (string | number)[];
    if (outcome.kind !== "response") {
      fields = [outcome.kind === "unsent" ? "u" : "f", 0, 0, 0, -1, -1, -1, -1, -1];
    } else {
      const snap = outcome.rateLimit;
      fields = [
        "r",
        outcome.status,
        outcome.counted ? 1 : 0,
        snap ? 1 : 0,
        snap ? usable(snap.remaining) : -1,
        snap ? usable(snap.resetMs) : -1,
        snap?.limit !== undefined ? usable(snap.limit) : -1,
        snap?.windowMs !== undefined ? usable(snap.windowMs) : -1,
        outcome.retryAfterMs !== undefined ? usable(outcome.retryAfterMs) : -1,
      ];
    }
    const reply = await this.runner.run(PACER_SCRIPT, this.keys, [
      ...this.common,
      "release",
      grant.seq,
      ...fields,
      random,
      backoff.baseMs,
      backoff.capMs,
      backoff.factor,
      backoff.retryAfterJitterMs,
      this.channel,
      grant.aliveAtGrant,
    ]);
    return parseRelease(reply);
  }
}

function longestWindow(limits: KeyPacerConfig["limits"]): number {
  let best = 0;
  for (let i = 1; i < limits.length; i++) if (limits[i]!.windowMs > limits[best]!.windowMs) best = i;
  return best;
}

/**
 * A finite number ≥ 0 for the script, at most `MAX_SAFE_INTEGER` (as `rateLimitWait` caps its
 * waits), or -1 for "not given" (NaN, negative, Infinity).
 */
function usable(value: number): number {
  return Number.isFinite(value) && value >= 0 ? Math.min(value, Number.MAX_SAFE_INTEGER) : -1;
}

function time(text: unknown): number {
  if (text === "inf") return Number.POSITIVE_INFINITY;
  if (text === "-inf") return Number.NEGATIVE_INFINITY;
  const n = Number(text);
  if (typeof text !== "string" || text === "" || Number.isNaN(n)) {
    throw new TypeError(`Unexpected reply from the pacer script: ${String(text)}`);
  }
  return n;
}

const REASONS = new Set(["gate", "budget", "window", "probe"]);

export function parseAcquire(reply: unknown): AcquireReply {
  if (!Array.isArray(reply) || reply.length < 4)
    throw new TypeError("Unexpected reply from the pacer script");
  const [now, reason, at, wake, ...rest] = reply as string[];
  const grants = rest.map(parseGrant);
  const parsed: AcquireReply = { serverNow: time(now), grants };
  if (reason) {
    if (!REASONS.has(reason)) throw new TypeError(`Unexpected wait reason from the pacer script: ${reason}`);
    parsed.wait = {
      reason: reason as NonNullable<AcquireReply["wait"]>["reason"],
      at: time(at),
      wake: time(wake),
    };
  }
  return parsed;
}

/** `seq:alive`, or `seq:alive:p` for the probe. */
function parseGrant(text: string): Grant {
  const [seq, alive, probe] = text.split(":");
  const grant = { seq: Number(seq), aliveAtGrant: Number(alive), probe: probe === "p" };
  if (!Number.isInteger(grant.seq) || !Number.isInteger(grant.aliveAtGrant)) {
    throw new TypeError(`Unexpected grant from the pacer script: ${text}`);
  }
  return grant;
}

function parseRelease(reply: unknown): ReleaseReply {
  if (!Array.isArray(reply) || reply.length < 5)
    throw new TypeError("Unexpected reply from the pacer script");
  const [waitMs, reason, consecutive, episode, wakeAt] = reply as string[];
  const parsed: ReleaseReply = {
    consecutive429: Number(consecutive),
    episodeLastSeq: Number(episode),
    wakeAt: wakeAt ? time(wakeAt) : undefined,
  };
  if (reason === "retry-after" || reason === "reset" || reason === "backoff") {
    parsed.gate = { waitMs: time(waitMs), reason };
  }
  return parsed;
}
