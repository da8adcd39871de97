// Small helpers shared by the engine's tests.
import { expect } from "vitest";
import { Random } from "../lib/src";
import { Matrix, Parameter, DType, GradCheckResult } from "../lib/src/nn";

/** A rows x cols matrix of seeded Gaussian entries (float64 unless asked). */
export function randn(rng: Random, rows: number, cols: number, dtype: DType = "float64", std = 1): Matrix {
  const m = Matrix.zeros(rows, cols, dtype);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal(0, std);
  return m;
}

/** Σ a ⊙ b: a loss that is linear in a layer's outputs, so ∂L/∂a = b. */
export function dot(a: Matrix, b: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}

/** Every checked parameter below `threshold`, and every analytic gradient non-zero (else the check proves nothing). */
export function expectGradCheck(params: Parameter[], results: GradCheckResult[], threshold: number): void {
  expect(results.length).toBe(params.length);
  for (const r of results) {
    expect(r.checked, r.parameter).toBeGreaterThan(0);
    expect(r.maxRelativeError, r.parameter).toBeLessThan(threshold);
  }
  for (const p of params) expect(p.grad.data.some((g) => g !== 0), `${p.name} has an all-zero gradient`).toBe(true);
}

/** max |a − b| / max |b|. */
export function relDiff(a: Matrix, b: Matrix): number {
  let d = 0, s = 0;
  for (let i = 0; i < b.data.length; i++) {
    d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
    s = Math.max(s, Math.abs(b.data[i]));
  }
  return d / s;
}
