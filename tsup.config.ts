import { defineConfig } from "tsup";

// Chunks shared between the entries, so that every entry of one build uses one copy of the client.
// `shims` gives the CommonJS build `import.meta.url` (src/mock/msw.ts resolves msw from it).
const common = { sourcemap: true, target: "node20", platform: "node", splitting: true, shims: true } as const;

export default defineConfig([
  {
    // The library: ESM and CJS with their own declaration files, types first in package.json.
    ...common,
    entry: {
      index: "src/index.ts",
      "batch/index": "src/batch/index.ts",
      "testing/index": "src/testing/index.ts",
      "mock/index": "src/mock/index.ts",
      "redis/index": "src/redis/index.ts",
    },
    format: ["esm", "cjs"],
    dts: true,
    clean: false,
  },
  {
    // The `pacekeeper-mock` bin: ESM only, nothing to import.
    ...common,
    entry: { "mock/cli": "src/mock/cli.ts" },
    format: ["esm"],
    dts: false,
    clean: false,
  },
]);
