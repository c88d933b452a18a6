import { callHook, type Hooks, type PacekeeperEvent } from "./hooks.js";

const HOOK_NAMES = ["request", "wait", "response", "rateLimited", "retry", "giveUp", "event"] as const;

/**
 * The hooks of a derived client: its parent's, then its own, each called on its own, so that one
 * that throws (a warning) does not keep the other from hearing the event.
 */
export function combineHooks(first: Hooks | undefined, second: Hooks | undefined): Hooks | undefined {
  if (first === undefined) return second;
  if (second === undefined) return first;
  const combined: Record<string, (event: PacekeeperEvent) => void> = {};
  for (const name of HOOK_NAMES) {
    const a = first[name] as ((event: PacekeeperEvent) => void) | undefined;
    const b = second[name] as ((event: PacekeeperEvent) => void) | undefined;
    if (a && b) {
      combined[name] = (event) => {
        callHook(a, event);
        callHook(b, event);
      };
    } else if (a || b) {
      combined[name] = (a ?? b)!;
    }
  }
  return combined as Hooks;
}
