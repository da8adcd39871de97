/**
 * Measuring and bounding gradients before an update.
 *
 * Near the "cliffs" of a recurrent network's loss (where the recurrent weight
 * matrix, multiplied by itself once per time step, makes the loss change
 * exponentially fast) a gradient can be huge and one update can throw the
 * weights far from everything learned. Two remedies:
 *
 *   - norm clipping (Pascanu, Mikolov & Bengio 2013): if ‖g‖ > c, use
 *     g · c/‖g‖. ‖g‖ is the norm of ALL gradients as one vector, so the step
 *     keeps its direction and only its length is bounded;
 *   - value clipping: clamp each element to [−c, c]. The large components are
 *     cut and the small ones kept, so the DIRECTION changes.
 */
import { Parameter } from "../core/parameter";

/** Where a matrix of a parameter holds a NaN or ±Infinity. */
export interface NonFinite {
  /** The parameter's name. */
  parameter: string;
  /** Row and column of the first bad element. */
  row: number;
  col: number;
  /** The bad value: NaN, Infinity or -Infinity. */
  value: number;
}

/** The first NaN/±Infinity in the `grad` (or `value`) of `params`, in order; undefined if all are finite. */
export function findNonFinite(params: readonly Parameter[], field: "grad" | "value"): NonFinite | undefined {
  for (const p of params) {
    const m = p[field];
    const d = m.data;
    for (let i = 0; i < d.length; i++) {
      // x − x is 0 for every finite x, NaN for NaN and ±Infinity: one test for both.
      if (d[i] - d[i] !== 0) {
        return { parameter: p.name, row: Math.floor(i / m.cols), col: i % m.cols, value: d[i] };
      }
    }
  }
  return undefined;
}

/** Describes a bad element for an error message: `the gradient of "W" has NaN at [2, 5]`. */
export function describeNonFinite(bad: NonFinite, field: "grad" | "value"): string {
  const what = field === "grad" ? "the gradient of" : "the value of";
  return `${what} "${bad.parameter}" has ${bad.value} at [${bad.row}, ${bad.col}]`;
}

/**
 * ‖g‖₂ over every gradient of `params` taken as one vector. Returns NaN or
 * Infinity if some gradient element is not finite (use `findNonFinite` to
 * locate it).
 * Used in lesson 04.
 */
export function globalGradNorm(params: readonly Parameter[]): number {
  // Scaled by the largest |g| first, so that gradients that are huge but finite
  // (an exploding float64 gradient of 1e200) do not overflow when squared.
  let scale = 0;
  for (const p of params) {
    const d = p.grad.data;
    for (let i = 0; i < d.length; i++) {
      const a = Math.abs(d[i]);
      if (!Number.isFinite(a)) return a; // NaN or Infinity: no norm to compute
      if (a > scale) scale = a;
    }
  }
  if (scale === 0) return 0;
  let sum = 0;
  for (const p of params) {
    const d = p.grad.data;
    for (let i = 0; i < d.length; i++) {
      const x = d[i] / scale;
      sum += x * x;
    }
  }
  return scale * Math.sqrt(sum);
}

function checkThreshold(where: string, name: string, threshold: number): void {
  if (!(threshold > 0 && Number.isFinite(threshold))) {
    throw new Error(`${where}: ${name} must be a finite number > 0, got ${threshold}`);
  }
}

function throwIfNonFinite(where: string, params: readonly Parameter[]): void {
  const bad = findNonFinite(params, "grad");
  if (bad) {
    throw new Error(
      `${where}: ${describeNonFinite(bad, "grad")}; clipping cannot repair a gradient that is already ` +
        `NaN or infinite. Find where it first became non-finite (train() stops at that step) and try a lower learning rate.`,
    );
  }
}

/**
 * Norm clipping: if ‖g‖ > maxNorm, scales every gradient by maxNorm/‖g‖, so
 * the global norm becomes maxNorm and the direction is kept. Returns the norm
 * BEFORE clipping (plot it: spikes show where the cliffs are). Throws,
 * naming the parameter, if a gradient holds NaN or ±Infinity.
 * Used in lessons 02, 03, 04, 05, 06, 07, 08, 10 and 11.
 */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number): number {
  checkThreshold("clipGradNorm", "maxNorm", maxNorm);
  const norm = globalGradNorm(params);
  if (!Number.isFinite(norm)) throwIfNonFinite("clipGradNorm", params);
  if (norm > maxNorm) {
    const factor = maxNorm / norm;
    for (const p of params) {
      const d = p.grad.data;
      for (let i = 0; i < d.length; i++) d[i] *= factor;
    }
  }
  return norm;
}

/**
 * Value clipping: clamps every gradient element to [−maxValue, maxValue].
 * Unlike norm clipping this changes the direction of the step (large
 * components shrink, small ones do not). Returns how many elements were
 * clamped. Throws, naming the parameter, if a gradient holds NaN or ±Infinity.
 * Used in lesson 04.
 */
export function clipGradValue(params: readonly Parameter[], maxValue: number): number {
  checkThreshold("clipGradValue", "maxValue", maxValue);
  throwIfNonFinite("clipGradValue", params);
  let clamped = 0;
  for (const p of params) {
    const d = p.grad.data;
    for (let i = 0; i < d.length; i++) {
      if (d[i] > maxValue) {
        d[i] = maxValue;
        clamped++;
      } else if (d[i] < -maxValue) {
        d[i] = -maxValue;
        clamped++;
      }
    }
  }
  return clamped;
}
