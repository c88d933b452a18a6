// A worker module that throws while it is imported, naming its key (which must never reach the
// caller). With `data.loads` (an Int32Array on a SharedArrayBuffer) it first counts the load.
import { workerData } from "node:worker_threads";

const setup = workerData["pacekeeper:batch"];
if (setup.data?.loads) Atomics.add(setup.data.loads, 0, 1);
throw new Error(`cannot start with ${setup.keys[0].apiKey}: the module is broken`);
