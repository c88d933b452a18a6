/**
 * `createMockApi`: the one implementation of each dialect over the Fetch API. It reads the clock
 * once per request (never a timer), routes to the dialect, records the audit log, and turns any
 * failure into a 500 in the dialect's shape: `handle` never rejects.
 */
import { AuditLog } from "./audit.js";
import { BoothZenApi } from "./boothzen.js";
import { CampOneApi } from "./campone.js";
import type { Dialect } from "./dialect.js";
import { type ResolvedOptions, resolveMockOptions } from "./options.js";
import type { MockApi, MockApiOptions } from "./types.js";

/**
 * The mock of one dialect, as a function from Request to Response.
 * @throws TypeError or RangeError when an option is invalid, naming the option.
 */
export function createMockApi(options: MockApiOptions): MockApi {
  return buildMockApi(resolveMockOptions(options));
}

/**
 * The mock over already validated options.
 * @param basePath where the API is mounted (`createMockHandlers` with a base URL that has a path).
 */
export function buildMockApi(options: ResolvedOptions, basePath = ""): MockApi {
  const dialect: Dialect = options.dialect === "campone" ? new CampOneApi(options) : new BoothZenApi(options);
  const log = new AuditLog();
  let latest = Number.NEGATIVE_INFINITY;

  /** The clock's reading, held from going backwards: a window must never appear to grow. */
  const now = (): number => {
    const reading = options.clock.now();
    if (typeof reading !== "number" || !Number.isFinite(reading)) {
      throw new TypeError(`clock.now() returned ${String(reading)}, not a finite number`);
    }
    latest = Math.max(latest, reading);
    return latest;
  };

  return {
    async handle(request) {
      try {
        const started = now();
        const url = new URL(request.url);
        const result = await dialect.handle(request, {
          url,
          path: routePath(url.pathname, basePath),
          now: started,
        });
        if (result.caller !== undefined) {
          log.add({
            tenant: result.caller.tenant,
            key: result.caller.key,
            method: request.method.toUpperCase(),
            path: url.pathname,
            status: result.response.status,
            latencyMs: now() - started,
            timestamp: started,
          });
        }
        return result.response;
      } catch {
        return dialect.crash(Number.isFinite(latest) ? latest : 0);
      }
    },
    audit: (filter) => log.list(filter),
    reset() {
      dialect.reset();
      log.clear();
    },
  };
}

/** The path below `basePath`, without trailing slashes (`/bookings/` is `/bookings`), `/` at least. */
function routePath(pathname: string, basePath: string): string {
  let path = pathname;
  if (basePath !== "" && (path === basePath || path.startsWith(`${basePath}/`)))
    path = path.slice(basePath.length);
  path = path.replace(/\/+$/, "");
  return path === "" ? "/" : path;
}
