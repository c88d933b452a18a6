import { type BackoffPolicy, rateLimitWait } from "../retry/backoff.js";

/** Why the gate closed, as hooks report it. */
export type GateReason = "retry-after" | "reset" | "backoff";

/** The gate's state as plain data. */
export interface GateState {
  openAtMs: number;
  consecutive: number;
  episodeLastSeq: number;
}

/**
 * A key's gate: a 429 closes it for every request of the key, queued or new, until the server's
 * `Retry-After` has passed (the lesson of octokit/plugin-throttling#629).
 *
 * 429s count as one episode while they answer sends granted before the gate closed: a burst of
 * concurrent requests refused together is one refusal, not thirty-two, and doubles nothing.
 * A 429 for a send granted after the gate reopened is the next consecutive one and doubles the
 * wait (CampOne: "on the next failure double the wait"); a success of such a send resets it.
 */
export class Gate {
  private openAtMs: number;
  private consecutive: number;
  /** The last send sequence number granted when the current episode began. */
  private episodeLastSeq: number;

  constructor(
    private readonly policy: BackoffPolicy,
    state?: GateState,
  ) {
    this.openAtMs = state?.openAtMs ?? Number.NEGATIVE_INFINITY;
    this.consecutive = state?.consecutive ?? 0;
    this.episodeLastSeq = state?.episodeLastSeq ?? -1;
  }

  toState(): GateState {
    return { openAtMs: this.openAtMs, consecutive: this.consecutive, episodeLastSeq: this.episodeLastSeq };
  }

  get openAt(): number {
    return this.openAtMs;
  }

  isOpen(now: number): boolean {
    return now >= this.openAtMs;
  }

  /**
   * A 429 answered send `seq`; `lastGrantedSeq` is the newest send granted so far; `draw`, a uniform
   * number in [0, 1), sets the jitter. Returns how long the key now waits, and on what grounds.
   */
  close(
    now: number,
    seq: number,
    lastGrantedSeq: number,
    signals: { retryAfterMs?: number | undefined; resetMs?: number | undefined; paceMs?: number | undefined },
    draw: number,
  ): { waitMs: number; reason: GateReason } {
    if (this.isNewEpisode(seq)) {
      this.consecutive++;
      this.episodeLastSeq = lastGrantedSeq;
    }
    const { waitMs, reason } = rateLimitWait({
      ...signals,
      consecutive429: this.consecutive,
      policy: this.policy,
      random: () => draw,
    });
    this.openAtMs = Math.max(this.openAtMs, now + waitMs);
    return { waitMs: this.openAtMs - now, reason };
  }

  /** Whether a refusal of send `seq` begins a new episode, rather than answering a send of the current one. */
  isNewEpisode(seq: number): boolean {
    return seq > this.episodeLastSeq;
  }

  /** A send granted after the last episode began got through: the doubling starts over. */
  succeeded(seq: number): void {
    if (seq > this.episodeLastSeq) this.consecutive = 0;
  }

  /**
   * Whether the gate has closed and no send granted since has got through: the server has yet to
   * show it takes requests again, and one send alone finds out (see `KeyEngine.verdict`).
   */
  get untested(): boolean {
    return this.consecutive > 0;
  }

  /** Whether send `seq` was granted after the current episode began. */
  grantedSince(seq: number): boolean {
    return seq > this.episodeLastSeq;
  }
}
