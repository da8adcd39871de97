/**
 * A recurrent language model: tokens in, a distribution over the next token
 * out, at every step.
 *
 *   x_t = onehot(w_t)            (or a learned embedding E[w_t])
 *   h_t = f(x_t, h_{t−1})        any RecurrentLayer: RNN, LSTM, GRU, a stack…
 *   o_t = h_t·Why + by           the readout, one Dense layer for all steps
 *   ŷ_t = softmax(o_t)           P(w_{t+1} | w_≤t)
 *
 * The loss of a batch is the mean cross-entropy over its counted positions,
 *
 *   J = (1/N) Σ_t −ln ŷ_t[w_{t+1}]      (nats per token; perplexity = e^J)
 *
 * and backward runs the chain in reverse: softmax cross-entropy → readout →
 * backpropagation through time inside the recurrent layer → embedding.
 * Every weight serves every step, so each gradient is a sum over the steps.
 */
import { Matrix, DType } from "../nn/core/matrix";
import { Parameter, Module } from "../nn/core/parameter";
import { Sequence } from "../nn/core/sequence";
import { RecurrentLayer, RecurrentState, RecurrentForward } from "../nn/layers/layer";
import { Dense, DenseForward } from "../nn/layers/dense";
import { Embedding, EmbeddingForward, oneHot, checkIds } from "../nn/layers/embedding";
import { Dropout, DropoutForward } from "../nn/layers/dropout";
import { softmaxCrossEntropy } from "../nn/train/losses";
import { Random } from "../random";
import { StreamPairs } from "./corpus";
import { sampleFromLogits, softmaxWithTemperature } from "./sample";

/** Options of {@link RNNLanguageModel}. */
export interface RNNLanguageModelOptions {
  /** |V|: the inputs and the outputs are ids in [0, |V|). */
  vocabSize: number;
  /**
   * The recurrent layer. Its `inputSize` must be `vocabSize` (one-hot
   * inputs) or `embeddingDim`; its parameters set the model's precision.
   */
  layer: RecurrentLayer;
  /** Learn an embedding of this size (default: one-hot inputs, no embedding). */
  embeddingDim?: number;
  /** Draws the initial weights of the embedding and the readout. */
  rng: Random;
  /** Prefix of the parameter names of the embedding and readout (default "lm"). */
  name?: string;
  /**
   * Dropout on the recurrent layer's outputs h_t before the readout: the
   * probability p of dropping each unit, in [0, 1) (default none). Active
   * while `training` is true; `evaluate`, `generate` and `nextDistribution`
   * never drop. The masks come from a fork of `rng` taken after the weights
   * are drawn, so the initial weights are the same with and without it.
   * Lesson 07.
   */
  dropout?: number;
}

/** What a forward pass keeps, per part of the model. */
export interface LMForward {
  /** o_t for every step: [T·B, |V|]. */
  logits: Sequence;
  /** The state after the last step: where the next window starts. */
  last: RecurrentState;
  /** The embedding's forward result (absent with one-hot inputs). */
  embedding?: EmbeddingForward<Sequence>;
  /** The recurrent layer's forward result (its h is every hidden state). */
  recurrent: RecurrentForward<unknown>;
  /** The dropout's forward result, when the model has dropout (its y is what the readout read). */
  dropout?: DropoutForward<Sequence>;
  /** The readout's forward result. */
  readout: DenseForward<Sequence>;
}

/** The loss of one batch, and how to backpropagate it. */
export interface LMLoss {
  /** Mean cross-entropy over the counted positions, in nats per token. */
  loss: number;
  /** Number of counted positions. */
  count: number;
  /** The state after the last step. */
  last: RecurrentState;
  forward: LMForward;
  /**
   * Backpropagates the loss through every step of the window, ADDING into
   * the parameters' `grad`; returns ∂J/∂(first state), which truncated BPTT
   * simply drops.
   */
  backward(): RecurrentState;
}

/** Which positions count in the loss (see `nn.softmaxCrossEntropy`). */
export interface LMLossOptions {
  mask?: ArrayLike<number>;
  ignoreIndex?: number;
  /** A window where nothing counts gives loss 0 and count 0 instead of an error. */
  allowEmpty?: boolean;
}

/** Options of {@link RNNLanguageModel.evaluate}. */
export interface EvaluateOptions {
  /** Lanes read side by side (default 32). */
  batch?: number;
  /** Steps per forward call (default 100); the state carries over, so this only bounds memory. */
  steps?: number;
  /** Targets equal to this id do not count. */
  ignoreIndex?: number;
}

/** The result of {@link RNNLanguageModel.evaluate}. Used in lesson 07. */
export interface LMEvaluation {
  /** Mean cross-entropy in nats per counted token. */
  loss: number;
  /** e^loss. */
  perplexity: number;
  /** Fraction of counted positions where the most probable token is the target. */
  accuracy: number;
  /** Number of counted positions. */
  count: number;
}

/** Options of {@link RNNLanguageModel.generate}. */
export interface GenerateOptions {
  /** Tokens to read before generating, e.g. `[vocab.bos, ...prompt]` (default: nothing, from the zero state). */
  prefix?: ArrayLike<number>;
  /** Number of tokens to generate. */
  length: number;
  /** τ: 0 is greedy (always the most probable token), 1 samples the model's distribution (default 1). */
  temperature?: number;
  /** Token ids never to generate (e.g. `<s>`, `<unk>`): their probability is set to 0. */
  exclude?: readonly number[];
}

/**
 * Embedding or one-hot → recurrent layer → Dense readout → softmax.
 * Used in lessons 02, 03, 06, 07, 08 and 10.
 */
export class RNNLanguageModel implements Module {
  readonly vocabSize: number;
  readonly layer: RecurrentLayer;
  readonly embedding?: Embedding;
  readonly readout: Dense;
  /** Dropout between the recurrent layer and the readout (option `dropout`). */
  readonly dropout?: Dropout;
  private trainingMode = true;

  constructor(options: RNNLanguageModelOptions) {
    const { vocabSize, layer, embeddingDim, rng } = options;
    if (!Number.isInteger(vocabSize) || vocabSize < 2) throw new Error(`RNNLanguageModel: vocabSize must be an integer >= 2, got ${vocabSize}`);
    const params = layer.parameters();
    if (params.length === 0) throw new Error("RNNLanguageModel: the recurrent layer has no parameters");
    const dtype = params[0].value.dtype;
    const name = options.name ?? "lm";
    const expected = embeddingDim ?? vocabSize;
    if (layer.inputSize !== expected) {
      throw new Error(
        `RNNLanguageModel: the recurrent layer reads inputs of size ${layer.inputSize}, but ` +
          (embeddingDim === undefined ? `one-hot inputs have size vocabSize = ${vocabSize}` : `the embedding has size ${embeddingDim}`),
      );
    }
    this.vocabSize = vocabSize;
    this.layer = layer;
    if (embeddingDim !== undefined) this.embedding = new Embedding(vocabSize, embeddingDim, { rng, dtype, name: `${name}.embedding` });
    this.readout = new Dense(layer.hiddenSize, vocabSize, { rng, dtype, name: `${name}.readout` });
    if (options.dropout !== undefined) this.dropout = new Dropout({ p: options.dropout, rng: rng.fork() });
  }

  /** Training mode (default): dropout, if any, drops units in `forward` and `loss`. Set false to score with `loss` by hand. */
  get training(): boolean {
    return this.dropout?.training ?? this.trainingMode;
  }

  set training(on: boolean) {
    if (typeof on !== "boolean") throw new Error(`RNNLanguageModel: training must be a boolean, got ${String(on)}`);
    this.trainingMode = on;
    if (this.dropout) this.dropout.training = on;
  }

  /** Runs `run` with dropout off (evaluation), then restores the mode. */
  private evaluating<T>(run: () => T): T {
    const was = this.training;
    this.training = false;
    try {
      return run();
    } finally {
      this.training = was;
    }
  }

  /** The precision of every parameter and computation. */
  get dtype(): DType {
    return this.readout.dtype;
  }

  /** Embedding (if any), then the recurrent layer's, then the readout's parameters. */
  parameters(): Parameter[] {
    return [...(this.embedding?.parameters() ?? []), ...this.layer.parameters(), ...this.readout.parameters()];
  }

  /** The number of trainable weights. */
  get parameterCount(): number {
    return this.parameters().reduce((s, p) => s + p.value.data.length, 0);
  }

  /** The zero state for a batch. */
  initialState(batch: number): RecurrentState {
    return this.layer.initialState(batch, this.dtype);
  }

  /** Reads `inputs` (time-major ids, `batch` per step) from `first` (default zeros); returns the logits of every step. */
  forward(inputs: ArrayLike<number>, batch: number, first?: RecurrentState): LMForward {
    if (!Number.isInteger(batch) || batch <= 0 || inputs.length % batch !== 0 || inputs.length === 0) {
      throw new Error(`RNNLanguageModel: ${inputs.length} inputs are not a whole, non-zero number of steps of batch ${batch}`);
    }
    let x: Sequence;
    let embedding: EmbeddingForward<Sequence> | undefined;
    if (this.embedding) {
      embedding = this.embedding.forward(inputs, batch);
      x = embedding.y;
    } else {
      x = new Sequence(inputs.length / batch, batch, oneHot(inputs, this.vocabSize, this.dtype));
    }
    const recurrent = this.layer.forward(x, first);
    const dropout = this.dropout?.forward(recurrent.h); // the identity when not training
    const readout = this.readout.forward(dropout ? dropout.y : recurrent.h);
    return { logits: readout.y, last: recurrent.last, embedding, recurrent, dropout, readout };
  }

  /** Forward pass and mean cross-entropy against `targets` (aligned with `inputs`). */
  loss(inputs: ArrayLike<number>, targets: ArrayLike<number>, batch: number, first?: RecurrentState, options: LMLossOptions = {}): LMLoss {
    const forward = this.forward(inputs, batch, first);
    const ce = softmaxCrossEntropy(forward.logits, targets, options);
    return {
      loss: ce.loss,
      count: ce.count,
      last: forward.last,
      forward,
      backward: () => {
        let dh = this.readout.backward(forward.readout, ce.dLogits); // ∂J/∂h_t from the outputs
        if (this.dropout && forward.dropout) dh = this.dropout.backward(forward.dropout, dh); // the same mask
        // through time; one-hot inputs (no embedding) need no input gradient
        const back = this.layer.backward(forward.recurrent, dh, undefined, { inputGradient: this.embedding !== undefined });
        if (this.embedding && forward.embedding) this.embedding.backward(forward.embedding, back.dx);
        return back.dFirst;
      },
    };
  }

  /**
   * Loss, perplexity and accuracy on aligned streams, forward only. The
   * stream is cut into `batch` contiguous lanes, each read from the zero
   * state with its state carried from window to window, so every position
   * is scored exactly once with all the context of its lane.
   */
  evaluate(pairs: StreamPairs, options: EvaluateOptions = {}): LMEvaluation {
    const { batch = 32, steps = 100, ignoreIndex } = options;
    const N = pairs.inputs.length;
    if (N === 0 || pairs.targets.length !== N) {
      throw new Error(`RNNLanguageModel.evaluate: needs as many targets as inputs, at least one (got ${N} and ${pairs.targets.length})`);
    }
    const B = Math.min(batch, N);
    const L = Math.ceil(N / B); // positions per lane; the last lane may be shorter
    let state: RecurrentState | undefined;
    let total = 0, count = 0, correct = 0;
    for (let from = 0; from < L; from += steps) {
      const T = Math.min(steps, L - from);
      const inputs = new Int32Array(T * B), targets = new Int32Array(T * B), mask = new Float64Array(T * B);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          const p = b * L + from + t;
          if (p >= N) continue; // past the end: input 0, masked out
          inputs[t * B + b] = pairs.inputs[p];
          targets[t * B + b] = pairs.targets[p];
          mask[t * B + b] = pairs.targets[p] === ignoreIndex ? 0 : 1;
        }
      }
      const r = this.evaluating(() => this.loss(inputs, targets, B, state, { mask, allowEmpty: true })); // weighted by r.count below
      total += r.loss * r.count;
      count += r.count;
      correct += countCorrect(r.forward.logits.data, targets, mask);
      state = r.last;
    }
    if (count === 0) throw new Error(`RNNLanguageModel.evaluate: no target left to score: all ${N} targets equal ignoreIndex = ${ignoreIndex}`);
    const loss = total / count;
    return { loss, perplexity: Math.exp(loss), accuracy: correct / count, count };
  }

  /**
   * Generates `length` tokens, one at a time: read the prefix, then
   * repeatedly turn the last logits into a token (greedy for τ = 0, else a
   * draw from softmax(o/τ) with `rng`) and feed it back as the next input.
   */
  generate(rng: Random, options: GenerateOptions): number[] {
    const { length, temperature = 1, exclude = [] } = options;
    if (!Number.isInteger(length) || length < 0) throw new Error(`RNNLanguageModel.generate: length must be an integer >= 0, got ${length}`);
    const prefix = checkIds("RNNLanguageModel.generate: prefix", options.prefix ?? [], this.vocabSize);
    checkIds("RNNLanguageModel.generate: exclude", exclude, this.vocabSize);
    let state: RecurrentState = this.initialState(1);
    let logits: Float64Array | null = null;
    if (prefix.length > 0) {
      const f = this.evaluating(() => this.forward(prefix, 1, state));
      state = f.last;
      logits = lastRow(f.logits.data);
    }
    const out: number[] = [];
    for (let i = 0; i < length; i++) {
      // With no prefix, the first token is drawn from the readout of the zero state: softmax(by).
      const z = logits ?? Float64Array.from(this.readout.b.value.data);
      for (const id of exclude) z[id] = -Infinity;
      const next = sampleFromLogits(z, temperature, rng);
      out.push(next);
      const f = this.evaluating(() => this.forward([next], 1, state));
      state = f.last;
      logits = lastRow(f.logits.data);
    }
    return out;
  }

  /** P(· | prefix): the softmax of the logits after reading `prefix` (at least one token), at temperature τ (default 1). */
  nextDistribution(prefix: ArrayLike<number>, temperature = 1): Float64Array {
    if (prefix.length === 0) throw new Error("RNNLanguageModel.nextDistribution: the prefix is empty; give at least one token (e.g. <s>)");
    const f = this.evaluating(() => this.forward(prefix, 1));
    return softmaxWithTemperature(lastRow(f.logits.data), temperature);
  }
}

function lastRow(m: Matrix): Float64Array {
  return Float64Array.from(m.data.subarray((m.rows - 1) * m.cols, m.rows * m.cols));
}

function countCorrect(logits: Matrix, targets: Int32Array, mask: Float64Array): number {
  const V = logits.cols;
  let correct = 0;
  for (let i = 0; i < logits.rows; i++) {
    if (mask[i] === 0) continue;
    let best = 0;
    for (let j = 1; j < V; j++) if (logits.data[i * V + j] > logits.data[i * V + best]) best = j;
    if (best === targets[i]) correct++;
  }
  return correct;
}
