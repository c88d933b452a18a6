import type { ValidationIssue } from "../errors/validation-errors.js";

/**
 * The first query value that is not a `QueryValue` (a string, a finite number, a boolean, `null`,
 * `undefined`, or an array of the first three), as an issue whose path names its parameter
 * (`["query", "from"]`), or undefined. `String()` would send a `Date` as its long English form and
 * an object as `[object Object]`.
 */
export function queryIssue(query: unknown): ValidationIssue | undefined {
  if (query === undefined) return undefined;
  // What a query schema gave may be anything.
  if (typeof query !== "object" || query === null || Array.isArray(query)) {
    return {
      message: `Expected the query to be an object of parameters, got ${Array.isArray(query) ? "an array" : String(query)}`,
      path: ["query"],
      code: "invalid_type",
    };
  }
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) {
        const problem = problemOf(item);
        if (problem) return issue(problem, ["query", name, i]);
      }
      continue;
    }
    const problem = problemOf(value);
    if (problem) return issue(problem, ["query", name]);
  }
  return undefined;
}

function problemOf(value: unknown): string | undefined {
  if (typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : String(value);
  if (value instanceof Date) return "a Date (send a string, such as date.toISOString())";
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array inside an array";
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

function issue(problem: string, path: PropertyKey[]): ValidationIssue {
  return {
    message: `Expected a string, a finite number or a boolean, or an array of them, got ${problem}`,
    path,
    code: "invalid_type",
  };
}
