// A worker module in TypeScript: Node 20 cannot load it in a worker thread (a Node that strips
// types loads it, and then it ends without serving, as it never calls serveWorkerJobs()).
const unused: number = 1;

export { unused };
