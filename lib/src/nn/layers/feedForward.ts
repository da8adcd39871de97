/**
 * Deep feed-forward classifiers, plain or highway, built the way Srivastava,
 * Greff & Schmidhuber ("Training Very Deep Networks", 2015) built the
 * networks they compared:
 *
 *   h_1 = relu(x W_1 + b_1)                     a plain layer that sets the width
 *   h_l = relu(h_{l−1} W_l + b_l)               plain:   l = 2 … depth
 *   h_l = T_l ⊙ H_l + (1 − T_l) ⊙ h_{l−1}        highway: l = 2 … depth  (see Highway)
 *   logits = h_depth W_out + b_out              softmax cross-entropy on top
 *
 * `depth` counts the hidden layers, the first one included (depth 10 = one
 * plain layer and 9 plain or highway layers). A highway layer has twice the
 * weights of a plain layer of the same width; the paper gave its plain
 * networks 71 units a layer against 50 highway units, about 5,100 weights a
 * layer each.
 *
 * Initialization (`init: "he"`, the default): every weight matrix whose
 * output goes through a ReLU (W_1, the plain W_l, the highway W_H) is drawn
 * from N(0, 2/fan_in) (He et al. 2015), so the activations keep their scale
 * from layer to layer at the start; the gate weights W_T and the readout keep
 * the layers' default N(0, 1/fan_in). `init: "default"` keeps N(0, 1/fan_in)
 * everywhere. Biases start at 0, the transform-gate biases at `transformBias`.
 *
 * Backward runs the layers' own backward passes in reverse order; nothing
 * new is differentiated here.
 */
import { Matrix, DType } from "../core/matrix";
import { Parameter, Module } from "../core/parameter";
import { expectShape } from "../core/shapes";
import { Random } from "../../random";
import { Dense, DenseForward } from "./dense";
import { Highway, HighwayForward } from "./highway";
import { ReLU, ReLUForward } from "./relu";
import { heNormal } from "../train/init";
import { softmaxCrossEntropy } from "../train/losses";

/** "plain": every hidden layer is relu(x W + b); "highway": layers 2 … depth are highway layers. Used in lesson 09. */
export type FeedForwardKind = "plain" | "highway";

/** Options of {@link FeedForwardNetwork}. */
export interface FeedForwardOptions {
  kind: FeedForwardKind;
  /** Width of the input (784 for a 28 × 28 digit). */
  inputSize: number;
  /** Units of every hidden layer. */
  width: number;
  /** Hidden layers, the first (plain) one included: at least 1. */
  depth: number;
  /** Number of classes, the width of the readout. */
  classes: number;
  /** Draws every initial weight (layer by layer, in order). */
  rng: Random;
  /** Highway only: the initial transform-gate bias b_T of every highway layer (default −2). */
  transformBias?: number;
  /** "he" (default) or "default"; see the module comment. */
  init?: "he" | "default";
  /** Precision of the parameters (default float32). */
  dtype?: DType;
}

/** What one hidden layer's forward pass kept: a plain layer's two steps, or a highway layer's result. */
export type HiddenForward =
  | { kind: "plain"; dense: DenseForward<Matrix>; relu: ReLUForward<Matrix> }
  | { kind: "highway"; highway: HighwayForward<Matrix> };

/** The result of a forward pass through the whole network. */
export interface FeedForwardForward {
  x: Matrix;
  /** One entry per hidden layer, in order (what the backward pass needs). */
  hidden: HiddenForward[];
  /** The output h_l of every hidden layer, [rows, width] each (`depth` entries). */
  outputs: Matrix[];
  /** Highway: the transform gate T_l of layers 2 … depth, [rows, width] each; plain: empty. */
  gates: Matrix[];
  readout: DenseForward<Matrix>;
  /** The class scores, [rows, classes]. */
  logits: Matrix;
}

function positiveInteger(what: string, v: unknown): number {
  if (!(typeof v === "number" && Number.isInteger(v) && v >= 1)) {
    throw new Error(`FeedForwardNetwork: ${what} must be a positive integer, got ${typeof v === "number" ? v : JSON.stringify(v)}`);
  }
  return v;
}

/**
 * A plain or highway feed-forward classifier; see the module comment.
 * Used in lesson 09.
 */
export class FeedForwardNetwork implements Module {
  readonly kind: FeedForwardKind;
  readonly depth: number;
  readonly width: number;
  readonly inputSize: number;
  readonly classes: number;
  /** The first hidden layer's affine part (input → width). */
  readonly first: Dense;
  /** Layers 2 … depth: Dense (each followed by a ReLU) or Highway. */
  readonly layers: ReadonlyArray<Dense | Highway>;
  /** The affine readout (width → classes). */
  readonly readout: Dense;
  private readonly relu = new ReLU();

  constructor(options: FeedForwardOptions) {
    const o = options ?? ({} as FeedForwardOptions);
    if (o.kind !== "plain" && o.kind !== "highway") throw new Error(`FeedForwardNetwork: kind must be "plain" or "highway", got ${JSON.stringify(o.kind)}`);
    this.kind = o.kind;
    this.inputSize = positiveInteger("inputSize", o.inputSize);
    this.width = positiveInteger("width", o.width);
    this.depth = positiveInteger("depth", o.depth);
    this.classes = positiveInteger("classes", o.classes);
    if (!(o.rng instanceof Random)) throw new Error("FeedForwardNetwork: pass a seeded Random as rng; the initial weights are drawn from it");
    if (o.kind === "plain" && o.transformBias !== undefined) throw new Error("FeedForwardNetwork: transformBias is a highway option; a plain network has no transform gates");
    const init = o.init ?? "he";
    if (init !== "he" && init !== "default") throw new Error(`FeedForwardNetwork: init must be "he" or "default", got ${JSON.stringify(init)}`);
    const { rng, dtype } = o;
    const he = (p: Parameter) => { if (init === "he") heNormal(p, rng); };
    this.first = new Dense(this.inputSize, this.width, { rng, dtype, name: "layer1" });
    he(this.first.W);
    const layers: Array<Dense | Highway> = [];
    for (let l = 2; l <= this.depth; l++) {
      const name = `layer${l}`;
      if (o.kind === "plain") {
        const dense = new Dense(this.width, this.width, { rng, dtype, name });
        he(dense.W);
        layers.push(dense);
      } else {
        const highway = new Highway(this.width, { rng, dtype, name, activation: "relu", transformBias: o.transformBias });
        he(highway.WH);
        layers.push(highway);
      }
    }
    this.layers = layers;
    this.readout = new Dense(this.width, this.classes, { rng, dtype, name: "readout" });
  }

  /** Precision of the parameters. */
  get dtype(): DType {
    return this.first.dtype;
  }

  /** Every weight and bias, first layer to readout. */
  parameters(): Parameter[] {
    return [this.first, ...this.layers, this.readout].flatMap((layer) => layer.parameters());
  }

  /** The number of trainable numbers. */
  get parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.value.data.length, 0);
  }

  /** Runs a batch of rows [rows, inputSize] to the logits, keeping what backward needs. */
  forward(x: Matrix): FeedForwardForward {
    expectShape("FeedForwardNetwork", "input x", x, x.rows, this.inputSize, "[rows, inputSize]");
    const hidden: HiddenForward[] = [];
    const outputs: Matrix[] = [];
    const gates: Matrix[] = [];
    const dense1 = this.first.forward(x);
    const relu1 = this.relu.forward(dense1.y);
    hidden.push({ kind: "plain", dense: dense1, relu: relu1 });
    let h = relu1.y;
    outputs.push(h);
    for (const layer of this.layers) {
      if (layer instanceof Highway) {
        const f = layer.forward(h);
        hidden.push({ kind: "highway", highway: f });
        gates.push(f.T);
        h = f.y;
      } else {
        const dense = layer.forward(h);
        const relu = this.relu.forward(dense.y);
        hidden.push({ kind: "plain", dense, relu });
        h = relu.y;
      }
      outputs.push(h);
    }
    const readout = this.readout.forward(h);
    return { x, hidden, outputs, gates, readout, logits: readout.y };
  }

  /** ADDS every parameter's gradient for ∂L/∂logits = dLogits; returns ∂L/∂x. */
  backward(forward: FeedForwardForward, dLogits: Matrix): Matrix {
    expectShape("FeedForwardNetwork.backward", "dLogits", dLogits, forward.logits.rows, this.classes, "[rows, classes]");
    let d = this.readout.backward(forward.readout, dLogits);
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l], f = forward.hidden[l + 1];
      if (layer instanceof Highway && f.kind === "highway") d = layer.backward(f.highway, d);
      else if (layer instanceof Dense && f.kind === "plain") d = layer.backward(f.dense, this.relu.backward(f.relu, d));
      else throw new Error(`FeedForwardNetwork.backward: the forward pass does not belong to this network (layer ${l + 2})`);
    }
    const f1 = forward.hidden[0];
    if (f1.kind !== "plain") throw new Error("FeedForwardNetwork.backward: the forward pass does not belong to this network (layer 1)");
    return this.first.backward(f1.dense, this.relu.backward(f1.relu, d));
  }

  /**
   * One training step's arithmetic: forward, mean softmax cross-entropy
   * against `labels` (one class per row), backward (ADDING the gradients).
   * Returns the loss in nats.
   */
  lossAndGradients(x: Matrix, labels: ArrayLike<number>): number {
    const f = this.forward(x);
    const { loss, dLogits } = softmaxCrossEntropy(f.logits, labels);
    this.backward(f, dLogits);
    return loss;
  }

  /** The class with the highest score, for every row of x. */
  predict(x: Matrix): Int32Array {
    return argmaxRows(this.forward(x).logits);
  }

  /** The fraction of rows whose predicted class is their label. */
  accuracy(x: Matrix, labels: ArrayLike<number>): number {
    if (labels.length !== x.rows) throw new Error(`FeedForwardNetwork.accuracy: ${labels.length} labels for ${x.rows} rows`);
    if (x.rows === 0) throw new Error("FeedForwardNetwork.accuracy: no rows to score");
    const predicted = this.predict(x);
    let right = 0;
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[i]) right++;
    return right / x.rows;
  }
}

/** The index of the largest entry of each row (the first one on a tie). */
function argmaxRows(m: Matrix): Int32Array {
  const out = new Int32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let best = 0;
    for (let j = 1; j < m.cols; j++) if (m.data[i * m.cols + j] > m.data[i * m.cols + best]) best = j;
    out[i] = best;
  }
  return out;
}
