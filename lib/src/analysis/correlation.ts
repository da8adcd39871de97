/**
 * Which units of a network follow a state of the text: the Pearson
 * correlation of every unit's activation over time with the state.
 *
 *   r = Σ_t (a_t − ā)(s_t − s̄) / √( Σ_t (a_t − ā)² · Σ_t (s_t − s̄)² )
 *
 * r = ±1 when the activation is an exact affine function of the state; r
 * near 0 when it is unrelated to it (in the linear sense: a unit that is
 * high both deep inside brackets and at depth 0 has r near 0 with depth). r
 * is undefined when either series is constant; it is then NaN here, and the
 * rankings leave such units out.
 *
 * Lesson 10 ranks the cells of character LSTMs this way against "inside a
 * quotation", "bracket depth" and "position in the line".
 */
import { Matrix } from "../nn/core/matrix";

function expectSeries(fn: string, name: string, x: ArrayLike<number>): void {
  if (x === null || typeof x !== "object" || typeof x.length !== "number") throw new TypeError(`${fn}: ${name} must be an array of numbers`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`${fn}: ${name}[${i}] is ${x[i]}, not a finite number`);
  }
}

/**
 * The Pearson correlation of two equally long series (at least two values
 * each); NaN when either is constant. Sums are accumulated in float64 around
 * the means, so long float32 series lose no precision.
 * Used in lesson 10.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expectSeries("pearson", "x", x);
  expectSeries("pearson", "y", y);
  const n = x.length;
  if (y.length !== n) throw new Error(`pearson: x has ${n} values but y has ${y.length}; they must pair up`);
  if (n < 2) throw new Error(`pearson: needs at least 2 pairs of values, got ${n}`);
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx, b = y[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * The Pearson correlation of every column of `activations` ([N, units]: one
 * row per time step, as a layer's `h` or `c` over a text read with batch 1)
 * with `state` (N values). Entry j is r of unit j; NaN for a constant unit.
 * Used in lesson 10.
 */
export function unitCorrelations(activations: Matrix, state: ArrayLike<number>): Float64Array {
  if (!(activations instanceof Matrix)) throw new TypeError("unitCorrelations: activations must be a Matrix [steps, units]");
  const { rows: N, cols: H, data } = activations;
  if (state.length !== N) throw new Error(`unitCorrelations: activations have ${N} rows (steps) but state has ${state.length} values`);
  const r = new Float64Array(H);
  const column = new Float64Array(N);
  for (let j = 0; j < H; j++) {
    for (let t = 0; t < N; t++) column[t] = data[t * H + j];
    r[j] = pearson(column, state);
  }
  return r;
}

/** A unit and its correlation, as {@link strongestUnits} lists them. */
export interface UnitCorrelation {
  unit: number;
  r: number;
}

/**
 * The `k` units with the largest |r|, strongest first (ties: lower unit
 * first); NaN entries are left out, so fewer than `k` may come back.
 * Used in lesson 10.
 */
export function strongestUnits(r: ArrayLike<number>, k = 1): UnitCorrelation[] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`strongestUnits: k must be a positive integer, got ${k}`);
  const units: UnitCorrelation[] = [];
  for (let j = 0; j < r.length; j++) if (!Number.isNaN(r[j])) units.push({ unit: j, r: r[j] });
  units.sort((a, b) => Math.abs(b.r) - Math.abs(a.r) || a.unit - b.unit);
  return units.slice(0, k);
}
