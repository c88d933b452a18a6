/**
 * `Authorization: Bearer <token>` (RFC 6750). Both dialects authenticate this way; BoothZen:
 * "Limits apply identically to API keys and OAuth access tokens", so the mock makes no difference.
 */

/** RFC 6750 `b64token`: the characters a bearer token may hold. */
export const TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Longer tokens are refused as malformed, so a hostile header cannot grow the key table without bound. */
export const MAX_TOKEN_LENGTH = 512;

/** Why a request could not be attributed to a key. */
export type AuthFailure = "missing" | "malformed" | "unknown";

/** The token of an `Authorization` header, or why there is none. */
export function parseBearer(header: string | null): { token: string } | { failure: AuthFailure } {
  if (header === null || header.trim() === "") return { failure: "missing" };
  const match = /^Bearer +(\S+)$/i.exec(header.trim());
  const token = match?.[1];
  if (token === undefined || !isWellFormedToken(token)) return { failure: "malformed" };
  return { token };
}

/** Whether `token` could be presented as a bearer token at all. */
export function isWellFormedToken(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && TOKEN_PATTERN.test(token);
}
