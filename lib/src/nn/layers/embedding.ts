/**
 * Token ids in, vectors out. An embedding is a [vocab, dim] table E; the
 * vector of token i is row i. That is exactly oneHot(i)·E, computed without
 * the product: a lookup forward, and backward a scatter-add,
 *   dE[id] += dy[row]   for every row that looked up id
 * (a token seen k times in the batch gets the sum of its k gradients).
 */
import { Matrix, DType } from "../core/matrix";
import { Parameter, Module } from "../core/parameter";
import { Sequence } from "../core/sequence";
import { LayerOptions, gaussianParameter } from "./parameters";
import { expectShape, expectDType, expectSize } from "../core/shapes";

/**
 * Checks that every id is an integer in [0, vocabSize) and returns them as an
 * Int32Array; the error names the tensor, the position, the id and the range.
 */
export function checkIds(tensor: string, ids: ArrayLike<number>, vocabSize: number): Int32Array {
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new Error(`${tensor}[${i}] = ${id} is not a vocabulary id: valid ids are 0..${vocabSize - 1}`);
    }
    out[i] = id;
  }
  return out;
}

/**
 * One row per id, all zeros but a 1 in column id: [ids.length, vocabSize].
 * Used in lessons 04 and 08.
 */
export function oneHot(ids: ArrayLike<number>, vocabSize: number, dtype: DType = "float32"): Matrix {
  const checked = checkIds("oneHot: ids", ids, vocabSize);
  const m = Matrix.zeros(checked.length, vocabSize, dtype);
  checked.forEach((id, i) => (m.data[i * vocabSize + id] = 1));
  return m;
}

/** The result of an Embedding forward pass: the ids (for the scatter-add) and the vectors. */
export interface EmbeddingForward<Y extends Matrix | Sequence> {
  ids: Int32Array;
  y: Y;
}

/** A [vocab, dim] table of learned vectors, one per token id. */
export class Embedding implements Module {
  /** The table, [vocab, dim]: row i is the vector of token i. */
  readonly E: Parameter;

  /** Rows start standard Gaussian (std 1, like a unit-scale input), drawn from `options.rng`. */
  constructor(
    readonly vocabSize: number,
    readonly dim: number,
    options: LayerOptions,
  ) {
    expectSize("Embedding", "vocabSize", vocabSize);
    expectSize("Embedding", "dim", dim);
    this.E = gaussianParameter(`${options.name ?? "embedding"}.E`, vocabSize, dim, options.rng, options.dtype ?? "float32", 1);
  }

  /** The precision of the table, hence of the vectors it returns. */
  get dtype(): DType {
    return this.E.value.dtype;
  }

  parameters(): Parameter[] {
    return [this.E];
  }

  /**
   * Looks up every id: a [ids.length, dim] matrix, or, given `batch`, a
   * time-major Sequence (ids[t·batch + b] is example b at step t).
   */
  forward(ids: ArrayLike<number>): EmbeddingForward<Matrix>;
  forward(ids: ArrayLike<number>, batch: number): EmbeddingForward<Sequence>;
  forward(ids: ArrayLike<number>, batch?: number): EmbeddingForward<Matrix> | EmbeddingForward<Sequence> {
    const checked = checkIds("Embedding: ids", ids, this.vocabSize);
    const D = this.dim, E = this.E.value.data;
    const y = Matrix.zeros(checked.length, D, this.dtype);
    checked.forEach((id, i) => y.data.set(E.subarray(id * D, (id + 1) * D), i * D));
    if (batch === undefined) return { ids: checked, y };
    if (!Number.isInteger(batch) || batch <= 0 || checked.length % batch !== 0) {
      throw new Error(`Embedding: ids has ${checked.length} entries, not a whole number of steps of batch ${batch}`);
    }
    return { ids: checked, y: new Sequence(checked.length / batch, batch, y) };
  }

  /** Scatter-adds dy into the table's `grad`: dE[ids[r]] += dy[r]. Ids are discrete: no input gradient. */
  backward(forward: EmbeddingForward<Matrix | Sequence>, dy: Matrix | Sequence): void {
    const dym = dy instanceof Sequence ? dy.data : dy;
    const { ids } = forward;
    const D = this.dim, dE = this.E.grad.data;
    expectShape("Embedding.backward", "dy", dym, ids.length, D, "[ids, dim]");
    expectDType("Embedding.backward", "dy", dym, this.dtype);
    for (let r = 0; r < ids.length; r++) {
      const row = ids[r] * D;
      for (let j = 0; j < D; j++) dE[row + j] += dym.data[r * D + j];
    }
  }
}
