/**
 * "Recall the last marked value": a regression task whose memory must be
 * overwritten, again and again.
 *
 *   - the input is a sequence of T pairs (value, marker), the values drawn
 *     uniformly from [0, 1);
 *   - the first step always carries a marker; every later step carries one
 *     with probability p (`markerRate`), independently;
 *   - the target at EVERY step t is the value of the most recent marked step
 *     s ≤ t.
 *
 * Remembering is not enough: each new marker makes the value held so far
 * worthless, so a cell has to erase it and write the new one (what a forget
 * gate does in one multiplication). The gaps between markers are geometric,
 * of mean 1/p, so the memory must also last: with p = 0.1 one gap in eight is
 * longer than 20 steps.
 *
 * The baseline: a model that ignores the input and always answers 1/2, the
 * mean of a U[0, 1) value, has MSE equal to its variance, 1/12 ≈ 0.0833.
 */
import { DType } from "../nn/core/matrix";
import { Sequence } from "../nn/core/sequence";
import { Random } from "../random";

/** The MSE of answering the constant 1/2: the variance of a U[0, 1) value, 1/12. */
export const LAST_MARKED_BASELINE_MSE = 1 / 12;

/** Options of {@link lastMarked}. */
export interface LastMarkedOptions {
  /** Sequence length T (at least 1). */
  steps: number;
  /** Number of sequences B. */
  batch: number;
  /** p: the probability that a step after the first carries a marker, in [0, 1]. */
  markerRate: number;
  /** Precision of `x` and `y` (default float32, the engine's). */
  dtype?: DType;
}

/** One batch of the task, time-major like every sequence of the engine. */
export interface LastMarkedBatch {
  /** The inputs, [T·B, 2]: column 0 the value, column 1 the marker (0 or 1). */
  x: Sequence;
  /** The targets, [T·B, 1]: at each step, the value of the most recent marked step (this one included). */
  y: Sequence;
  /** [T·B]: how many steps ago that marker was (0 on a marked step). */
  age: Int32Array;
}

function checkCount(what: string, n: unknown, least: number): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < least) {
    throw new Error(`lastMarked: ${what} must be an integer ≥ ${least}, got ${typeof n === "number" ? n : JSON.stringify(n)}`);
  }
  return n;
}

/**
 * A batch of B sequences of "recall the last marked value", every draw from
 * `rng` (per sequence and step: the value, then, after the first step, the
 * marker). Used in lesson 06 (the forget gate, and the LSTM variants that
 * lack it).
 */
export function lastMarked(rng: Random, options: LastMarkedOptions): LastMarkedBatch {
  if (!(rng instanceof Random)) throw new Error("lastMarked: rng must be a Random (seeded), so that every batch can be drawn again");
  if (options === null || typeof options !== "object") throw new Error("lastMarked: options must be { steps, batch, markerRate, dtype? }");
  const T = checkCount("steps", options.steps, 1);
  const B = checkCount("batch", options.batch, 1);
  const p = options.markerRate;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new Error(`lastMarked: markerRate must be a probability in [0, 1], got ${String(p)}`);
  const dtype = options.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float64") throw new Error(`lastMarked: dtype must be "float32" or "float64", got ${JSON.stringify(dtype)}`);
  const x = Sequence.zeros(T, B, 2, dtype);
  const y = Sequence.zeros(T, B, 1, dtype);
  const age = new Int32Array(T * B);
  const xd = x.data.data, yd = y.data.data;
  for (let b = 0; b < B; b++) {
    let since = 0;
    for (let t = 0; t < T; t++) {
      const row = t * B + b;
      xd[row * 2] = rng.uniform();
      const marked = t === 0 || rng.uniform() < p;
      if (marked) {
        xd[row * 2 + 1] = 1;
        since = 0;
      } else {
        since++;
      }
      // The value as stored (rounded to the batch's precision), from the marked row `since` steps back.
      yd[row] = xd[((t - since) * B + b) * 2];
      age[row] = since;
    }
  }
  return { x, y, age };
}
