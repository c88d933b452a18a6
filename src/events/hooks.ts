import { channel } from "node:diagnostics_channel";
import type { RateLimitSnapshot } from "../headers/types.js";
import type { WaitReason } from "../pacer/types.js";

/** Fields every event carries. The key appears only as its fingerprint. */
interface EventBase {
  /** The key's fingerprint (`key_` + 12 hex digits), never the key. */
  key: string;
  /** The dialect's name. */
  dialect: string;
  method: string;
  /** The request URL, with secret-looking query parameters redacted. */
  url: string;
  /** The clock's time of the event, epoch milliseconds. */
  at: number;
}

/** An attempt is about to be sent (the pacer granted it). */
export interface RequestEvent extends EventBase {
  type: "request";
  /** 1 for the first attempt. */
  attempt: number;
}

/** A request has to wait before it may be sent. */
export interface WaitEvent extends EventBase {
  type: "wait";
  reason: WaitReason;
  /** Expected wait in ms; undefined while it depends on responses still in flight. */
  ms: number | undefined;
}

/** A response arrived (any status). */
export interface ResponseEvent extends EventBase {
  type: "response";
  attempt: number;
  status: number;
  /** From the grant of the attempt to the response headers, in ms of the clock. */
  latencyMs: number;
  /** What the response's headers said of the key's budget, where they said anything. */
  rateLimit: RateLimitSnapshot | undefined;
  /** Whether the server counted the request against the key, per the dialect. */
  counted: boolean;
}

/** A 429 closed the key's gate. */
export interface RateLimitedEvent extends EventBase {
  type: "rate-limited";
  attempt: number;
  /** The server's `Retry-After`, in ms, where it sent one. */
  retryAfterMs: number | undefined;
  /** How long the key's gate is now closed, in ms (Retry-After, doubled on consecutive 429s, plus jitter). */
  gateMs: number;
  gateReason: "retry-after" | "reset" | "backoff";
}

/** A failed attempt will be tried again. */
export interface RetryEvent extends EventBase {
  type: "retry";
  /** The attempt that failed. */
  attempt: number;
  /** Why: a status (429, 408, 5xx) or a network failure or an attempt timeout. */
  cause: "rate-limited" | "status" | "connection" | "timeout";
  status: number | undefined;
  /**
   * The request's own wait before the next attempt, in ms: 0 for a 429 on a paced path (the key's
   * gate waits); on a path the server does not count, its `Retry-After` (or the backoff).
   */
  delayMs: number;
}

/** The call ended in an error. */
export interface GiveUpEvent extends EventBase {
  type: "give-up";
  attempts: number;
  /** The error's `name` and `code`. */
  error: { name: string; code: string | undefined; message: string };
}

export type PacekeeperEvent =
  | RequestEvent
  | WaitEvent
  | ResponseEvent
  | RateLimitedEvent
  | RetryEvent
  | GiveUpEvent;

/** Pacing hooks: each is called synchronously with its event; what they throw is reported, not raised. */
export interface Hooks {
  request?: (event: RequestEvent) => void;
  wait?: (event: WaitEvent) => void;
  response?: (event: ResponseEvent) => void;
  rateLimited?: (event: RateLimitedEvent) => void;
  retry?: (event: RetryEvent) => void;
  giveUp?: (event: GiveUpEvent) => void;
  /** Every event, whatever its type. */
  event?: (event: PacekeeperEvent) => void;
}

const HOOK_OF = {
  request: "request",
  wait: "wait",
  response: "response",
  "rate-limited": "rateLimited",
  retry: "retry",
  "give-up": "giveUp",
} as const satisfies Record<PacekeeperEvent["type"], keyof Hooks>;

/**
 * The same events on `node:diagnostics_channel`, for APMs and loggers that subscribe from
 * outside: `pacekeeper:request`, `pacekeeper:wait`, `pacekeeper:response`,
 * `pacekeeper:rate-limited`, `pacekeeper:retry`, `pacekeeper:give-up`.
 */
export const channels = {
  request: channel("pacekeeper:request"),
  wait: channel("pacekeeper:wait"),
  response: channel("pacekeeper:response"),
  "rate-limited": channel("pacekeeper:rate-limited"),
  retry: channel("pacekeeper:retry"),
  "give-up": channel("pacekeeper:give-up"),
} as const;

const allChannels = Object.values(channels);

/** Whether anyone listens: without hooks or subscribers, events are not even built. */
export function isObserved(hooks: Hooks | undefined): boolean {
  if (hooks !== undefined) return true;
  for (const ch of allChannels) if (ch.hasSubscribers) return true;
  return false;
}

/** Delivers an event to the hooks and the channel. A throwing hook must not break the call. */
export function emit(hooks: Hooks | undefined, event: PacekeeperEvent): void {
  const ch = channels[event.type];
  if (ch.hasSubscribers) ch.publish(event);
  if (!hooks) return;
  const specific = hooks[HOOK_OF[event.type]] as ((e: PacekeeperEvent) => void) | undefined;
  for (const hook of [specific, hooks.event]) if (hook) callHook(hook, event);
}

/** Calls one hook: what it throws becomes a warning, never the call's error. */
export function callHook<E extends PacekeeperEvent>(hook: (event: E) => void, event: E): void {
  try {
    hook(event);
  } catch (error) {
    process.emitWarning(`A pacekeeper ${event.type} hook threw: ${String(error)}`, "PacekeeperHookWarning");
  }
}
