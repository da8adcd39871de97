// One implementation of the benchmark's training step: the course's engine
// (lib/src/nn), built, with its products on the fastest TensorFlow.js backend
// (`useTensorFlowLinalg`, wasm/XNNPACK here) and everything element-wise in
// plain typed-array loops.
//
//   node bench/engine-step.mjs --model lstm --hidden 128 [--steps 30] [--warmup 5] [--seed 1]
//
// Prints `RESULT {json}` (see common.mjs). Started by bench/run.mjs, one
// process per row, so that peak memory is this implementation's alone.
import { createRequire } from "node:module";
import { SHAPE, LEARNING_RATE, loadLib, makeBatch, parseArgs, measure, report, mb, rssMB } from "./common.mjs";

const args = parseArgs(process.argv.slice(2), { model: "lstm", hidden: 128, steps: 30, warmup: 5, seed: 1 });
const { nn, Random, describeBackend } = loadLib();
const tf = createRequire(import.meta.url)("@tensorflow/tfjs");

const { steps: T, batch: B, input: I, output: O } = SHAPE;
const H = args.hidden;
const { linalg, backend } = await nn.useTensorFlowLinalg();
console.error(describeBackend(backend));
const baselineRssMB = rssMB(); // the runtime and backend alone, before the model and the data

const rng = new Random(args.seed + 1); // the weights' stream; the batch has its own
const Layer = { lstm: nn.LSTM, gru: nn.GRU, rnn: nn.RNN }[args.model];
if (!Layer) throw new Error(`unknown model ${args.model}; use lstm, gru or rnn`);
const layer = new Layer(I, H, { rng: rng.fork() });
const readout = new nn.Dense(H, O, { rng });
const params = [...layer.parameters(), ...readout.parameters()];
const optimizer = new nn.SGD(params, { learningRate: LEARNING_RATE });

const batch = makeBatch(Random, args.seed);
const x = new nn.Sequence(T, B, new nn.Matrix(T * B, I, batch.x));
const targets = batch.targets;

/** Forward over all steps, readout at every step, mean cross-entropy, BPTT, SGD update. */
function step() {
  optimizer.zeroGrad();
  const run = layer.forward(x);
  const logits = readout.forward(run.h);
  const { loss, dLogits } = nn.softmaxCrossEntropy(logits.y, targets);
  const dh = readout.backward(logits, dLogits);
  layer.backward(run, dh);
  optimizer.step();
  return loss;
}

const statsBefore = { ...linalg.stats };
const result = await measure(step, { warmup: args.warmup, steps: args.steps, baselineRssMB });
const total = args.warmup + args.steps;
let wasmHeapMB = null;
try {
  wasmHeapMB = mb(tf.backend().wasm.HEAPU8.byteLength);
} catch {
  // not the wasm backend
}
report({
  impl: "engine",
  model: args.model,
  hidden: H,
  backend: backend.name,
  parameters: params.reduce((n, p) => n + p.value.data.length, 0),
  warmup: args.warmup,
  ...result,
  wasmHeapMB,
  productsPerStep: {
    tfjs: (linalg.stats.tfProducts - statsBefore.tfProducts) / total,
    js: (linalg.stats.jsProducts - statsBefore.jsProducts) / total,
  },
});
