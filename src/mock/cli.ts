#!/usr/bin/env node
/**
 * `pacekeeper-mock`: a mock server of one dialect, on 127.0.0.1, until SIGINT or SIGTERM.
 *
 *   pacekeeper-mock --dialect boothzen --port 4010 [--limit N --window-ms N --burst N
 *     --burst-window-ms N --counting fixed|rolling|bucket --keys-file keys.json
 *     --faults 0.05|NAME=P,… --faults-seed N --audit-limit N]
 *
 * Prints `pacekeeper-mock: <dialect> listening on http://127.0.0.1:PORT` on stdout. A bad flag prints a
 * message naming the flag on stderr and exits 2; a server that cannot start exits 1. `--help` prints the
 * usage, `--version` the package's version.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { VERSION } from "../internal/version.js";
import { MOCK_FAULTS } from "./faults.js";
import { startMockServer } from "./server.js";
import type { MockServerOptions } from "./types.js";

const NAME = "pacekeeper-mock";
const DEFAULT_PORT = 4010;
/** Absolute: the package ships no docs/, and a user reads --help far from the repository. */
const DOCS_URL = "https://github.com/pacekeeper/pacekeeper/blob/main/docs/mock-servers.md";

const USAGE = `Usage: ${NAME} --dialect campone|boothzen [--port ${DEFAULT_PORT}] [--limit N] [--window-ms N]
       [--burst N] [--burst-window-ms N] [--counting rolling|fixed|bucket] [--keys-file keys.json]
       [--faults P | --faults NAME=P,NAME=P…] [--faults-seed N] [--audit-limit N]
       ${NAME} --help | --version

Serves a mock of the CampOne or BoothZen API on 127.0.0.1 until SIGINT or SIGTERM.
Limits default to each API's documented defaults. --port 0 picks a free port.
The audit log is at GET /__admin/audit (never counted, never audited); it keeps the newest
--audit-limit rows (default 100000).
--faults P injects a fault into a fraction P of requests, spread evenly over every fault;
--faults NAME=P,… gives each fault its own probability ("Fault mode" in the documentation).
Documentation: ${DOCS_URL}`;

/** Flag → option name, so a message from option validation names the flag the user typed. */
const FLAG_OF_OPTION: Record<string, string> = {
  dialect: "--dialect",
  port: "--port",
  limit: "--limit",
  windowMs: "--window-ms",
  burst: "--burst",
  burstWindowMs: "--burst-window-ms",
  counting: "--counting",
  keys: "--keys-file",
  faults: "--faults",
  auditLimit: "--audit-limit",
};

class UsageError extends Error {}

/** Options from the command line; throws UsageError naming the flag. */
function parseFlags(argv: string[]): MockServerOptions | "help" | "version" {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  if (values.version) return "version";
  if (values.dialect === undefined)
    throw new UsageError("Missing required flag `--dialect` (campone or boothzen)");
  const options: Record<string, unknown> = { dialect: values.dialect, port: DEFAULT_PORT };
  const numeric = [
    ["port", values.port],
    ["limit", values.limit],
    ["windowMs", values["window-ms"]],
    ["burst", values.burst],
    ["burstWindowMs", values["burst-window-ms"]],
    ["auditLimit", values["audit-limit"]],
  ] as const;
  for (const [option, raw] of numeric) {
    if (raw === undefined) continue;
    if (!/^\d{1,15}$/.test(raw)) {
      throw new UsageError(
        `Expected \`${FLAG_OF_OPTION[option]}\` to be a whole number, got ${JSON.stringify(raw)}`,
      );
    }
    options[option] = Number(raw);
  }
  if (values.counting !== undefined) options.counting = values.counting;
  if (values["keys-file"] !== undefined) options.keys = readKeys(values["keys-file"]);
  if (values.faults !== undefined || values["faults-seed"] !== undefined) {
    options.faults = parseFaults(values.faults, values["faults-seed"]);
  }
  return options as unknown as MockServerOptions;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      dialect: { type: "string" },
      port: { type: "string" },
      limit: { type: "string" },
      "window-ms": { type: "string" },
      burst: { type: "string" },
      "burst-window-ms": { type: "string" },
      counting: { type: "string" },
      "keys-file": { type: "string" },
      faults: { type: "string" },
      "faults-seed": { type: "string" },
      "audit-limit": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}

/** `--faults 0.05` (spread evenly over every fault) or `--faults 503=0.02,reset-before=0.01`. */
function parseFaults(spec: string | undefined, seed: string | undefined): Record<string, unknown> {
  const faults: Record<string, unknown> = {};
  if (seed !== undefined) {
    if (!/^-?\d{1,15}$/.test(seed)) {
      throw new UsageError(`Expected \`--faults-seed\` to be a whole number, got ${JSON.stringify(seed)}`);
    }
    faults.seed = Number(seed);
  }
  if (spec === undefined) return faults;
  const probability = (text: string, what: string): number => {
    const p = /^\d*\.?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(p >= 0 && p <= 1)) {
      throw new UsageError(
        `Expected ${what} in \`--faults\` to be a probability from 0 to 1, got ${JSON.stringify(text)}`,
      );
    }
    return p;
  };
  const probabilities: Record<string, number> = {};
  if (!spec.includes("=")) {
    const total = probability(spec.trim(), "the fraction");
    for (const fault of MOCK_FAULTS) probabilities[fault] = total / MOCK_FAULTS.length;
  } else {
    for (const part of spec.split(",")) {
      const [name = "", value = ""] = part.split("=").map((text) => text.trim());
      if (!(MOCK_FAULTS as readonly string[]).includes(name)) {
        throw new UsageError(
          `Unknown fault ${JSON.stringify(name)} in \`--faults\`; the faults are ${MOCK_FAULTS.join(", ")}`,
        );
      }
      probabilities[name] = probability(value, `the probability of ${name}`);
    }
  }
  faults.probabilities = probabilities;
  return faults;
}

/** `--keys-file`: a JSON object of key → { tenant, limit, burst, readOnly }. */
function readKeys(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read \`--keys-file\` ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`\`--keys-file\` ${JSON.stringify(path)} is not JSON: ${(error as Error).message}`);
  }
}

/** An option validation message with the option names replaced by the flags. */
function inFlags(message: string): string {
  return message.replace(/`([A-Za-z]+)((?:\[[^\]]*\])?[.\w]*)`/g, (whole, option: string, rest: string) => {
    const flag = FLAG_OF_OPTION[option];
    return flag === undefined ? whole : `\`${flag}${rest === "" ? "" : ` ${option}${rest}`}\``;
  });
}

async function main(argv: string[]): Promise<number> {
  let options: MockServerOptions | "help" | "version";
  try {
    options = parseFlags(argv);
  } catch (error) {
    process.stderr.write(`${NAME}: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options === "version") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  let server: Awaited<ReturnType<typeof startMockServer>>;
  try {
    server = await startMockServer(options);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      process.stderr.write(`${NAME}: ${inFlags(error.message)}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`${NAME}: cannot start: ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${NAME}: ${server.dialect} listening on ${server.url}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  await server.close();
  process.stderr.write(`${NAME}: ${signal}, closed\n`);
  return 0;
}

// No top-level await: tsup also emits a CommonJS build of this entry.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
