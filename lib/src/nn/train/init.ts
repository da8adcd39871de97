/**
 * Initial weights, and the spectral radius that decides whether a recurrent
 * network's gradients vanish or explode.
 *
 * A weight matrix is [fan_in, fan_out], as the engine computes x·W: rows are
 * the inputs, columns the outputs (pass `fanIn`/`fanOut` to override, e.g.
 * for the gates of an LSTM stored side by side).
 *
 *   glorotUniform / glorotNormal   Var(W) = 2/(fan_in + fan_out)  (Glorot & Bengio 2010:
 *                                  keeps the variance of activations forward AND of gradients backward)
 *   heNormal                       Var(W) = 2/fan_in  (He et al. 2015: ReLU zeroes half the inputs)
 *   orthogonal                     all singular values 1 (Saxe et al. 2014): repeated
 *                                  products neither shrink nor grow a vector's norm
 *   identity                       W = s·I (IRNN, Le, Jaitly & Hinton 2015): the state is copied
 *   scaleToSpectralRadius          rescales a square W to a chosen ρ(W) = max |λᵢ|
 *
 * Backpropagating through T steps multiplies by the recurrent matrix T times;
 * components along eigenvectors with |λ| < 1 decay like |λ|ᵀ and those with
 * |λ| > 1 grow like it, so ρ(W) < 1 is sufficient for vanishing gradients
 * (linear case) and ρ(W) > 1 necessary for exploding ones (Pascanu et al. 2013).
 *
 * All randomness comes from the `Random` passed in: same seed, same matrix.
 */
import { Matrix } from "../core/matrix";
import { Operand, Parameter, valueOf } from "../core/parameter";
import { spectralRadius } from "../core/eigen";
import { Random } from "../../random";

/** What an initializer fills: a matrix, or a parameter's value (then `changed()` is called). */
export type InitTarget = Operand;

/** Fan sizes and gain of the variance-scaling initializers. */
export interface FanOptions {
  /** Number of inputs of each unit (default: rows). */
  fanIn?: number;
  /** Number of units fed by each input (default: cols). */
  fanOut?: number;
  /** Multiplies the standard deviation (default 1). */
  gain?: number;
}

/** Writes `values` (row-major, length rows·cols) into the target and marks a Parameter changed. */
function write<T extends InitTarget>(target: T, values: ArrayLike<number>): T {
  valueOf(target).data.set(values);
  if (target instanceof Parameter) target.changed();
  return target;
}

function fill<T extends InitTarget>(target: T, draw: () => number): T {
  const m = valueOf(target);
  return write(target, Float64Array.from({ length: m.data.length }, draw));
}

function fans(where: string, m: Matrix, options: FanOptions): { fanIn: number; fanOut: number; gain: number } {
  const fanIn = options.fanIn ?? m.rows;
  const fanOut = options.fanOut ?? m.cols;
  const gain = options.gain ?? 1;
  for (const [name, v] of [["fanIn", fanIn], ["fanOut", fanOut]] as const) {
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`${where}: ${name} must be a positive integer, got ${v} (matrix [${m.rows}, ${m.cols}])`);
  }
  if (!(Number.isFinite(gain) && gain > 0)) throw new Error(`${where}: gain must be a finite number > 0, got ${gain}`);
  return { fanIn, fanOut, gain };
}

/** Xavier/Glorot uniform: U(−a, a) with a = gain·√(6/(fan_in + fan_out)), so Var(W) = gain²·2/(fan_in + fan_out). */
export function glorotUniform<T extends InitTarget>(target: T, rng: Random, options: FanOptions = {}): T {
  const { fanIn, fanOut, gain } = fans("glorotUniform", valueOf(target), options);
  // Var(U(−a, a)) = a²/3, so a² = 3·Var.
  const limit = gain * Math.sqrt(6 / (fanIn + fanOut));
  return fill(target, () => (2 * rng.uniform() - 1) * limit);
}

/** Xavier/Glorot normal: N(0, σ²) with σ = gain·√(2/(fan_in + fan_out)). */
export function glorotNormal<T extends InitTarget>(target: T, rng: Random, options: FanOptions = {}): T {
  const { fanIn, fanOut, gain } = fans("glorotNormal", valueOf(target), options);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  return fill(target, () => rng.normal(0, std));
}

/** He/Kaiming normal: N(0, σ²) with σ = gain·√(2/fan_in), for layers followed by a ReLU. */
export function heNormal<T extends InitTarget>(target: T, rng: Random, options: FanOptions = {}): T {
  const { fanIn, gain } = fans("heNormal", valueOf(target), options);
  const std = gain * Math.sqrt(2 / fanIn);
  return fill(target, () => rng.normal(0, std));
}

/** Options of `orthogonal`. */
export interface OrthogonalOptions {
  /** Multiplies the matrix: every singular value becomes `gain` (default 1). */
  gain?: number;
}

/**
 * A random orthogonal matrix, uniformly distributed (Haar measure): the Q of
 * the QR factorization of a Gaussian matrix, with each column multiplied by
 * the sign of R's diagonal entry. Without that correction Q depends on the
 * sign convention of the factorization and is not uniform (Mezzadri 2007).
 * A tall matrix gets orthonormal columns (QᵀQ = I), a wide one orthonormal
 * rows (QQᵀ = I).
 */
export function orthogonal<T extends InitTarget>(target: T, rng: Random, options: OrthogonalOptions = {}): T {
  const m = valueOf(target);
  const gain = options.gain ?? 1;
  if (!(Number.isFinite(gain) && gain > 0)) throw new Error(`orthogonal: gain must be a finite number > 0, got ${gain}`);
  if (m.rows === 0 || m.cols === 0) return write(target, []);
  const tall = m.rows >= m.cols;
  const [rows, cols] = tall ? [m.rows, m.cols] : [m.cols, m.rows];
  const gaussian = Float64Array.from({ length: rows * cols }, () => rng.normal());
  const q = orthonormalColumns(gaussian, rows, cols);
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      // A wide target is the transpose of the tall factor.
      if (tall) out[i * cols + j] = gain * q[i * cols + j];
      else out[j * rows + i] = gain * q[i * cols + j];
    }
  }
  return write(target, out);
}

/**
 * Q·diag(sign(Rₖₖ)) from the Householder QR of A (rows ≥ cols, row-major):
 * the thin Q with orthonormal columns, made unique by asking R's diagonal to
 * be positive.
 */
function orthonormalColumns(a: Float64Array, rows: number, cols: number): Float64Array {
  const reflectors: Float64Array[] = [];
  const rDiagonalSign: number[] = [];
  for (let k = 0; k < cols; k++) {
    // Reflect column k below the diagonal onto α·e₁, with α = −sign(x₀)·‖x‖ (no cancellation in x₀ − α).
    let norm = 0;
    for (let i = k; i < rows; i++) norm += a[i * cols + k] ** 2;
    norm = Math.sqrt(norm);
    const x0 = a[k * cols + k];
    const alpha = x0 >= 0 ? -norm : norm;
    const v = new Float64Array(rows - k);
    for (let i = k; i < rows; i++) v[i - k] = a[i * cols + k];
    v[0] -= alpha;
    let vNorm = 0;
    for (let i = 0; i < v.length; i++) vNorm += v[i] * v[i];
    vNorm = Math.sqrt(vNorm);
    if (vNorm > 0) for (let i = 0; i < v.length; i++) v[i] /= vNorm;
    reflectors.push(v);
    rDiagonalSign.push(alpha < 0 ? -1 : 1); // Rₖₖ = α (a zero column gives α = −0: sign +1)
    if (vNorm > 0) applyReflector(v, a, k, rows, cols, k + 1);
  }
  // Q = H₀·H₁·…·H_{n−1} applied to the first `cols` columns of the identity.
  const q = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) q[j * cols + j] = 1;
  for (let k = cols - 1; k >= 0; k--) applyReflector(reflectors[k], q, k, rows, cols, 0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) q[i * cols + j] *= rDiagonalSign[j];
  return q;
}

/** m[k:, from:] ← (I − 2vvᵀ)·m[k:, from:], for a unit vector v of length rows − k. */
function applyReflector(v: Float64Array, m: Float64Array, k: number, rows: number, cols: number, from: number): void {
  for (let j = from; j < cols; j++) {
    let dot = 0;
    for (let i = k; i < rows; i++) dot += v[i - k] * m[i * cols + j];
    dot *= 2;
    if (dot === 0) continue;
    for (let i = k; i < rows; i++) m[i * cols + j] -= dot * v[i - k];
  }
}

/**
 * W = scale·I (ones on the diagonal of a non-square matrix). For the
 * recurrent weights of a ReLU RNN (IRNN, Le et al. 2015): with zero input the
 * state is copied unchanged, so gradients neither vanish nor explode at first.
 */
export function identity<T extends InitTarget>(target: T, scale = 1): T {
  if (!Number.isFinite(scale)) throw new Error(`identity: scale must be finite, got ${scale}`);
  const m = valueOf(target);
  const values = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < Math.min(m.rows, m.cols); i++) values[i * m.cols + i] = scale;
  return write(target, values);
}

/**
 * Rescales a square matrix in place so that ρ(W) = rho (W ← W·rho/ρ(W)):
 * below 1 gradients through time shrink, above 1 they can grow.
 * Used in lesson 03.
 */
export function scaleToSpectralRadius<T extends InitTarget>(target: T, rho: number): T {
  if (!(Number.isFinite(rho) && rho >= 0)) throw new Error(`scaleToSpectralRadius: rho must be a finite number >= 0, got ${rho}`);
  const m = valueOf(target);
  const current = spectralRadius(m);
  if (current === 0) {
    throw new Error("scaleToSpectralRadius: the matrix has spectral radius 0 (all eigenvalues are zero), so no rescaling can reach " + rho);
  }
  const factor = rho / current;
  return write(target, Float64Array.from(m.data, (x) => x * factor));
}
