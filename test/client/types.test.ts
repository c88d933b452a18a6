import { type } from "arktype";
import * as v from "valibot";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { z as z3 } from "zod3";
import type {
  CallPromise,
  Client,
  ShortcutOptions,
  StandardSchemaV1,
  WithResponse,
} from "../../src/index.js";
import { scriptedClients } from "../helpers/scripted-client.js";
import { json, scriptedFetch } from "../helpers/scripted-fetch.js";

/**
 * The public types: a result is typed by the schema's output, whichever library made it (zod 4,
 * zod 3, valibot, ArkType, a hand-written one), or by a type argument. `tsc --noEmit` checks these
 * lines; the calls also run, so each inferred type is the value's.
 */

const { setup } = scriptedClients("key_live_types_test_000001");

interface Site {
  id: string;
  beds: number;
}

const schemas = {
  zod4: z.object({ id: z.string(), beds: z.coerce.number() }),
  zod3: z3.object({ id: z3.string(), beds: z3.coerce.number() }),
  valibot: v.object({ id: v.string(), beds: v.pipe(v.string(), v.transform(Number)) }),
  arktype: type({ id: "string", beds: "string.numeric.parse" }),
  handWritten: {
    "~standard": {
      version: 1,
      vendor: "hand-written",
      validate: (value: unknown) => ({
        value: { id: (value as Site).id, beds: Number((value as { beds: string }).beds) },
      }),
      types: undefined as unknown as StandardSchemaV1.Types<unknown, Site>,
    },
  } satisfies StandardSchemaV1<unknown, Site>,
};

function client(): Client {
  return setup(scriptedFetch(Array.from({ length: 12 }, () => json(200, { id: "s1", beds: "4" })))).client;
}

describe("the types of a call's result", () => {
  it("follow the schema's output, whichever library made it", async () => {
    const c = client();
    const fromZod4 = await c.request({ path: "/sites/s1", schema: schemas.zod4 });
    const fromZod3 = await c.request({ path: "/sites/s1", schema: schemas.zod3 });
    const fromValibot = await c.get("/sites/s1", { schema: schemas.valibot });
    const fromArkType = await c.get("/sites/s1", { schema: schemas.arktype });
    const fromHand = await c.get("/sites/s1", { schema: schemas.handWritten });
    expectTypeOf(fromZod4).toEqualTypeOf<{ id: string; beds: number }>();
    expectTypeOf(fromZod3).toEqualTypeOf<{ id: string; beds: number }>();
    expectTypeOf(fromValibot).toEqualTypeOf<{ id: string; beds: number }>();
    expectTypeOf(fromArkType).toEqualTypeOf<{ id: string; beds: number }>();
    expectTypeOf(fromHand).toEqualTypeOf<Site>();
    for (const site of [fromZod4, fromZod3, fromValibot, fromArkType, fromHand]) {
      expect(site).toEqual({ id: "s1", beds: 4 });
    }
  });

  it("follow a type argument, or are unknown", async () => {
    const c = client();
    expectTypeOf(c.get<Site>("/sites/s1")).toEqualTypeOf<CallPromise<Site>>();
    expectTypeOf(c.post<Site>("/sites")).toEqualTypeOf<CallPromise<Site>>();
    expectTypeOf(c.request<Site>({ path: "/sites/s1" })).toEqualTypeOf<CallPromise<Site>>();
    expectTypeOf(c.put("/sites/s1")).toEqualTypeOf<CallPromise<unknown>>();
    expectTypeOf(c.request({ path: "/sites/s1" })).toEqualTypeOf<CallPromise<unknown>>();
    // A schema that may be absent types the result as unknown.
    const maybe = Math.random() > 2 ? schemas.zod4 : undefined;
    expectTypeOf(c.get("/sites/s1", { schema: maybe })).toEqualTypeOf<CallPromise<unknown>>();
    // These calls ran too, each answered 200: none rejects unread.
    await expect(c.get<Site>("/sites/s1")).resolves.toEqual({ id: "s1", beds: "4" });
  });

  it("carry through withResponse()", async () => {
    const outcome = await client().get("/sites/s1", { schema: schemas.valibot }).withResponse();
    expectTypeOf(outcome).toEqualTypeOf<WithResponse<{ id: string; beds: number }>>();
    expectTypeOf(outcome.response).toEqualTypeOf<Response>();
    expectTypeOf(outcome.requestId).toEqualTypeOf<string | undefined>();
    expect(outcome.data.beds).toBe(4);
  });

  it("refuse what is no schema, and a type argument the schema contradicts", () => {
    const c = client();
    // Typed only, never called.
    const calls = [
      // @ts-expect-error an object with `parse` is no Standard Schema
      () => c.get("/x", { schema: { parse: (x: unknown) => x } }),
      // @ts-expect-error the schema's output is not a `Site`
      () => c.get<Site>("/x", { schema: z.string() }),
      // @ts-expect-error a shortcut sets its own method
      () => c.get("/x", { method: "POST" }),
      // @ts-expect-error not a method `request` sends
      () => c.request({ method: "CONNECT", path: "/x" }),
    ];
    expect(calls).toHaveLength(4);
    expectTypeOf<ShortcutOptions>().not.toHaveProperty("path");
    expectTypeOf<ShortcutOptions>().not.toHaveProperty("method");
  });
});
