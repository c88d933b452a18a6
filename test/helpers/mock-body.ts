/** A response's JSON body, for tests that check its shape with assertions. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions that follow are the type check
export async function body(response: Response): Promise<any> {
  return response.json();
}
