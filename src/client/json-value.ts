import type { ValidationIssue } from "../errors/validation-errors.js";

/**
 * The first value in `value` that JSON cannot carry, as an issue whose path leads to it
 * (`["body", "startsAt"]`), or undefined. `JSON.stringify` would not refuse most of them: it
 * would send a `Date` as a string, a `Map` as `{}`, `NaN` as `null` and drop a function, so the
 * server would get something else than the caller meant. An `undefined` member of an object is
 * left out, as `JSON.stringify` leaves it out (an optional field not set).
 *
 * A loop rather than recursion: a body nested deeper than the stack must still get an answer.
 */
export function nonJsonIssue(value: unknown, root: readonly PropertyKey[]): ValidationIssue | undefined {
  const stack: ({ value: unknown; path: readonly PropertyKey[] } | { leave: object })[] = [
    { value, path: root },
  ];
  /** The objects on the way to the one being looked at: meeting one again is a cycle. */
  const ancestors = new Set<object>();
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if ("leave" in frame) {
      ancestors.delete(frame.leave);
      continue;
    }
    const { value: item, path } = frame;
    const problem = problemOf(item);
    if (problem !== undefined)
      return { message: `Expected a JSON value, got ${problem}`, path, code: "not_json" };
    if (typeof item !== "object" || item === null) continue;
    if (ancestors.has(item)) {
      return { message: "Expected a JSON value, got a circular reference", path, code: "not_json" };
    }
    ancestors.add(item);
    stack.push({ leave: item });
    // Pushed last to first, so that the first member is looked at first.
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) {
        if (item[i] === undefined) {
          return {
            message: "Expected a JSON value, got undefined in an array",
            path: [...path, i],
            code: "not_json",
          };
        }
        stack.push({ value: item[i], path: [...path, i] });
      }
    } else {
      const keys = Object.keys(item);
      for (let i = keys.length - 1; i >= 0; i--) {
        const member = (item as Record<string, unknown>)[keys[i]!];
        if (member !== undefined) stack.push({ value: member, path: [...path, keys[i]!] });
      }
    }
  }
  return undefined;
}

/** What is wrong with one value, in words; undefined for a JSON scalar, array or plain object. */
function problemOf(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `${value} (JSON has no non-finite numbers)`;
    case "object": {
      if (value === null || Array.isArray(value)) return undefined;
      const prototype = Object.getPrototypeOf(value);
      if (prototype === Object.prototype || prototype === null) return undefined;
      if (value instanceof Date)
        return "a Date (JSON has no dates: send a string, such as date.toISOString())";
      const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === "string" && name !== ""
        ? `an instance of ${name}`
        : "an object that is not plain";
    }
    case "undefined":
      return "undefined";
    default:
      // bigint, symbol, function
      return `a ${typeof value}`;
  }
}
