/**
 * Matrix products, the only heavy arithmetic of the engine. Layers call the
 * active `Linalg`; everything element-wise they write out themselves, so the
 * math stays visible. Two implementations:
 *   - `jsLinalg`: plain loops, exact in float64 (gradient checks) and float32;
 *   - a TensorFlow.js one (see tfLinalg.ts) that runs float32 products on the
 *     fastest backend and keeps weights resident between calls.
 */
import { Matrix, Parameter, assertShape } from "./tensor";

/** A weight can be passed as its Parameter, which lets a backend cache it. */
export type Operand = Matrix | Parameter;

export function valueOf(x: Operand): Matrix {
  return x instanceof Parameter ? x.value : x;
}

export interface Linalg {
  readonly name: string;
  /** A · B, for A [n, k] and B [k, m]. */
  matmul(a: Matrix, b: Operand): Matrix;
  /** A · Bᵀ, for A [n, k] and B [m, k] (backward through a weight: dX = dZ · Wᵀ). */
  matmulBT(a: Matrix, b: Operand): Matrix;
  /** Aᵀ · B, for A [k, n] and B [k, m] (a weight's gradient: dW = Xᵀ · dZ). */
  matmulAT(a: Matrix, b: Matrix): Matrix;
}

function checkInner(op: string, a: Matrix, aDim: number, b: Matrix, bDim: number): void {
  if (aDim !== bDim) {
    throw new Error(`${op}: inner dimensions differ: [${a.rows}, ${a.cols}] and [${b.rows}, ${b.cols}]`);
  }
  if (a.dtype !== b.dtype) throw new Error(`${op}: mixed precision (${a.dtype} and ${b.dtype})`);
}

/** Plain-loop products (i-k-j order, so the inner loop walks memory contiguously). */
export const jsLinalg: Linalg = {
  name: "js",
  matmul(a, bOperand) {
    const b = valueOf(bOperand);
    checkInner("matmul", a, a.cols, b, b.rows);
    const c = Matrix.zeros(a.rows, b.cols, a.dtype);
    const [n, k, m] = [a.rows, a.cols, b.cols];
    const A = a.data, B = b.data, C = c.data;
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < k; p++) {
        const aip = A[i * k + p];
        if (aip === 0) continue;
        const bRow = p * m, cRow = i * m;
        for (let j = 0; j < m; j++) C[cRow + j] += aip * B[bRow + j];
      }
    }
    return c;
  },
  matmulBT(a, bOperand) {
    const b = valueOf(bOperand);
    checkInner("matmulBT", a, a.cols, b, b.cols);
    const c = Matrix.zeros(a.rows, b.rows, a.dtype);
    const [n, k, m] = [a.rows, a.cols, b.rows];
    const A = a.data, B = b.data, C = c.data;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[i * k + p] * B[j * k + p];
        C[i * m + j] = s;
      }
    }
    return c;
  },
  matmulAT(a, b) {
    checkInner("matmulAT", a, a.rows, b, b.rows);
    const c = Matrix.zeros(a.cols, b.cols, a.dtype);
    const [k, n, m] = [a.rows, a.cols, b.cols];
    const A = a.data, B = b.data, C = c.data;
    for (let p = 0; p < k; p++) {
      for (let i = 0; i < n; i++) {
        const api = A[p * n + i];
        if (api === 0) continue;
        const bRow = p * m, cRow = i * m;
        for (let j = 0; j < m; j++) C[cRow + j] += api * B[bRow + j];
      }
    }
    return c;
  },
};

let active: Linalg = jsLinalg;

/** The products every layer uses; swap with `setLinalg` (e.g. to the TensorFlow.js one). */
export function linalg(): Linalg {
  return active;
}

export function setLinalg(impl: Linalg): void {
  active = impl;
}

/** out += x, element-wise (shapes must match). */
export function addInPlace(name: string, out: Matrix, x: Matrix): void {
  assertShape(name, x, out.rows, out.cols);
  const o = out.data, d = x.data;
  for (let i = 0; i < o.length; i++) o[i] += d[i];
}
