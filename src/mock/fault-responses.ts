/**
 * What each fault does to an exchange: the answer it gives in place of the API's, or what it does to
 * the API's own answer, and how that answer is to be delivered (`fault-delivery.ts` puts it on the
 * wire). The dialect rules never see a fault: a fault answers before them, or changes what they said.
 */
import type { MockFault } from "./faults.js";
import type { MockDialect } from "./types.js";

/** How an answer reaches the client. */
export type Delivery =
  /** As it is. */
  | { kind: "whole" }
  /** No answer: the connection is cut (msw and the Fetch front: a network error). */
  | { kind: "reset" }
  /** The headers are held back `delayMs`, then the whole answer goes. */
  | { kind: "slow-headers"; delayMs: number }
  /** The headers at once, then the body in a few chunks `delayMs` apart. */
  | { kind: "slow-body"; delayMs: number }
  /** The headers (with the whole body's length), half the body, then the connection is cut. */
  | { kind: "truncated-body" };

/** An answer and how to deliver it. */
export interface Served {
  response: Response;
  delivery: Delivery;
  /**
   * Header lines to send instead of `response.headers`, for a field that must repeat on the wire
   * (a Fetch `Headers` folds repeats into one comma list).
   */
  headerLines?: readonly (readonly [string, string])[];
}

/** Faults after which the API has handled the request (counted it, created what it asked for). */
const PROCESSED: ReadonlySet<MockFault> = new Set<MockFault>([
  "reset-after",
  "slow-headers",
  "slow-body",
  "truncated-body",
  "header-negative",
  "header-nan",
  "header-huge",
  "header-past-date",
  "header-future-date",
  "header-duplicated",
  "header-comma-list",
]);

/** Whether the API handles a request that gets `fault`; the other faults answer in its place. */
export function processes(fault: MockFault | undefined): boolean {
  return fault === undefined || PROCESSED.has(fault);
}

/** Bytes of the body of `oversized-error`: far above what a client should parse as an error envelope. */
export const OVERSIZED_ERROR_BYTES = 1_048_576;

/**
 * The answer of a fault that takes the API's place (`processes(fault)` is false).
 * @param crash the dialect's own 500, for the `500` faults.
 */
export function answerInPlace(fault: MockFault, dialect: MockDialect, crash: () => Response): Served {
  switch (fault) {
    case "reset-before":
      return { response: new Response(null, { status: 502 }), delivery: { kind: "reset" } };
    case "500":
      return whole(crash());
    case "500-retry-after":
      return whole(withRetryAfter(crash(), "1"));
    case "502":
    case "502-retry-after":
      return whole(
        new Response(PROXY_PAGE, {
          status: 502,
          headers: { "content-type": "text/html", ...(fault === "502" ? {} : { "retry-after": "1" }) },
        }),
      );
    case "503":
    case "503-retry-after":
    case "503-retry-after-0":
    case "503-retry-after-86400": {
      const retryAfter = fault === "503" ? undefined : (RETRY_AFTER_OF_503[fault] ?? "1");
      return whole(
        new Response("Service Unavailable", {
          status: 503,
          headers: {
            "content-type": "text/plain",
            ...(retryAfter === undefined ? {} : { "retry-after": retryAfter }),
          },
        }),
      );
    }
    case "429-retry-after-0":
    case "429-retry-after-86400": {
      const seconds = fault === "429-retry-after-0" ? "0" : "86400";
      return whole(dialectError(dialect, 429, `Retry after ${seconds} seconds.`, { "retry-after": seconds }));
    }
    case "non-json-error":
      // The content type says JSON; the body is a proxy's HTML page.
      return whole(
        new Response(PROXY_PAGE, { status: 500, headers: { "content-type": "application/json" } }),
      );
    case "oversized-error": {
      const padding = "x".repeat(OVERSIZED_ERROR_BYTES);
      return whole(dialectError(dialect, 500, `An internal error occurred. ${padding}`));
    }
    default:
      throw new TypeError(`The fault ${JSON.stringify(fault)} does not answer in place of the API`);
  }
}

/** The API's own answer to a request that gets a `processes(fault)` fault, changed as the fault says. */
export function alterAnswer(fault: MockFault | undefined, response: Response, delayMs: number): Served {
  switch (fault) {
    case undefined:
      return whole(response);
    case "reset-after":
      return { response, delivery: { kind: "reset" } };
    case "slow-headers":
      return { response, delivery: { kind: "slow-headers", delayMs } };
    case "slow-body":
      return { response, delivery: { kind: "slow-body", delayMs } };
    case "truncated-body":
      return { response, delivery: { kind: "truncated-body" } };
    default: {
      const lines = HOSTILE_HEADERS[fault as keyof typeof HOSTILE_HEADERS];
      if (lines === undefined)
        throw new TypeError(`The fault ${JSON.stringify(fault)} is not one of the API's answer`);
      const headers = new Headers(response.headers);
      for (const name of RATE_LIMIT_FIELDS) headers.delete(name);
      for (const [name, value] of lines) headers.append(name, value);
      const altered = new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
      const served: Served = whole(altered);
      if (fault === "header-duplicated") {
        const kept = [...response.headers].filter(([name]) => !RATE_LIMIT_FIELDS.includes(name));
        served.headerLines = [...kept, ...lines];
      }
      return served;
    }
  }
}

/** The fields the header faults replace. */
const RATE_LIMIT_FIELDS = ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"];

/** The header lines of each header fault (the API's own rate-limit fields are removed first). */
const HOSTILE_HEADERS = {
  "header-negative": [
    ["ratelimit-limit", "-1"],
    ["ratelimit-remaining", "-5"],
    ["ratelimit-reset", "-30"],
    ["retry-after", "-3"],
  ],
  "header-nan": [
    ["ratelimit-limit", "NaN"],
    ["ratelimit-remaining", "NaN"],
    ["ratelimit-reset", "NaN"],
    ["retry-after", "NaN"],
  ],
  // The largest integer a structured field can hold (15 digits), a 31-year reset, a 20-digit Retry-After.
  "header-huge": [
    ["ratelimit-limit", "999999999999999"],
    ["ratelimit-remaining", "999999999999998"],
    ["ratelimit-reset", "999999999"],
    ["retry-after", "99999999999999999999"],
  ],
  "header-past-date": [
    ["ratelimit-reset", "Thu, 01 Jan 1970 00:00:00 GMT"],
    ["retry-after", "Thu, 01 Jan 1970 00:00:00 GMT"],
  ],
  "header-future-date": [
    ["ratelimit-reset", "Fri, 31 Dec 9999 23:59:59 GMT"],
    ["retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"],
  ],
  // Each field twice, disagreeing with itself.
  "header-duplicated": [
    ["ratelimit-limit", "600"],
    ["ratelimit-limit", "10"],
    ["ratelimit-remaining", "5"],
    ["ratelimit-remaining", "0"],
    ["ratelimit-reset", "1"],
    ["ratelimit-reset", "60"],
    ["retry-after", "1"],
    ["retry-after", "2"],
  ],
  "header-comma-list": [
    ["ratelimit-limit", "600, 10"],
    ["ratelimit-remaining", "5, 0"],
    ["ratelimit-reset", "1, 60"],
    ["retry-after", "1, 2"],
  ],
} as const satisfies Record<string, readonly (readonly [string, string])[]>;

const RETRY_AFTER_OF_503: Partial<Record<MockFault, string>> = {
  "503-retry-after-0": "0",
  "503-retry-after-86400": "86400",
};

/** What a proxy in front of an API answers when the API is down. */
const PROXY_PAGE =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

function whole(response: Response): Served {
  return { response, delivery: { kind: "whole" } };
}

function withRetryAfter(response: Response, seconds: string): Response {
  const headers = new Headers(response.headers);
  headers.set("retry-after", seconds);
  return new Response(response.body, { status: response.status, headers });
}

/** An error in the dialect's shape, as a front of the API that never reached its rules would write it. */
function dialectError(
  dialect: MockDialect,
  status: 429 | 500,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const body =
    dialect === "campone"
      ? { detail: status === 429 ? `Request was throttled. ${message}` : message }
      : {
          error:
            status === 429
              ? {
                  type: "rate_limit_error",
                  code: "rate_limit_exceeded",
                  message: `Rate limit exceeded. ${message}`,
                }
              : { type: "api_error", code: "internal_error", message },
        };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
