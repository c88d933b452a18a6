/** A CPU profile of an async piece of work (node:inspector), summed by function, for the diagnostics. */
import { Session } from "node:inspector/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface ProfileSummary {
  /** Share of samples per function, spent in the function itself. */
  self: [string, number][];
  /** Share of samples per function, including what it called. */
  inclusive: [string, number][];
}

/** Runs `work` under the sampling profiler and sums the samples by function name and file. */
export async function profile(work: () => Promise<void>): Promise<ProfileSummary> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  await session.post("Profiler.start");
  await work();
  const { profile: result } = await session.post("Profiler.stop");
  session.disconnect();

  const nodes = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of result.nodes as ProfileNode[]) {
    nodes.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const selfTime = new Map<number, number>();
  const samples = result.samples ?? [];
  const deltas = result.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    selfTime.set(samples[i]!, (selfTime.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  }
  const total = [...selfTime.values()].reduce((a, b) => a + b, 0) || 1;
  const name = (node: ProfileNode) => {
    const { url, functionName } = node.callFrame;
    const at = url.search(/\/(src|dist)\//);
    const file = at === -1 ? url.replace(/^.*\//, "") : url.slice(at + 1);
    return `${functionName || "(anonymous)"} ${file}`.trim();
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const key = name(nodes.get(id)!);
    self.set(key, (self.get(key) ?? 0) + t / total);
    const seen = new Set<string>();
    for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
      const k = name(nodes.get(x)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + t / total);
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { self: sorted(self), inclusive: sorted(inclusive) };
}

/** The first `n` rows of `rows` that pass `filter`, as lines of percentages. */
export function topLines(
  rows: [string, number][],
  n: number,
  filter: (name: string) => boolean = () => true,
) {
  return rows
    .filter(([k]) => filter(k))
    .slice(0, n)
    .map(([k, v]) => `  ${(v * 100).toFixed(1).padStart(5)}%  ${k}`)
    .join("\n");
}
