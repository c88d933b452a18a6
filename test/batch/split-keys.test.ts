import { describe, expect, it } from "vitest";
import { splitKeys } from "../../src/batch/split-keys.js";

describe("splitKeys (runInWorkers' keysPerWorker)", () => {
  // biome-ignore format: one case a line reads as a table
  it.each([
    [4, 1, [[0], [1], [2], [3]]],
    [4, 2, [[0, 1], [2, 3]]],
    [10, 4, [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]],
    [3, 8, [[0, 1, 2]]],
    [5, 5, [[0, 1, 2, 3, 4]]],
  ])("%i keys, at most %i per worker: %j", (count, perWorker, groups) => {
    expect(splitKeys(count, perWorker)).toEqual(groups);
  });

  it("uses every key once, in order, in as few workers as the bound allows, sizes within one of each other", () => {
    for (let count = 1; count <= 40; count++) {
      for (let perWorker = 1; perWorker <= 12; perWorker++) {
        const groups = splitKeys(count, perWorker);
        expect(groups.flat()).toEqual(Array.from({ length: count }, (_, i) => i));
        expect(groups).toHaveLength(Math.ceil(count / perWorker));
        const sizes = groups.map((g) => g.length);
        expect(Math.max(...sizes)).toBeLessThanOrEqual(perWorker);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
  });
});
