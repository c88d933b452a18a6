/**
 * `pacekeeper/redis`: one key's budget shared by many processes and machines, its state in
 * Redis (docs/distributed.md). ioredis is an optional peer dependency: only the types are
 * imported here, so users who never import this subpath install nothing.
 */
export type { RedisStoreOptions, RedisStoreWarning } from "./options.js";
export { type RedisStore, redisStore } from "./redis-store.js";
export { isStoreUnavailableError, StoreUnavailableError } from "./store-unavailable-error.js";
// Not exported: the Lua scripts, the per-key pacer and the subscriber; they may change.
