import type { ValidationIssue } from "../errors/validation-errors.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

/**
 * Whether `value` is a Standard Schema: an object (or a function: ArkType's types are callable)
 * whose `~standard` holds version 1 and a `validate` function.
 */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const props = (value as { "~standard"?: unknown })["~standard"];
  return (
    typeof props === "object" &&
    props !== null &&
    (props as { version?: unknown }).version === 1 &&
    typeof (props as { validate?: unknown }).validate === "function"
  );
}

/** A schema's verdict: its output, or its issues, each with a path of plain keys. */
export type SchemaResult = { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] };

/**
 * Validates `value` with any Standard Schema library, whether its `validate` answers at once or
 * with a promise (zod with an async refinement, an async valibot pipe).
 */
export async function validateWithSchema(schema: StandardSchemaV1, value: unknown): Promise<SchemaResult> {
  const result = await schema["~standard"].validate(value);
  // The specification: a falsy `issues` means success.
  if (!result.issues) return { ok: true, value: result.value };
  return { ok: false, issues: Array.from(result.issues, issueOf) };
}

/**
 * One issue as pacekeeper's errors carry it: the message, the path as plain keys (valibot gives
 * `{ key }` segments), and the library's `code` where it has one (zod, ArkType). Nothing else is
 * kept: some libraries put the validated value, the whole body, in each issue.
 */
function issueOf(issue: StandardSchemaV1.Issue): ValidationIssue {
  // `Array.from`, not `map`: ArkType's path is an array of its own class, with more on it.
  const path = Array.from(issue.path ?? [], (segment) =>
    typeof segment === "object" && segment !== null ? segment.key : segment,
  );
  const code = (issue as { code?: unknown }).code;
  const message = typeof issue.message === "string" ? issue.message : String(issue.message);
  return typeof code === "string" ? { message, path, code } : { message, path };
}
