import { defineConfig } from "tsup";

const common = { sourcemap: true, target: "node20", platform: "node", splitting: false } as const;

export default defineConfig([
  {
    // The library: ESM and CJS with their own declaration files, types first in package.json.
    ...common,
    entry: { index: "src/index.ts", "mock/index": "src/mock/index.ts", "redis/index": "src/redis/index.ts" },
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
