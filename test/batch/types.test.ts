import { describe, expectTypeOf, it } from "vitest";
import type {
  RunInWorkersOptions,
  WorkerClientContext,
  WorkerJobHandler,
  WorkerModuleError,
} from "../../src/batch/index.js";
import type { Client, PacekeeperError } from "../../src/index.js";

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
});
