import { afterAll, beforeAll } from "vitest";

/**
 * Warnings a test file provokes on purpose (a hook that throws, fetch told `patch`): recorded for
 * its assertions rather than printed among the results. Any other warning is emitted as usual.
 * Call at the top level of the test file.
 */
export function capturedWarnings(names: readonly string[]): string[] {
  const seen: string[] = [];
  const emit = process.emitWarning;
  beforeAll(() => {
    process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
      const options = rest[0];
      const name =
        typeof options === "string"
          ? options
          : ((options as { code?: string; type?: string } | undefined)?.code ??
            (options as { type?: string } | undefined)?.type ??
            (warning instanceof Error ? warning.name : "Warning"));
      if (names.includes(name)) {
        seen.push(name);
        return;
      }
      (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
    }) as typeof process.emitWarning;
  });
  afterAll(() => {
    process.emitWarning = emit;
  });
  return seen;
}
