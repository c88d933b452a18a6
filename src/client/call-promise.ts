import type { RateLimitSnapshot } from "../headers/types.js";

/** A call's result with the response it came from: what `.withResponse()` resolves with. */
export interface WithResponse<T> {
  /** The parsed body: what the promise itself resolves with. */
  data: T;
  /**
   * The final response (after redirects and retries). Its body has been read already, to parse
   * it: read its `status`, `headers`, `url`, not its body.
   */
  response: Response;
  /** What the response's rate-limit headers said of the key's budget, as errors carry it (`HttpError.rateLimit`). */
  rateLimit: RateLimitSnapshot | undefined;
  /** The server's id of the response (`X-Request-Id`), as errors carry it; undefined where it sent none. */
  requestId: string | undefined;
}

/**
 * The promise `client.request` and the shortcuts return: it resolves with the parsed body, as a
 * plain promise would, and `.withResponse()` gives the response as well. The request is sent
 * once, when the call is made, however the promise is read.
 *
 * The model is openai-node's `APIPromise`: the promise itself resolves with nothing; `then`
 * reads the call's outcome, made only when someone reads it. So a caller who uses only
 * `.withResponse()` and handles its rejection leaves no second, unread promise to reject
 * unhandled, and a call nobody reads reports its rejection once.
 */
export class CallPromise<T> extends Promise<T> {
  // Whatever `Promise` methods make from this one (none here: `then` is ours) is a plain promise,
  // never a `CallPromise` built with an executor it does not take.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  readonly #outcome: Promise<WithResponse<T>>;
  #data: Promise<T> | undefined;

  /** @internal The client makes these: `outcome` is the call, started already. */
  constructor(outcome: Promise<WithResponse<T>>) {
    super((resolve) => resolve(undefined as T));
    this.#outcome = outcome;
  }

  /**
   * The parsed body with the response it came from, its rate-limit snapshot and request id.
   * @example
   * const { data, response, rateLimit, requestId } = await client.get("/api/v1/bookings").withResponse();
   * console.log(response.status, response.headers.get("etag"), rateLimit?.remaining, requestId);
   */
  withResponse(): Promise<WithResponse<T>> {
    return this.#outcome;
  }

  /**
   * The parsed body, as any promise gives its value; the call's error on failure.
   * @example
   * client.get("/api/v1/bookings").then((bookings) => console.log(bookings));
   */
  // biome-ignore lint/suspicious/noThenProperty: a promise whose `then` reads the call's outcome (above).
  override then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#read().then(onFulfilled, onRejected);
  }

  /**
   * The call's error, as any promise gives its rejection.
   * @example
   * const bookings = await client.get("/api/v1/bookings").catch((error) => (isNotFoundError(error) ? [] : Promise.reject(error)));
   */
  override catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#read().catch(onRejected);
  }

  /**
   * Runs `onFinally` once the call has ended, either way.
   * @example
   * await client.get("/api/v1/bookings").finally(() => spinner.stop());
   */
  override finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#read().finally(onFinally);
  }

  /** The parsed body alone: made on first read, once. */
  #read(): Promise<T> {
    this.#data ??= this.#outcome.then((outcome) => outcome.data);
    return this.#data;
  }
}
