// Small normalizers shared by the error classes: untrusted text and numbers made safe to show.

/** Server- or user-supplied text in a one-line message: no control characters (log injection), bounded length. */
export function oneLine(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/g, " ").trim();
  return truncate(flat, max);
}

/** The first `max` code units, never splitting a surrogate pair, with a marker when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}… [truncated, ${text.length} characters]`;
}

/** Attempts as a whole number ≥ 0 (NaN or a negative count from a caller's bug becomes 0). */
export function attemptCount(attempts: number): number {
  return Number.isFinite(attempts) ? Math.max(0, Math.trunc(attempts)) : 0;
}

/** A wait in milliseconds, or undefined unless finite and ≥ 0. */
export function validDelay(ms: number | undefined): number | undefined {
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
