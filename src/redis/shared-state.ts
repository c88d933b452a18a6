import type { EngineState } from "../pacer/key-engine.js";
import type { KeyNames } from "./key-names.js";
import { luaScript, type ScriptRunner } from "./script-runner.js";

/**
 * One key's state in Redis: the pacing engine's state as JSON, and a version that every write
 * increments. A process reads the state, runs the engine's rules on it in JavaScript, and writes
 * it back only if nobody wrote in between (compare and set); otherwise it gets the newer state and
 * runs the rules again. The rules are the in-process pacer's, written once (`KeyEngine`).
 *
 * The script also answers the Redis server's time, so that processes on machines with skewed clocks
 * agree on one, and publishes a wake-up where another process's waiters may go sooner: a process
 * that has waiters leaves a lease (until when, in the key's time), and a write made before it ends
 * announces when the key may send next.
 */
const CAS = luaScript(`
if redis.replicate_commands then pcall(redis.replicate_commands) end
local key, expected, state, ttl, channel, wake, lease, at = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local t = redis.call('TIME')
local now = string.format('%.3f', tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000)
local current = redis.call('HMGET', key, 'v', 's', 'w')
local version = current[1] or ''
local waiting = current[3] or ''
if state == '' or version ~= expected then
  return {0, version, current[2] or '', now, waiting}
end
local nextVersion = tostring((tonumber(version) or 0) + 1)
redis.call('HSET', key, 'v', nextVersion, 's', state)
if lease ~= '' then
  if waiting == '' or tonumber(lease) > tonumber(waiting) then redis.call('HSET', key, 'w', lease) end
  waiting = lease
end
redis.call('PEXPIRE', key, ttl)
if wake ~= '' and waiting ~= '' and tonumber(waiting) > tonumber(at) then redis.call('PUBLISH', channel, wake) end
return {1, nextVersion, '', now, waiting}
`);

/** The latest state of a key that this process knows, and the version it was written as. */
export interface Snapshot {
  /** `""` for a key that has no state in Redis yet. */
  version: string;
  state: EngineState | undefined;
}

export type WriteReply =
  | { written: true; version: string; serverNow: number }
  /** Someone wrote since: the newer state, to run the rules on again. */
  | { written: false; snapshot: Snapshot; serverNow: number };

export interface WriteOptions {
  /** The key's time of this write (epoch ms): what leases are compared with. */
  now: number;
  /** The state's lifetime in Redis, in ms: a key idle that long is forgotten. */
  ttlMs: number;
  /** Published on the key's channel when some process's waiters hold a lease (server time, epoch ms). */
  wake?: number | undefined;
  /** This process has waiters until this server time: releases elsewhere should wake it. */
  lease?: number | undefined;
}

export class SharedKeyState {
  constructor(
    private readonly names: KeyNames,
    private readonly runner: ScriptRunner,
  ) {}

  /** The key's state as Redis has it now. */
  async read(): Promise<{ snapshot: Snapshot; serverNow: number }> {
    const reply = parse(await this.runner.run(CAS, [this.names.state], ["", "", "0", "", "", "", "0"]));
    if (reply.written) throw new TypeError("Unexpected reply from the pacer script");
    return reply;
  }

  /**
   * Writes `state` if the key is still at `expected`. `onLate` receives a reply that came after the
   * command timed out: a write that happened all the same, whose grants nobody will use.
   */
  async write(
    expected: string,
    state: EngineState,
    options: WriteOptions,
    onLate?: (reply: WriteReply) => void,
  ): Promise<WriteReply> {
    const late = onLate && ((raw: unknown) => onLate(parse(raw)));
    const reply = await this.runner.run(
      CAS,
      [this.names.state],
      [
        expected,
        encode(state),
        String(Math.max(1, Math.ceil(options.ttlMs))),
        this.names.channel,
        options.wake === undefined ? "" : String(options.wake),
        options.lease === undefined ? "" : String(options.lease),
        String(options.now),
      ],
      late,
    );
    return parse(reply);
  }
}

function parse(reply: unknown): WriteReply {
  if (!Array.isArray(reply) || reply.length < 4)
    throw new TypeError("Unexpected reply from the pacer script");
  const [written, version, state, now] = reply as [number, string, string, string];
  const serverNow = Number(now);
  if (!Number.isFinite(serverNow)) throw new TypeError(`Unexpected time from the pacer script: ${now}`);
  if (written === 1) return { written: true, version: String(version), serverNow };
  return {
    written: false,
    snapshot: { version: String(version), state: state === "" ? undefined : decode(state) },
    serverNow,
  };
}

/** JSON, with the engine's infinite times (a gate never closed, a wait without end) spelled out. */
function encode(state: EngineState): string {
  return JSON.stringify(state, (_key, value: unknown) =>
    value === Number.POSITIVE_INFINITY ? "+Inf" : value === Number.NEGATIVE_INFINITY ? "-Inf" : value,
  );
}

function decode(text: string): EngineState {
  return JSON.parse(text, (_key, value: unknown) =>
    value === "+Inf" ? Number.POSITIVE_INFINITY : value === "-Inf" ? Number.NEGATIVE_INFINITY : value,
  ) as EngineState;
}
