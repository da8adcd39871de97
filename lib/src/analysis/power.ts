/**
 * Power iteration: multiply a vector by W again and again. Written in the
 * eigenbasis of W, v = Σ cᵢqᵢ becomes Wᵏv = Σ cᵢλᵢᵏqᵢ, so the components
 * along the eigenvalues of largest modulus take over, and the growth per
 * step tends to ρ(W) = max |λᵢ|. That is the SAME computation as
 * backpropagating a gradient through a linear recurrence, which is why the
 * spectral radius decides whether such gradients vanish or explode.
 *
 * The textbook estimate ‖W·yₖ‖ (yₖ the normalized iterate) converges only
 * when ONE real eigenvalue dominates. A random non-symmetric matrix usually
 * has a complex pair λ, λ̄ on top (or two real ones ±λ): the iterate then
 * turns round in a plane and ‖W·yₖ‖ oscillates forever. We therefore look
 * at two directions at once, the iterate y and W·y: the 2×2 matrix W
 * restricted to their plane (a Rayleigh–Ritz step) has as eigenvalues the
 * roots of z² − a·z − b, where W²y ≈ a·Wy + b·y is the two-term recurrence
 * the iterates follow. Once the other components have died out these are
 * the two dominant eigenvalues, real or complex.
 *
 * `spectralNorm` runs the same iteration on WᵀW: its dominant eigenvalue is
 * σ_max(W)², the square of the largest singular value, ‖W‖₂ = max ‖Wv‖/‖v‖.
 */
import { Matrix } from "../nn/core/matrix";
import { Parameter } from "../nn/core/parameter";
import { Eigenvalue } from "../nn/core/eigen";
import { Random } from "../random";

/** A square or rectangular matrix: the engine's Matrix, a Parameter, or nested arrays (rows). */
export type MatrixLike = Matrix | Parameter | readonly (readonly number[])[];

/** A complex number (re, im): the eigenvalue type of the engine (see `nn.eigenvalues`). */
export type ComplexValue = Eigenvalue;

/** Dense row-major float64 copy of a matrix-like value, with its shape. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** Reads any `MatrixLike` into a float64 row-major array (a copy). */
export function toDense(where: string, m: MatrixLike): DenseMatrix {
  if (m instanceof Parameter) m = m.value;
  if (m instanceof Matrix) {
    const data = Float64Array.from(m.data);
    checkFinite(where, data);
    return { rows: m.rows, cols: m.cols, data };
  }
  if (!Array.isArray(m)) throw new Error(`${where}: expected a Matrix, a Parameter or an array of rows`);
  const rows = m.length, cols = rows ? m[0].length : 0;
  const data = new Float64Array(rows * cols);
  m.forEach((row, i) => {
    if (row.length !== cols) throw new Error(`${where}: row ${i} has ${row.length} values, row 0 has ${cols}`);
    data.set(row, i * cols);
  });
  checkFinite(where, data);
  return { rows, cols, data };
}

function checkFinite(where: string, data: Float64Array): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`${where}: the matrix holds ${data[i]} at flat index ${i}`);
  }
}

function square(where: string, m: MatrixLike): DenseMatrix {
  const d = toDense(where, m);
  if (d.rows !== d.cols) throw new Error(`${where}: the matrix must be square, got [${d.rows}, ${d.cols}]`);
  if (d.rows === 0) throw new Error(`${where}: the matrix is empty`);
  return d;
}

/** out = A·v for a dense n×m A. */
function multiply(a: DenseMatrix, v: Float64Array, out: Float64Array): Float64Array {
  const { rows, cols, data } = a;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    const row = i * cols;
    for (let j = 0; j < cols; j++) s += data[row + j] * v[j];
    out[i] = s;
  }
  return out;
}

/** out = Aᵀ·v for a dense n×m A. */
function multiplyTransposed(a: DenseMatrix, v: Float64Array, out: Float64Array): Float64Array {
  const { rows, cols, data } = a;
  out.fill(0);
  for (let i = 0; i < rows; i++) {
    const vi = v[i];
    if (vi === 0) continue;
    const row = i * cols;
    for (let j = 0; j < cols; j++) out[j] += data[row + j] * vi;
  }
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function norm(a: Float64Array): number {
  // Scaled, so that huge or tiny entries neither overflow nor underflow when squared.
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] / scale) ** 2;
  return scale * Math.sqrt(s);
}

/** A unit starting vector: `start` if given, else Gaussian from `rng`, else a fixed deterministic one. */
function startVector(where: string, n: number, start: ArrayLike<number> | undefined, rng: Random | undefined): Float64Array {
  let v: Float64Array;
  if (start !== undefined) {
    if (start.length !== n) throw new Error(`${where}: start has ${start.length} entries, the matrix needs ${n}`);
    v = Float64Array.from(start);
  } else if (rng) {
    v = Float64Array.from({ length: n }, () => rng.normal());
  } else {
    // Deterministic and unlikely to be orthogonal to any eigenvector that matters.
    v = Float64Array.from({ length: n }, (_, i) => 1 + 0.5 * Math.sin(1.7 * i + 0.3));
  }
  const s = norm(v);
  if (!(s > 0) || !Number.isFinite(s)) throw new Error(`${where}: the starting vector must be finite and non-zero`);
  for (let i = 0; i < n; i++) v[i] /= s;
  return v;
}

/** Options of {@link powerIteration}. */
export interface PowerIterationOptions {
  /** Most iterations (default 1000). */
  iterations?: number;
  /** Stop when the modulus estimate changes by less than tolerance·estimate twice in a row (default 1e-12). */
  tolerance?: number;
  /** The starting vector (default: Gaussian from `rng`, or a fixed vector without one). */
  start?: ArrayLike<number>;
  rng?: Random;
}

/** What {@link powerIteration} found. */
export interface PowerIterationResult {
  /** The dominant eigenvalue; of a complex pair, the one with im > 0. */
  value: ComplexValue;
  /** Its modulus |λ|: the estimate of the spectral radius ρ(W). */
  modulus: number;
  /** The modulus estimate after each iteration (the Rayleigh–Ritz step on span{y, W·y}). */
  history: number[];
  /** The textbook estimate ‖W·yₖ‖ after each iteration; it oscillates when a complex pair (or ±λ) dominates. */
  ratios: number[];
  /** Iterations run. */
  iterations: number;
  /** Whether the estimate settled within `tolerance` before the last iteration. */
  converged: boolean;
  /**
   * The last normalized iterate yₖ: close to an eigenvector of a real dominant
   * eigenvalue (the fit of the eigenvalue settles before the vector does).
   */
  vector: Float64Array;
}

/**
 * The dominant eigenvalue of a square matrix by power iteration, with a
 * Rayleigh–Ritz step on span{y, W·y} so that complex (and ±) dominant pairs converge too. Converges
 * at the rate |λ₃/λ₁| per step (|λ₂/λ₁| when one real eigenvalue dominates):
 * slowly when the next eigenvalues are nearly as large, as in a random matrix.
 * Used in lesson 03.
 */
export function powerIteration(target: MatrixLike, options: PowerIterationOptions = {}): PowerIterationResult {
  const where = "powerIteration";
  const w = square(where, target);
  const n = w.rows;
  const maxIterations = options.iterations ?? 1000;
  const tolerance = options.tolerance ?? 1e-12;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new Error(`${where}: iterations must be a positive integer, got ${maxIterations}`);
  if (!(tolerance >= 0)) throw new Error(`${where}: tolerance must be >= 0, got ${tolerance}`);
  let y = startVector(where, n, options.start, options.rng);
  const u = new Float64Array(n), e2 = new Float64Array(n), v = new Float64Array(n);
  const history: number[] = [], ratios: number[] = [];
  let value: ComplexValue = { re: 0, im: 0 };
  let settled = 0, converged = false, k = 0;
  while (k < maxIterations) {
    k++;
    multiply(w, y, u); // u = W·y
    const uNorm = norm(u);
    ratios.push(uNorm);
    if (uNorm === 0) {
      // W·y = 0: y lies in the null space (W nilpotent on what is left); no growth at all.
      value = { re: 0, im: 0 };
      history.push(0);
      converged = true;
      break;
    }
    value = ritzPair(w, y, u, e2, v);
    const modulus = Math.hypot(value.re, value.im);
    const previous = history.length ? history[history.length - 1] : NaN;
    history.push(modulus);
    if (Math.abs(modulus - previous) <= tolerance * modulus) {
      if (++settled >= 2) {
        converged = true;
        break;
      }
    } else settled = 0;
    // Next iterate: W·y, normalized.
    const next = y;
    for (let i = 0; i < n; i++) next[i] = u[i] / uNorm;
    y = next;
  }
  return { value, modulus: Math.hypot(value.re, value.im), history, ratios, iterations: k, converged, vector: Float64Array.from(y) };
}

/**
 * The dominant eigenvalue seen from the iterate y (unit) and u = W·y, by a
 * Rayleigh–Ritz step on span{y, W·y}: with the orthonormal basis e₁ = y,
 * e₂ = (u − (y·u)·y)/β, the 2×2 matrix H = [eᵢ·W·eⱼ] is
 *   [[y·u, y·W·e₂], [β, e₂·W·e₂]],
 * and its eigenvalues are the roots of z² − a·z − b, the two-term recurrence
 * that W²y ≈ a·Wy + b·y fits. Computing W·e₂ by a product of its own (instead
 * of projecting W²y) keeps that accurate when β is tiny, i.e. when the
 * iterate has nearly converged. Returns the complex root with im > 0 for a
 * complex pair; of two real roots, the one closer to y·u (once the iterate
 * sits on a real eigenvector the other is a Ritz value of the rest of the
 * spectrum; when ±λ dominate, either has the right modulus).
 */
function ritzPair(w: DenseMatrix, y: Float64Array, u: Float64Array, e2: Float64Array, v: Float64Array): ComplexValue {
  const n = y.length;
  const alpha = dot(y, u);
  for (let i = 0; i < n; i++) e2[i] = u[i] - alpha * y[i];
  const beta = norm(e2);
  // u parallel to y (to rounding): y is an eigenvector and alpha its eigenvalue.
  if (beta <= 1e-15 * norm(u)) return { re: alpha, im: 0 };
  for (let i = 0; i < n; i++) e2[i] /= beta;
  multiply(w, e2, v); // W·e₂
  const h12 = dot(y, v), h22 = dot(e2, v);
  const a = alpha + h22; // trace of H
  const b = beta * h12 - alpha * h22; // −det H
  const disc = a * a + 4 * b;
  if (disc >= 0) {
    const r = Math.sqrt(disc);
    const r1 = (a + r) / 2, r2 = (a - r) / 2;
    return { re: Math.abs(r1 - alpha) <= Math.abs(r2 - alpha) ? r1 : r2, im: 0 };
  }
  return { re: a / 2, im: Math.sqrt(-disc) / 2 };
}

/** Options of {@link spectralNorm}. */
export interface SpectralNormOptions {
  /** Most iterations (default 500). */
  iterations?: number;
  /** Stop when σ changes by less than tolerance·σ (default 1e-12). */
  tolerance?: number;
  /** Starting right singular vector guess (warm start from a nearby matrix). */
  start?: ArrayLike<number>;
  rng?: Random;
}

/** The largest singular value and its right singular vector. */
export interface SpectralNormResult {
  /** σ_max(W) = ‖W‖₂ = max over v of ‖W·v‖/‖v‖. */
  value: number;
  /** The unit vector v reaching it (approximately). */
  vector: Float64Array;
  iterations: number;
}

/**
 * ‖W‖₂, the largest singular value, by power iteration on WᵀW (any shape).
 * It bounds every growth: ‖W·v‖ ≤ ‖W‖₂‖v‖, and ρ(W) ≤ ‖W‖₂, with equality
 * for symmetric (normal) matrices.
 * Used in lesson 03.
 */
export function spectralNorm(target: MatrixLike, options: SpectralNormOptions = {}): SpectralNormResult {
  return spectralNormDense("spectralNorm", toDense("spectralNorm", target), options);
}

/** The row of largest norm, or undefined if every row is zero. */
function largestRow(w: DenseMatrix): Float64Array | undefined {
  let best: Float64Array | undefined, bestNorm = 0;
  for (let i = 0; i < w.rows; i++) {
    const row = w.data.subarray(i * w.cols, (i + 1) * w.cols);
    const r = norm(row);
    if (r > bestNorm) {
      bestNorm = r;
      best = row;
    }
  }
  return best;
}

/** `spectralNorm` on an already dense matrix (no copy). */
export function spectralNormDense(where: string, w: DenseMatrix, options: SpectralNormOptions = {}): SpectralNormResult {
  const maxIterations = options.iterations ?? 500;
  const tolerance = options.tolerance ?? 1e-12;
  if (w.rows === 0 || w.cols === 0) return { value: 0, vector: new Float64Array(w.cols), iterations: 0 };
  let v = startVector(where, w.cols, options.start, options.rng);
  const u = new Float64Array(w.rows), next = new Float64Array(w.cols);
  let sigma = 0, k = 0, restarted = false;
  while (k < maxIterations) {
    k++;
    multiply(w, v, u);
    const s = norm(u); // ‖W·v‖ for a unit v: increases toward σ_max
    multiplyTransposed(w, u, next); // WᵀW·v
    const t = norm(next);
    if (t === 0) {
      // v lies in the null space of W. Restart once from W's largest row r:
      // (W·rᵀ)ᵢ = ‖r‖² > 0, so that direction cannot be in the null space.
      const row = largestRow(w);
      if (restarted || row === undefined) return { value: 0, vector: v, iterations: k };
      restarted = true;
      v = startVector(where, w.cols, row, undefined);
      continue;
    }
    for (let i = 0; i < next.length; i++) v[i] = next[i] / t;
    const done = Math.abs(s - sigma) <= tolerance * s;
    sigma = s;
    if (done) break;
  }
  // One last product with the final vector.
  multiply(w, v, u);
  return { value: Math.max(sigma, norm(u)), vector: v, iterations: k };
}
