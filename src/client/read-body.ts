/**
 * A response's body as text, at most `maxBytes` of it: the rest is not read but cancelled, so a
 * hostile server's error body (a few hundred kilobytes of gzip that inflate to gigabytes) costs no
 * more than the prefix kept. Without `maxBytes`, the whole body.
 */
export async function readText(response: Response, maxBytes = Number.POSITIVE_INFINITY): Promise<string> {
  if (!Number.isFinite(maxBytes)) return response.text();
  const body = response.body;
  if (body === null) return "";
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let read = 0;
  try {
    while (read < maxBytes) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      const chunk = value.byteLength > maxBytes - read ? value.subarray(0, maxBytes - read) : value;
      read += chunk.byteLength;
      text += decoder.decode(chunk, { stream: true });
    }
    reader.cancel().catch(() => {
      // the connection is gone already: nothing to free
    });
    return text + decoder.decode();
  } finally {
    reader.releaseLock();
  }
}
