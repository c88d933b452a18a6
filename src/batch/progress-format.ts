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
