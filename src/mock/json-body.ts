/** Reads a request body that must be one JSON object, within a size cap. */

/** Bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 1_048_576;

export type JsonBody =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; problem: "too_large" | "invalid_json" | "not_an_object" };

export async function readJsonObject(request: Request): Promise<JsonBody> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) return { ok: false, problem: "too_large" };
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) return { ok: false, problem: "too_large" };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return { ok: false, problem: "invalid_json" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { ok: false, problem: "not_an_object" };
  return { ok: true, value: value as Record<string, unknown> };
}
