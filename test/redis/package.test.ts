import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { announceRedisSkip, hasRedis, startRedisServer } from "../helpers/redis-server.js";

const run = promisify(execFile);

/**
 * `pacekeeper/redis` as users load it from dist/ (made by `npm run build`, which `npm test` runs
 * first): it loads without ioredis, and the CJS and ESM builds pace a real call through Redis.
 */
announceRedisSkip("redis-package.test.ts");

describe("the built pacekeeper/redis subpath", () => {
  it("require()s and imports without loading ioredis (users who never use Redis install nothing)", async () => {
    const script = `
      const redis = require("pacekeeper/redis");
      const loaded = Object.keys(require.cache).some((f) => f.includes("node_modules/ioredis"));
      console.log(JSON.stringify({ store: typeof redis.redisStore, error: typeof redis.StoreUnavailableError, loaded }));
    `;
    const { stdout } = await run(process.execPath, ["-e", script], { timeout: 15_000 });
    expect(JSON.parse(stdout)).toEqual({ store: "function", error: "function", loaded: false });
    const esm = `const m = await import("pacekeeper/redis"); console.log(typeof m.redisStore);`;
    const { stdout: out } = await run(process.execPath, ["--input-type=module", "-e", esm], {
      timeout: 15_000,
    });
    expect(out.trim()).toBe("function");
  });

  it.skipIf(!hasRedis)("paces a real call through Redis from the CJS build and the ESM build", async () => {
    const server = await startRedisServer();
    try {
      const body = (load: string) => `
        const server = await startMockServer({ dialect: "boothzen", port: 0 });
        const redis = new Redis(${server.port}, "127.0.0.1");
        const store = redisStore({ client: redis });
        const client = createClient({ baseUrl: server.url, apiKey: "key_live_redis_${load}", dialect: boothzen(), store });
        const res = await client.fetch("/api/v1/bookings?page_size=1");
        await res.arrayBuffer();
        const keys = await redis.keys("pacekeeper:*");
        console.log(JSON.stringify({ status: res.status, keys: keys.length > 0 }));
        await client.close(); await store.close(); redis.disconnect(); await server.close();
      `;
      const cjs = `
        const { createClient, boothzen } = require("pacekeeper");
        const { startMockServer } = require("pacekeeper/mock");
        const { redisStore } = require("pacekeeper/redis");
        const { Redis } = require("ioredis");
        (async () => { ${body("cjs")} })().catch((e) => { console.error(e); process.exit(1); });
      `;
      const esm = `
        import { createClient, boothzen } from "pacekeeper";
        import { startMockServer } from "pacekeeper/mock";
        import { redisStore } from "pacekeeper/redis";
        import { Redis } from "ioredis";
        ${body("esm")}
      `;
      for (const args of [
        ["-e", cjs],
        ["--input-type=module", "-e", esm],
      ]) {
        const { stdout } = await run(process.execPath, args, { timeout: 15_000 });
        expect(JSON.parse(stdout)).toEqual({ status: 200, keys: true });
      }
    } finally {
      await server.stop();
    }
  });
});
