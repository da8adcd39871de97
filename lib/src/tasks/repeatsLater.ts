/**
 * "Does this symbol occur again later?": a tagging task whose answer at each
 * step lies to the RIGHT of it, for bidirectional networks.
 *
 *   - the input is a sequence x_0 … x_{T−1} of symbols drawn independently
 *     and uniformly from an alphabet of m;
 *   - the tag of step t is 1 if x_t occurs again at some step s > t, else 0.
 *
 * A network that reads both ways has everything it needs: the tags are a
 * function of the whole sequence, so its ceiling is accuracy 1. A network
 * that reads left to right tags step t having seen only x_0 … x_t, and the
 * symbols after t are independent of those, so the best it can do is guess
 * from the position alone. With n = T − 1 − t steps still to come,
 *
 *   P(tag_t = 1 | x_0 … x_t) = q_t = 1 − (1 − 1/m)^n,
 *
 * whatever it has read. The best left-to-right rule answers 1 exactly when
 * q_t > 1/2, and is right with probability max(q_t, 1 − q_t); its best mean
 * cross-entropy at step t is the binary entropy of q_t. Averaged over the T
 * steps, these are the ceilings {@link repeatsLaterCeiling} computes.
 */
import { Random } from "../random";

/** Options of {@link repeatsLater}. */
export interface RepeatsLaterOptions {
  /** Sequence length T (at least 2). */
  steps: number;
  /** Number of sequences B. */
  batch: number;
  /** Alphabet size m (at least 2): symbols are the ids 0 … m − 1. */
  symbols: number;
}

/** One batch of the task, time-major like every sequence of the engine. */
export interface RepeatsLaterBatch {
  /** The symbols, [T·B]: entry t·B + b is x_t of sequence b. */
  inputs: Int32Array;
  /** The tags, [T·B], aligned with `inputs`: 1 if that symbol occurs again later in its sequence, else 0. */
  targets: Int32Array;
  steps: number;
  batch: number;
  symbols: number;
}

/** The best any left-to-right model can do on the task, computed exactly. */
export interface RepeatsLaterCeiling {
  /** q_t = P(tag_t = 1) = 1 − (1 − 1/m)^(T−1−t), for t = 0 … T − 1: all a left-to-right reader can know. */
  probabilityOfRepeat: number[];
  /** The best left-to-right guess at each step: 1 where q_t > 1/2, else 0. */
  bestGuess: Int32Array;
  /** Its expected accuracy, (1/T) Σ_t max(q_t, 1 − q_t). */
  accuracy: number;
  /** The lowest expected cross-entropy, (1/T) Σ_t H(q_t), in nats per tag. */
  loss: number;
  /** The expected accuracy of the best constant answer, for comparison: max(q̄, 1 − q̄) with q̄ the mean of q_t. */
  constantAccuracy: number;
}

function checkCount(where: string, what: string, n: unknown, least: number): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < least) {
    throw new Error(`${where}: ${what} must be an integer ≥ ${least}, got ${typeof n === "number" ? n : JSON.stringify(n)}`);
  }
  return n;
}

/**
 * A batch of B sequences of the "repeats later" task, every symbol drawn
 * from `rng`. Used in lesson 08 (unidirectional against bidirectional
 * networks, and the exact ceiling of the first).
 */
export function repeatsLater(rng: Random, options: RepeatsLaterOptions): RepeatsLaterBatch {
  const where = "repeatsLater";
  if (!(rng instanceof Random)) throw new Error(`${where}: rng must be a Random (seeded), so that every batch can be drawn again`);
  if (options === null || typeof options !== "object") throw new Error(`${where}: options must be { steps, batch, symbols }`);
  const T = checkCount(where, "steps", options.steps, 2);
  const B = checkCount(where, "batch", options.batch, 1);
  const m = checkCount(where, "symbols", options.symbols, 2);
  const inputs = new Int32Array(T * B), targets = new Int32Array(T * B);
  const seen = new Uint8Array(m);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) inputs[t * B + b] = rng.int(m);
    // Right to left, keeping the set of symbols met so far: the tag is membership in it.
    seen.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const x = inputs[t * B + b];
      targets[t * B + b] = seen[x];
      seen[x] = 1;
    }
  }
  return { inputs, targets, steps: T, batch: B, symbols: m };
}

/**
 * The exact ceiling of a left-to-right model on sequences of `steps` symbols
 * from an alphabet of `symbols` (see the module comment). Used in lesson 08.
 */
export function repeatsLaterCeiling(steps: number, symbols: number): RepeatsLaterCeiling {
  const where = "repeatsLaterCeiling";
  const T = checkCount(where, "steps", steps, 2);
  const m = checkCount(where, "symbols", symbols, 2);
  const q = Array.from({ length: T }, (_, t) => 1 - Math.pow(1 - 1 / m, T - 1 - t));
  const entropy = (p: number) => (p <= 0 || p >= 1 ? 0 : -(p * Math.log(p) + (1 - p) * Math.log(1 - p)));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const qBar = mean(q);
  return {
    probabilityOfRepeat: q,
    bestGuess: Int32Array.from(q, (p) => (p > 0.5 ? 1 : 0)),
    accuracy: mean(q.map((p) => Math.max(p, 1 - p))),
    loss: mean(q.map(entropy)),
    constantAccuracy: Math.max(qBar, 1 - qBar),
  };
}
