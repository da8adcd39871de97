// One implementation of the benchmark's training step: the course's engine
// (lib/src/nn), built, with its products on the fastest TensorFlow.js backend
// (`useTensorFlowLinalg`, wasm/XNNPACK here) and everything element-wise in
// plain typed-array loops.
//
//   node bench/engine-step.mjs --model lstm --hidden 128 [--steps 30] [--warmup 5] [--seed 1]
//
// Prints `RESULT {json}` (see common.mjs). Started by bench/run.mjs, one
// process per row, so that peak memory is this implementation's alone.
import * as tf from "@tensorflow/tfjs";
import { SHAPE, LEARNING_RATE, loadLib, makeBatch, parseArgs, measure, summarize, report, mb, rssMB, wasmHeapBytes } from "./common.mjs";

/**
 * @typedef {import("@rnn-course/lib").nn.Matrix} Matrix
 * @typedef {import("@rnn-course/lib").nn.Operand} Operand
 * @typedef {"matmul" | "matmulBT" | "matmulAT"} Product
 */

const args = parseArgs(process.argv.slice(2), { model: "lstm", hidden: 128, steps: 30, warmup: 5, seed: 1 });
const { nn, Random, describeBackend } = await loadLib();

const { steps: T, batch: B, input: I, output: O } = SHAPE;
const H = args.hidden;
const { linalg, backend } = await nn.useTensorFlowLinalg();
console.error(describeBackend(backend));
const baselineRssMB = rssMB(); // the runtime and backend alone, before the model and the data

const rng = new Random(args.seed + 1); // the weights' stream; the batch has its own
/** @type {Record<string, typeof nn.LSTM | typeof nn.GRU | typeof nn.RNN>} */
const LAYERS = { lstm: nn.LSTM, gru: nn.GRU, rnn: nn.RNN };
if (!Object.hasOwn(LAYERS, args.model)) throw new Error(`unknown model ${args.model}; use lstm, gru or rnn`);
const Layer = LAYERS[args.model];
// The step hands each forward result back to the same layer's backward, so its cache type need not be named.
/** @type {import("@rnn-course/lib").nn.RecurrentLayer<unknown>} */
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
  layer.backward(run, dh, undefined, { inputGradient: false }); // one-hot inputs: no input gradient
  optimizer.step();
  return loss;
}

/**
 * The matrix of a product's operand (a weight's value).
 * @param {Operand} b
 */
const value = (b) => (b instanceof nn.Parameter ? b.value : b);

/**
 * One product through the TensorFlow.js products (Aᵀ·B takes two matrices, the others a matrix and an operand).
 * @param {Product} op
 * @param {Matrix} a
 * @param {Operand} b
 */
const product = (op, a, b) => (op === "matmulAT" ? linalg.matmulAT(a, value(b)) : linalg[op](a, b));

/**
 * The floor under the engine's step: its own matrix products (recorded from
 * one real step), replayed through the same `linalg` on random operands of the
 * same shapes, weights resident as in training, and nothing else: no
 * element-wise work, no loss, no update. engine ms − floor ms is what the
 * engine spends outside the products; tf.layers ms / floor ms is the speed-up
 * the engine would reach if that were zero.
 * @param {{ warmup: number, reps: number }} options
 */
function productsFloor({ warmup, reps }) {
  /** @type {{ op: Product, a: [number, number], b: [number, number], weight: boolean }[]} */
  const calls = [];
  /**
   * @param {Product} op
   * @returns {(a: Matrix, b: Operand) => Matrix}
   */
  const record = (op) => (a, b) => {
    const weight = b instanceof nn.Parameter;
    const m = weight ? b.value : b;
    calls.push({ op, a: [a.rows, a.cols], b: [m.rows, m.cols], weight });
    return product(op, a, b);
  };
  nn.setLinalg({ name: "recorder", matmul: record("matmul"), matmulBT: record("matmulBT"), matmulAT: record("matmulAT") });
  step();
  nn.setLinalg(linalg);

  const random = new Random(99);
  /** @param {[number, number]} shape */
  const matrix = ([rows, cols]) => new nn.Matrix(rows, cols, Float32Array.from({ length: rows * cols }, () => random.normal()));
  const plan = calls.map(({ op, a, b, weight }) => ({ op, a: matrix(a), b: weight ? new nn.Parameter("w", matrix(b)) : matrix(b) }));
  const replay = () => {
    const t0 = performance.now();
    for (const { op, a, b } of plan) product(op, a, b);
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) replay();
  return { calls: calls.length, ms: summarize(Array.from({ length: reps }, replay)) };
}

/**
 * The other half: the same step with every product replaced by zeros of the
 * right shape (free), i.e. everything the engine writes out in TypeScript
 * (gates, BPTT loops, loss, update) and nothing else. floor + this ≈ the step.
 * @param {{ warmup: number, reps: number }} options
 */
function elementwiseAlone({ warmup, reps }) {
  /**
   * @param {number} rows
   * @param {number} cols
   */
  const zeros = (rows, cols) => nn.Matrix.zeros(rows, cols, "float32");
  nn.setLinalg({
    name: "free products",
    matmul: (a, b) => zeros(a.rows, value(b).cols),
    matmulBT: (a, b) => zeros(a.rows, value(b).rows),
    matmulAT: (a, b) => zeros(a.cols, b.cols),
  });
  try {
    for (let i = 0; i < warmup; i++) step();
    return {
      ms: summarize(Array.from({ length: reps }, () => {
        const t0 = performance.now();
        step();
        return performance.now() - t0;
      })),
    };
  } finally {
    nn.setLinalg(linalg);
  }
}

const statsBefore = { ...linalg.stats };
const result = await measure(step, { warmup: args.warmup, steps: args.steps, baselineRssMB });
const total = args.warmup + args.steps;
const productsPerStep = {
  tfjs: (linalg.stats.tfProducts - statsBefore.tfProducts) / total,
  js: (linalg.stats.jsProducts - statsBefore.jsProducts) / total,
};
// Element-wise first: the floor's replay leaves large garbage behind that would slow it.
const reps = args.warmup + args.steps > 10 ? 15 : 3;
const elementwise = elementwiseAlone({ warmup: 2, reps });
const floor = productsFloor({ warmup: 2, reps });
const heapBytes = wasmHeapBytes(tf);
const wasmHeapMB = heapBytes === null ? null : mb(heapBytes);
report({
  impl: "engine",
  model: args.model,
  hidden: H,
  backend: backend.name,
  parameters: params.reduce((n, p) => n + p.value.data.length, 0),
  warmup: args.warmup,
  ...result,
  wasmHeapMB,
  productsFloor: floor,
  elementwiseAlone: elementwise,
  productsPerStep,
});
