/**
 * Small element-wise helpers shared by the layers: activations, bias
 * broadcasting, column slices and concatenations, default initial weights.
 * Each is a plain loop, so a student can read exactly what happens; the heavy
 * work (matrix products) lives in linalg.ts.
 */
import { Matrix, DType, Parameter } from "./tensor";
import { Sequence } from "./sequence";
import { Random } from "../random";

/** σ(x) = 1 / (1 + e^(−x)), written to stay finite for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x); // e^x ≤ 1 here, so no overflow
  return e / (1 + e);
}

/**
 * tanh to float32 accuracy (within 2.7e-7 of Math.tanh everywhere), about 3x
 * faster than Math.tanh. Math.tanh and Math.exp are computed in software and
 * cost some 20 ns each, and an LSTM step evaluates five of them per unit and
 * example: they were the largest cost of a float32 training step after the
 * matrix products. This is the rational approximation Eigen uses for float
 * tanh: an odd polynomial of degree 13 over an even one of degree 6, on x
 * clamped to ±7.9 (where tanh is within 2.7e-7 of ±1).
 */
export function tanhFloat32(x: number): number {
  const limit = 7.90531110763549805;
  if (x > limit) x = limit;
  else if (x < -limit) x = -limit;
  const x2 = x * x;
  const p = x * (4.89352455891786e-3 + x2 * (6.37261928875436e-4 + x2 * (1.48572235717979e-5 +
    x2 * (5.12229709037114e-8 + x2 * (-8.60467152213735e-11 + x2 * (2.00018790482477e-13 + x2 * -2.76076847742355e-16))))));
  const q = 4.89352518554385e-3 + x2 * (2.26843463243900e-3 + x2 * (1.18534705686654e-4 + x2 * 1.19825839466702e-6));
  return p / q;
}

/** σ(x) = (1 + tanh(x/2)) / 2, through {@link tanhFloat32}: within 1.3e-7 of σ (absolute). */
export function sigmoidFloat32(x: number): number {
  return 0.5 + 0.5 * tanhFloat32(0.5 * x);
}

/** 2^k for k = −127…128, exact in float64 (the table behind {@link expFloat32}). */
const POW2 = Float64Array.from({ length: 256 }, (_, i) => 2 ** (i - 127));
/** 1.5·2^52: adding and subtracting it rounds a double to the nearest integer, without a call. */
const ROUND = 6755399441055744;

/**
 * e^x to better than float32 accuracy (relative error below 1e-8), about
 * twice as fast as Math.exp, which a softmax over the vocabulary calls once per
 * logit. The usual reduction: x = k·ln2 + r with k an integer and |r| ≤ ln2/2,
 * so e^x = 2^k · e^r, where 2^k comes from a table and e^r from its Taylor
 * polynomial of degree 7 (the next term is below 3e-9 on that interval).
 * Outside float32's range (and for NaN) it defers to Math.exp.
 */
export function expFloat32(x: number): number {
  if (!(x >= -87.33654475 && x <= 88.72283905)) return Math.exp(x);
  const k = x * Math.LOG2E + ROUND - ROUND;
  const r = x - k * Math.LN2;
  const er = 1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return er * POW2[k + 127];
}

/** The functions to use at a precision. */
export interface Activations {
  sigmoid: (x: number) => number;
  tanh: (x: number) => number;
  exp: (x: number) => number;
}

const EXACT: Activations = { sigmoid, tanh: Math.tanh, exp: Math.exp };
const FLOAT32: Activations = { sigmoid: sigmoidFloat32, tanh: tanhFloat32, exp: expFloat32 };

/**
 * σ, tanh and exp for computations in `dtype`: in float64 the exact ones
 * (gradient checks need every digit), in float32 the fast approximations,
 * whose error is of the order of float32 rounding itself.
 */
export function activations(dtype: DType): Activations {
  return dtype === "float64" ? EXACT : FLOAT32;
}

/**
 * d[from … from + count) ← σ(d[…]) in place, in d's precision (see
 * {@link activations}): a gate's block of one row. Small functions on purpose:
 * each has one call site per precision, where V8 inlines the activation; a
 * long loop body calling activations five times exhausts V8's inlining budget
 * and pays a real call for some of them.
 */
export function sigmoidInPlaceRange(d: Float32Array | Float64Array, from: number, count: number): void {
  const end = from + count;
  if (d instanceof Float32Array) for (let k = from; k < end; k++) d[k] = sigmoidFloat32(d[k]);
  else for (let k = from; k < end; k++) d[k] = sigmoid(d[k]);
}

/** d[from … from + count) ← tanh(d[…]) in place, in d's precision (see {@link sigmoidInPlaceRange}). */
export function tanhInPlaceRange(d: Float32Array | Float64Array, from: number, count: number): void {
  const end = from + count;
  if (d instanceof Float32Array) for (let k = from; k < end; k++) d[k] = tanhFloat32(d[k]);
  else for (let k = from; k < end; k++) d[k] = Math.tanh(d[k]);
}

/** m ← tanh(m), element-wise (in m's precision, see {@link activations}); returns m. */
export function tanhInPlace(m: Matrix): Matrix {
  const d = m.data, tanh = activations(m.dtype).tanh;
  for (let i = 0; i < d.length; i++) d[i] = tanh(d[i]);
  return m;
}

/** m ← σ(m), element-wise; returns m. */
export function sigmoidInPlace(m: Matrix): Matrix {
  const d = m.data;
  for (let i = 0; i < d.length; i++) d[i] = sigmoid(d[i]);
  return m;
}

/** Broadcast a bias row over a batch: z[i, :] += b[0, :]. */
export function addBias(z: Matrix, b: Matrix): void {
  if (b.rows !== 1 || b.cols !== z.cols) {
    throw new Error(`addBias: bias: expected shape [1, ${z.cols}], got [${b.rows}, ${b.cols}]`);
  }
  const Z = z.data, B = b.data, n = z.cols;
  for (let i = 0; i < z.rows; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) Z[row + j] += B[j];
  }
}

/**
 * The bias gradient: db[0, j] += Σ_i dz[i, j]. A bias is added to every row,
 * so (like any repeated weight) its gradient is the sum over the rows.
 */
export function addColumnSums(db: Matrix, dz: Matrix): void {
  if (db.rows !== 1 || db.cols !== dz.cols) {
    throw new Error(`addColumnSums: bias gradient: expected shape [1, ${dz.cols}], got [${db.rows}, ${db.cols}]`);
  }
  const D = db.data, Z = dz.data, n = dz.cols;
  for (let i = 0; i < dz.rows; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) D[j] += Z[row + j];
  }
}

/** grad += d, for a gradient summed in a float64 accumulator (e.g. a bias's, inside a backward loop). */
export function addVector(grad: Matrix, d: Float64Array): void {
  if (grad.data.length !== d.length) {
    throw new Error(`addVector: ${d.length} values for a gradient of shape [${grad.rows}, ${grad.cols}]`);
  }
  const g = grad.data;
  for (let i = 0; i < d.length; i++) g[i] += d[i];
}

/** [a, b] side by side: rows must match; result has a.cols + b.cols columns. */
export function concatColumns(parts: Matrix[]): Matrix {
  if (parts.length === 0) throw new Error("concatColumns: nothing to concatenate");
  const { rows, dtype } = parts[0];
  parts.forEach((p, i) => {
    if (p.rows !== rows) throw new Error(`concatColumns: part ${i} has ${p.rows} rows, part 0 has ${rows}`);
  });
  const cols = parts.reduce((s, p) => s + p.cols, 0);
  const out = Matrix.zeros(rows, cols, dtype);
  for (let i = 0; i < rows; i++) {
    let offset = i * cols;
    for (const p of parts) {
      out.data.set(p.data.subarray(i * p.cols, (i + 1) * p.cols), offset);
      offset += p.cols;
    }
  }
  return out;
}

/** Columns [from, to) of m, as a copy. The inverse of `concatColumns`. */
export function sliceColumns(m: Matrix, from: number, to: number): Matrix {
  if (!(0 <= from && from <= to && to <= m.cols)) {
    throw new Error(`sliceColumns: [${from}, ${to}) is not inside the ${m.cols} columns`);
  }
  const w = to - from;
  const out = Matrix.zeros(m.rows, w, m.dtype);
  for (let i = 0; i < m.rows; i++) out.data.set(m.data.subarray(i * m.cols + from, i * m.cols + to), i * w);
  return out;
}

/** A sequence with the same steps and batch as `like`, holding `data`. */
export function sequenceLike(like: Sequence, data: Matrix): Sequence {
  return new Sequence(like.steps, like.batch, data);
}

/**
 * The default initial weights of the core layers: Gaussian with standard
 * deviation 1/√fanIn (Var(W) = 1/n_in, "Xavier" as Caffe has it), so a
 * product x·W keeps roughly the scale of x (pass `std` to choose another).
 * Other schemes (Glorot, orthogonal…) can overwrite `.value` afterwards.
 */
export function gaussianParameter(
  name: string, rows: number, cols: number, rng: Random, dtype: DType, std = 1 / Math.sqrt(rows),
): Parameter {
  const m = Matrix.zeros(rows, cols, dtype);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal(0, std);
  return new Parameter(name, m);
}

/** A parameter of zeros (biases). */
export function zeroParameter(name: string, rows: number, cols: number, dtype: DType): Parameter {
  return new Parameter(name, Matrix.zeros(rows, cols, dtype));
}

/** What every core layer's constructor takes: the random stream for its initial weights, and a precision. */
export interface LayerOptions {
  /** Draws the initial weights (pass a fork per layer so layers differ). */
  rng: Random;
  /** Precision of the parameters, and so of every computation (default float32). */
  dtype?: DType;
  /** Prefix of the parameter names, e.g. "enc" gives "enc.Wxh" (default: the layer's kind). */
  name?: string;
}

/**
 * Throws unless m has shape [rows, cols], naming the layer, the tensor and
 * what the dimensions mean, e.g. "RNN: input x: expected shape [T·B, input] =
 * [12, 3], got [12, 5]".
 */
export function expectShape(layer: string, tensor: string, m: Matrix, rows: number, cols: number, meaning: string): void {
  if (m.rows !== rows || m.cols !== cols) {
    throw new Error(`${layer}: ${tensor}: expected shape ${meaning} = [${rows}, ${cols}], got [${m.rows}, ${m.cols}]`);
  }
}

/** Throws unless m has the layer's precision (mixing float32 and float64 is always a mistake). */
export function expectDType(layer: string, tensor: string, m: Matrix, dtype: DType): void {
  if (m.dtype !== dtype) throw new Error(`${layer}: ${tensor} is ${m.dtype} but the parameters are ${dtype}`);
}

/**
 * [h_{−1}; h_0; …; h_{T−2}] as one [T·B, hidden] matrix: the state each step
 * STARTED from, aligned row by row with that step's dz, so that
 * dWhh = Σ_t h_{t−1}ᵀ·dz_t is a single product.
 */
export function previousStates(first: Matrix, h: Sequence): Matrix {
  const n = h.batch * h.features;
  const out = Matrix.zeros(h.steps * h.batch, h.features, h.data.dtype);
  out.data.set(first.data, 0);
  out.data.set(h.data.data.subarray(0, (h.steps - 1) * n), n);
  return out;
}

/** Throws unless a layer size is a positive integer. */
export function expectSize(layer: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${layer}: ${what} must be a positive integer, got ${n}`);
}
