/**
 * Training a character language model on one long text with truncated
 * backpropagation through time, the recipe of lessons 02–08, promoted here
 * from lesson 10 so that worker threads can run it (see parallel.ts).
 *
 * The text is cut into `batch` lanes read side by side, `steps` tokens at a
 * time. After each window the state goes on to the next window, and the
 * gradient stops there. A new pass starts every lane from the zero state.
 * Adam, and the gradient's global norm clipped at `clipNorm`.
 *
 * The model is described by a plain object (`StackedLSTMSpec`) rather than
 * passed as an object, so that a worker can build the same network from it:
 * the same seed gives the same initial weights in any thread.
 */
import { LSTM } from "../nn/layers/lstm";
import { Stacked } from "../nn/layers/stacked";
import { RecurrentLayer, RecurrentState } from "../nn/layers/layer";
import { Adam } from "../nn/train/optim";
import { train } from "../nn/train/loop";
import { Random } from "../random";
import { StreamBatches } from "./corpus";
import { RNNLanguageModel } from "./model";

/** A character LSTM language model: one-hot tokens in, `layers` LSTM layers of `hidden` units, a softmax out. */
export interface StackedLSTMSpec {
  vocabSize: number;
  hidden: number;
  /** LSTM layers, stacked (1 or more). */
  layers: number;
  /** Draws the initial weights: each layer's in order, then the readout's. */
  seed: number;
}

/**
 * Builds the model a spec describes. `Random(seed)` is forked once per layer,
 * bottom first, and once more for the readout.
 * Used in lesson 10.
 */
export function stackedLSTMModel(spec: StackedLSTMSpec): RNNLanguageModel {
  const { vocabSize, hidden, layers, seed } = spec;
  for (const [name, v] of [["vocabSize", vocabSize], ["hidden", hidden], ["layers", layers]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`stackedLSTMModel: ${name} must be a positive integer, got ${v}`);
  }
  const rng = new Random(seed);
  const cells = Array.from({ length: layers }, (_, l) => new LSTM(l === 0 ? vocabSize : hidden, hidden, { rng: rng.fork() }));
  const layer: RecurrentLayer = layers === 1 ? cells[0] : new Stacked(cells);
  return new RNNLanguageModel({ vocabSize: vocabSize, layer: layer, rng: rng.fork() });
}

/** How to train on a stream: the windows, the number of updates, the optimizer's step, the clipping. */
export interface StreamTrainingOptions {
  /** Lanes read side by side. */
  batch: number;
  /** Tokens per window: how far back the gradient reaches. */
  steps: number;
  updates: number;
  learningRate: number;
  /** The largest global gradient norm (default 5). */
  clipNorm?: number;
  /** The token each lane's first input is (the vocabulary's `<s>`). */
  start: number;
  /** Report the mean training loss every this many updates (default 10), and after the last. */
  reportEvery?: number;
}

/** One report of a training run: the mean loss per token over the updates since the last report. */
export interface StreamTrainingReport {
  update: number;
  loss: number;
}

/** What a run took. */
export interface StreamTrainingResult {
  seconds: number;
  /** The mean training loss of the last report. */
  finalLoss: number;
}

/**
 * Trains `model` on the token stream `ids` with `nn.train` (lesson 04's loop,
 * which stops a diverging run with an error that says where and what to try),
 * calling `report` every `reportEvery` updates.
 * Used in lesson 10.
 */
export function trainOnStream(
  model: RNNLanguageModel,
  ids: ArrayLike<number>,
  options: StreamTrainingOptions,
  report: (r: StreamTrainingReport) => void = () => {},
): StreamTrainingResult {
  const { batch, steps, updates, learningRate, start } = options;
  const reportEvery = options.reportEvery ?? 10;
  if (!Number.isInteger(updates) || updates <= 0) throw new Error(`trainOnStream: updates must be a positive integer, got ${updates}`);
  if (!Number.isInteger(reportEvery) || reportEvery <= 0) throw new Error(`trainOnStream: reportEvery must be a positive integer, got ${reportEvery}`);
  const windows = StreamBatches.nextToken(ids, { batch: batch, steps: steps, start: start });
  const order = Array.from({ length: windows.windows }, (_, j) => j); // in order, never shuffled: the state after window j is the start of window j + 1 only
  const started = Date.now();
  let state: RecurrentState | undefined, sum = 0, count = 0, finalLoss = NaN;
  train({
    optimizer: new Adam(model.parameters(), { learningRate: learningRate }),
    batches: order,
    epochs: Math.ceil(updates / windows.windows),
    maxSteps: updates,
    clipNorm: options.clipNorm ?? 5,
    step: (j) => {
      if (j === 0) state = undefined; // a new pass starts every lane from the zero state
      const w = windows.window(j);
      const r = model.loss(w.inputs, w.targets, batch, state);
      r.backward();
      state = r.last; // truncated BPTT: the state goes on, the gradient stops at the window
      return r.loss;
    },
    onProgress: (e) => {
      if (e.kind !== "train") return;
      sum += e.loss;
      count++;
      if (count === reportEvery || e.step === updates - 1) {
        finalLoss = sum / count;
        report({ update: e.step + 1, loss: finalLoss });
        sum = 0;
        count = 0;
      }
    },
  });
  return { seconds: (Date.now() - started) / 1000, finalLoss: finalLoss };
}
