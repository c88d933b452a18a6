import * as v from "valibot";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type {
  KeyPool,
  RunInWorkersOptions,
  WorkerClientContext,
  WorkerJobHandler,
  WorkerModuleError,
} from "../../src/batch/index.js";
import type {
  CallPromise,
  Client,
  PacekeeperError,
  ShortcutMethod,
  StandardSchemaV1,
  WithResponse,
} from "../../src/index.js";

/** The batch toolkit's public types, checked by the compiler (`tsc --noEmit` runs over test/). */
describe("pacekeeper/batch types", () => {
  it("types a worker's `data` as the `workerData` given to runInWorkers", () => {
    type Data = { baseUrl: string; pageSize: number };
    expectTypeOf<WorkerClientContext<Data>["data"]>().toEqualTypeOf<Data>();
    expectTypeOf<RunInWorkersOptions<{ id: string }, number, Data>["workerData"]>().toEqualTypeOf<
      Data | undefined
    >();
    // serveWorkerJobs<J, R, D>: createClient sees `data` as D, so `data.baseUrl` is a string.
    expectTypeOf<Parameters<WorkerJobHandler<{ id: string }, number, Data>["createClient"]>[0]>()
      .toHaveProperty("data")
      .toEqualTypeOf<Data>();
    expectTypeOf<WorkerJobHandler<{ id: string }, number, Data>["run"]>().parameters.toEqualTypeOf<
      [{ id: string }, Client]
    >();
    // Without a type argument, `data` stays `unknown`: nothing is promised about it.
    expectTypeOf<WorkerClientContext["data"]>().toBeUnknown();
  });

  it("WorkerModuleError is a PacekeeperError with a literal name and code", () => {
    expectTypeOf<WorkerModuleError>().toExtend<PacekeeperError>();
    expectTypeOf<WorkerModuleError["name"]>().toEqualTypeOf<"WorkerModuleError">();
    expectTypeOf<WorkerModuleError["code"]>().toEqualTypeOf<"worker_module_failed">();
  });

  it("types the key pool's JSON calls as the client's: by the schema, a type argument, or unknown", () => {
    interface Site {
      id: string;
      beds: number;
    }
    const zodSite = z.object({ id: z.string(), beds: z.coerce.number() });
    const valibotSite = v.object({ id: v.string(), beds: v.pipe(v.string(), v.transform(Number)) });
    const handWritten = {
      "~standard": {
        version: 1,
        vendor: "hand-written",
        validate: (value: unknown) => ({ value: value as Site }),
        types: undefined as unknown as StandardSchemaV1.Types<unknown, Site>,
      },
    } satisfies StandardSchemaV1<unknown, Site>;
    // Typed only, never called: no pool is made here (key-pool.test.ts runs the calls).
    const pool = {} as KeyPool;
    const calls = [
      () => {
        expectTypeOf(pool.request({ path: "/sites/1", schema: zodSite })).toEqualTypeOf<
          CallPromise<{ id: string; beds: number }>
        >();
        expectTypeOf(pool.request({ path: "/sites/1", schema: valibotSite })).toEqualTypeOf<
          CallPromise<{ id: string; beds: number }>
        >();
        expectTypeOf(pool.get("/sites/1", { schema: handWritten })).toEqualTypeOf<CallPromise<Site>>();
        expectTypeOf(pool.request<Site>({ path: "/sites/1" })).toEqualTypeOf<CallPromise<Site>>();
        expectTypeOf(pool.post<Site>("/sites")).toEqualTypeOf<CallPromise<Site>>();
        expectTypeOf(pool.request({ path: "/sites/1" })).toEqualTypeOf<CallPromise<unknown>>();
        expectTypeOf(pool.delete("/sites/1")).toEqualTypeOf<CallPromise<unknown>>();
        expectTypeOf(pool.get("/sites/1", { schema: zodSite }).withResponse()).toEqualTypeOf<
          Promise<WithResponse<{ id: string; beds: number }>>
        >();
      },
      // @ts-expect-error the schema's output is not a `Site`
      () => pool.get<Site>("/x", { schema: z.string() }),
      // @ts-expect-error a shortcut sets its own method
      () => pool.get("/x", { method: "POST" }),
      // @ts-expect-error an object with `parse` is no Standard Schema
      () => pool.request({ path: "/x", schema: { parse: (x: unknown) => x } }),
    ];
    expect(calls).toHaveLength(4);
    // The pool's fetch, request and shortcuts are the client's, call for call.
    expectTypeOf<KeyPool["request"]>().toEqualTypeOf<Client["request"]>();
    expectTypeOf<KeyPool["fetch"]>().toEqualTypeOf<Client["fetch"]>();
    for (const method of ["get", "post", "put", "patch", "delete"] as const) {
      expectTypeOf<KeyPool[typeof method]>().toEqualTypeOf<ShortcutMethod>();
    }
  });
});
