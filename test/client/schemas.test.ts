import { type } from "arktype";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { z as z3 } from "zod3";
import { RequestValidationError, ResponseValidationError, type StandardSchemaV1 } from "../../src/index.js";
import { scriptedClients } from "../helpers/scripted-client.js";
import { json, scriptedFetch } from "../helpers/scripted-fetch.js";

const KEY = "key_live_schemas_test_0001";
const { setup } = scriptedClients(KEY);

interface Booking {
  id: string;
  nights: number;
}

/** A schema written by hand, as the specification allows: no library at all. Paths as `{ key }` segments. */
function handWritten(options: { async?: boolean } = {}): StandardSchemaV1<unknown, Booking> {
  const check = (value: unknown): StandardSchemaV1.Result<Booking> => {
    const record = value as { id?: unknown; nights?: unknown } | null;
    if (typeof record?.id !== "string")
      return { issues: [{ message: "id must be a string", path: [{ key: "id" }] }] };
    if (typeof record.nights !== "string" || !/^\d+$/.test(record.nights)) {
      return { issues: [{ message: "nights must be digits", path: [{ key: "nights" }] }] };
    }
    return { value: { id: record.id, nights: Number(record.nights) } };
  };
  return {
    "~standard": {
      version: 1,
      vendor: "hand-written",
      validate: (value) => (options.async ? Promise.resolve().then(() => check(value)) : check(value)),
    },
  };
}

/**
 * The same schema in each library: `nights` comes as a string and is parsed into a number, so a
 * result holding the number proves the schema's output is what the call resolves with.
 */
const LIBRARIES: [string, StandardSchemaV1][] = [
  ["zod 4", z.object({ id: z.string(), nights: z.coerce.number() })],
  ["zod 3", z3.object({ id: z3.string(), nights: z3.coerce.number() })],
  ["valibot", v.object({ id: v.string(), nights: v.pipe(v.string(), v.digits(), v.transform(Number)) })],
  ["ArkType", type({ id: "string", nights: "string.numeric.parse" })],
  ["a hand-written ~standard object", handWritten()],
  ["a hand-written schema that validates asynchronously", handWritten({ async: true })],
];

describe("schemas from any Standard Schema library", () => {
  it.each(LIBRARIES)("%s parses the response into the result", async (_name, schema) => {
    const client = setup(scriptedFetch([json(200, { id: "b1", nights: "3" })])).client;
    await expect(client.request({ path: "/bookings/b1", schema })).resolves.toEqual({ id: "b1", nights: 3 });
  });

  it.each(LIBRARIES)(
    "%s failing on the response throws ResponseValidationError with its issues and their paths",
    async (_name, schema) => {
      const client = setup(
        scriptedFetch([json(200, { id: 7, nights: "3" }, { "x-request-id": "req_9" })]),
      ).client;
      const error = await client.request({ path: "/bookings/b1", schema }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResponseValidationError);
      const { issues, status, requestId, message } = error as ResponseValidationError;
      expect(status).toBe(200);
      expect(requestId).toBe("req_9");
      expect(issues[0]!.path).toEqual(["id"]);
      expect(message).toContain('at "id"');
      // Only what every library gives: no library's copy of the validated body rides along.
      for (const issue of issues) {
        expect(Object.keys(issue).filter((k) => !["message", "path", "code"].includes(k))).toEqual([]);
      }
    },
  );

  it.each(LIBRARIES)(
    "%s failing on the body throws RequestValidationError, and nothing is sent",
    async (_name, schema) => {
      const fetch = scriptedFetch();
      const error = await setup(fetch)
        .client.post("/bookings", { body: { id: "b1", nights: "three" }, bodySchema: schema })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestValidationError);
      expect((error as RequestValidationError).part).toBe("body");
      expect((error as RequestValidationError).issues[0]!.path).toEqual(["nights"]);
      expect(fetch.seen).toHaveLength(0);
    },
  );

  it.each(LIBRARIES)(
    "%s checks the query: a query it refuses is not sent, one it takes is",
    async (_name, schema) => {
      const fetch = scriptedFetch([json(200, {})]);
      const client = setup(fetch).client;
      const error = await client
        .get("/bookings", { query: { id: "b1", nights: "many" }, querySchema: schema })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestValidationError);
      expect((error as RequestValidationError).part).toBe("query");
      expect(fetch.seen).toHaveLength(0);
      await client.get("/bookings", { query: { id: "b1", nights: "3" }, querySchema: schema });
      expect(new URL(fetch.seen[0]!.url).search).toBe("?id=b1&nights=3");
    },
  );

  it("sends the query schema's output, not its input", async () => {
    const fetch = scriptedFetch([json(200, {})]);
    await setup(fetch).client.get("/bookings", {
      query: { from: "2026-03-01T10:00:00Z", nights: "03" },
      querySchema: z.object({
        from: z.iso.datetime().transform((d) => d.slice(0, 10)),
        nights: z.coerce.number(),
      }),
    });
    expect(new URL(fetch.seen[0]!.url).search).toBe("?from=2026-03-01&nights=3");
  });

  it("waits for zod's asynchronous refinements, which a synchronous parse would throw on", async () => {
    const Available = z.object({ id: z.string() }).refine(async (booking) => booking.id !== "taken", {
      message: "already taken",
      path: ["id"],
    });
    const fetch = scriptedFetch([json(200, { id: "free" }), json(200, { id: "taken" })]);
    const client = setup(fetch).client;
    await expect(client.get("/a", { schema: Available })).resolves.toEqual({ id: "free" });
    const error = await client.get("/a", { schema: Available }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseValidationError);
    expect((error as ResponseValidationError).issues).toEqual([
      { message: "already taken", path: ["id"], code: "custom" },
    ]);
  });

  it("sends what a body schema made of a value JSON cannot carry (a Date into a string)", async () => {
    const fetch = scriptedFetch([json(201, {})]);
    await setup(fetch).client.post("/bookings", {
      body: { startsAt: new Date(0) },
      bodySchema: z.object({ startsAt: z.date().transform((d) => d.toISOString()) }),
    });
    expect(fetch.seen[0]!.body).toBe('{"startsAt":"1970-01-01T00:00:00.000Z"}');
  });

  it("refuses a `schema` that is no Standard Schema, naming the option, before sending", async () => {
    const fetch = scriptedFetch();
    const notASchema = { parse: (value: unknown) => value };
    const error = await setup(fetch)
      .client.request({ path: "/a", schema: notASchema as never })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    expect((error as RequestValidationError).part).toBe("options");
    expect((error as Error).message).toContain('Invalid request options at "schema"');
    expect((error as Error).message).toContain("Standard Schema");
    expect(fetch.seen).toHaveLength(0);
  });

  it("validates an empty body with the schema (a 204 the schema allows, or refuses)", async () => {
    const client = setup(
      scriptedFetch([new Response(null, { status: 204 }), new Response(null, { status: 204 })]),
    ).client;
    await expect(client.delete("/a", { schema: v.undefined() })).resolves.toBeUndefined();
    await expect(client.delete("/a", { schema: v.object({}) })).rejects.toBeInstanceOf(
      ResponseValidationError,
    );
  });
});
