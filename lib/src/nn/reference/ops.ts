/**
 * The matrix-level operations the reference cells are written with, so that
 * each line of a cell reads like its equation: `matmul(x, Wxi)` is x_t W_xi,
 * `add(...)` is +, `hadamard(...)` is ⊙, `sigmoid(m)` and `tanh(m)` are σ and
 * tanh applied to every element. Every one returns a new matrix and changes
 * none of its arguments: nothing here is fast, all of it is plain loops.
 *
 * The products are the engine's plain-loop ones (compute/jsLinalg.ts, exact
 * in float64); the bias gradient Σ_rows and the column slices of the fused
 * weights come from core/ops.ts.
 */
import { Matrix, DType } from "../core/matrix";
import { jsLinalg } from "../compute/jsLinalg";
import { sigmoid as sigmoidOf } from "../compute/activations";

/** A · B, for A [n, k] and B [k, m]: e.g. x_t W_xi. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  return jsLinalg.matmul(a, b);
}

/** A · Bᵀ: the gradient reaching the input of a product, dx = dz W_xᵀ. */
export function matmulBT(a: Matrix, b: Matrix): Matrix {
  return jsLinalg.matmulBT(a, b);
}

/** Aᵀ · B: the gradient of a weight, dW_x = x_tᵀ dz. */
export function matmulAT(a: Matrix, b: Matrix): Matrix {
  return jsLinalg.matmulAT(a, b);
}

/**
 * One element-wise operation over matrices of one shape [rows, cols], where
 * a [1, cols] row stands for itself repeated on every row: a bias b or a
 * peephole p is one row shared by the whole batch.
 */
function elementwise(op: string, terms: readonly Matrix[], combine: (acc: number, v: number) => number): Matrix {
  if (terms.length === 0) throw new Error(`${op}: needs at least one matrix`);
  const rows = Math.max(...terms.map((m) => m.rows)), cols = terms[0].cols;
  for (const m of terms) {
    if (m.cols !== cols || (m.rows !== rows && m.rows !== 1)) {
      throw new Error(`${op}: shapes ${terms.map((t) => `[${t.rows}, ${t.cols}]`).join(", ")} do not match (a [1, cols] row is repeated on every row)`);
    }
    if (m.dtype !== terms[0].dtype) throw new Error(`${op}: mixed precision (${m.dtype} and ${terms[0].dtype})`);
  }
  const out = Matrix.zeros(rows, cols, terms[0].dtype);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let acc = terms[0].get(terms[0].rows === 1 ? 0 : i, j);
      for (let k = 1; k < terms.length; k++) acc = combine(acc, terms[k].get(terms[k].rows === 1 ? 0 : i, j));
      out.set(i, j, acc);
    }
  }
  return out;
}

/** a + b + …, element by element; a [1, cols] row (a bias) is added to every row. */
export function add(...terms: Matrix[]): Matrix {
  return elementwise("add", terms, (acc, v) => acc + v);
}

/** a − b, element by element. */
export function sub(a: Matrix, b: Matrix): Matrix {
  return elementwise("sub", [a, b], (acc, v) => acc - v);
}

/** a ⊙ b ⊙ …, the element-wise product; a [1, cols] row (a peephole) multiplies every row. */
export function hadamard(...factors: Matrix[]): Matrix {
  return elementwise("hadamard", factors, (acc, v) => acc * v);
}

/** f applied to every element of m. */
export function map(m: Matrix, f: (v: number) => number): Matrix {
  const out = Matrix.zeros(m.rows, m.cols, m.dtype);
  for (let i = 0; i < m.data.length; i++) out.data[i] = f(m.data[i]);
  return out;
}

/** 1 − m: with CIFG i = 1 − f; in derivatives σ′ = σ ⊙ (1 − σ) and tanh′ = 1 − tanh². */
export function oneMinus(m: Matrix): Matrix {
  return map(m, (v) => 1 - v);
}

/** m ⊙ m. */
export function square(m: Matrix): Matrix {
  return hadamard(m, m);
}

/** σ(m) = 1 / (1 + e^(−m)) element-wise, exact in every precision (the fast layers use a float32 approximation). */
export function sigmoid(m: Matrix): Matrix {
  return map(m, sigmoidOf);
}

/** tanh(m) element-wise, exact in every precision. */
export function tanh(m: Matrix): Matrix {
  return map(m, Math.tanh);
}

/** A [rows, cols] matrix of ones: the forget gate of a cell that has none. */
export function ones(rows: number, cols: number, dtype: DType): Matrix {
  return Matrix.zeros(rows, cols, dtype).fill(1);
}
