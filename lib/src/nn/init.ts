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
import { Matrix, Parameter } from "./tensor";
import { Random } from "../random";

/** What an initializer fills: a matrix, or a parameter's value (then `changed()` is called). */
export type InitTarget = Matrix | Parameter;

/** Fan sizes and gain of the variance-scaling initializers. */
export interface FanOptions {
  /** Number of inputs of each unit (default: rows). */
  fanIn?: number;
  /** Number of units fed by each input (default: cols). */
  fanOut?: number;
  /** Multiplies the standard deviation (default 1). */
  gain?: number;
}

function matrixOf(target: InitTarget): Matrix {
  return target instanceof Parameter ? target.value : target;
}

/** Writes `values` (row-major, length rows·cols) into the target and marks a Parameter changed. */
function write<T extends InitTarget>(target: T, values: ArrayLike<number>): T {
  matrixOf(target).data.set(values);
  if (target instanceof Parameter) target.changed();
  return target;
}

function fill<T extends InitTarget>(target: T, draw: () => number): T {
  const m = matrixOf(target);
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
  const { fanIn, fanOut, gain } = fans("glorotUniform", matrixOf(target), options);
  // Var(U(−a, a)) = a²/3, so a² = 3·Var.
  const limit = gain * Math.sqrt(6 / (fanIn + fanOut));
  return fill(target, () => (2 * rng.uniform() - 1) * limit);
}

/** Xavier/Glorot normal: N(0, σ²) with σ = gain·√(2/(fan_in + fan_out)). */
export function glorotNormal<T extends InitTarget>(target: T, rng: Random, options: FanOptions = {}): T {
  const { fanIn, fanOut, gain } = fans("glorotNormal", matrixOf(target), options);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  return fill(target, () => rng.normal(0, std));
}

/** He/Kaiming normal: N(0, σ²) with σ = gain·√(2/fan_in), for layers followed by a ReLU. */
export function heNormal<T extends InitTarget>(target: T, rng: Random, options: FanOptions = {}): T {
  const { fanIn, gain } = fans("heNormal", matrixOf(target), options);
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
  const m = matrixOf(target);
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
  const m = matrixOf(target);
  const values = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < Math.min(m.rows, m.cols); i++) values[i * m.cols + i] = scale;
  return write(target, values);
}

/** A complex number (an eigenvalue of a real matrix may be complex). */
export interface Eigenvalue {
  re: number;
  im: number;
}

/**
 * All eigenvalues of a square matrix, complex ones in conjugate pairs, in no
 * particular order. Computed in float64 by balancing, reduction to Hessenberg
 * form and the Francis double-shift QR algorithm (the EISPACK `hqr` method).
 * (mathjs `eigs` uses single shifts, which cannot converge to a complex pair;
 * it fails on most random non-symmetric matrices larger than about 20×20.)
 */
export function eigenvalues(target: InitTarget): Eigenvalue[] {
  const m = matrixOf(target);
  if (m.rows !== m.cols) throw new Error(`eigenvalues: the matrix must be square, got [${m.rows}, ${m.cols}]`);
  const n = m.rows;
  const a = Array.from({ length: n }, (_, i) => Float64Array.from(m.data.subarray(i * n, (i + 1) * n)));
  for (const row of a) {
    for (const x of row) if (!Number.isFinite(x)) throw new Error(`eigenvalues: the matrix holds ${x}`);
  }
  balance(a);
  toHessenberg(a);
  return hessenbergEigenvalues(a);
}

/** ρ(W) = max |λᵢ| of a square matrix, complex eigenvalues included. */
export function spectralRadius(target: InitTarget): number {
  let rho = 0;
  for (const { re, im } of eigenvalues(target)) rho = Math.max(rho, Math.hypot(re, im));
  return rho;
}

/**
 * Rescales a square matrix in place so that ρ(W) = rho (W ← W·rho/ρ(W)):
 * below 1 gradients through time shrink, above 1 they can grow.
 */
export function scaleToSpectralRadius<T extends InitTarget>(target: T, rho: number): T {
  if (!(Number.isFinite(rho) && rho >= 0)) throw new Error(`scaleToSpectralRadius: rho must be a finite number >= 0, got ${rho}`);
  const m = matrixOf(target);
  const current = spectralRadius(m);
  if (current === 0) {
    throw new Error("scaleToSpectralRadius: the matrix has spectral radius 0 (all eigenvalues are zero), so no rescaling can reach " + rho);
  }
  const factor = rho / current;
  return write(target, Float64Array.from(m.data, (x) => x * factor));
}

// ------------------------------------------------ eigenvalue algorithm
// Numerical Recipes, 2nd ed., §11.5–11.6 (balanc, elmhes, hqr), 0-based.

/**
 * Similarity D⁻¹·A·D with D diagonal, powers of 2 (exact), making each row and
 * its column about equally large: the QR iteration's rounding errors scale
 * with the matrix norm, which balancing reduces.
 */
function balance(a: Float64Array[]): void {
  const n = a.length;
  const RADIX = 2;
  let converged = false;
  while (!converged) {
    converged = true;
    for (let i = 0; i < n; i++) {
      let r = 0, c = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        c += Math.abs(a[j][i]);
        r += Math.abs(a[i][j]);
      }
      if (c === 0 || r === 0) continue;
      const s = c + r;
      let f = 1;
      while (c < r / RADIX) { f *= RADIX; c *= RADIX * RADIX; }
      while (c > r * RADIX) { f /= RADIX; c /= RADIX * RADIX; }
      if ((c + r) / f < 0.95 * s) {
        converged = false;
        for (let j = 0; j < n; j++) a[i][j] /= f;
        for (let j = 0; j < n; j++) a[j][i] *= f;
      }
    }
  }
}

/** Reduces A to upper Hessenberg form (zero below the first subdiagonal) by stabilized elementary similarities. */
function toHessenberg(a: Float64Array[]): void {
  const n = a.length;
  for (let m = 1; m < n - 1; m++) {
    // Pivot: the largest element of column m−1 on or below row m.
    let x = 0, pivot = m;
    for (let j = m; j < n; j++) {
      if (Math.abs(a[j][m - 1]) > Math.abs(x)) { x = a[j][m - 1]; pivot = j; }
    }
    if (pivot !== m) {
      // Swap rows and the same columns: a similarity, eigenvalues unchanged.
      for (let j = m - 1; j < n; j++) [a[pivot][j], a[m][j]] = [a[m][j], a[pivot][j]];
      for (let j = 0; j < n; j++) [a[j][pivot], a[j][m]] = [a[j][m], a[j][pivot]];
    }
    if (x === 0) continue;
    for (let i = m + 1; i < n; i++) {
      const y = a[i][m - 1] / x;
      if (y === 0) continue;
      // row i −= y·row m, then column m += y·column i (the inverse on the right).
      a[i][m - 1] = 0;
      for (let j = m; j < n; j++) a[i][j] -= y * a[m][j];
      for (let j = 0; j < n; j++) a[j][m] += y * a[j][i];
    }
  }
}

/**
 * Eigenvalues of an upper Hessenberg matrix (destroyed) by the QR algorithm
 * with Francis double shifts: two shifts at the eigenvalues of the trailing
 * 2×2 block, complex conjugate or not, applied together in real arithmetic.
 * Deflates a 1×1 block (a real eigenvalue) or a 2×2 block (a real or
 * complex pair) whenever a subdiagonal element becomes negligible.
 */
function hessenbergEigenvalues(a: Float64Array[]): Eigenvalue[] {
  const n = a.length;
  const out: Eigenvalue[] = [];
  let norm = 0;
  for (let i = 0; i < n; i++) for (let j = Math.max(i - 1, 0); j < n; j++) norm += Math.abs(a[i][j]);
  const MAX_ITERATIONS = 60; // per eigenvalue; 10 to 20 are typical
  let nn = n - 1;
  let t = 0; // total of the exceptional shifts
  while (nn >= 0) {
    let iterations = 0;
    let l: number;
    do {
      // Look for a single small subdiagonal element: the active block is l..nn.
      for (l = nn; l >= 1; l--) {
        let s = Math.abs(a[l - 1][l - 1]) + Math.abs(a[l][l]);
        if (s === 0) s = norm;
        if (Math.abs(a[l][l - 1]) + s === s) {
          a[l][l - 1] = 0;
          break;
        }
      }
      let x = a[nn][nn];
      if (l === nn) {
        out.push({ re: x + t, im: 0 }); // one root found
        nn--;
      } else {
        let y = a[nn - 1][nn - 1];
        let w = a[nn][nn - 1] * a[nn - 1][nn];
        if (l === nn - 1) {
          // Two roots: the eigenvalues of the trailing 2×2 block.
          const p = 0.5 * (y - x);
          const q = p * p + w;
          const z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            const zz = p + (p >= 0 ? z : -z); // the larger root first, then Vieta: no cancellation
            const second = zz !== 0 ? x - w / zz : x + zz;
            out.push({ re: x + zz, im: 0 }, { re: second, im: 0 });
          } else {
            out.push({ re: x + p, im: z }, { re: x + p, im: -z });
          }
          nn -= 2;
        } else {
          if (iterations === MAX_ITERATIONS) {
            throw new Error(`eigenvalues: the QR iteration did not converge after ${MAX_ITERATIONS} iterations (block ${l}..${nn})`);
          }
          if (iterations === 10 || iterations === 20) {
            // Exceptional shift: breaks the rare cycles of the standard shifts.
            t += x;
            for (let i = 0; i <= nn; i++) a[i][i] -= x;
            const s = Math.abs(a[nn][nn - 1]) + Math.abs(a[nn - 1][nn - 2]);
            x = y = 0.75 * s;
            w = -0.4375 * s * s;
          }
          iterations++;
          // Form the shift and look for two consecutive small subdiagonal elements.
          let m: number;
          let p = 0, q = 0, r = 0, z = 0;
          for (m = nn - 2; m >= l; m--) {
            z = a[m][m];
            r = x - z;
            const s0 = y - z;
            p = (r * s0 - w) / a[m + 1][m] + a[m][m + 1];
            q = a[m + 1][m + 1] - z - r - s0;
            r = a[m + 2][m + 1];
            const s = Math.abs(p) + Math.abs(q) + Math.abs(r); // scale to prevent overflow or underflow
            p /= s;
            q /= s;
            r /= s;
            if (m === l) break;
            const u = Math.abs(a[m][m - 1]) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(a[m - 1][m - 1]) + Math.abs(z) + Math.abs(a[m + 1][m + 1]));
            if (u + v === v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            a[i][i - 2] = 0;
            if (i !== m + 2) a[i][i - 3] = 0;
          }
          // Double QR step on rows l..nn and columns m..nn (Householder reflections of size 3).
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = a[k][k - 1];
              q = a[k + 1][k - 1];
              r = k !== nn - 1 ? a[k + 2][k - 1] : 0;
              x = Math.abs(p) + Math.abs(q) + Math.abs(r);
              if (x !== 0) {
                p /= x;
                q /= x;
                r /= x;
              }
            }
            const norm3 = Math.sqrt(p * p + q * q + r * r);
            const s = p >= 0 ? norm3 : -norm3;
            if (s === 0) continue;
            if (k === m) {
              if (l !== m) a[k][k - 1] = -a[k][k - 1];
            } else {
              a[k][k - 1] = -s * x;
            }
            p += s;
            x = p / s;
            y = q / s;
            z = r / s;
            q /= p;
            r /= p;
            for (let j = k; j <= nn; j++) {
              // Row modification.
              let pj = a[k][j] + q * a[k + 1][j];
              if (k !== nn - 1) {
                pj += r * a[k + 2][j];
                a[k + 2][j] -= pj * z;
              }
              a[k + 1][j] -= pj * y;
              a[k][j] -= pj * x;
            }
            const last = Math.min(nn, k + 3);
            for (let i = l; i <= last; i++) {
              // Column modification.
              let pi = x * a[i][k] + y * a[i][k + 1];
              if (k !== nn - 1) {
                pi += z * a[i][k + 2];
                a[i][k + 2] -= pi * r;
              }
              a[i][k + 1] -= pi * q;
              a[i][k] -= pi;
            }
          }
        }
      }
    } while (l < nn - 1);
  }
  return out;
}
