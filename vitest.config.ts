import { defineConfig } from "vitest/config";

/**
 * Tests that compare real elapsed time with a server's minimum (over loopback, or across
 * processes on Redis). They run alone, after everything else, so that CPU-heavy files (the
 * 10,000-request soak, the property tests) do not slow the event loop they measure.
 */
const timed = ["test/client-loopback.test.ts", "test/redis-fleet.test.ts"];

const shared = { testTimeout: 20_000, hookTimeout: 20_000, pool: "forks" } as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: timed,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: "timed",
          include: timed,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
