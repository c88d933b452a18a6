import type { RateLimitSnapshot } from "../headers/types.js";
import { registerErrorClass } from "./brand.js";
import { attemptCount, oneLine } from "./normalize.js";
import { PacekeeperError, type PacekeeperErrorOptions } from "./pacekeeper-error.js";
import { createRedactor, redactUrl } from "./redact.js";

/**
 * One problem a validation found, whatever did the validating: a schema library (zod, valibot,
 * ArkType: every Standard Schema), or pacekeeper's own checks of a request before it is sent.
 */
export interface ValidationIssue {
  readonly message: string;
  /** Where the problem is, from the validated value's root: `["items", 0, "name"]`. */
  readonly path: readonly PropertyKey[];
  /** The validator's name for the kind of problem, where it gives one (zod: `invalid_type`). */
  readonly code?: string;
}

/**
 * Which part of the request failed validation; `options` for an option that is no part of the
 * request itself (`schema`, `signal`, `timeoutMs`, `retry`, an unknown option).
 */
export type RequestPart = "url" | "method" | "path" | "query" | "headers" | "body" | "options";

export interface RequestValidationErrorInit extends PacekeeperErrorOptions {
  message?: string;
  issues: readonly ValidationIssue[];
  part?: RequestPart;
  method?: string;
  url?: string | URL;
}

/**
 * The request was refused before anything was sent: its `query` or `body` did not match its
 * schema, an option is wrong, or fetch would refuse it. CampOne counts a 400 against the key's
 * budget, and an invalid request can only fail on the server.
 */
export class RequestValidationError extends PacekeeperError {
  static {
    registerErrorClass(RequestValidationError, "RequestValidationError");
  }

  override readonly name = "RequestValidationError" as const;
  readonly code = "request_invalid" as const;
  /** Every issue (a schema library's, or pacekeeper's own); the first is quoted in the message with its path. */
  readonly issues: readonly ValidationIssue[];
  readonly part: RequestPart | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;

  constructor(init: RequestValidationErrorInit) {
    const redactor = createRedactor(init.secrets);
    const what = init.part === undefined ? "request" : `request ${init.part}`;
    super(
      init.message ??
        `Invalid ${what}${describeIssues(init.issues, redactor.text)}; the request was not sent`,
      init,
    );
    this.issues = redactor.deep(init.issues) as ValidationIssue[];
    this.part = init.part;
    this.method = init.method === undefined ? undefined : redactor.text(String(init.method).toUpperCase());
    this.url = init.url === undefined ? undefined : redactor.text(redactUrl(init.url));
  }
}

export interface ResponseValidationErrorInit extends PacekeeperErrorOptions {
  message?: string;
  status: number;
  requestId?: string;
  /** The schema's issues; empty when the body was not JSON at all (then `cause` says why). */
  issues: readonly ValidationIssue[];
  method: string;
  url: string | URL;
  attempts: number;
  rateLimit?: RateLimitSnapshot;
}

/**
 * The server answered with a success status, but the body did not match the schema given to
 * `client.request` (or was not JSON). The request was processed: do not blindly retry a write.
 */
export class ResponseValidationError extends PacekeeperError {
  static {
    registerErrorClass(ResponseValidationError, "ResponseValidationError");
  }

  override readonly name = "ResponseValidationError" as const;
  readonly code = "response_invalid" as const;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly issues: readonly ValidationIssue[];
  readonly method: string;
  readonly url: string;
  readonly attempts: number;
  readonly rateLimit: RateLimitSnapshot | undefined;

  constructor(init: ResponseValidationErrorInit) {
    const redactor = createRedactor(init.secrets);
    const method = redactor.text(String(init.method).toUpperCase());
    const url = redactor.text(redactUrl(init.url));
    const requestId = init.requestId === undefined ? undefined : redactor.text(init.requestId);
    const context =
      requestId === undefined ? `${init.status}` : `${init.status}, request ${oneLine(requestId, 200)}`;
    const problem =
      init.issues.length > 0
        ? `did not match the schema${describeIssues(init.issues, redactor.text)}`
        : `could not be parsed${init.cause instanceof Error ? `: ${oneLine(redactor.text(String(init.cause.message)), 300)}` : ""}`;
    super(init.message ?? `Response to ${method} ${url} (${context}) ${problem}`, init);
    this.status = init.status;
    this.requestId = requestId;
    this.issues = redactor.deep(init.issues) as ValidationIssue[];
    this.method = method;
    this.url = url;
    this.attempts = attemptCount(init.attempts);
    this.rateLimit = init.rateLimit;
  }
}

/** `' at "items[0].name": Invalid input: expected string, received number (and 2 more issues)'`. */
function describeIssues(issues: readonly ValidationIssue[], redact: (text: string) => string): string {
  const first = issues[0];
  if (first === undefined) return "";
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? "s" : ""})` : "";
  return ` at "${formatIssuePath(first.path)}": ${oneLine(redact(String(first.message)), 300)}${more}`;
}

/** A zod path as a reader writes it: `items[0].name`, `["content-type"]`, `(root)`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "symbol") out += `[${String(segment)}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
