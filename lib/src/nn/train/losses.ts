/**
 * Losses and their gradients, computed together (the gradient of the loss
 * with respect to the network's output is where backpropagation starts).
 *
 * Softmax cross-entropy, per row i with logits z_i and target class y_i:
 *   p_i = softmax(z_i),   ℓ_i = −log p_i[y_i] = logΣ_j exp(z_ij) − z_i[y_i]
 *   ∂ℓ_i/∂z_i = p_i − onehot(y_i)
 * The mean over the counted rows is in nats; exp(loss) is the perplexity.
 *
 * Mean squared error: L = (1/N) Σ (ŷ − y)² over all N elements, ∂L/∂ŷ = 2(ŷ − y)/N.
 */
import { Matrix } from "../core/matrix";
import { Sequence, sequenceLike, matrixOf } from "../core/sequence";
import { activations } from "../compute/activations";
import { expectFinite } from "../core/shapes";

/** Row-wise softmax, shifted by the row maximum so exp never overflows. */
export function softmax(logits: Matrix): Matrix {
  const p = Matrix.zeros(logits.rows, logits.cols, logits.dtype);
  const V = logits.cols, z = logits.data, P = p.data;
  const { exp } = activations(logits.dtype);
  for (let i = 0; i < logits.rows; i++) {
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, z[i * V + j]);
    let sum = 0;
    for (let j = 0; j < V; j++) sum += (P[i * V + j] = exp(z[i * V + j] - max));
    for (let j = 0; j < V; j++) P[i * V + j] /= sum;
  }
  return p;
}

/** Which rows count in a cross-entropy. */
export interface CrossEntropyOptions {
  /** A weight per row, usually 0 or 1: rows weighted 0 do not count (padding). */
  mask?: ArrayLike<number>;
  /** Rows whose target is this id do not count (and need not be valid classes). */
  ignoreIndex?: number;
  /**
   * Accept a batch in which no row counts, returning loss 0 and count 0
   * (default false: such a batch throws, since its "loss" of 0 would be a
   * silent wrong number). For callers that weight the losses of several
   * batches by `count`, where an all-padding batch adds nothing.
   */
  allowEmpty?: boolean;
}

/** The loss and where backpropagation starts: its gradient with respect to the logits. */
export interface CrossEntropyResult<X extends Matrix | Sequence> {
  /** Mean cross-entropy over the counted rows, in nats (0 if no row counts, with `allowEmpty`). */
  loss: number;
  /** ∂loss/∂logits, same shape (and kind) as the logits. */
  dLogits: X;
  /** The number (total weight) of counted rows: the mean's denominator. */
  count: number;
}

/**
 * Mean softmax cross-entropy of integer targets (one per row of logits),
 * computed from the logits with log-sum-exp so that it never overflows.
 * Throws when a logit is NaN or ±Infinity (a `NonFiniteError`), and when
 * every row is masked or ignored unless `allowEmpty`.
 * Used in lessons 02, 03, 04 and 08.
 */
export function softmaxCrossEntropy(logits: Matrix, targets: ArrayLike<number>, options?: CrossEntropyOptions): CrossEntropyResult<Matrix>;
export function softmaxCrossEntropy(logits: Sequence, targets: ArrayLike<number>, options?: CrossEntropyOptions): CrossEntropyResult<Sequence>;
export function softmaxCrossEntropy(
  logits: Matrix | Sequence,
  targets: ArrayLike<number>,
  options: CrossEntropyOptions = {},
): CrossEntropyResult<Matrix> | CrossEntropyResult<Sequence> {
  const z = matrixOf(logits);
  const [N, V] = [z.rows, z.cols];
  if (targets.length !== N) {
    throw new Error(`softmaxCrossEntropy: targets has ${targets.length} entries, expected ${N} (one per row of logits [${N}, ${V}])`);
  }
  const { mask, ignoreIndex, allowEmpty = false } = options;
  if (mask && mask.length !== N) {
    throw new Error(`softmaxCrossEntropy: mask has ${mask.length} entries, expected ${N} (one per row of logits [${N}, ${V}])`);
  }
  expectFinite("softmaxCrossEntropy", "logits", z);

  // Weight of each row: its mask entry, or 0 for an ignored target.
  const w = new Float64Array(N);
  let count = 0;
  for (let i = 0; i < N; i++) {
    const m = mask ? mask[i] : 1;
    if (!(m >= 0) || !Number.isFinite(m)) throw new Error(`softmaxCrossEntropy: mask[${i}] = ${m}; weights must be finite and >= 0`);
    const y = targets[i];
    if (y === ignoreIndex || m === 0) continue;
    if (!Number.isInteger(y) || y < 0 || y >= V) {
      throw new Error(`softmaxCrossEntropy: targets[${i}] = ${y} is not a class of logits [${N}, ${V}]: valid targets are 0..${V - 1}`);
    }
    w[i] = m;
    count += m;
  }
  if (count === 0 && !allowEmpty) {
    const how = [mask && "a mask weight of 0", ignoreIndex !== undefined && `the target ignoreIndex = ${ignoreIndex}`].filter(Boolean).join(" or ");
    const why = N === 0 ? "the logits have no rows" : `every position is masked (all ${N} rows have ${how})`;
    throw new Error(`softmaxCrossEntropy: no target left to score: ${why}; pass { allowEmpty: true } to get loss 0 and count 0`);
  }

  const dz = Matrix.zeros(N, V, z.dtype);
  const Z = z.data, D = dz.data;
  const { exp } = activations(z.dtype); // float32: a fast exp, to float32 accuracy
  let total = 0;
  for (let i = 0; i < N; i++) {
    if (w[i] === 0) continue;
    const y = targets[i], row = i * V;
    // log Σ_j exp(z_ij), shifted by the row maximum: exp never overflows, and
    // ℓ stays exact even where p[y] itself would underflow to 0.
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, Z[row + j]);
    // The exponentials wait in dz's row: p_ij = exp(z_ij − max) / sum (one exp per logit).
    let sum = 0;
    for (let j = 0; j < V; j++) sum += (D[row + j] = exp(Z[row + j] - max));
    const logSumExp = max + Math.log(sum);
    total += w[i] * (logSumExp - Z[row + y]);
    const scale = w[i] / count;
    for (let j = 0; j < V; j++) D[row + j] *= scale / sum; // scale · p_ij
    D[row + y] -= scale; // p − onehot(y)
  }
  const loss = count > 0 ? total / count : 0;
  return logits instanceof Sequence
    ? { loss, dLogits: sequenceLike(logits, dz), count }
    : { loss, dLogits: dz, count };
}

/** The loss and its gradient with respect to the prediction. */
export interface MeanSquaredErrorResult<X extends Matrix | Sequence> {
  /** Mean of (prediction − target)² over all elements. */
  loss: number;
  /** ∂loss/∂prediction = 2(prediction − target)/N. */
  dPrediction: X;
}

/**
 * Mean squared error over all elements; target must have the prediction's shape, both finite and not empty.
 * Used in lessons 05, 06 and 07.
 */
export function meanSquaredError(prediction: Matrix, target: Matrix): MeanSquaredErrorResult<Matrix>;
export function meanSquaredError(prediction: Sequence, target: Matrix | Sequence): MeanSquaredErrorResult<Sequence>;
export function meanSquaredError(
  prediction: Matrix | Sequence,
  target: Matrix | Sequence,
): MeanSquaredErrorResult<Matrix> | MeanSquaredErrorResult<Sequence> {
  const yHat = matrixOf(prediction), y = matrixOf(target);
  if (y.rows !== yHat.rows || y.cols !== yHat.cols) {
    throw new Error(`meanSquaredError: target: expected shape [${yHat.rows}, ${yHat.cols}] (the prediction's), got [${y.rows}, ${y.cols}]`);
  }
  expectFinite("meanSquaredError", "prediction", yHat);
  expectFinite("meanSquaredError", "target", y);
  const N = yHat.data.length;
  if (N === 0) throw new Error(`meanSquaredError: the prediction [${yHat.rows}, ${yHat.cols}] is empty: no element to score`);
  const d = Matrix.zeros(yHat.rows, yHat.cols, yHat.dtype);
  let total = 0;
  for (let i = 0; i < N; i++) {
    const e = yHat.data[i] - y.data[i];
    total += e * e;
    d.data[i] = (2 * e) / N;
  }
  const loss = total / N;
  return prediction instanceof Sequence ? { loss, dPrediction: sequenceLike(prediction, d) } : { loss, dPrediction: d };
}
