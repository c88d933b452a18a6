/**
 * One limit of a key as its pacer sees it now: a window the dialect configured, or a quota the
 * server described in its headers.
 */
export interface BudgetLimit {
  /**
   * The server's name for the quota, where it gives one (GitHub's `core` and `search`, a draft -10
   * policy's); absent for the key's budget as a whole and for a configured window.
   */
  name?: string;
  /** Requests allowed per window; undefined where the server tells what is left but not of how many. */
  limit: number | undefined;
  /**
   * Requests the key may still send: the server's last figure less the sends it cannot have counted
   * yet (`source: "server"`), or the limit less the key's own sends still in the window
   * (`source: "local"`). Never negative.
   */
  remaining: number;
  /**
   * When the next request of budget comes back, in epoch ms on the client's clock: the oldest send
   * leaves a rolling window, the server's window ends, a token refills. Undefined when nothing is
   * spent, or when it depends on answers still in flight.
   */
  resetAt: number | undefined;
  /** The window's length in ms, where known. */
  windowMs?: number;
  /**
   * Where `remaining` comes from: `"server"`, the server's word in its headers; `"local"`, the key's
   * own sends counted in the window's log (a configured window, CampOne's hour, or a server's
   * window that has ended since it last spoke).
   */
  source: "server" | "local";
}

/** A key's budget as its pacer sees it now (`client.budget()`). */
export interface KeyBudget {
  /**
   * Every limit in force: the configured windows (but the one the server's own budget replaced)
   * and every quota of requests the server described. Empty for a server that says nothing and
   * has nothing configured: its pace is learned (`nextSendAt` still tells it).
   */
  limits: BudgetLimit[];
  /** Requests of the key waiting for a permit in this process. */
  waiting: number;
  /** Sends of the key granted and not answered yet (a shared store's: every process's it knows of). */
  inFlight: number;
  /** The earliest moment (epoch ms, the client's clock) the key's next request could be sent. */
  nextSendAt: number;
}
