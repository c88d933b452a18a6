import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/internal/version.js";

const run = promisify(execFile);

/**
 * The built package, as users load it. The CJS build must work with `require()` and make a real
 * call: publint and attw check the package's shape, not whether an ESM-only dependency broke it.
 */
describe("the built package (dist/, made by `npm run build`)", () => {
  it("require()s the CJS build and makes a real call against the mock server over loopback", async () => {
    const script = `
      const { createClient, boothzen, isRateLimitError } = require("pacekeeper");
      const { startMockServer } = require("pacekeeper/mock");
      (async () => {
        const server = await startMockServer({ dialect: "boothzen", port: 0 });
        const client = createClient({ baseUrl: server.url, apiKey: "key_live_cjs_0001", dialect: boothzen() });
        const res = await client.fetch("/api/v1/bookings?page_size=5");
        const body = await res.json();
        // A call's promise (a Promise subclass with private fields) as the CJS build makes it.
        const { data, rateLimit } = await client.extend({ headers: { "x-cjs": "1" } }).get("/api/v1/bookings?page_size=5").withResponse();
        console.log(JSON.stringify({ status: res.status, limit: res.headers.get("ratelimit-limit"), guard: typeof isRateLimitError, items: Object.keys(body).length > 0, shortcut: Object.keys(data).length > 0, snapshot: rateLimit.limit }));
        await client.close();
        await server.close();
      })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const { stdout } = await run(process.execPath, ["-e", script], { cwd: process.cwd(), timeout: 15_000 });
    expect(JSON.parse(stdout)).toEqual({
      status: 200,
      limit: "600",
      guard: "function",
      items: true,
      shortcut: true,
      snapshot: 600,
    });
  });

  it("imports the ESM build and makes a real call", async () => {
    const script = `
      import { createClient, campone } from "pacekeeper";
      import { startMockServer } from "pacekeeper/mock";
      const server = await startMockServer({ dialect: "campone", port: 0 });
      const client = createClient({ baseUrl: server.url, apiKey: "key_live_esm_0001", dialect: campone() });
      const sites = await client.request({ path: "/sites" });
      console.log(JSON.stringify({ ok: sites !== undefined, audited: server.audit().length }));
      await client.close();
      await server.close();
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      timeout: 15_000,
    });
    expect(JSON.parse(stdout)).toEqual({ ok: true, audited: 1 });
  });

  it("keeps VERSION equal to package.json's version", () => {
    expect(VERSION).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });
});
