/**
 * The id the server gave a response, from `X-Request-Id`: what to quote to the API's support.
 * Trimmed; undefined where the header is missing or blank. Never throws (a caller's fetch may
 * resolve with headers whose getter does).
 */
export function requestIdOf(headers: Headers): string | undefined {
  try {
    const value = headers.get("x-request-id");
    return value === null || value.trim() === "" ? undefined : value.trim();
  } catch {
    return undefined;
  }
}
