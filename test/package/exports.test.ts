import { createRequire } from "node:module";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { KeyPacer, KeyPacerConfig, PacerStore } from "../../src/index.js";

/**
 * The contract of each entry point, as users load it from the build: its runtime names, listed
 * in full, so that a change to the public surface is a deliberate change to this list.
 */
const CONTRACT: Record<string, string[]> = {
  ".": [
    "AuthenticationError",
    "ClientError",
    "ConnectionError",
    "HttpError",
    "NotFoundError",
    "PacekeeperError",
    "PacerDeadlineError",
    "PermissionError",
    "RateLimitError",
    "RequestValidationError",
    "ResponseValidationError",
    "ServerError",
    "TimeoutError",
    "boothzen",
    "campone",
    "channels",
    "createClient",
    "createPacer",
    "github",
    "ietf",
    "isAuthenticationError",
    "isClientError",
    "isConnectionError",
    "isHttpError",
    "isNotFoundError",
    "isPacekeeperError",
    "isPermissionError",
    "isRateLimitError",
    "isRequestValidationError",
    "isResponseValidationError",
    "isServerError",
    "isTimeoutError",
    "memoryStore",
    "openai",
    "parseRetryAfter",
    "readRateLimit",
  ],
  "./batch": [
    "WorkerCrashedError",
    "WorkerModuleError",
    "createKeyPool",
    "createLogHooks",
    "createProgress",
    "isWorkerCrashedError",
    "isWorkerModuleError",
    "keyFingerprint",
    "runInWorkers",
    "serveWorkerJobs",
  ],
  "./testing": ["createVirtualClock"],
  "./mock": ["MOCK_FAULTS", "createMockApi", "createMockHandlers", "startMockServer"],
  "./redis": ["StoreUnavailableError", "isStoreUnavailableError", "redisStore"],
};

const require = createRequire(import.meta.url);

describe("the entry points' contract (the built package)", () => {
  it.each(Object.entries(CONTRACT))(
    "%s exports exactly its contract, in ESM and CJS alike",
    async (entry, names) => {
      const specifier = entry === "." ? "pacekeeper" : `pacekeeper/${entry.slice(2)}`;
      const esm = await import(specifier);
      expect(Object.keys(esm).sort()).toEqual(names);
      const cjs = require(specifier);
      expect(Object.keys(cjs).sort()).toEqual(names);
    },
  );

  it.each(Object.keys(CONTRACT))(
    "%s: each error class is named as it is exported, in ESM and CJS alike (what an uncaught error prints)",
    async (entry) => {
      const specifier = entry === "." ? "pacekeeper" : `pacekeeper/${entry.slice(2)}`;
      for (const build of [await import(specifier), require(specifier)]) {
        const classes = Object.entries(build).filter(([name]) => /^[A-Z]\w*Error$/.test(name));
        for (const [name, errorClass] of classes) expect((errorClass as { name: string }).name).toBe(name);
      }
    },
  );

  it("names no internal in the root: the pacer's implementation, helpers, the batch toolkit", async () => {
    const root = await import("pacekeeper");
    for (const internal of [
      "LocalKeyPacer",
      "serializeError",
      "toLogRecord",
      "LOG_LEVELS",
      "createHttpError",
      "realClock",
      "VERSION",
      "createVirtualClock",
      "createKeyPool",
      "runInWorkers",
    ]) {
      expect(root).not.toHaveProperty(internal);
    }
  });

  it("exports the contract a custom store implements, KeyPacer among it", () => {
    expectTypeOf<PacerStore["pacerFor"]>().parameters.toEqualTypeOf<[string, KeyPacerConfig]>();
    expectTypeOf<ReturnType<PacerStore["pacerFor"]>>().toEqualTypeOf<KeyPacer>();
  });
});
