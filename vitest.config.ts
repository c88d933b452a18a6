import { defineConfig } from "vitest/config";

/**
 * Three projects, run in this order by `npm test`:
 *
 * - `unit`: in-process tests on virtual time or in-memory fakes, no build needed; `npm run test:unit`
 *   runs these alone, for the inner loop.
 * - `integration`: real processes, servers and packages: the built package (`dist/`), worker
 *   threads, Redis, the CLI, the demo, the soak, the docs' code blocks, real SDKs over loopback,
 *   hostile servers' bodies of megabytes, the mock's memory under 100,000 requests.
 * - `timed`: tests that compare real elapsed time with a server's minimum (over loopback, or across
 *   processes on Redis). They run alone, after everything else, so that CPU-heavy files do not slow
 *   the event loop they measure.
 */
const timed = [
  "test/client/loopback.test.ts",
  "test/client/real-limiters.test.ts",
  "test/client/nginx.test.ts",
  "test/redis/fleet.test.ts",
];
const integration = [
  "test/package/**/*.test.ts",
  "test/docs/code-blocks.test.ts",
  "test/redis/**/*.test.ts",
  "test/batch/workers.test.ts",
  "test/demo/**/*.test.ts",
  "test/mock/cli.test.ts",
  "test/client/reliability-soak.test.ts",
  "test/client/sdks.test.ts",
  "test/client/extend-transport.test.ts",
  "test/client/hostile.test.ts",
  "test/mock/bounded-memory.test.ts",
];

/** `--expose-gc`: tests of bounded memory collect garbage before they measure the heap. */
const shared = {
  testTimeout: 20_000,
  hookTimeout: 20_000,
  pool: "forks" as const,
  execArgv: ["--expose-gc"],
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: [...integration, ...timed],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: "integration",
          include: integration,
          exclude: timed,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          ...shared,
          name: "timed",
          include: timed,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
