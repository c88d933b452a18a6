/**
 * Every ```ts, ```typescript and ```js block of README.md and docs/*.md is compiled, and run where it
 * can run here, so that the docs show code that works with the package as it is built.
 *
 * - **Compiled**: one TypeScript program over every block (strict, `noUncheckedIndexedAccess`,
 *   NodeNext, each block a module of its own), `pacekeeper` and its subpaths resolved through the
 *   package's `exports` to the build in `dist/` (run `npm run build` first; `npm test` does).
 * - **Run**: each block in a child process, `node --import test/docs/block-setup.mjs`, which points
 *   msw at pacekeeper's own mocks on the base URLs the blocks use (`https://api.boothzen.com`,
 *   `https://api.campone.com`, …); the `process.env` keys the blocks read are set to mock keys. A
 *   block must exit with status 0 before the timeout; what it prints is not compared with the output
 *   shown in its comments. A block that imports `vitest` is a test file: its tests run in this file,
 *   under a `describe` of its own.
 *
 * Markers, in the markdown, an HTML comment right before a block's fence (GitHub shows nothing):
 *
 *     <!-- docs-test: compile-only (why it cannot run here) -->     compiled, not run
 *     <!-- docs-test: run with NAME -->                              compiled and run (the default)
 *
 * Every block is compiled: there is no marker that leaves one out. A reason is required for
 * `compile-only`, and its compile test names it. A block that assumes what the prose around it
 * made (a `client`, a schema) gets it from a hidden preamble, put before its code: the marker's lines
 * after its first, and the preambles it names with `with NAME, NAME…`, each defined once in its page:
 *
 *     <!-- docs-test: preamble NAME
 *     import { boothzen, createClient } from "pacekeeper";
 *     const client = createClient({ baseUrl: "https://api.boothzen.com", apiKey: "k", dialect: boothzen() });
 *     -->
 *
 * A block whose first line is a comment naming a file (`// sync-worker.ts`) is written under that name,
 * next to the other blocks of its page, so that the blocks of a page can import each other as it says.
 */
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const SETUP_PATH = join(ROOT, "test/docs/block-setup.mjs");
const SETUP = pathToFileURL(SETUP_PATH).href;
/** What the blocks read from `process.env`: keys the mocks accept (any bearer token). */
const BLOCK_ENV = {
  BOOTHZEN_KEY: "key_live_boothzen",
  BOOTHZEN_KEYS: "key_live_b1,key_live_b2,key_live_b3,key_live_b4",
  CAMPONE_KEY: "key_live_campone",
  CAMPONE_KEYS: "key_live_c1,key_live_c2,key_live_c3,key_live_c4",
  API_KEY: "key_live_example",
  OPENAI_API_KEY: "sk-docs-test",
  GITHUB_TOKEN: "ghp_docs_test",
};
const BLOCK_ENV_LINE = Object.entries(BLOCK_ENV)
  .map(([name, value]) => `${name}=${value}`)
  .join(" ");
const RUN_TIMEOUT_MS = 20_000;
/** Child processes at once: the machine is shared. */
const PARALLEL_RUNS = 2;
const LANGUAGES = new Set(["ts", "typescript", "js"]);

type Mode = "run" | "compile-only";

interface Block {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: string;
  code: string;
  mode: Mode;
  reason: string | undefined;
  preamble: string;
  /** The file it is written to, under the page's directory. */
  fileName: string;
}

interface Page {
  path: string;
  blocks: Block[];
  /** Marker problems: a marker in the wrong place, an unknown mode, a missing reason or preamble. */
  problems: string[];
}

const MARKER = /<!--\s*docs-test:([\s\S]*?)-->/g;
const DIRECTIVE = /^(run|compile-only)(?:\s+\((.+)\))?(?:\s+with\s+([\w-]+(?:\s*,\s*[\w-]+)*))?\s*$/;

function readPage(path: string): Page {
  const text = readFileSync(join(ROOT, path), "utf8");
  const problems: string[] = [];
  const lineOf = (offset: number) => text.slice(0, offset).split("\n").length;
  const preambles = new Map<string, string>();
  const used = new Set<string>();
  const markers: { end: number; line: number; first: string; rest: string }[] = [];
  for (const match of text.matchAll(MARKER)) {
    const [first = "", ...rest] = match[1]!.trim().split("\n");
    const line = lineOf(match.index);
    const definition = /^preamble\s+([\w-]+)\s*$/.exec(first.trim());
    if (definition !== null) {
      if (preambles.has(definition[1]!)) problems.push(`${path}:${line}: preamble ${definition[1]} twice`);
      preambles.set(definition[1]!, rest.join("\n"));
    } else {
      markers.push({ end: match.index + match[0].length, line, first: first.trim(), rest: rest.join("\n") });
    }
  }
  const blocks: Block[] = [];
  const fence = /^```(\w*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (const match of text.matchAll(fence)) {
    const language = match[1]!;
    const line = lineOf(match.index);
    const markerIndex = markers.findIndex(
      (m) => m.end <= match.index && text.slice(m.end, match.index).trim() === "",
    );
    const marker = markerIndex === -1 ? undefined : markers.splice(markerIndex, 1)[0];
    if (!LANGUAGES.has(language)) {
      if (marker !== undefined) problems.push(`${path}:${marker.line}: a marker before a ${language} block`);
      continue;
    }
    let mode: Mode = "run";
    let reason: string | undefined;
    let preamble = "";
    if (marker !== undefined) {
      const directive = DIRECTIVE.exec(marker.first);
      if (directive === null) {
        problems.push(`${path}:${marker.line}: not a docs-test marker: ${JSON.stringify(marker.first)}`);
      } else {
        mode = directive[1] as Mode;
        reason = directive[2];
        if (mode !== "run" && reason === undefined) {
          problems.push(`${path}:${marker.line}: ${mode} needs a reason, in parentheses`);
        }
        const names = directive[3]?.split(",").map((name) => name.trim()) ?? [];
        const parts = names.map((name) => {
          used.add(name);
          const code = preambles.get(name);
          if (code === undefined) problems.push(`${path}:${marker.line}: no preamble ${name} in the page`);
          return code ?? "";
        });
        preamble = [...parts, marker.rest].filter((part) => part.trim() !== "").join("\n");
      }
    }
    const named = /^\/\/ ([\w-]+(?:\.[\w-]+)*\.(?:ts|mts|js|mjs))(?=[\s:—]|$)/.exec(match[2]!);
    const fileName = named?.[1] ?? `block-${line}.${language === "js" ? "js" : "ts"}`;
    if (blocks.some((block) => block.fileName === fileName)) {
      problems.push(`${path}:${line}: a second block named ${fileName}`);
    }
    blocks.push({ page: path, line, language, code: match[2]!, mode, reason, preamble, fileName });
  }
  for (const marker of markers) {
    problems.push(`${path}:${marker.line}: a marker that is not right before a ts or js block`);
  }
  for (const name of preambles.keys()) {
    if (!used.has(name)) problems.push(`${path}: preamble ${name} is used by no block`);
  }
  return { path, blocks, problems };
}

const pages = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
].map(readPage);
const blocks = pages.flatMap((page) => page.blocks);

// Written under the package (`.tmp/` is ignored by git), so that `pacekeeper` resolves to it.
mkdirSync(join(ROOT, ".tmp"), { recursive: true });
const WORK = mkdtempSync(join(ROOT, ".tmp/docs-blocks-"));
// DOCS_BLOCKS_KEEP=1 keeps the blocks and their JavaScript, to run one by hand as a failure says.
afterAll(() => {
  if (process.env.DOCS_BLOCKS_KEEP === undefined) rmSync(WORK, { recursive: true, force: true });
});
const sourceOf = (block: Block) => join(WORK, "src", block.page.replace(/\.md$/, ""), block.fileName);
const outputOf = (block: Block) =>
  join(
    WORK,
    "out",
    block.page.replace(/\.md$/, ""),
    block.fileName.replace(/\.ts$/, ".js").replace(/\.mts$/, ".mjs"),
  );
const preambleLines = (block: Block) => (block.preamble === "" ? 0 : block.preamble.split("\n").length);

for (const block of blocks) {
  mkdirSync(dirname(sourceOf(block)), { recursive: true });
  writeFileSync(sourceOf(block), block.preamble === "" ? block.code : `${block.preamble}\n${block.code}`);
}

const distBuilt = existsSync(join(ROOT, "dist/index.d.ts"));
const program = ts.createProgram(
  blocks.map((block) => sourceOf(block)),
  {
    strict: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    moduleDetection: ts.ModuleDetectionKind.Force,
    types: ["node"],
    allowJs: true,
    checkJs: true,
    // `import("./sync-worker.ts")` in a .mjs that registers tsx (docs/batch-jobs.md).
    rewriteRelativeImportExtensions: true,
    skipLibCheck: true,
    rootDir: join(WORK, "src"),
    outDir: join(WORK, "out"),
  },
);
const emitted = program.emit();
const diagnostics = new Map<Block, string[]>();
const otherDiagnostics: string[] = [];
for (const diagnostic of [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics]) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
  const block = blocks.find(
    (b) => diagnostic.file !== undefined && resolve(diagnostic.file.fileName) === sourceOf(b),
  );
  if (block === undefined || diagnostic.file === undefined || diagnostic.start === undefined) {
    otherDiagnostics.push(`TS${diagnostic.code}: ${message}`);
    continue;
  }
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const where =
    line < preambleLines(block)
      ? `${block.page}:${block.line}, preamble line ${line + 1}`
      : `${block.page}:${block.line + 1 + line - preambleLines(block)}`;
  diagnostics.set(block, [...(diagnostics.get(block) ?? []), `${where}: TS${diagnostic.code}: ${message}`]);
}

let running = 0;
const queue: (() => void)[] = [];
async function runInChild(block: Block): Promise<{ code: number | null; output: string }> {
  while (running >= PARALLEL_RUNS) await new Promise<void>((resolve) => queue.push(resolve));
  running += 1;
  try {
    return await new Promise((resolve) => {
      execFile(
        process.execPath,
        ["--import", SETUP, outputOf(block)],
        {
          // Where the page's sources are: a path relative to the working directory names one of them.
          cwd: dirname(sourceOf(block)),
          env: { ...process.env, ...BLOCK_ENV },
          timeout: RUN_TIMEOUT_MS,
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
          const killed = error?.killed === true ? `killed after ${RUN_TIMEOUT_MS} ms\n` : "";
          resolve({ code, output: `${killed}${stderr}${stdout.slice(-2_000)}` });
        },
      );
    });
  } finally {
    running -= 1;
    queue.shift()?.();
  }
}

const label = (block: Block) => `${block.page}:${block.line}`;
const isTestFile = (block: Block) => /\bfrom\s+["']vitest["']/.test(block.code);

describe("the docs' code blocks", () => {
  it("has the build to compile against", () => {
    expect(distBuilt, "dist/ is missing: run `npm run build` first").toBe(true);
  });

  it("has its markers right: in place, known, with a reason, their preambles defined", () => {
    const problems = pages.flatMap((page) => page.problems);
    expect(problems, problems.join("\n")).toEqual([]);
  });

  const count = (mode: Mode) => blocks.filter((block) => block.mode === mode).length;
  it(`finds ${blocks.length}: ${count("run")} run, ${count("compile-only")} compile-only`, () => {
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks.filter((b) => b.mode !== "run")) {
      expect(block.reason ?? "", `${label(block)} says why it is not run`).toMatch(/\S/);
    }
  });

  it("compiles with no error outside the blocks (options, libraries)", () => {
    expect(otherDiagnostics, otherDiagnostics.join("\n")).toEqual([]);
  });
});

for (const page of pages.filter((p) => p.blocks.length > 0)) {
  describe(page.path, () => {
    for (const block of page.blocks) {
      const only = block.mode === "compile-only" ? ` (compile-only: ${block.reason})` : "";
      it(`${label(block)} compiles${only}`, () => {
        const found = diagnostics.get(block) ?? [];
        expect(found, found.join("\n")).toEqual([]);
      });
      if (block.mode === "compile-only") continue;
      if (isTestFile(block)) {
        // Its tests are collected here; a block that does not compile is not imported.
        describe(`${label(block)}, a test file`, async () => {
          if (!diagnostics.has(block) && !emitted.emitSkipped)
            await import(pathToFileURL(outputOf(block)).href);
        });
      } else {
        it.concurrent(
          `${label(block)} runs`,
          async () => {
            // A block that does not compile is not run: it fails here too, pointing at its compile test.
            expect(diagnostics.has(block), `${label(block)} does not compile: see its compile test`).toBe(
              false,
            );
            const { code, output } = await runInChild(block);
            const command = `cd ${relative(ROOT, dirname(sourceOf(block)))} && ${BLOCK_ENV_LINE} node --import ${relative(dirname(sourceOf(block)), SETUP_PATH)} ${relative(dirname(sourceOf(block)), outputOf(block))}`;
            expect(code, `${command}\nended with:\n${output}`).toBe(0);
          },
          RUN_TIMEOUT_MS * 4,
        );
      }
    }
  });
}
