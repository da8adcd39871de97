/**
 * A highway layer (Srivastava, Greff & Schmidhuber 2015): a feed-forward layer
 * with an LSTM-like gate that decides, per unit, whether to transform its
 * input or to carry it through unchanged:
 *
 *   H = act(x W_H + b_H)          the plain layer's transformation (tanh or relu)
 *   T = σ(x W_T + b_T)            transform gate
 *   C = 1 − T                     carry gate (coupled to T, as in the paper)
 *   y = T ⊙ H + C ⊙ x
 *
 * Because y must be mixable with x, the layer keeps the width: x and y are
 * both [rows, n]. With T ≈ 0 the layer is the identity, so a deep stack of
 * them passes signals (and gradients) through, like the LSTM cell's belt. The
 * paper therefore starts b_T negative (`transformBias`, default −2): every
 * layer begins by mostly carrying, and learns where to transform.
 *
 * Backward, for dy = ∂L/∂y:
 *   dz_H = dy ⊙ T ⊙ act′        (tanh′ = 1 − H², relu′ = [H > 0])
 *   dz_T = dy ⊙ (H − x) ⊙ T(1 − T)
 *   dx   = dy ⊙ (1 − T) + dz_H W_Hᵀ + dz_T W_Tᵀ   (the carry path adds dy ⊙ C directly)
 *   dW_H = xᵀ dz_H   db_H = Σ_rows dz_H   dW_T = xᵀ dz_T   db_T = Σ_rows dz_T
 *
 * It works row by row, so a Sequence is handled as its [T·B, n] matrix: every
 * step in one product.
 */
import { Matrix, DType } from "../core/matrix";
import { Parameter, Module } from "../core/parameter";
import { Sequence, sequenceLike, matrixOf } from "../core/sequence";
import { linalg } from "../compute/linalg";
import { addInPlace, addBias, addColumnSums } from "../core/ops";
import { LayerOptions, gaussianParameter, zeroParameter } from "./parameters";
import { sigmoid } from "../compute/activations";
import { expectShape, expectDType, expectSize, expectFinite } from "../core/shapes";

/** The nonlinearity of a highway layer's transformation H. */
export type HighwayActivation = "tanh" | "relu";

/** Options of {@link Highway}. */
export interface HighwayOptions extends LayerOptions {
  /** The nonlinearity of H. Default "tanh". */
  activation?: HighwayActivation;
  /** Initial value of every transform-gate bias b_T. Default −2 (start by carrying, T = σ(−2) ≈ 0.12). */
  transformBias?: number;
}

/** The result of a highway forward pass: the output, the gate (for plots) and what backward needs. */
export interface HighwayForward<X extends Matrix | Sequence> {
  x: X;
  y: X;
  /** The transform gate T at every row, [rows, n]; the carry gate is 1 − T. */
  T: X;
  /** The transformation H = act(x W_H + b_H), [rows, n]. */
  H: Matrix;
}

/**
 * y = T ⊙ H(x) + (1 − T) ⊙ x, with T = σ(x W_T + b_T).
 * Used in lesson 09.
 */
export class Highway implements Module {
  /** The nonlinearity of H. */
  readonly activation: HighwayActivation;
  /** Weights of the transformation H, [n, n]. */
  readonly WH: Parameter;
  /** Bias of H, [1, n], starts at 0. */
  readonly bH: Parameter;
  /** Weights of the transform gate, [n, n]. */
  readonly WT: Parameter;
  /** Bias of the transform gate, [1, n], starts at `transformBias`. */
  readonly bT: Parameter;

  /** Weights start Gaussian with std 1/√n, drawn from `options.rng`. */
  constructor(
    readonly size: number,
    options: HighwayOptions,
  ) {
    expectSize("Highway", "size", size);
    const activation = options.activation ?? "tanh";
    if (activation !== "tanh" && activation !== "relu") {
      throw new Error(`Highway: activation must be "tanh" or "relu", got ${JSON.stringify(activation)}`);
    }
    const transformBias = options.transformBias ?? -2;
    if (!Number.isFinite(transformBias)) throw new Error(`Highway: transformBias must be a finite number, got ${transformBias}`);
    this.activation = activation;
    const dtype = options.dtype ?? "float32";
    const name = options.name ?? "highway";
    this.WH = gaussianParameter(`${name}.WH`, size, size, options.rng, dtype);
    this.bH = zeroParameter(`${name}.bH`, 1, size, dtype);
    this.WT = gaussianParameter(`${name}.WT`, size, size, options.rng, dtype);
    this.bT = zeroParameter(`${name}.bT`, 1, size, dtype);
    this.bT.value.data.fill(transformBias);
  }

  /** Precision of the parameters. */
  get dtype(): DType {
    return this.WH.value.dtype;
  }

  /** W_H, b_H, W_T, b_T. */
  parameters(): Parameter[] {
    return [this.WH, this.bH, this.WT, this.bT];
  }

  /** On a [rows, n] matrix, or on every step of a sequence at once. */
  forward(x: Matrix): HighwayForward<Matrix>;
  forward(x: Sequence): HighwayForward<Sequence>;
  forward(x: Matrix | Sequence): HighwayForward<Matrix> | HighwayForward<Sequence> {
    const xm = matrixOf(x);
    expectShape("Highway", "input x", xm, xm.rows, this.size, "[rows, size]");
    expectDType("Highway", "input x", xm, this.dtype);
    expectFinite("Highway", "input x", xm);
    const la = linalg();
    const H = la.matmul(xm, this.WH);
    addBias(H, this.bH.value);
    const T = la.matmul(xm, this.WT);
    addBias(T, this.bT.value);
    const y = Matrix.zeros(xm.rows, this.size, this.dtype);
    const h = H.data, g = T.data, xd = xm.data, yd = y.data, relu = this.activation === "relu";
    for (let k = 0; k < yd.length; k++) {
      h[k] = relu ? Math.max(0, h[k]) : Math.tanh(h[k]);
      g[k] = sigmoid(g[k]);
      yd[k] = g[k] * h[k] + (1 - g[k]) * xd[k]; // transform where T ≈ 1, carry where T ≈ 0
    }
    return x instanceof Sequence ? { x, y: sequenceLike(x, y), T: sequenceLike(x, T), H } : { x, y, T, H };
  }

  /** ADDS the parameter gradients into their `grad`; returns dx. */
  backward(forward: HighwayForward<Matrix>, dy: Matrix): Matrix;
  backward(forward: HighwayForward<Sequence>, dy: Sequence): Sequence;
  backward(forward: HighwayForward<Matrix | Sequence>, dy: Matrix | Sequence): Matrix | Sequence {
    const xm = matrixOf(forward.x), dym = matrixOf(dy), T = matrixOf(forward.T), H = forward.H;
    expectShape("Highway.backward", "dy", dym, xm.rows, this.size, "[rows, size]");
    expectDType("Highway.backward", "dy", dym, this.dtype);
    const la = linalg();
    const dzH = Matrix.zeros(xm.rows, this.size, this.dtype);
    const dzT = Matrix.zeros(xm.rows, this.size, this.dtype);
    const dx = Matrix.zeros(xm.rows, this.size, this.dtype);
    const h = H.data, g = T.data, xd = xm.data, d = dym.data, relu = this.activation === "relu";
    for (let k = 0; k < d.length; k++) {
      const slope = relu ? (h[k] > 0 ? 1 : 0) : 1 - h[k] * h[k];
      dzH.data[k] = d[k] * g[k] * slope;
      dzT.data[k] = d[k] * (h[k] - xd[k]) * g[k] * (1 - g[k]);
      dx.data[k] = d[k] * (1 - g[k]); // the carry path: straight through, scaled by C
    }
    addInPlace("Highway dWH", this.WH.grad, la.matmulAT(xm, dzH)); // xᵀ dz_H
    addColumnSums(this.bH.grad, dzH);
    addInPlace("Highway dWT", this.WT.grad, la.matmulAT(xm, dzT)); // xᵀ dz_T
    addColumnSums(this.bT.grad, dzT);
    addInPlace("Highway dx", dx, la.matmulBT(dzH, this.WH)); // + dz_H W_Hᵀ
    addInPlace("Highway dx", dx, la.matmulBT(dzT, this.WT)); // + dz_T W_Tᵀ
    return forward.x instanceof Sequence ? sequenceLike(forward.x, dx) : dx;
  }
}
