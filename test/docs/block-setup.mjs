/**
 * Loaded with `node --import` before a code block of the docs runs (test/docs/code-blocks.test.ts),
 * in the block's process and in each worker thread it starts: msw answers the APIs the blocks call
 * with pacekeeper's own mocks, on their real-looking base URLs. Anything else is an unhandled
 * request, and fails the block: no block reaches the network.
 */
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { createMockHandlers } from "pacekeeper/mock";

const mocks = [
  createMockHandlers({ dialect: "boothzen", baseUrl: "https://api.boothzen.com" }),
  createMockHandlers({ dialect: "campone", baseUrl: "https://api.campone.com" }),
  createMockHandlers({ dialect: "campone", baseUrl: "https://api.campone.example" }),
];

/**
 * docs/client.md pages through "an API no dialect knows": 250 rows, 100 a page, linked by a
 * `continuation` token in the body. The mocks have no such API; this is the least that answers it.
 */
const rows = http.get("https://api.example.com/v2/rows", ({ request }) => {
  const url = new URL(request.url);
  if (request.headers.get("authorization") !== `Bearer ${process.env.API_KEY}`) {
    return HttpResponse.json({ error: "unauthorized" }, { status: 401 });
  }
  const start = Number(url.searchParams.get("continuation") ?? "0");
  const ids = Array.from({ length: Math.max(0, Math.min(100, 250 - start)) }, (_, i) => start + i + 1);
  const next = start + 100 < 250 ? String(start + 100) : null;
  return HttpResponse.json({ rows: ids.map((id) => ({ id })), continuation: next });
});

setupServer(...mocks.flatMap((mock) => mock.handlers), rows).listen({ onUnhandledRequest: "error" });
