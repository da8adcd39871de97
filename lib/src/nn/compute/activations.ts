/**
 * σ, tanh and exp, exact and to float32 accuracy, and in-place loops over a
 * block of values. Each is a plain loop, so a student can read exactly what
 * happens; the matrix products live in linalg.ts.
 */
import { Matrix, DType } from "../core/matrix";

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
