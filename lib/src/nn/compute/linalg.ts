/**
 * Matrix products, the only heavy arithmetic of the engine. Layers call the
 * active `Linalg`; everything element-wise they write out themselves, so the
 * math stays visible. Two implementations:
 *   - `jsLinalg`: plain loops, exact in float64 (gradient checks) and float32;
 *   - a TensorFlow.js one (see tfLinalg.ts) that runs float32 products on the
 *     fastest backend and keeps weights resident between calls.
 */
import { Matrix } from "../core/matrix";
import { Operand } from "../core/parameter";
import { jsLinalg } from "./jsLinalg";

/** Used in lesson 00. */
export interface Linalg {
  readonly name: string;
  /** A · B, for A [n, k] and B [k, m]. */
  matmul(a: Matrix, b: Operand): Matrix;
  /** A · Bᵀ, for A [n, k] and B [m, k] (backward through a weight: dX = dZ · Wᵀ). */
  matmulBT(a: Matrix, b: Operand): Matrix;
  /** Aᵀ · B, for A [k, n] and B [k, m] (a weight's gradient: dW = Xᵀ · dZ). */
  matmulAT(a: Matrix, b: Matrix): Matrix;
}

let active: Linalg = jsLinalg;

/**
 * The products every layer uses; swap with `setLinalg` (e.g. to the TensorFlow.js one).
 * Used in lesson 00.
 */
export function linalg(): Linalg {
  return active;
}

export function setLinalg(impl: Linalg): void {
  active = impl;
}
