import { keyFingerprint } from "../internal/fingerprint.js";
import type { KeyPacer } from "../pacer/types.js";
import type { ResolvedOptions } from "./options.js";

/** One API key as the client sends and paces it. */
export interface Credential {
  /** The key itself: what the request carries. */
  readonly secret: string;
  /** Its fingerprint (`key_` + 12 hex digits), the only name of it that events carry. */
  readonly key: string;
  /** The key's pacer, shared with every client of the same key, dialect and base URL (`store`). */
  readonly pacer: KeyPacer;
  /** What errors and events must never show: `[secret]`. */
  readonly secrets: readonly string[];
  /**
   * The client's headers with this key in its header (`auth: { header }`, bearer by default), names
   * in lower case. Frozen, and shared by every request that adds none of its own.
   */
  readonly headers: Readonly<Record<string, string>>;
}

/** Keys kept at most by one client; beyond, the oldest is forgotten (its pacer lives on in the store). */
const MAX_KEPT = 10_000;

/**
 * The keys one client sends: its `apiKey`, and any other a request names (a per-request `apiKey`,
 * or the credential an SDK set, with `auth: { fromRequest }`). Each is paced as a key of its own.
 */
export class Credentials {
  private readonly known = new Map<string, Credential>();

  /**
   * @param parent the keys of the client this one is derived from (`extend`): each key's pacer is
   *   taken from there, so both clients spend one budget whatever the store.
   */
  constructor(
    private readonly options: ResolvedOptions,
    private readonly parent?: Credentials,
  ) {}

  of(secret: string): Credential {
    let credential = this.known.get(secret);
    if (credential === undefined) {
      credential = this.make(secret);
      if (this.known.size >= MAX_KEPT) this.known.delete(this.known.keys().next().value!);
      this.known.set(secret, credential);
    }
    return credential;
  }

  private make(secret: string): Credential {
    const { dialect, baseUrl, store, clock } = this.options;
    const key = keyFingerprint(secret);
    // Every client of the same dialect, base URL and key in the process shares one pacer (the memory
    // store gives clients on another clock, such as a test's virtual one, a pacer of their own).
    const pacer =
      this.parent?.of(secret).pacer ??
      store.pacerFor(`${dialect.name} ${baseUrl.href} ${key}`, {
        limits: dialect.limits,
        probeFirst: dialect.sendsRateLimitHeaders,
        backoff: dialect.backoff,
        clock,
      });
    const { auth, headers } = this.options;
    return {
      secret,
      key,
      pacer,
      secrets: Object.freeze([secret]),
      headers:
        auth.kind === "header" ? Object.freeze({ ...headers, [auth.name]: auth.prefix + secret }) : headers,
    };
  }
}
