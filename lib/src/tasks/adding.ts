/**
 * The adding problem (Hochreiter & Schmidhuber 1997, experiment 4), in the
 * form most papers since Arjovsky, Shah & Bengio (2016) use:
 *
 *   - the input is a sequence of T pairs (value, marker), the values drawn
 *     uniformly from [0, 1);
 *   - exactly two markers are 1: one at a step of the first half
 *     [0, ⌊T/2⌋), one at a step of the second half [⌊T/2⌋, T); every other
 *     marker is 0;
 *   - the target, read after the last step, is the sum of the two marked values.
 *
 * The first marked value has to be carried across at least the rest of the
 * first half, so the task needs a memory of about T/2 steps or more.
 *
 * The baseline: a model that ignores the input and always answers 1, the
 * mean of the target, has an MSE equal to the target's variance. The sum of
 * two independent U[0, 1) values has variance 2 · 1/12 = 1/6 ≈ 0.1667.
 * (Some code bases quote 0.1767 for this baseline; that number is not the
 * variance of the target.)
 */
import { Matrix, DType } from "../nn/core/matrix";
import { Sequence } from "../nn/core/sequence";
import { Random } from "../random";

/** The MSE of predicting the constant 1: the variance of the sum of two U[0, 1) values, 2/12 = 1/6. */
export const ADDING_BASELINE_MSE = 1 / 6;

/** Options of {@link addingProblem}. */
export interface AddingProblemOptions {
  /** Sequence length T (at least 2: one step per half). */
  steps: number;
  /** Number of sequences B. */
  batch: number;
  /** Precision of `x` and `y` (default float32, the engine's). */
  dtype?: DType;
}

/** One batch of the adding problem. */
export interface AddingBatch {
  /** The inputs, time-major [T·B, 2]: column 0 the value, column 1 the marker (0 or 1). */
  x: Sequence;
  /** The targets, [B, 1]: the sum of the two marked values of each sequence. */
  y: Matrix;
  /** For each sequence, the step of its marker in the first half, in [0, ⌊T/2⌋). */
  first: Int32Array;
  /** For each sequence, the step of its marker in the second half, in [⌊T/2⌋, T). */
  second: Int32Array;
}

function checkCount(what: string, n: unknown, least: number): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < least) {
    throw new Error(`addingProblem: ${what} must be an integer ≥ ${least}, got ${typeof n === "number" ? n : JSON.stringify(n)}`);
  }
  return n;
}

/**
 * A batch of B sequences of the adding problem, every draw from `rng`.
 * Used in lesson 05 (the vanilla RNN stays at the baseline, the LSTM solves
 * it; the forget-gate bias).
 */
export function addingProblem(rng: Random, options: AddingProblemOptions): AddingBatch {
  if (!(rng instanceof Random)) throw new Error("addingProblem: rng must be a Random (seeded), so that every batch can be drawn again");
  if (options === null || typeof options !== "object") throw new Error("addingProblem: options must be { steps, batch, dtype? }");
  const T = checkCount("steps", options.steps, 2);
  const B = checkCount("batch", options.batch, 1);
  const dtype = options.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float64") throw new Error(`addingProblem: dtype must be "float32" or "float64", got ${JSON.stringify(dtype)}`);
  const half = Math.floor(T / 2);
  const x = Sequence.zeros(T, B, 2, dtype);
  const y = Matrix.zeros(B, 1, dtype);
  const first = new Int32Array(B), second = new Int32Array(B);
  const d = x.data.data;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) d[(t * B + b) * 2] = rng.uniform();
    first[b] = rng.int(half);
    second[b] = half + rng.int(T - half);
    d[(first[b] * B + b) * 2 + 1] = 1;
    d[(second[b] * B + b) * 2 + 1] = 1;
    // The sum of the values as stored (rounded to the batch's precision).
    y.data[b] = d[(first[b] * B + b) * 2] + d[(second[b] * B + b) * 2];
  }
  return { x, y, first, second };
}
