/**
 * Frees the connection of a response nobody will read. Not awaited: a body whose source never
 * settles the cancel (msw's intercepted responses) must not hold the call.
 */
export function discard(response: Response): void {
  response.body?.cancel().catch(() => {
    // already consumed or errored: nothing to free
  });
}
