// A worker module that never calls serveWorkerJobs(): the thread ends at once.
export {};
