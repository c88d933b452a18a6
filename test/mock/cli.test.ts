/**
 * The `pacekeeper-mock` CLI, spawned from source through tsx (no build needed): prints its URL, serves,
 * closes cleanly on SIGINT/SIGTERM with exit 0; a bad flag exits 2 naming the flag.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { VERSION } from "../../src/internal/version.js";
import { body } from "../helpers/mock-body.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = ["--import", "tsx", "src/mock/cli.ts"];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function spawnCli(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** Resolves with the URL once the CLI prints its listening line. */
function urlOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /^pacekeeper-mock: (campone|boothzen) listening on (http:\/\/127\.0\.0\.1:\d+)\n/m.exec(
        seen,
      );
      if (match?.[2] !== undefined) {
        child.stdout?.off("data", onData);
        resolve(match[2]);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code} before listening`)));
  });
}

describe("pacekeeper-mock", () => {
  it("prints its URL, serves, and closes cleanly on SIGINT with exit code 0", async () => {
    const { child, stdout } = spawnCli(["--dialect", "campone", "--port", "0", "--limit", "1"]);
    const url = await urlOf(child);
    expect(stdout()).toBe(`pacekeeper-mock: campone listening on ${url}\n`);
    const headers = { authorization: "Bearer key_live_a" };
    expect((await fetch(`${url}/sites`, { headers })).status).toBe(200);
    const throttled = await fetch(`${url}/sites`, { headers });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toMatch(/^\d+$/);
    const audit = await body(await fetch(`${url}/__admin/audit`));
    expect(audit.map((entry: { status: number }) => entry.status)).toEqual([200, 429]);
    child.kill("SIGINT");
    expect(await exitOf(child)).toBe(0);
  });

  it("serves BoothZen with --keys-file and --counting, and exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pacekeeper-mock-"));
    const keysFile = join(dir, "keys.json");
    writeFileSync(keysFile, JSON.stringify({ key_live_a: { tenant: "acme", limit: 5 } }));
    const { child } = spawnCli([
      "--dialect",
      "boothzen",
      "--port",
      "0",
      "--counting",
      "rolling",
      "--window-ms",
      "30000",
      "--keys-file",
      keysFile,
    ]);
    const url = await urlOf(child);
    const ok = await fetch(`${url}/api/v1/bookings`, { headers: { authorization: "Bearer key_live_a" } });
    expect(ok.headers.get("ratelimit-limit")).toBe("5");
    expect(ok.headers.get("ratelimit-reset")).toBe("30");
    const unknown = await fetch(`${url}/api/v1/bookings`, { headers: { authorization: "Bearer key_other" } });
    expect(unknown.status).toBe(401);
    child.kill("SIGTERM");
    expect(await exitOf(child)).toBe(0);
  });

  it("--version prints the package's version; --help the usage and where the documentation is", async () => {
    const version = spawnCli(["--version"]);
    expect(await exitOf(version.child)).toBe(0);
    expect(version.stdout()).toBe(`${VERSION}\n`);
    const help = spawnCli(["--help"]);
    expect(await exitOf(help.child)).toBe(0);
    expect(help.stdout()).toContain("Usage: pacekeeper-mock");
    // The package ships no docs/: the link is absolute.
    expect(help.stdout()).toContain(
      "https://github.com/pacekeeper/pacekeeper/blob/main/docs/mock-servers.md",
    );
    expect(help.stderr()).toBe("");
  });

  it.each([
    [["--dialect", "campone", "--bogus"], /--bogus/],
    [["--port", "0"], /--dialect/],
    [["--dialect", "stripe", "--port", "0"], /`--dialect`/],
    [["--dialect", "campone", "--port", "0", "--limit", "0"], /`--limit`/],
    [["--dialect", "campone", "--port", "0", "--window-ms", "soon"], /`--window-ms`/],
    [["--dialect", "campone", "--port", "99999"], /`--port`/],
    [["--dialect", "campone", "--port", "0", "--burst", "5"], /`--burst`/],
    [["--dialect", "boothzen", "--port", "0", "--counting", "sliding"], /`--counting`/],
    [["--dialect", "boothzen", "--port", "0", "--keys-file", "/nonexistent/keys.json"], /`--keys-file`/],
  ])("exits 2 naming the flag: %j", async (args, flag) => {
    const { child, stderr, stdout } = spawnCli(args);
    expect(await exitOf(child)).toBe(2);
    expect(stderr()).toMatch(flag);
    expect(stderr()).toContain("Usage: pacekeeper-mock");
    expect(stdout()).toBe("");
  });
});
