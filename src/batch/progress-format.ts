/** Text pieces of the progress reporter: durations, the bar, and fitting a line to a terminal. */

/** `850ms`, `12.3s`, `4m05s`, `2h03m`; `?` for an unknown or infinite duration. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "?";
  const t = Math.max(0, ms);
  if (t < 1_000) return `${Math.round(t)}ms`;
  if (t < 60_000) return `${(t / 1_000).toFixed(1)}s`;
  const s = Math.round(t / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** `12.3` per second, with fewer decimals as it grows. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return "0";
  return perSecond >= 100
    ? perSecond.toFixed(0)
    : perSecond >= 10
      ? perSecond.toFixed(1)
      : perSecond.toFixed(2);
}

/** `[██████░░░░]`: `width` cells, filled in proportion to `fraction` (clamped to 0..1). */
export function formatBar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(f * width);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`;
}

/** Cuts `line` to `columns - 1` characters, so a redraw with `\r` never wraps onto a second line. */
export function fitLine(line: string, columns: number | undefined): string {
  if (columns === undefined || columns < 2 || line.length < columns) return line;
  return `${line.slice(0, columns - 2)}…`;
}

/** The pieces of a redrawn progress line, before it is fitted to the terminal. */
export interface LinePieces {
  label: string | undefined;
  /** Done out of total, from 0 to 1, for the bar. */
  fraction: number;
  /** `2100/5000 42%`. */
  counts: string;
  /** `1.10/s`. */
  rate: string;
  /** `ETA 43m30s`. */
  eta: string;
  /** `429s 0`, and whether there were none. */
  rateLimited: string;
  noneRateLimited: boolean;
  /** `failed 3`, once there is one. */
  failed: string | undefined;
  /** `waiting: window 12.4s`, and ` (4 keys)`. */
  wait: string | undefined;
  waitKeys: string;
}

/** The widest bar, and the narrower one tried before dropping it. */
const BAR_CELLS = [24, 12] as const;
const SHORT_LABEL = 12;

/**
 * The redrawn line, within `width` characters. What the line is for comes last to go: the wait and
 * its reason, the counts and the ETA; first the rate shrinks away, then the bar, a zero 429 count,
 * the label, the number of keys waiting. Only a terminal narrower than all that cuts the end.
 */
export function layoutLine(pieces: LinePieces, width: number): string {
  const build = (step: number): string => {
    const label = step >= 6 ? undefined : step >= 5 ? shorten(pieces.label, SHORT_LABEL) : pieces.label;
    const cells = step >= 3 ? undefined : BAR_CELLS[step >= 1 ? 1 : 0];
    const parts = [pieces.counts];
    if (step < 2) parts.push(pieces.rate);
    parts.push(pieces.eta);
    if (step < 4 || !pieces.noneRateLimited) parts.push(pieces.rateLimited);
    if (pieces.failed !== undefined) parts.push(pieces.failed);
    if (pieces.wait !== undefined) parts.push(`${pieces.wait}${step >= 7 ? "" : pieces.waitKeys}`);
    const head = [label, cells === undefined ? undefined : formatBar(pieces.fraction, cells)].filter(
      (piece) => piece !== undefined && piece !== "",
    );
    return [...head, parts.join(" · ")].join(" ");
  };
  for (let step = 0; step <= 7; step++) {
    const line = build(step);
    if (line.length <= width) return line;
  }
  return fitLine(build(7), width + 1);
}

function shorten(text: string | undefined, max: number): string | undefined {
  if (text === undefined || text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}
