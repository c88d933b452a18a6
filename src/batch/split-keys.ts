/**
 * The keys' indexes split into `ceil(count / perWorker)` workers, in order, sizes differing by at
 * most one: 10 keys, at most 4 per worker, make workers of 4, 3 and 3 keys.
 */
export function splitKeys(count: number, perWorker: number): number[][] {
  const workers = Math.ceil(count / perWorker);
  const groups: number[][] = [];
  let next = 0;
  for (let w = 0; w < workers; w++) {
    const size = Math.floor(count / workers) + (w < count % workers ? 1 : 0);
    groups.push(Array.from({ length: size }, () => next++));
  }
  return groups;
}
