/**
 * Text as a stream of token ids, cut into the time-major batches a recurrent
 * language model trains on.
 *
 * A language model reads the stream x_0 x_1 x_2 … and at every step predicts
 * the next token: the input at step t is x_t, the target x_{t+1}. To train on
 * a batch of B sequences at once, the stream is cut into B contiguous *lanes*
 * (lane b holds positions b·L .. b·L + L − 1), and the lanes are read side by
 * side, `steps` positions at a time:
 *
 *   window 0: lane 0 positions 0..T−1,   lane 1 positions L..L+T−1,   …
 *   window 1: lane 0 positions T..2T−1,  lane 1 positions L+T..L+2T−1, …
 *
 * Window j+1 continues exactly where window j stopped in every lane, so a
 * model can carry its hidden state from one window to the next (truncated
 * backpropagation through time: the forward pass never restarts, the
 * gradient stops at the window's start).
 */
import { Vocabulary } from "../text/vocabulary";
import { tokenizeChars, TokenizeOptions } from "../text/tokenize";
import { mobyDickText } from "../data/mobyDick";

/**
 * Aligned inputs and targets: after reading inputs[i], the model should predict targets[i].
 * Used in lessons 02 and 07.
 */
export interface StreamPairs {
  inputs: Int32Array;
  targets: Int32Array;
}

/**
 * The next-token pairs of a stream: targets are the ids themselves, inputs
 * the id before each. With `start` (e.g. the vocabulary's `<s>`), the first
 * token is predicted too, from `start`: N ids give N pairs. Without it, the
 * first token is only read: N ids give N − 1 pairs.
 * Used in lessons 02, 03, 06, 07, 08 and 10.
 */
export function nextTokenPairs(ids: ArrayLike<number>, start?: number): StreamPairs {
  const n = ids.length;
  if (start === undefined) {
    if (n < 2) throw new Error(`nextTokenPairs: a stream of ${n} token(s) has no next token to predict; pass a start token or more ids`);
    const inputs = Int32Array.from({ length: n - 1 }, (_, i) => ids[i]);
    const targets = Int32Array.from({ length: n - 1 }, (_, i) => ids[i + 1]);
    return { inputs, targets };
  }
  if (n < 1) throw new Error("nextTokenPairs: the stream is empty");
  const inputs = Int32Array.from({ length: n }, (_, i) => (i === 0 ? start : ids[i - 1]));
  return { inputs, targets: Int32Array.from(ids) };
}

/** One batch: `steps` steps of `batch` lanes, time-major (entry t·batch + b is lane b at step t). */
export interface StreamWindow extends StreamPairs {
  /** Which window of the epoch, from 0. */
  index: number;
  /** Steps per lane in this window. */
  steps: number;
  batch: number;
}

/** Options of {@link StreamBatches}. */
export interface StreamBatchOptions {
  /** Number of lanes B, read side by side. */
  batch: number;
  /** Steps per window T: the length of each truncated-BPTT segment. */
  steps: number;
}

/**
 * Aligned input/target streams cut into B lanes and windows of T steps (see
 * the module comment). The lanes hold L = ⌊N / B⌋ positions each; the last
 * N − B·L pairs are left out, and so are the last L − T·⌊L/T⌋ positions of
 * each lane, so every window is full.
 * Used in lessons 02, 03, 06, 07, 08 and 10.
 */
export class StreamBatches {
  readonly batch: number;
  readonly steps: number;
  /** Positions per lane, L. */
  readonly laneLength: number;
  /** Windows per pass over the stream, ⌊L / T⌋. */
  readonly windows: number;
  private readonly pairs: StreamPairs;

  constructor(pairs: StreamPairs, options: StreamBatchOptions) {
    const { batch, steps } = options;
    for (const [name, v] of [["batch", batch], ["steps", steps]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`StreamBatches: ${name} must be a positive integer, got ${v}`);
    }
    if (pairs.inputs.length !== pairs.targets.length) {
      throw new Error(`StreamBatches: ${pairs.inputs.length} inputs but ${pairs.targets.length} targets; they must be aligned one to one`);
    }
    this.batch = batch;
    this.steps = steps;
    this.pairs = pairs;
    this.laneLength = Math.floor(pairs.inputs.length / batch);
    this.windows = Math.floor(this.laneLength / steps);
    if (this.windows === 0) {
      throw new Error(
        `StreamBatches: ${pairs.inputs.length} pairs in ${batch} lanes give ${this.laneLength} steps per lane, ` +
          `fewer than one window of ${steps} steps; use a smaller batch or fewer steps`,
      );
    }
  }

  /** Next-token batches of a token stream (see {@link nextTokenPairs}). */
  static nextToken(ids: ArrayLike<number>, options: StreamBatchOptions & { start?: number }): StreamBatches {
    return new StreamBatches(nextTokenPairs(ids, options.start), options);
  }

  /** Window j (0 ≤ j < windows): steps j·T .. j·T + T − 1 of every lane. */
  window(j: number): StreamWindow {
    if (!Number.isInteger(j) || j < 0 || j >= this.windows) {
      throw new Error(`StreamBatches.window: index ${j} is outside 0..${this.windows - 1}`);
    }
    const { batch: B, steps: T, laneLength: L } = this;
    const inputs = new Int32Array(T * B), targets = new Int32Array(T * B);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const p = b * L + j * T + t;
        inputs[t * B + b] = this.pairs.inputs[p];
        targets[t * B + b] = this.pairs.targets[p];
      }
    }
    return { inputs, targets, index: j, steps: T, batch: B };
  }
}

/** A character corpus: its vocabulary and both sides of the split as ids. */
export interface CharCorpus {
  vocab: Vocabulary;
  /** The training text, one id per character. */
  train: Int32Array;
  /** The held-out text, one id per character (unknown characters are `<unk>`). */
  heldout: Int32Array;
}

/** Options of {@link mobyDickChars}. */
export interface CharCorpusOptions extends TokenizeOptions {
  /** Characters seen fewer times than this in training become `<unk>` (default 1: keep all). */
  minCount?: number;
  /** Keep only the first this many training characters (quick experiments; default all). */
  maxTrainChars?: number;
}

/**
 * Moby-Dick as characters (`text.tokenizeChars`: whitespace runs become one
 * space), with the course's train/held-out split and a vocabulary built on
 * the training side. The ids use the same `Vocabulary` as the n-gram models,
 * so n-gram and recurrent models are scored on identical token streams.
 * Used in lessons 02, 03, 06, 07 and 08.
 */
export function mobyDickChars(options: CharCorpusOptions = {}): CharCorpus {
  const { minCount = 1, maxTrainChars, lowercase } = options;
  if (maxTrainChars !== undefined && !(Number.isInteger(maxTrainChars) && maxTrainChars > 0)) {
    throw new Error(`mobyDickChars: maxTrainChars must be a positive integer, got ${maxTrainChars}`);
  }
  let trainChars = tokenizeChars(mobyDickText("train"), { lowercase });
  if (maxTrainChars !== undefined) trainChars = trainChars.slice(0, maxTrainChars);
  const heldoutChars = tokenizeChars(mobyDickText("heldout"), { lowercase });
  const vocab = Vocabulary.build(trainChars, { minCount });
  return { vocab, train: Int32Array.from(vocab.encode(trainChars)), heldout: Int32Array.from(vocab.encode(heldoutChars)) };
}
