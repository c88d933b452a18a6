/**
 * One real rate limiter in a process of its own, so that it does not share the client's CPU:
 *
 *   node real-limiter-server.mjs <kind> <limit> <windowMs>
 *
 * prints `{"url": "http://127.0.0.1:PORT"}` on its first line once listening. `GET /items/:id` is
 * rate-limited per client (every request is one client: the limiters key on the address);
 * `GET /__audit` (not limited) answers every limited request's `{ at, status }`, `at` in
 * milliseconds on this process' clock.
 *
 * Kinds: the limiters of the ecosystem as their documentation sets them up, nothing changed —
 * express-rate-limit 8 in each header mode (`express-draft-6`, `express-draft-7`,
 * `express-draft-8`, `express-legacy`), `fastify` (@fastify/rate-limit), `flexible`
 * (rate-limiter-flexible with the headers its README sets), `hono-draft-6`, `hono-draft-7`
 * (hono-rate-limiter) — and `leaky` / `leaky-delay`: a server that sends no rate-limit header at
 * all, a leaky bucket as nginx's `limit_req` is (rate `limit` per `windowMs`, burst `limit / 2`),
 * refusing with a bare 429 (`nodelay`) or delaying the excess up to the burst (`delay`).
 */
import http from "node:http";

const [kind, limitText, windowText] = process.argv.slice(2);
const limit = Number(limitText);
const windowMs = Number(windowText);
const audit = [];
const started = performance.now();
const record = (status) => audit.push({ at: performance.now() - started, status });

const item = (id) => JSON.stringify({ id, name: `item ${id}` });

async function express(standardHeaders, legacyHeaders) {
  const { default: expressApp } = await import("express");
  const { rateLimit } = await import("express-rate-limit");
  const app = expressApp();
  app.get("/__audit", (_req, res) => res.json(audit));
  app.use(
    "/items",
    rateLimit({
      windowMs,
      limit,
      standardHeaders,
      legacyHeaders,
      handler: (_req, res, _next, options) => {
        record(options.statusCode);
        res.status(options.statusCode).send(options.message);
      },
    }),
  );
  app.get("/items/:id", (req, res) => {
    record(200);
    res.type("json").send(item(req.params.id));
  });
  return http.createServer(app);
}

async function fastify() {
  const { default: Fastify } = await import("fastify");
  const { default: rateLimit } = await import("@fastify/rate-limit");
  const app = Fastify();
  await app.register(rateLimit, { global: false });
  app.get("/__audit", async () => audit);
  app.get("/items/:id", { config: { rateLimit: { max: limit, timeWindow: windowMs } } }, async (req) => {
    record(200);
    return JSON.parse(item(req.params.id));
  });
  app.addHook("onSend", async (_req, reply, payload) => {
    if (reply.statusCode === 429) record(429);
    return payload;
  });
  await app.ready();
  return app.server;
}

async function flexible() {
  const { RateLimiterMemory } = await import("rate-limiter-flexible");
  const limiter = new RateLimiterMemory({ points: limit, duration: windowMs / 1000 });
  return http.createServer(async (req, res) => {
    if (req.url === "/__audit") return json(res, 200, audit);
    let result;
    let status = 200;
    try {
      result = await limiter.consume("client");
    } catch (refused) {
      result = refused;
      status = 429;
    }
    // The headers rate-limiter-flexible's README sets, as it sets them.
    res.setHeader("Retry-After", result.msBeforeNext / 1000);
    res.setHeader("X-RateLimit-Limit", limit);
    res.setHeader("X-RateLimit-Remaining", result.remainingPoints);
    res.setHeader("X-RateLimit-Reset", Math.ceil((Date.now() + result.msBeforeNext) / 1000));
    record(status);
    if (status === 429) return json(res, 429, { error: "Too Many Requests" });
    return json(res, 200, JSON.parse(item(req.url.split("/").pop())));
  });
}

async function hono(standardHeaders) {
  const { Hono } = await import("hono");
  const { rateLimiter } = await import("hono-rate-limiter");
  const { getRequestListener } = await import("@hono/node-server");
  const app = new Hono();
  app.get("/__audit", (c) => c.json(audit));
  app.use(
    "/items/*",
    rateLimiter({
      windowMs,
      limit,
      standardHeaders,
      keyGenerator: () => "client",
      handler: (c) => {
        record(429);
        return c.text("Too many requests", 429);
      },
    }),
  );
  app.get("/items/:id", (c) => {
    record(200);
    return c.json(JSON.parse(item(c.req.param("id"))));
  });
  return http.createServer(getRequestListener(app.fetch));
}

/**
 * nginx's `limit_req` as its documentation describes it: a leaky bucket that lets one request
 * through every `windowMs / limit` ms, holding up to `burst` in excess. With `nodelay` the excess
 * within the burst goes at once (each taking a slot), beyond it is refused; in delay mode the
 * excess within the burst is delayed until its turn. No header tells any of it.
 */
function leaky(delay) {
  const interval = windowMs / limit;
  const burst = Math.max(1, Math.floor(limit / 2));
  // The moment the bucket is empty again: each admitted request adds `interval`.
  let emptyAt = 0;
  return http.createServer((req, res) => {
    if (req.url === "/__audit") return json(res, 200, audit);
    const now = performance.now();
    const excess = Math.max(0, emptyAt - now) / interval;
    if (excess > burst) {
      record(429);
      return json(res, 429, { error: "Too Many Requests" });
    }
    emptyAt = Math.max(emptyAt, now) + interval;
    const wait = delay ? Math.max(0, emptyAt - interval - now) : 0;
    setTimeout(() => {
      record(200);
      json(res, 200, JSON.parse(item(req.url.split("/").pop())));
    }, wait);
  });
}

function json(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

const servers = {
  "express-draft-6": () => express("draft-6", false),
  "express-draft-7": () => express("draft-7", false),
  "express-draft-8": () => express("draft-8", false),
  "express-legacy": () => express(false, true),
  fastify,
  flexible,
  "hono-draft-6": () => hono("draft-6"),
  "hono-draft-7": () => hono("draft-7"),
  leaky: () => leaky(false),
  "leaky-delay": () => leaky(true),
};

const make = servers[kind];
if (!make || !(limit >= 1) || !(windowMs >= 1)) {
  console.error(`usage: real-limiter-server.mjs <${Object.keys(servers).join("|")}> <limit> <windowMs>`);
  process.exit(2);
}
const server = await make();
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }));
});
process.on("disconnect", () => process.exit(0));
