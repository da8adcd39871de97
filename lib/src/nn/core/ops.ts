/**
 * Plain-loop operations on matrices that the layers and analyses share: bias
 * broadcasting and its gradient, sums, column slices and concatenations,
 * norms. The matrix products are elsewhere (compute/linalg.ts).
 */
import { Matrix, assertShape } from "./matrix";

/** Broadcast a bias row over a batch: z[i, :] += b[0, :]. */
export function addBias(z: Matrix, b: Matrix): void {
  if (b.rows !== 1 || b.cols !== z.cols) {
    throw new Error(`addBias: bias: expected shape [1, ${z.cols}], got [${b.rows}, ${b.cols}]`);
  }
  const Z = z.data, B = b.data, n = z.cols;
  for (let i = 0; i < z.rows; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) Z[row + j] += B[j];
  }
}

/**
 * The bias gradient: db[0, j] += Σ_i dz[i, j]. A bias is added to every row,
 * so (like any repeated weight) its gradient is the sum over the rows.
 */
export function addColumnSums(db: Matrix, dz: Matrix): void {
  if (db.rows !== 1 || db.cols !== dz.cols) {
    throw new Error(`addColumnSums: bias gradient: expected shape [1, ${dz.cols}], got [${db.rows}, ${db.cols}]`);
  }
  const D = db.data, Z = dz.data, n = dz.cols;
  for (let i = 0; i < dz.rows; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) D[j] += Z[row + j];
  }
}

/** Σ_i m[i, :] as a [1, cols] row: a bias's gradient from its rows' dz (see {@link addColumnSums}). */
export function columnSums(m: Matrix): Matrix {
  const out = Matrix.zeros(1, m.cols, m.dtype);
  addColumnSums(out, m);
  return out;
}

/** grad += d, for a gradient summed in a float64 accumulator (e.g. a bias's, inside a backward loop). */
export function addVector(grad: Matrix, d: Float64Array): void {
  if (grad.data.length !== d.length) {
    throw new Error(`addVector: ${d.length} values for a gradient of shape [${grad.rows}, ${grad.cols}]`);
  }
  const g = grad.data;
  for (let i = 0; i < d.length; i++) g[i] += d[i];
}

/** out += x, element-wise (shapes must match). */
export function addInPlace(name: string, out: Matrix, x: Matrix): void {
  assertShape(name, x, out.rows, out.cols);
  const o = out.data, d = x.data;
  for (let i = 0; i < o.length; i++) o[i] += d[i];
}


/**
 * [a, b] side by side: rows must match; result has a.cols + b.cols columns.
 * Used in lesson 08.
 */
export function concatColumns(parts: Matrix[]): Matrix {
  if (parts.length === 0) throw new Error("concatColumns: nothing to concatenate");
  const { rows, dtype } = parts[0];
  parts.forEach((p, i) => {
    if (p.rows !== rows) throw new Error(`concatColumns: part ${i} has ${p.rows} rows, part 0 has ${rows}`);
  });
  const cols = parts.reduce((s, p) => s + p.cols, 0);
  const out = Matrix.zeros(rows, cols, dtype);
  for (let i = 0; i < rows; i++) {
    let offset = i * cols;
    for (const p of parts) {
      out.data.set(p.data.subarray(i * p.cols, (i + 1) * p.cols), offset);
      offset += p.cols;
    }
  }
  return out;
}

/** Columns [from, to) of m, as a copy. The inverse of `concatColumns`. */
export function sliceColumns(m: Matrix, from: number, to: number): Matrix {
  if (!(0 <= from && from <= to && to <= m.cols)) {
    throw new Error(`sliceColumns: [${from}, ${to}) is not inside the ${m.cols} columns`);
  }
  const w = to - from;
  const out = Matrix.zeros(m.rows, w, m.dtype);
  for (let i = 0; i < m.rows; i++) out.data.set(m.data.subarray(i * m.cols + from, i * m.cols + to), i * w);
  return out;
}

/**
 * Σ of equally shaped matrices (e.g. the per-step shares of a gradient).
 * Used in lesson 05.
 */
export function sumMatrices(ms: readonly Matrix[]): Matrix {
  if (ms.length === 0) throw new Error("sumMatrices: nothing to sum");
  const out = Matrix.zeros(ms[0].rows, ms[0].cols, ms[0].dtype);
  for (const m of ms) {
    if (m.rows !== out.rows || m.cols !== out.cols) throw new Error(`sumMatrices: shapes [${m.rows}, ${m.cols}] and [${out.rows}, ${out.cols}] differ`);
    for (let i = 0; i < m.data.length; i++) out.data[i] += m.data[i];
  }
  return out;
}

/**
 * The Frobenius norm √(Σ m_ij²).
 * Used in lessons 05 and 08.
 */
export function frobeniusNorm(m: Matrix): number {
  let s = 0;
  for (let i = 0; i < m.data.length; i++) s += m.data[i] * m.data[i];
  return Math.sqrt(s);
}

/**
 * max |a − b| over the entries of two equally shaped matrices.
 * Used in lessons 05, 06, 07 and 08.
 */
export function maxAbsDifference(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error(`maxAbsDifference: shapes [${a.rows}, ${a.cols}] and [${b.rows}, ${b.cols}] differ`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

