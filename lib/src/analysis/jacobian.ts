/**
 * How far back a gradient reaches in a recurrent network.
 *
 * One step of a vanilla RNN, in the engine's row-vector layout, is
 *   h_t = φ(z_t),  z_t = x_t·W_xh + h_{t−1}·W_hh + b.
 * In column form, h_t = φ(W_h·h_{t−1} + …) with W_h = W_hhᵀ, and the Jacobian
 * of one step is
 *   J_t = ∂h_t/∂h_{t−1} = diag(φ′(z_t))·W_hhᵀ
 * (for tanh, φ′(z_t) = 1 − h_t²). The chain rule multiplies them:
 *   ∂h_T/∂h_k = J_T·J_{T−1}⋯J_{k+1},
 * and a gradient arriving at h_T reaches h_k as (∂h_T/∂h_k)ᵀ·∂L/∂h_T. With
 * φ the identity every J_t is W_hhᵀ and the product is (W_hhᵀ)^(T−k).
 *
 * Norms of long products overflow or underflow quickly, so the products are
 * kept rescaled, with the scale carried separately as a logarithm.
 */
import { Matrix } from "../nn/core/matrix";
import { Parameter } from "../nn/core/parameter";
import { identity } from "../nn/train/init";
import { Sequence } from "../nn/core/sequence";
import { RecurrentLayer } from "../nn/layers/layer";
import { MatrixLike, DenseMatrix, toDense, spectralNormDense } from "./power";

function recurrentWeights(where: string, Whh: MatrixLike): DenseMatrix {
  const w = toDense(where, Whh);
  if (w.rows !== w.cols || w.rows === 0) throw new Error(`${where}: W_hh must be a non-empty square matrix, got [${w.rows}, ${w.cols}]`);
  return w;
}

function checkDerivative(where: string, d: ArrayLike<number>, n: number, index: number): void {
  if (d.length !== n) throw new Error(`${where}: derivatives[${index}] has ${d.length} entries, the hidden size is ${n}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(d[i])) throw new Error(`${where}: derivatives[${index}][${i}] is ${d[i]}`);
  }
}

/** P ← P·diag(d)·W_hhᵀ, for dense n×n P and W_hh (d undefined: the identity). */
function timesStep(p: Float64Array, w: Float64Array, n: number, d: ArrayLike<number> | undefined, out: Float64Array): void {
  if (d) {
    for (let i = 0; i < n; i++) for (let m = 0; m < n; m++) p[i * n + m] *= d[m];
  }
  // (P·W_hhᵀ)[i][j] = Σ_m P[i][m]·W_hh[j][m]: both rows are contiguous.
  for (let i = 0; i < n; i++) {
    const pi = i * n;
    for (let j = 0; j < n; j++) {
      const wj = j * n;
      let s = 0;
      for (let m = 0; m < n; m++) s += p[pi + m] * w[wj + m];
      out[pi + j] = s;
    }
  }
}

/** Divides p by its largest |entry| and returns the log of that factor (0 for a zero matrix). */
function rescale(p: Float64Array): number {
  let max = 0;
  for (let i = 0; i < p.length; i++) max = Math.max(max, Math.abs(p[i]));
  if (max === 0 || max === 1) return 0;
  for (let i = 0; i < p.length; i++) p[i] /= max;
  return Math.log(max);
}

/**
 * J_t = ∂h_t/∂h_{t−1} = diag(d)·W_hhᵀ for one step (d = φ′(z_t); without d, the
 * linear case, J_t = W_hhᵀ). Float64.
 */
export function stepJacobian(Whh: MatrixLike, derivative?: ArrayLike<number>): Matrix {
  const where = "stepJacobian";
  const w = recurrentWeights(where, Whh);
  const n = w.rows;
  if (derivative) checkDerivative(where, derivative, n, 0);
  const out = Matrix.zeros(n, n, "float64");
  for (let i = 0; i < n; i++) {
    const di = derivative ? derivative[i] : 1;
    for (let j = 0; j < n; j++) out.data[i * n + j] = di * w.data[j * n + i];
  }
  return out;
}

/**
 * ∂h_T/∂h_0 = J_T⋯J_1 as a float64 matrix. `steps` is either a number k (the
 * linear case: (W_hhᵀ)^k) or the derivatives φ′(z_t) of steps 1..T in time
 * order (derivatives[0] belongs to the first step after h_0).
 * Used in lesson 03.
 */
export function jacobianProduct(Whh: MatrixLike, steps: number | readonly ArrayLike<number>[]): Matrix {
  const where = "jacobianProduct";
  const w = recurrentWeights(where, Whh);
  const n = w.rows;
  const T = typeof steps === "number" ? steps : steps.length;
  if (!Number.isInteger(T) || T < 0) throw new Error(`${where}: the number of steps must be a non-negative integer, got ${T}`);
  if (typeof steps !== "number") steps.forEach((d, i) => checkDerivative(where, d, n, i));
  let p = identity(Matrix.zeros(n, n, "float64")).data as Float64Array, tmp = new Float64Array(n * n);
  // Walk back from the last step: P_k = P_{k−1}·J_{T−k+1}.
  for (let k = 1; k <= T; k++) {
    timesStep(p, w.data, n, typeof steps === "number" ? undefined : steps[T - k], tmp);
    [p, tmp] = [tmp, p];
  }
  return new Matrix(n, n, p);
}

/** Options of {@link jacobianProductNorms}. */
export interface JacobianNormsOptions {
  /** φ′(z_t) at the steps of a trajectory, in time order, each of the hidden size. Omit for the linear case. */
  derivatives?: readonly ArrayLike<number>[];
  /** Largest lag k (default: the number of derivatives; required in the linear case). */
  lags?: number;
  /** "spectral" (default): the largest singular value ‖·‖₂; "frobenius": √(Σ entries²), cheaper. */
  norm?: "spectral" | "frobenius";
}

/**
 * norms[k] = ‖∂h_T/∂h_{T−k}‖ for k = 0..lags, where T is the last step of
 * the trajectory: how strongly a gradient arriving at the last step reaches
 * the state k steps earlier (norms[0] = ‖I‖ = 1 for the spectral norm).
 * Values beyond float64's range come out as Infinity or 0.
 * Used in lesson 03.
 */
export function jacobianProductNorms(Whh: MatrixLike, options: JacobianNormsOptions = {}): number[] {
  const where = "jacobianProductNorms";
  const w = recurrentWeights(where, Whh);
  const n = w.rows;
  const ds = options.derivatives;
  if (ds) ds.forEach((d, i) => checkDerivative(where, d, n, i));
  const lags = options.lags ?? ds?.length;
  if (lags === undefined) throw new Error(`${where}: the linear case (no derivatives) needs options.lags`);
  if (!Number.isInteger(lags) || lags < 0) throw new Error(`${where}: lags must be a non-negative integer, got ${lags}`);
  if (ds && lags > ds.length) throw new Error(`${where}: lags ${lags} exceeds the ${ds.length} steps of the trajectory`);
  const kind = options.norm ?? "spectral";
  if (kind !== "spectral" && kind !== "frobenius") throw new Error(`${where}: norm must be "spectral" or "frobenius", got ${JSON.stringify(kind)}`);
  const T = ds?.length ?? lags;

  let p = identity(Matrix.zeros(n, n, "float64")).data as Float64Array, tmp = new Float64Array(n * n);
  let logScale = 0;
  let warm: Float64Array | undefined;
  const measure = (): number => {
    let value: number;
    if (kind === "frobenius") {
      let s = 0;
      for (let i = 0; i < p.length; i++) s += p[i] * p[i];
      value = Math.sqrt(s);
    } else {
      const r = spectralNormDense(where, { rows: n, cols: n, data: p }, { start: warm, iterations: 300, tolerance: 1e-10 });
      warm = r.vector;
      value = r.value;
    }
    return value === 0 ? 0 : Math.exp(Math.log(value) + logScale);
  };
  const norms = [measure()];
  for (let k = 1; k <= lags; k++) {
    timesStep(p, w.data, n, ds ? ds[T - k] : undefined, tmp);
    [p, tmp] = [tmp, p];
    logScale += rescale(p);
    norms.push(measure());
  }
  return norms;
}

/**
 * tanh′(z_t) = 1 − h_t² at every step, for one example of a batch of hidden
 * states (the `h` of a tanh RNN's forward pass): the `derivatives` of
 * {@link jacobianProductNorms} and {@link jacobianProduct}.
 * Used in lesson 03.
 */
export function tanhDerivatives(h: Sequence, example = 0): Float64Array[] {
  if (!Number.isInteger(example) || example < 0 || example >= h.batch) {
    throw new Error(`tanhDerivatives: example ${example} is outside the batch 0..${h.batch - 1}`);
  }
  const H = h.features;
  return Array.from({ length: h.steps }, (_, t) => {
    const row = h.at(t).data.subarray(example * H, (example + 1) * H);
    return Float64Array.from(row, (v) => 1 - v * v);
  });
}

/** Options of {@link inputGradientNorms}. */
export interface InputGradientOptions {
  /** The step where the error is injected (default: the last). */
  step?: number;
  /** ∂L/∂h at that step, [batch, hidden] (default: every entry 1/√hidden, a unit vector per example). */
  error?: Matrix;
}

/**
 * Injects an error at ONE step and backpropagates it through a recurrent
 * layer: L = Σ_b error_b·h_{step, b}. Returns, for every step t, the mean
 * over the batch of ‖∂L/∂x_t‖: how much of the error reaches the input (and
 * so the input weights) t steps back. Steps after `step` get 0. The layer's
 * parameter gradients are left as they were.
 * Used in lesson 03.
 */
export function inputGradientNorms(layer: RecurrentLayer, x: Sequence, options: InputGradientOptions = {}): number[] {
  const where = "inputGradientNorms";
  const { steps: T, batch: B } = x;
  const H = layer.hiddenSize;
  const step = options.step ?? T - 1;
  if (!Number.isInteger(step) || step < 0 || step >= T) throw new Error(`${where}: step ${step} is outside 0..${T - 1}`);
  const dtype = x.data.dtype;
  const error = options.error ?? Matrix.zeros(B, H, dtype).fill(1 / Math.sqrt(H));
  if (error.rows !== B || error.cols !== H) {
    throw new Error(`${where}: error: expected shape [${B}, ${H}] (batch, hidden), got [${error.rows}, ${error.cols}]`);
  }
  const params: Parameter[] = layer.parameters();
  const saved = params.map((p) => p.grad.data.slice());
  try {
    const forward = layer.forward(x);
    const dh = Sequence.zeros(T, B, H, dtype);
    dh.at(step).data.set(error.data);
    const { dx } = layer.backward(forward, dh);
    const D = x.features;
    return Array.from({ length: T }, (_, t) => {
      const d = dx.at(t).data;
      let total = 0;
      for (let b = 0; b < B; b++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += d[b * D + j] ** 2;
        total += Math.sqrt(s);
      }
      return total / B;
    });
  } finally {
    params.forEach((p, i) => p.grad.data.set(saved[i]));
  }
}
