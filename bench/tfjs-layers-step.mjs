// One implementation of the benchmark's training step: TensorFlow.js's own
// Keras-style layers (`tf.layers`), on the SAME backend as the engine (the
// one `initBackend()` picks: wasm/XNNPACK here), trained the way tf.layers is
// meant to be trained: `model.trainOnBatch` on a compiled model.
//
//   node bench/tfjs-layers-step.mjs --model lstm --hidden 128 [--steps 5] [--warmup 1] [--seed 1]
//
// The model: tf.layers.lstm / gru / simpleRNN({ returnSequences: true }) and a
// dense readout applied at every step (Dense on a [batch, steps, hidden]
// tensor acts on the last axis), mean softmax cross-entropy against the
// integer targets, plain SGD. Batch-major [batch, steps, features], as Keras
// wants. Gradients come from TensorFlow.js's automatic differentiation.
//
// tf.layers has two usual ways to train, and we time both (each on a fresh
// model, each with its own warm-up) and report the faster, so the comparison
// never rests on the slower path:
//   trainOnBatch  compiled model, softmax output, loss "sparseCategoricalCrossentropy"
//   minimize      linear output, tf.losses.softmaxCrossEntropy (fused, on one-hot
//                 targets) inside optimizer.minimize
// Peak memory is that of the faster path's timed steps.
//
// Two differences from the engine that tf.layers imposes, neither of which
// changes the amount of arithmetic: the gates use `recurrentActivation:
// "sigmoid"` (tf.layers' default is hardSigmoid; we ask for the real one), and
// tf.layers' GRU supports only the reset-BEFORE candidate (Cho et al.:
// (r ⊙ h)·W), not the reset-after form the engine and PyTorch use by default.
import * as tf from "@tensorflow/tfjs";
import { SHAPE, LEARNING_RATE, loadLib, makeBatch, parseArgs, measure, report, mb, rssMB, wasmHeapBytes } from "./common.mjs";

const args = parseArgs(process.argv.slice(2), { model: "lstm", hidden: 128, steps: 5, warmup: 1, seed: 1 });
const { Random, initBackend, describeBackend } = await loadLib();

const { steps: T, batch: B, input: I, output: O } = SHAPE;
const H = args.hidden;
const backend = await initBackend();
console.error(describeBackend(backend));
const baselineRssMB = rssMB(); // the runtime and backend alone, before the model and the data

const seed = args.seed + 1;
const common = {
  units: H,
  returnSequences: true,
  inputShape: [T, I],
  kernelInitializer: tf.initializers.glorotUniform({ seed }),
  recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1 }),
};
/** @type {Record<string, () => import("@tensorflow/tfjs").layers.Layer>} */
const RECURRENT = {
  lstm: () => tf.layers.lstm({ ...common, recurrentActivation: "sigmoid" }),
  gru: () => tf.layers.gru({ ...common, recurrentActivation: "sigmoid" }),
  rnn: () => tf.layers.simpleRNN({ ...common, activation: "tanh" }),
};
if (!Object.hasOwn(RECURRENT, args.model)) throw new Error(`unknown model ${args.model}; use lstm, gru or rnn`);
const recurrent = RECURRENT[args.model];

/**
 * The recurrent layer and a dense readout at every step (Dense acts on the last axis of [batch, steps, hidden]).
 * @param {"softmax" | "linear"} readoutActivation
 */
function build(readoutActivation) {
  const model = tf.sequential();
  model.add(recurrent());
  model.add(tf.layers.dense({ units: O, activation: readoutActivation, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }));
  return model;
}

// The same batch as the engine's, reordered from time-major to batch-major.
const batch = makeBatch(Random, args.seed);
const xb = new Float32Array(T * B * I), yb = new Float32Array(T * B);
for (let t = 0; t < T; t++) {
  for (let b = 0; b < B; b++) {
    xb.set(batch.x.subarray((t * B + b) * I, (t * B + b + 1) * I), (b * T + t) * I);
    yb[b * T + t] = batch.targets[t * B + b];
  }
}
const x = tf.tensor3d(xb, [B, T, I]);

// The two ways tf.layers trains, each measured; the faster one is the row's number.
const paths = {
  // Keras' own: a compiled model with a softmax output and sparse categorical cross-entropy.
  trainOnBatch() {
    const model = build("softmax");
    model.compile({ optimizer: tf.train.sgd(LEARNING_RATE), loss: "sparseCategoricalCrossentropy" });
    const y = tf.tensor3d(yb, [B, T, 1]);
    return {
      model,
      async step() {
        const loss = await model.trainOnBatch(x, y);
        return Array.isArray(loss) ? loss[0] : loss;
      },
    };
  },
  // A custom loop: logits out, fused softmax cross-entropy, optimizer.minimize.
  minimize() {
    const model = build("linear");
    const optimizer = tf.train.sgd(LEARNING_RATE);
    const onehot = tf.oneHot(tf.tensor1d(yb, "int32"), O);
    return {
      model,
      async step() {
        const loss = optimizer.minimize(() => {
          const logits = model.apply(x); // one input tensor in, one tensor out
          if (!(logits instanceof tf.Tensor)) throw new Error("the model returned more than one tensor");
          return tf.losses.softmaxCrossEntropy(onehot, logits.reshape([B * T, O]));
        }, true);
        if (!loss) throw new Error("optimizer.minimize returned no cost although asked to");
        const value = (await loss.data())[0];
        loss.dispose();
        return value;
      },
    };
  },
};

/** @type {Record<string, Awaited<ReturnType<typeof measure>>>} */
const measured = {};
let parameters = 0;
for (const [name, make] of Object.entries(paths)) {
  const { model, step } = make();
  parameters = model.countParams();
  measured[name] = await measure(step, { warmup: args.warmup, steps: args.steps, baselineRssMB });
  model.dispose();
}
const fastest = Object.keys(measured).reduce((a, b) => (measured[b].ms.median < measured[a].ms.median ? b : a));
const heapBytes = wasmHeapBytes(tf);
const wasmHeapMB = heapBytes === null ? null : mb(heapBytes);
report({
  impl: "tfjs-layers",
  model: args.model,
  hidden: H,
  backend: tf.getBackend(),
  parameters,
  warmup: args.warmup,
  path: fastest,
  ...measured[fastest],
  paths: Object.fromEntries(Object.entries(measured).map(([k, r]) => [k, { ms: r.ms, cpuMs: r.cpuMs, peakRssMB: r.memory.peakRssMB }])),
  wasmHeapMB,
  tensors: tf.memory().numTensors,
});
