/**
 * The mock servers' counting models, rewritten from their definitions in docs/mock-servers.md
 * ("Counting models"), independently of src/mock: the benchmark judges the mock's audit log with
 * them, so it must not share the mock's code.
 *
 * Two uses: the server's minimum time for a batch (`idealMinimumMs`, the same greedy schedule as
 * demo/ideal-schedule.ts) and a replay of an audit log that reconstructs the `Retry-After`
 * each 429 carried (`replayAudit`), checked against the statuses the server actually gave.
 */
export type Model = "fixed" | "rolling" | "bucket";

export interface Rule {
  limit: number;
  windowMs: number;
}

/** One limit of one key, on integer millisecond time stamps that never go backwards. */
interface Counter {
  /** Milliseconds until one more request would be allowed; 0 when it is allowed now. */
  waitMs(t: number): number;
  /** Counts one request at `t`. */
  take(t: number): void;
}

function counter(model: Model, { limit, windowMs }: Rule): Counter {
  if (model === "rolling") {
    // "An exact log: a request counted at t is in the window while now < t + windowMs."
    const times: number[] = [];
    let head = 0;
    const trim = (t: number) => {
      while (head < times.length && times[head]! + windowMs <= t) head++;
    };
    return {
      waitMs(t) {
        trim(t);
        return times.length - head < limit ? 0 : times[head + (times.length - head - limit)]! + windowMs - t;
      },
      take(t) {
        trim(t);
        times.push(t);
      },
    };
  }
  if (model === "fixed") {
    // "Back-to-back windows of windowMs, aligned to the key's first counted request."
    let origin: number | undefined;
    let index = 0;
    let used = 0;
    const roll = (t: number) => {
      if (origin === undefined) return;
      const i = Math.floor((t - origin) / windowMs);
      if (i !== index) {
        index = i;
        used = 0;
      }
    };
    return {
      waitMs(t) {
        roll(t);
        return used < limit ? 0 : (origin ?? 0) + (index + 1) * windowMs - t;
      },
      take(t) {
        origin ??= t;
        roll(t);
        used++;
      },
    };
  }
  // "A token bucket of capacity limit, full at first, refilling continuously at limit / windowMs
  // tokens per ms; a request needs and takes a whole token." Kept in units of 1/windowMs token so
  // that integer time stamps give exact integer arithmetic.
  const capacity = limit * windowMs;
  let level = capacity;
  let last: number | undefined;
  const refill = (t: number) => {
    if (last !== undefined) level = Math.min(capacity, level + (t - last) * limit);
    last = t;
  };
  return {
    waitMs(t) {
      refill(t);
      return level >= windowMs ? 0 : (windowMs - level) / limit;
    },
    take(t) {
      refill(t);
      level -= windowMs;
    },
  };
}

/**
 * The minimum time (ms) a perfect client needs to get `total` requests accepted by a server that
 * counts with `model` under every rule at once: it sends each request at the first millisecond
 * the server would accept it, with no latency (greedy is optimal: accepting earlier never delays
 * a later one). Same definition as demo/ideal-schedule.ts.
 */
export function idealMinimumMs(model: Model, rules: readonly Rule[], total: number): number {
  const counters = rules.map((r) => counter(model, r));
  let accepted = 0;
  let t = 0;
  while (accepted < total) {
    const wait = Math.max(...counters.map((c) => c.waitMs(t)));
    if (wait > 0) {
      t += Math.ceil(wait);
      continue;
    }
    for (const c of counters) c.take(t);
    accepted++;
  }
  return t;
}

/** One row of the mock's audit log, as far as the replay needs it. */
export interface AuditRow {
  key: string;
  status: number;
  latencyMs: number;
  timestamp: number;
}

export interface ReplayedRow extends AuditRow {
  /** For a 429: the `Retry-After` (seconds) the server sent, reconstructed. */
  retryAfterS: number | undefined;
}

export interface Replay {
  rows: ReplayedRow[];
  /**
   * Milliseconds (time stamps) at which the replay's verdict (allowed or 429) differs from the
   * server's, as counts of 429 per time stamp (requests of one millisecond may be logged in any
   * order). Zero means the reconstruction is exact.
   */
  disagreements: number;
}

/**
 * Replays one key's audit rows through the model and reconstructs each 429's `Retry-After`:
 * "the least whole number of seconds after which a request would succeed under every limit, if
 * nothing else is sent", rounded up, at least 1; where refused requests count (CampOne) the 429 is
 * counted before it is computed (docs/mock-servers.md).
 */
export function replayAudit(
  rows: readonly AuditRow[],
  model: Model,
  rules: readonly Rule[],
  refusedCounts: boolean,
): Replay {
  const counters = rules.map((r) => counter(model, r));
  const sorted = [...rows].sort((a, b) => a.timestamp - b.timestamp);
  const out: ReplayedRow[] = [];
  let disagreements = 0;
  for (let i = 0; i < sorted.length; ) {
    // One millisecond at a time: the log's order within it is not the order of counting.
    let j = i;
    while (j < sorted.length && sorted[j]!.timestamp === sorted[i]!.timestamp) j++;
    const t = sorted[i]!.timestamp;
    const retryAfters: number[] = [];
    for (let k = i; k < j; k++) {
      const allowed = counters.every((c) => c.waitMs(t) === 0);
      if (allowed || refusedCounts) for (const c of counters) c.take(t);
      if (!allowed) {
        const waitMs = Math.max(...counters.map((c) => c.waitMs(t)));
        retryAfters.push(Math.max(1, Math.ceil(waitMs / 1000)));
      }
    }
    const refused = sorted.slice(i, j).filter((r) => r.status === 429);
    if (refused.length !== retryAfters.length) disagreements++;
    let next = 0;
    for (let k = i; k < j; k++) {
      const row = sorted[k]!;
      const retryAfterS = row.status === 429 ? (retryAfters[next++] ?? retryAfters.at(-1) ?? 1) : undefined;
      out.push({ ...row, retryAfterS });
    }
    i = j;
  }
  return { rows: out, disagreements };
}

/**
 * Requests sent inside a `Retry-After` window: after a 429 with `Retry-After: R` answered at `t`,
 * any request of the same key that reached the server between `t + graceMs` and `t + R s`.
 * `graceMs` leaves out requests that were already on the wire when the 429 left the server.
 */
export function countViolations(rows: readonly ReplayedRow[], graceMs: number): number {
  const windows: { from: number; to: number }[] = [];
  for (const row of rows) {
    if (row.status !== 429 || row.retryAfterS === undefined) continue;
    windows.push({
      from: row.timestamp + row.latencyMs + graceMs,
      to: row.timestamp + row.retryAfterS * 1000,
    });
  }
  windows.sort((a, b) => a.from - b.from);
  const arrivals = rows.map((r) => r.timestamp).sort((a, b) => a - b);
  // Sweep: a request is inside some window when a window opened at or before it closes after it.
  let violations = 0;
  let w = 0;
  let latestEnd = Number.NEGATIVE_INFINITY;
  for (const t of arrivals) {
    while (w < windows.length && windows[w]!.from <= t) latestEnd = Math.max(latestEnd, windows[w++]!.to);
    if (t < latestEnd) violations++;
  }
  return violations;
}
