export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The middle half of `values`: [first quartile, third quartile] (nearest rank). */
export function quartiles(values: readonly number[]): [number, number] {
  if (values.length === 0) return [Number.NaN, Number.NaN];
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return [at(0.25), at(0.75)];
}

/**
 * A distribution-free 95 % confidence interval for the median of `values`: the order statistics
 * of ranks ⌊n/2 − 0.98·√n⌋ and ⌈1 + n/2 + 0.98·√n⌉ (from 1; the normal approximation of the
 * binomial). How far the median itself could move in another run, where `quartiles` says how far
 * single samples spread.
 */
export function medianInterval(values: readonly number[]): [number, number] {
  if (values.length === 0) return [Number.NaN, Number.NaN];
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const half = 0.98 * Math.sqrt(n);
  const lo = Math.max(0, Math.floor(n / 2 - half) - 1);
  const hi = Math.min(n - 1, Math.ceil(1 + n / 2 + half) - 1);
  return [sorted[lo]!, sorted[hi]!];
}

/**
 * The next round's order: a random permutation whose first variant is not the one that ran last.
 * A variant's place in a round weighs on its figure. Alternating A B C / C B A runs the two ends
 * twice in a row every other round: in the overhead benchmark with RateLimit headers, the rounds in
 * which pacekeeper (last in A B C) ran first, right after itself, read 0.02–0.06 higher against its
 * baseline than the others, in each of four runs. Random orders give every variant every place and
 * every predecessor alike, and spread a drift in the machine's load over all of them.
 */
export function shuffledAfter(previous: readonly number[]): number[] {
  const order = [...previous];
  do {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  } while (order.length > 1 && order[0] === previous.at(-1));
  return order;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `x` with `digits` decimals, for tables. */
export function fixed(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "—";
}
