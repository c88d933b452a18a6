/**
 * The least time a perfect client needs to get `total` requests of one key accepted by a server
 * that counts with `model` under every limit at once: each request goes at the first millisecond
 * the server would accept it (greedy is optimal: accepting earlier never delays a later one).
 * Written from the counting models of docs/mock-servers.md (tests and the demo use it); it shares
 * no code with the client, whose schedule it judges.
 */
export type CountingModel = "fixed" | "rolling" | "bucket";

export interface Rule {
  limit: number;
  windowMs: number;
}

/**
 * @param windowOrigin fixed windows only: where the server's windows start, in ms from the batch's
 *   start (a server whose windows follow its own clock); by default at the first request.
 */
export function idealMinimumMs(
  model: CountingModel,
  rules: readonly Rule[],
  total: number,
  windowOrigin?: number,
): number {
  const counters = rules.map((r) => counter(model, r, windowOrigin));
  let accepted = 0;
  let t = 0;
  for (; accepted < total; t++) {
    while (accepted < total && counters.every((c) => c.allows(t))) {
      for (const c of counters) c.take(t);
      accepted++;
    }
    if (accepted === total) return t;
  }
  return t;
}

function counter(model: CountingModel, { limit, windowMs }: Rule, windowOrigin: number | undefined) {
  if (model === "rolling") {
    const times: number[] = [];
    let head = 0;
    return {
      allows(t: number) {
        while (head < times.length && times[head]! <= t - windowMs) head++;
        return times.length - head < limit;
      },
      take(t: number) {
        times.push(t);
      },
    };
  }
  if (model === "fixed") {
    let origin = windowOrigin;
    let index = Number.NaN;
    let used = 0;
    return {
      allows(t: number) {
        if (origin === undefined) return true;
        return Math.floor((t - origin) / windowMs) !== index || used < limit;
      },
      take(t: number) {
        origin ??= t;
        const i = Math.floor((t - origin) / windowMs);
        if (i !== index) {
          index = i;
          used = 0;
        }
        used++;
      },
    };
  }
  let tokens = limit;
  let at = 0;
  const refill = (t: number) => {
    tokens = Math.min(limit, tokens + ((t - at) * limit) / windowMs);
    at = t;
  };
  return {
    allows(t: number) {
      refill(t);
      return tokens >= 1;
    },
    take(t: number) {
      refill(t);
      tokens -= 1;
    },
  };
}
