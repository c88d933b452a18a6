/**
 * `createMockApi`: the one implementation of each dialect over the Fetch API. It reads the clock
 * once per request (never a timer), routes to the dialect, records the audit log, and turns any
 * failure into a 500 in the dialect's shape: `handle` never rejects. In fault mode it also draws each
 * request's fault and applies it around the dialect, which never sees one.
 */
import { AuditLog } from "./audit.js";
import { BoothZenApi } from "./boothzen.js";
import { CampOneApi } from "./campone.js";
import type { Dialect, DialectResult } from "./dialect.js";
import { FaultTimers, toFetchResponse } from "./fault-delivery.js";
import { alterAnswer, answerInPlace, processes, type Served } from "./fault-responses.js";
import { FaultDraw, type MockFault } from "./faults.js";
import { type ResolvedOptions, resolveMockOptions } from "./options.js";
import { traceIdOf } from "./trace-context.js";
import type { MockApi, MockApiOptions } from "./types.js";

/** The mock, plus what the `node:http` front needs to inject a fault at the right moment. */
export interface FaultingMockApi extends MockApi {
  /** The fault of the next request to the API: `undefined` for none (always, outside fault mode). */
  drawFault(): MockFault | undefined;
  /** Answers `request` under a fault already drawn, and says how to deliver the answer. Never rejects. */
  serve(request: Request, fault: MockFault | undefined): Promise<Served>;
}

/**
 * The mock of one dialect, as a function from Request to Response.
 * @throws TypeError or RangeError when an option is invalid, naming the option.
 *
 * @example
 * ```ts
 * import { createMockApi } from "pacekeeper/mock";
 *
 * const api = createMockApi({ dialect: "campone", limit: 1 });
 * const headers = { authorization: "Bearer key_live_a" };
 * await api.handle(new Request("https://api.campone.test/sites", { headers })); // 200
 * const refused = await api.handle(new Request("https://api.campone.test/sites", { headers }));
 * refused.status; // 429, with Retry-After
 * api.audit().map((row) => row.status); // [200, 429]
 * ```
 */
export function createMockApi(options: MockApiOptions): MockApi {
  const api = buildMockApi(resolveMockOptions(options));
  return { handle: api.handle, audit: api.audit, reset: api.reset };
}

/**
 * The mock over already validated options.
 * @param basePath where the API is mounted (`createMockHandlers` with a base URL that has a path).
 */
export function buildMockApi(options: ResolvedOptions, basePath = ""): FaultingMockApi {
  const dialect: Dialect = options.dialect === "campone" ? new CampOneApi(options) : new BoothZenApi(options);
  const log = new AuditLog(options.auditLimit);
  const draw = options.faults === undefined ? undefined : new FaultDraw(options.faults);
  const timers = new FaultTimers();
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

  const record = (
    request: Request,
    url: URL,
    caller: NonNullable<DialectResult["caller"]>,
    status: number,
    started: number,
    fault: { name: MockFault | undefined; processed: boolean },
  ): void => {
    const traceId = draw === undefined ? undefined : traceIdOf(request.headers.get("traceparent"));
    log.add({
      tenant: caller.tenant,
      key: caller.key,
      method: request.method.toUpperCase(),
      path: url.pathname,
      status,
      latencyMs: now() - started,
      timestamp: started,
      // Outside fault mode the rows keep exactly the document's fields.
      ...(draw === undefined
        ? {}
        : {
            fault: fault.name ?? null,
            processed: fault.processed,
            ...(traceId === undefined ? {} : { traceId }),
          }),
    });
  };

  const serve = async (request: Request, fault: MockFault | undefined): Promise<Served> => {
    try {
      const started = now();
      const url = new URL(request.url);
      const context = { url, path: routePath(url.pathname, basePath), now: started };
      if (fault !== undefined && !processes(fault)) {
        // The fault answers in the API's place: the rules never see the request, nothing is counted.
        const served = answerInPlace(fault, options.dialect, () => dialect.crash(started));
        const caller = dialect.callerOf(request, context);
        const status = served.delivery.kind === "reset" ? 0 : served.response.status;
        if (caller !== undefined)
          record(request, url, caller, status, started, { name: fault, processed: false });
        return served;
      }
      const result = await dialect.handle(request, context);
      if (result.caller !== undefined) {
        record(request, url, result.caller, result.response.status, started, {
          name: fault,
          processed: true,
        });
      }
      return alterAnswer(fault, result.response, options.faults?.delayMs ?? 0);
    } catch {
      return { response: dialect.crash(Number.isFinite(latest) ? latest : 0), delivery: { kind: "whole" } };
    }
  };

  return {
    async handle(request) {
      const served = await serve(request, draw?.next());
      if (draw === undefined) return served.response;
      try {
        return await toFetchResponse(served, timers);
      } catch {
        return dialect.crash(Number.isFinite(latest) ? latest : 0);
      }
    },
    drawFault: () => draw?.next(),
    serve,
    audit: (filter) => log.list(filter),
    reset() {
      dialect.reset();
      log.clear();
      draw?.reset();
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
