/** What each dialect (`campone.ts`, `boothzen.ts`) implements; `api.ts` wraps it with the clock and the audit log. */

/** What the wrapper knows of a request before the dialect sees it. */
export interface RequestContext {
  url: URL;
  /** The path the dialect routes on: below the mount point, without trailing slashes, `/` at least. */
  path: string;
  /** The mock clock's reading for this request, never below an earlier one. */
  now: number;
}

/** A dialect's answer, and whom to record it against (nobody, when the request was not authenticated). */
export interface DialectResult {
  response: Response;
  caller?: { key: string; tenant: string } | undefined;
}

export interface Dialect {
  /** Answers a request. May reject only on a defect; the wrapper then answers `crash()`. */
  handle(request: Request, context: RequestContext): Promise<DialectResult>;
  /**
   * Whom `handle` would record the request against, without handling it (nothing is counted):
   * fault mode audits a request that a fault kept from the rules under the same caller.
   */
  callerOf(request: Request, context: RequestContext): DialectResult["caller"];
  /** A 500 in the dialect's error shape, for a failure outside the dialect's own error handling. */
  crash(now: number): Response;
  /** Forgets all state: counters, created records, sequences. */
  reset(): void;
}
