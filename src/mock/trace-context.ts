/**
 * The trace id of a W3C Trace Context `traceparent` header (`00-<32 hex trace id>-<16 hex parent
 * id>-<2 hex flags>`): every attempt of one call carries the same one, so fault mode records it in
 * the audit log to tell which rows are retries of which call.
 */
const TRACEPARENT = /^\s*[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}/;

/** The trace id, or `undefined` when the header is missing or malformed (an all-zero id is invalid). */
export function traceIdOf(traceparent: string | null): string | undefined {
  const id = traceparent === null ? undefined : TRACEPARENT.exec(traceparent)?.[1];
  return id === undefined || /^0+$/.test(id) ? undefined : id;
}
