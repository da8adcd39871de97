// `npm run bench:parallel`: what training runs in worker threads buys
// (lm.trainInWorkers, lesson 10). The engine's products run on one thread,
// so on a machine with several cores, runs that train at once should take
// about as long as one. Trains the same jobs twice, in this process:
//
//   in sequence   one after another, in this thread (lm.trainOnStream)
//   in workers    all at once, one worker thread each (lm.trainInWorkers)
//
// and prints the wall time of each and their ratio. The jobs are lesson 10's
// code models (two LSTM layers of 128 units on markdown-it's sources, batch
// 32 × 100 characters), cut to a few updates. Both ways give the same weights
// (test/lm-parallel.test.ts); this checks it again on the first job.
//
//   npm run build && npm run bench:parallel
//   npm run bench:parallel -- --jobs 3 --updates 20
//   npm run bench:parallel -- --way workers       # one way only (e.g. to time whole processes)
import os from "node:os";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { lm, nn, data, text } = require("@rnn-course/lib");

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "2" },
    updates: { type: "string", default: "40" },
    hidden: { type: "string", default: "128" },
    way: { type: "string", default: "both" },
  },
});
if (!["both", "sequence", "workers"].includes(values.way)) throw new Error(`--way must be both, sequence or workers, got ${values.way}`);
const [jobCount, updates, hidden] = [values.jobs, values.updates, values.hidden].map(Number);
for (const [name, v] of /** @type {[string, number][]} */ ([["jobs", jobCount], ["updates", updates], ["hidden", hidden]])) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
}

await nn.useTensorFlowLinalg();
const chars = Array.from(data.markdownItText("train"));
const vocab = text.Vocabulary.build(chars);
const ids = Int32Array.from(vocab.encode(chars));
/** @type {import("@rnn-course/lib").lm.StreamTrainingJob[]} */
const jobs = Array.from({ length: jobCount }, (_, k) => ({
  name: `seed ${k + 1}`,
  model: { vocabSize: vocab.size, hidden, layers: 2, seed: 110 + 100 * k },
  ids,
  training: { batch: 32, steps: 100, updates, learningRate: 0.005, clipNorm: 5, start: vocab.bos },
}));

/** Trains every job in this thread, one after another. */
function trainInSequence() {
  return jobs.map((j) => {
    const model = lm.stackedLSTMModel(j.model);
    lm.trainOnStream(model, j.ids, j.training);
    return model;
  });
}
/**
 * @template T
 * @param {() => Promise<T> | T} run
 * @returns {Promise<{ result: T, seconds: number }>}
 */
async function seconds(run) {
  const started = performance.now();
  const result = await run();
  return { result, seconds: (performance.now() - started) / 1000 };
}

console.log(`${jobCount} jobs of ${updates} updates (2 × LSTM ${hidden}, batch 32 × 100), ${os.availableParallelism()} cores`);
if (values.way === "sequence") console.log(`in sequence, this thread: ${(await seconds(trainInSequence)).seconds.toFixed(1)} s`);
else if (values.way === "workers") console.log(`in workers, all at once:  ${(await seconds(() => lm.trainInWorkers(jobs))).seconds.toFixed(1)} s`);
else {
  const sequence = await seconds(trainInSequence);
  const workers = await seconds(() => lm.trainInWorkers(jobs));
  const [here, there] = [sequence.result[0], workers.result[0].model];
  const same = here.parameters().every((p, k) => {
    const q = there.parameters()[k].value.data;
    return p.value.data.every((v, i) => v === q[i]);
  });
  if (!same) throw new Error("the first job's weights differ between the two ways: see test/lm-parallel.test.ts");
  console.log(`in sequence, this thread: ${sequence.seconds.toFixed(1)} s`);
  console.log(`in workers, all at once:  ${workers.seconds.toFixed(1)} s`);
  console.log(`ratio workers / sequence: ${(workers.seconds / sequence.seconds).toFixed(2)} (1 / ${jobCount} = ${(1 / jobCount).toFixed(2)} would be perfect sharing)`);
  console.log("same weights both ways: yes");
}
