/**
 * How often each gate unit saturates. A sigmoid gate lies in (0, 1); over
 * a text, unit j of a gate is *left-saturated* at a step when its value is
 * below 0.1 (the gate is all but shut) and *right-saturated* when it is
 * above 0.9 (all but open). Karpathy, Johnson & Fei-Fei (2015) plot, for
 * every gate unit, the fraction of steps it spends left-saturated against
 * the fraction right-saturated: a forget-gate unit far to the right is a
 * cell that keeps its content for long stretches, one far to the left
 * forgets at almost every step.
 */
import { Matrix } from "../nn/core/matrix";

/** Options of {@link gateSaturation}. */
export interface SaturationOptions {
  /** Below this a gate value is left-saturated (default 0.1). */
  low?: number;
  /** Above this it is right-saturated (default 0.9). */
  high?: number;
}

/**
 * Per unit, the fraction of steps spent in each saturated regime.
 * Used in lesson 10.
 */
export interface GateSaturation {
  /** Fraction of rows where unit j is below `low`. */
  left: Float64Array;
  /** Fraction of rows where unit j is above `high`. */
  right: Float64Array;
}

/**
 * For every column (unit) of `gate` ([N, units], one row per step and
 * example), the fraction of its N values below `low` and above `high`
 * (strictly). Each fraction is in [0, 1] and left + right ≤ 1.
 * Used in lesson 10.
 */
export function gateSaturation(gate: Matrix, options: SaturationOptions = {}): GateSaturation {
  if (!(gate instanceof Matrix)) throw new TypeError("gateSaturation: gate must be a Matrix [steps, units]");
  const { low = 0.1, high = 0.9 } = options;
  if (!(Number.isFinite(low) && Number.isFinite(high) && low < high)) {
    throw new Error(`gateSaturation: needs finite thresholds with low < high, got low = ${low}, high = ${high}`);
  }
  const { rows: N, cols: H, data } = gate;
  if (N === 0) throw new Error("gateSaturation: the gate has no rows (steps) to count");
  const left = new Float64Array(H), right = new Float64Array(H);
  for (let t = 0; t < N; t++) {
    for (let j = 0; j < H; j++) {
      const v = data[t * H + j];
      if (Number.isNaN(v)) throw new Error(`gateSaturation: the gate value at row ${t}, unit ${j} is NaN`);
      if (v < low) left[j]++;
      else if (v > high) right[j]++;
    }
  }
  for (let j = 0; j < H; j++) {
    left[j] /= N;
    right[j] /= N;
  }
  return { left, right };
}
