/**
 * A batch of sequences, stored time-major in one matrix: rows t*B .. t*B+B-1
 * hold the B examples at time step t. Keeping every step in one matrix lets a
 * layer compute the input projection of all steps as ONE large product (much
 * faster than T small ones), while `at(t)` gives a step's rows without copying.
 */
import { Matrix, DType } from "./matrix";

/** Used in lessons 02, 03, 04, 05, 06, 07, 08 and 11. */
export class Sequence {
  constructor(
    readonly steps: number,
    readonly batch: number,
    readonly data: Matrix,
  ) {
    if (steps <= 0) throw new Error(`Sequence: needs at least one time step, got ${steps}`);
    if (batch <= 0) throw new Error(`Sequence: needs a batch of at least one, got ${batch}`);
    if (data.rows !== steps * batch) {
      throw new Error(`Sequence: data has ${data.rows} rows, ${steps} steps x batch ${batch} needs ${steps * batch}`);
    }
  }

  static zeros(steps: number, batch: number, features: number, dtype: DType = "float32"): Sequence {
    return new Sequence(steps, batch, Matrix.zeros(steps * batch, features, dtype));
  }

  /** Builds a sequence from T matrices of shape [batch, features]. */
  static stack(matrices: Matrix[]): Sequence {
    if (matrices.length === 0) throw new Error("Sequence.stack: empty list of time steps");
    const { rows: batch, cols: features, dtype } = matrices[0];
    const s = Sequence.zeros(matrices.length, batch, features, dtype);
    matrices.forEach((m, t) => {
      if (m.rows !== batch || m.cols !== features) {
        throw new Error(`Sequence.stack: step ${t} has shape [${m.rows}, ${m.cols}], step 0 has [${batch}, ${features}]`);
      }
      s.data.data.set(m.data, t * batch * features);
    });
    return s;
  }

  get features(): number {
    return this.data.cols;
  }

  /** The [batch, features] rows of step t, sharing memory with the sequence. */
  at(t: number): Matrix {
    if (!(t >= 0 && t < this.steps)) throw new Error(`Sequence.at: step ${t} is outside 0..${this.steps - 1}`);
    return this.data.rowsView(t * this.batch, this.batch);
  }

  /** Steps [from, to) as a view sharing memory (truncated BPTT segments). */
  slice(from: number, to: number): Sequence {
    if (!(0 <= from && from < to && to <= this.steps)) {
      throw new Error(`Sequence.slice: [${from}, ${to}) is not a non-empty range inside 0..${this.steps}`);
    }
    const n = this.batch * this.features;
    return new Sequence(to - from, this.batch, new Matrix((to - from) * this.batch, this.features, this.data.data.subarray(from * n, to * n)));
  }
}

/** A sequence with the same steps and batch as `like`, holding `data`. */
export function sequenceLike(like: Sequence, data: Matrix): Sequence {
  return new Sequence(like.steps, like.batch, data);
}

/** The matrix of a batch: a Sequence's [T·B, features] data, or the matrix itself. */
export function matrixOf(x: Matrix | Sequence): Matrix {
  return x instanceof Sequence ? x.data : x;
}
