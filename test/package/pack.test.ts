import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/internal/version.js";

const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as Record<string, unknown> & {
  scripts: Record<string, string>;
  bin: Record<string, string>;
};
const REPOSITORY = "https://github.com/pacekeeper/pacekeeper";

/**
 * What `npm publish` would ship. `--dry-run` writes no tarball; `--ignore-scripts` keeps `prepack`
 * from rebuilding dist/ (deleting it first) under the other tests that load it: the list is of the
 * build `npm test` made, and that `prepack` makes one on a fresh clone is checked apart.
 */
describe("the package as npm packs it", () => {
  it("ships the built entry points and the bin, not the sources", async () => {
    const before = readdirSync(".").sort();
    const { stdout } = await run(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      timeout: 30_000,
    });
    const [packed] = JSON.parse(stdout) as [{ name: string; version: string; files: { path: string }[] }];
    const files = packed.files.map((file) => file.path);
    expect(packed).toMatchObject({ name: "pacekeeper", version: VERSION });
    for (const path of [
      "dist/index.js",
      "dist/index.cjs",
      "dist/index.d.ts",
      "dist/index.d.cts",
      "dist/mock/cli.js",
      "dist/batch/index.js",
      "dist/batch/index.cjs",
      "README.md",
      "CHANGELOG.md",
      "LICENSE",
      "package.json",
    ]) {
      expect(files).toContain(path);
    }
    expect(files.filter((path) => /^(src|test|demo|bench|docs)\//.test(path))).toEqual([]);
    expect(Object.values(pkg.bin)).toEqual(["./dist/mock/cli.js"]);
    // Nothing left behind: no tarball, no new file.
    expect(readdirSync(".").sort()).toEqual(before);
  });

  it("builds before packing, so a fresh clone's `npm pack` or `npm publish` ships dist/", () => {
    expect(pkg.scripts.prepack).toBe("npm run build");
    expect(pkg.scripts.build).toMatch(/\btsup\b/);
  });

  it("points at its repository, and the README's links work from the registry's page", () => {
    expect(pkg.repository).toEqual({ type: "git", url: `git+${REPOSITORY}.git` });
    expect(pkg.homepage).toBe(`${REPOSITORY}#readme`);
    expect(pkg.bugs).toEqual({ url: `${REPOSITORY}/issues` });
    // docs/ is not shipped: a relative link would be dead on npmjs.com.
    const readme = readFileSync("README.md", "utf8");
    const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((match) => match[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link).toMatch(/^(https:\/\/|#)/);
    for (const link of links.filter((l) => l.startsWith(`${REPOSITORY}/blob/main/`))) {
      const path = link.slice(`${REPOSITORY}/blob/main/`.length).replace(/#.*$/, "");
      expect(() => readFileSync(path), `${link} names a file of the repository`).not.toThrow();
    }
  });

  it("the built bin prints the package's version and an absolute documentation URL", async () => {
    const { stdout: version } = await run(process.execPath, ["dist/mock/cli.js", "--version"], {
      timeout: 15_000,
    });
    expect(version).toBe(`${pkg.version}\n`);
    const { stdout: help } = await run(process.execPath, ["dist/mock/cli.js", "--help"], {
      timeout: 15_000,
    });
    expect(help).toContain(`${REPOSITORY}/blob/main/docs/mock-servers.md`);
    expect(help).not.toMatch(/(?<!\/main\/)docs\//);
  });
});
