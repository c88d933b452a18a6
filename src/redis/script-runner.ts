import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/** A Lua script, called by its SHA1 once Redis knows it. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/** The command did not answer within `commandTimeoutMs`. */
export class CommandTimeout extends Error {
  override readonly name = "CommandTimeout";
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
  }
}

/**
 * Runs scripts by SHA (EVALSHA), sending the source (EVAL) only when the server answers
 * NOSCRIPT: after a restart, a failover or a SCRIPT FLUSH. A client known to be disconnected
 * fails at once; every other call is bounded by `timeoutMs` on a real timer — not the injected
 * clock, which may be virtual — so no caller ever hangs on a Redis that does not answer
 * (ioredis' offline queue would hold the command until it reconnects).
 */
export class ScriptRunner {
  constructor(
    private readonly client: Redis,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Resolves with the script's reply, or rejects with the ioredis error or a `CommandTimeout`.
   * `onLate` receives a reply that arrived after the timeout, so its effects can be undone.
   */
  run(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
    onLate?: (reply: unknown) => void,
  ): Promise<unknown> {
    const status = this.client.status;
    // Known to be down: fail now rather than after the timeout (the offline queue would wait).
    if (status === "end" || status === "close" || status === "reconnecting") {
      return Promise.reject(new Error(`The Redis connection is down (ioredis status \`${status}\`)`));
    }
    const call = this.send(script, keys, args);
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new CommandTimeout(this.timeoutMs));
      }, this.timeoutMs);
      timer.unref();
      call.then(
        (reply) => {
          if (!settled) {
            settled = true;
            clearTimeout(timer);
            resolve(reply);
          } else {
            onLate?.(reply);
          }
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private async send(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return this.client.eval(script.source, keys.length, ...keys, ...args);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}
