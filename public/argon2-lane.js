// One thread of Keyhaven's parallel Argon2id (app/src/lanes.rs starts one
// per core). It instantiates the lanes module (argon2/module) over the
// shared memory it is sent and, for every pass and slice, fills its lanes
// and then waits for the other threads: Argon2 lets the lanes of a slice be
// filled at once, but no slice start before the last one is complete.
//
// Message: {module, memory, job: {blocks, scratch, barrier, lanes,
// laneLength, passes, firstLane, laneCount, threads}} (addresses in the
// memory). Answer: {done: true} or {error: "…"}.
const SLICES = 4;

self.onmessage = ({ data: { module, memory, job } }) => {
  try {
    const { exports } = new WebAssembly.Instance(module, { env: { memory } });
    const meeting = new Int32Array(memory.buffer, job.barrier, 2);
    for (let pass = 0; pass < job.passes; pass++) {
      for (let slice = 0; slice < SLICES; slice++) {
        const status = exports.fill_lanes(
          job.blocks, job.scratch, job.lanes, job.laneLength, job.passes,
          pass, slice, job.firstLane, job.laneCount,
        );
        if (status !== 0) throw new Error("the lanes module refused the job");
        meet(meeting, job.threads);
      }
    }
    self.postMessage({ done: true });
  } catch (error) {
    self.postMessage({ error: String(error && error.message ? error.message : error) });
  }
};

// A barrier: [0] counts the threads that arrived, [1] is the generation.
// The last to arrive resets the count and starts the next generation; the
// others sleep until it does (Atomics.wait is allowed in workers).
function meet(meeting, threads) {
  const generation = Atomics.load(meeting, 1);
  if (Atomics.add(meeting, 0, 1) === threads - 1) {
    Atomics.store(meeting, 0, 0);
    Atomics.add(meeting, 1, 1);
    Atomics.notify(meeting, 1);
  } else {
    while (Atomics.load(meeting, 1) === generation) Atomics.wait(meeting, 1, generation);
  }
}
