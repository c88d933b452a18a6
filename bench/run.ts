// Benchmarks land with issue 6 (docs/benchmarks.md). Until then this says so and exits 0.
console.log("pacekeeper bench: not yet — the side-by-side benchmarks land with issue 6");
