/**
 * What the reference cells share: a gate's weights, the backward pass through
 * a gate's pre-activation z = x_t W_x + h_{t−1} W_h + b, and the sum of
 * per-step gradients.
 */
import { Matrix } from "../core/matrix";
import { columnSums, sliceColumns } from "../core/ops";
import { add, matmulAT, matmulBT } from "./ops";

/**
 * One gate's weights (or, with the same shapes, their gradients): z = x_t W_x + h_{t−1} W_h + b.
 * Used in lessons 05 and 07.
 */
export interface GateWeights {
  /** W_x·, [input, hidden]. */
  Wx: Matrix;
  /** W_h·, [hidden, hidden]. */
  Wh: Matrix;
  /** b_·, [1, hidden]. */
  b: Matrix;
}

/**
 * A gate's block of a fast layer's fused weights: columns [from, from + H) of
 * W_x, W_h and b, copied.
 */
export function gateBlock(Wx: Matrix, Wh: Matrix, b: Matrix, from: number, H: number): GateWeights {
  return { Wx: sliceColumns(Wx, from, from + H), Wh: sliceColumns(Wh, from, from + H), b: sliceColumns(b, from, from + H) };
}

/**
 * Back through z = x_t W_x + h_{t−1} W_h + b, given dz = ∂L/∂z:
 *   dW_x = x_tᵀ dz,  dW_h = h_{t−1}ᵀ dz,  db = Σ_rows dz (b is added to every row),
 * and the shares of dz that reach x_t and h_{t−1}: dz W_xᵀ and dz W_hᵀ.
 */
export function gateBackward(dz: Matrix, x: Matrix, hPrev: Matrix, W: GateWeights): { grads: GateWeights; dx: Matrix; dhPrev: Matrix } {
  return {
    grads: { Wx: matmulAT(x, dz), Wh: matmulAT(hPrev, dz), b: columnSums(dz) },
    dx: matmulBT(dz, W.Wx),
    dhPrev: matmulBT(dz, W.Wh),
  };
}

/**
 * a + b for every matrix of two records of one shape (grouped by gate or
 * not; a missing entry stays missing): a weight serves every step, so its
 * gradient is the sum of the steps' gradients.
 */
export function addGradients<W>(a: W, b: W): W {
  if (a instanceof Matrix && b instanceof Matrix) return add(a, b) as W;
  if (a === undefined || b === undefined || typeof a !== "object" || a === null) return a;
  const other = b as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(a)) out[key] = addGradients(value, other[key]);
  return out as W;
}

/** For `filter`: keeps the entries that exist (a variant's missing gates drop out). */
export function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
