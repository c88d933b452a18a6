/** The server a batch runs against, and its limits as every client is told them. */
export interface Target {
  dialect: "campone" | "boothzen";
  /** The mock server's URL, without a trailing slash. */
  baseUrl: string;
  apiKey: string;
  /** Requests per `windowMs` (the documented main limit, scaled down). */
  limit: number;
  windowMs: number;
  /** BoothZen's burst limit per `burstWindowMs`; undefined for CampOne. */
  burst: number | undefined;
  burstWindowMs: number | undefined;
  /** Rate-limit retries each client may spend on one request (the same for all). */
  retries: number;
}

/** One client, configured for one target. */
export interface BenchClient {
  /**
   * GETs `path` (below the base URL, leading slash) with the key, through the client's pacing and
   * retries; resolves with the final status once the body is read. Rejects when the client gives
   * up by throwing, or when `signal` aborts (the run's time cap).
   */
  get(path: string, signal: AbortSignal): Promise<number>;
  close(): Promise<void>;
}

export interface ClientUnderTest {
  /** Short name for tables. */
  name: string;
  /** How it is configured, for the report (markdown). */
  setup: string;
  create(target: Target, stop: AbortSignal): BenchClient;
}

/** The headers every client sends: the key, as both dialects want it. */
export function authHeaders(target: Target): Record<string, string> {
  return { authorization: `Bearer ${target.apiKey}`, accept: "application/json" };
}
