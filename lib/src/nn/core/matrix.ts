/**
 * The engine's data: dense row-major matrices over a typed array. A batch of
 * vectors is a matrix with one row per example. Precision is a choice per
 * matrix: float32 for training speed, float64 for gradient checks, where
 * finite differences need the extra digits.
 */

export type DType = "float32" | "float64";
export type FloatArray = Float32Array | Float64Array;

export function allocate(length: number, dtype: DType): FloatArray {
  return dtype === "float64" ? new Float64Array(length) : new Float32Array(length);
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float64Array ? "float64" : "float32";
}

/**
 * A rows x cols matrix stored row-major: element (i, j) is data[i * cols + j].
 * Used in lessons 00, 03, 05, 06, 07, 08, 09, 10 and 11.
 */
export class Matrix {
  readonly data: FloatArray;

  constructor(
    readonly rows: number,
    readonly cols: number,
    data?: FloatArray,
    dtype: DType = "float32",
  ) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new Error(`Matrix: shape must be non-negative integers, got [${rows}, ${cols}]`);
    }
    if (data && data.length !== rows * cols) {
      throw new Error(`Matrix: data has ${data.length} elements, shape [${rows}, ${cols}] needs ${rows * cols}`);
    }
    this.data = data ?? allocate(rows * cols, dtype);
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  static zeros(rows: number, cols: number, dtype: DType = "float32"): Matrix {
    return new Matrix(rows, cols, undefined, dtype);
  }

  /** From nested arrays (rows of equal length). */
  static from(values: number[][], dtype: DType = "float32"): Matrix {
    const rows = values.length;
    const cols = rows ? values[0].length : 0;
    const m = Matrix.zeros(rows, cols, dtype);
    values.forEach((row, i) => {
      if (row.length !== cols) throw new Error(`Matrix.from: row ${i} has ${row.length} values, row 0 has ${cols}`);
      m.data.set(row, i * cols);
    });
    return m;
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j];
  }

  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  /** Rows [from, from + count), sharing this matrix's memory (a view, not a copy). */
  rowsView(from: number, count: number): Matrix {
    if (!(Number.isInteger(from) && Number.isInteger(count) && from >= 0 && count >= 0 && from + count <= this.rows)) {
      throw new Error(`Matrix.rowsView: rows [${from}, ${from + count}) are not inside the ${this.rows} rows`);
    }
    return new Matrix(count, this.cols, this.data.subarray(from * this.cols, (from + count) * this.cols));
  }

  /** A copy, optionally in another precision. */
  clone(dtype: DType = this.dtype): Matrix {
    const m = Matrix.zeros(this.rows, this.cols, dtype);
    m.data.set(this.data);
    return m;
  }

  fill(value: number): this {
    this.data.fill(value);
    return this;
  }

  toArray(): number[][] {
    return Array.from({ length: this.rows }, (_, i) => Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
  }
}

/** Throws an error naming the tensor unless `m` has the expected shape. */
export function assertShape(name: string, m: Matrix, rows: number, cols: number): void {
  if (m.rows !== rows || m.cols !== cols) {
    throw new Error(`${name}: expected shape [${rows}, ${cols}], got [${m.rows}, ${m.cols}]`);
  }
}
