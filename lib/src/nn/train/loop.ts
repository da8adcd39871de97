/**
 * The training loop: for each batch, zero the gradients, run the user's
 * forward + backward, check that nothing became NaN or infinite, clip, update,
 * and record what happened.
 *
 * The loop knows nothing about models or data: the user's `step(batch)`
 * computes the loss and leaves gradients in the parameters; `batches` says
 * what a batch is (shuffled example indices from `miniBatches`, windows of a
 * long text, …). Training is deterministic given the seed: the only
 * randomness the loop owns is the `Random` it hands to `batches`.
 *
 * Divergence is caught at the first step where it shows (the loss, a
 * gradient, or a weight after the update becoming NaN or infinite, a NaN or
 * infinity met by a layer or a loss inside the step, or a finite loss that
 * explodes: see `DivergenceOptions`) and reported as a
 * `TrainingDivergedError` carrying the history up to that step, so a lesson
 * can catch it and plot the explosion.
 *
 * Live curves: `onProgress` receives an event after every step (`kind:
 * "train"`) and every validation (`kind: "validation"`), each with `step` and
 * `loss`. In a notebook, name the series of a `plot.LiveLossCurve` after the
 * kinds and push every event:
 *
 * ```ts
 * const live = new plot.LiveLossCurve({ series: ["train", "validation"], totalSteps: epochs * batchesPerEpoch });
 * try {
 *   history = nn.train({ optimizer, step, batches, epochs, validate, onProgress: (e) => live.push(e.kind, e.step, e.loss) });
 * } finally {
 *   live.done(); // also after a divergence: the curve keeps the steps before it
 * }
 * ```
 * The curve throttles its redrawing itself, so pushing every step is cheap.
 * Events also carry the gradient norms and the learning rate, e.g. for a
 * second live curve with series ["‖g‖", "‖g‖ clipped"].
 */
import { Random } from "../../random";
import { NonFiniteError } from "../core/shapes";
import { Optimizer } from "./optim";
import { NonFinite, clipGradNorm, clipGradValue, describeNonFinite, findNonFinite, globalGradNorm } from "./clip";

// ------------------------------------------------------------ batches

/** Options of `miniBatches`. */
export interface MiniBatchOptions {
  /** Drop the last batch when it has fewer than `batchSize` examples (default false: keep it). */
  dropLast?: boolean;
  /** Shuffle the examples (default true); false keeps the order 0..n−1. */
  shuffle?: boolean;
}

/**
 * Splits the example indices 0..n−1, shuffled with `rng`, into batches of
 * `batchSize`. Every index appears exactly once per epoch (unless the last,
 * partial batch is dropped). Shuffling each epoch decorrelates successive
 * gradients; the seed makes the order reproducible.
 * Used in lesson 09.
 */
export function miniBatches(n: number, batchSize: number, rng: Random, options: MiniBatchOptions = {}): number[][] {
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`miniBatches: n must be an integer >= 0, got ${n}`);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`miniBatches: batchSize must be a positive integer, got ${batchSize}`);
  const order = Array.from({ length: n }, (_, i) => i);
  if (options.shuffle ?? true) rng.shuffle(order);
  const batches: number[][] = [];
  for (let start = 0; start < n; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    if (batch.length < batchSize && options.dropLast) break;
    batches.push(batch);
  }
  return batches;
}

// ------------------------------------------------------------ history

/**
 * Everything recorded during training: one entry per completed step (index = step number).
 * Used in lesson 04.
 */
export interface TrainHistory {
  /** The loss returned by `step`. */
  trainLoss: number[];
  /** ‖g‖ before clipping. */
  gradNorm: number[];
  /** ‖g‖ after clipping (equal to `gradNorm` when nothing was clipped). */
  clippedGradNorm: number[];
  /** The learning rate of the update. */
  learningRate: number[];
  /** Validation losses, and the steps after which they were measured. */
  validation: { steps: number[]; loss: number[] };
}

/** Reported to `onProgress` after each training step. */
export interface TrainStepEvent {
  kind: "train";
  /** Step number, from 0, counted over all epochs. */
  step: number;
  /** Epoch number, from 0. */
  epoch: number;
  /** The training loss of this step. */
  loss: number;
  gradNorm: number;
  clippedGradNorm: number;
  learningRate: number;
  /** The history so far (read it, do not modify it). */
  history: TrainHistory;
}

/** Reported to `onProgress` after each validation. */
export interface ValidationEvent {
  kind: "validation";
  /** The step after which the validation loss was measured. */
  step: number;
  epoch: number;
  /** The validation loss. */
  loss: number;
  history: TrainHistory;
}

/** What `onProgress` receives: `kind` names the curve ("train" or "validation") the loss belongs to. */
export type TrainEvent = TrainStepEvent | ValidationEvent;

/**
 * Where divergence was detected: the training loss, a gradient, a weight
 * after the update, the validation loss, or inside the step's forward pass
 * (a layer's input or a loss's logits: `NonFiniteError`).
 */
export type DivergenceSource = "loss" | "gradient" | "value" | "validation" | "forward";

/**
 * Why the run was stopped: a value became NaN or ±Infinity, or the training
 * loss, still finite, exploded (see `DivergenceOptions`).
 */
export type DivergenceReason = "non-finite" | "exploding-loss";

/** What, where and when a training run diverged. */
export interface Divergence {
  /** What diverged. */
  source: DivergenceSource;
  /** Whether it became non-finite or (the loss only) exploded while finite. */
  reason: DivergenceReason;
  /** The step at which it was detected (from 0). */
  step: number;
  /** The epoch of that step (from 0). */
  epoch: number;
  /** The non-finite value (NaN, Infinity or -Infinity), or the exploded loss. */
  value: number;
  /** For a gradient or a weight: the parameter, and the position of its first bad element. */
  parameter?: { name: string; row: number; col: number };
  /**
   * The steps completed before the one that diverged (for a validation loss,
   * up to and including the step it followed), ready to plot.
   */
  history: TrainHistory;
}

/**
 * Thrown by `train` when the loss, a gradient, a weight or the validation
 * loss becomes NaN or ±Infinity, when a layer or a loss inside the step
 * meets one, or when the training loss explodes; its fields are a `Divergence`.
 * Used in lesson 04.
 */
export class TrainingDivergedError extends Error implements Divergence {
  override readonly name = "TrainingDivergedError";
  readonly source: DivergenceSource;
  readonly reason: DivergenceReason;
  readonly step: number;
  readonly epoch: number;
  readonly value: number;
  readonly parameter?: { name: string; row: number; col: number };
  readonly history: TrainHistory;

  constructor(message: string, divergence: Divergence, options?: { cause?: unknown }) {
    super(message, options);
    this.source = divergence.source;
    this.reason = divergence.reason;
    this.step = divergence.step;
    this.epoch = divergence.epoch;
    this.value = divergence.value;
    this.parameter = divergence.parameter;
    this.history = divergence.history;
  }
}

// -------------------------------------------------------------- train

/** Passed to the user's `step` with each batch. */
export interface StepContext {
  /** Step number, from 0, counted over all epochs. */
  step: number;
  /** Epoch number, from 0. */
  epoch: number;
}

/**
 * When a finite training loss counts as divergence. A loss that explodes
 * without reaching Infinity (plain SGD at a huge learning rate saturates a
 * network and settles at a loss of thousands of nats) would otherwise train on
 * silently. Two checks, each to be turned off with `Infinity`:
 *
 * - **factor** (default 1e3): the loss is more than `factor` × the first loss
 *   of this call to `train`. Cross-entropy starts near ln V (a few nats) and
 *   a sound run only falls from there; squared error also starts at its
 *   largest. Noise never lifts a batch loss a thousand-fold above the start.
 * - **window**, **growth** (defaults 10 and 10): the loss rose at each of the
 *   last `window` steps and is more than `growth` × its value `window` steps
 *   before: geometric growth, caught even after the loss had first fallen far
 *   below its start. Noisy training does not rise ten steps in a row, let
 *   alone ten-fold.
 *
 * Both assume a loss that is >= 0 (cross-entropy, squared error) and skip
 * losses <= 0. Both look only at the losses of one call to `train` (training
 * in chunks, one call each, starts them afresh). The first loss is the
 * reference: when a call resumes from a model whose loss is already near 0
 * (an exact fit, where rounding alone moves the loss by orders of magnitude),
 * or its first batch is a single example that happens to be almost free,
 * raise `factor` or pass `divergence: false`.
 */
export interface DivergenceOptions {
  /** Stop when the loss exceeds this many times the first loss (default 1e3; Infinity: off). */
  factor?: number;
  /** Steps of uninterrupted growth that count as geometric growth (default 10). */
  window?: number;
  /** Stop when, after `window` rising steps, the loss exceeds this many times its value then (default 10; Infinity: off). */
  growth?: number;
}

/** Options of `train`. */
export interface TrainOptions<B> {
  /** Updates the parameters: the ones trained are `optimizer.params`. */
  optimizer: Optimizer;
  /**
   * Runs forward and backward on one batch, ADDING the gradients into the
   * parameters' `grad` (`train` zeroes them before each call), and returns the
   * loss as a number (anything else is an error: a forgotten `return`, or the
   * whole result of a model's `loss` instead of its `.loss`).
   */
  step: (batch: B, context: StepContext) => number;
  /**
   * The batches of each epoch: a fixed list reused every epoch, or a function
   * of the epoch and the loop's seeded random stream, e.g.
   * `(epoch, rng) => miniBatches(n, 32, rng)`.
   */
  batches: readonly B[] | ((epoch: number, rng: Random) => Iterable<B>);
  /** Passes over the batches (default 1). */
  epochs?: number;
  /** Stop after this many steps in total, even in the middle of an epoch. */
  maxSteps?: number;
  /** Norm clipping threshold (see `clipGradNorm`); off by default. */
  clipNorm?: number;
  /** Value clipping threshold (see `clipGradValue`), applied after norm clipping; off by default. */
  clipValue?: number;
  /** The learning rate of each step, set on the optimizer before the step (a schedule). */
  schedule?: (step: number) => number;
  /** Returns the loss on held-out data (a forward pass only). */
  validate?: () => number;
  /** Validate after every this many steps (default: at the end of each epoch). */
  validateEvery?: number;
  /** Called after each step and each validation, e.g. to draw a `LiveLossCurve` (see the module comment). */
  onProgress?: (event: TrainEvent) => void;
  /** Seed of the random stream passed to `batches` (default 0). */
  seed?: number;
  /**
   * When a finite loss counts as divergence (see `DivergenceOptions`; the
   * defaults if omitted); false: only NaN and ±Infinity stop the run.
   */
  divergence?: DivergenceOptions | false;
}

/**
 * Trains `optimizer.params`: for each batch of each epoch, zero the
 * gradients, run `step`, check the loss and gradients, clip if asked, update,
 * check the weights. Returns the history. Throws a `TrainingDivergedError` at
 * the first non-finite loss, gradient, weight or validation loss, at the
 * first `NonFiniteError` raised inside `step` or `validate` (a layer or a loss
 * met a NaN or an infinity), and at the first step whose loss explodes
 * (`options.divergence`, on by default: more than 1e3 × the first loss, or
 * ten-fold over 10 steps of uninterrupted growth). A `step` or `validate`
 * that returns something other than a number is a programming error: a
 * `TypeError` naming what it returned.
 * Used in lesson 04.
 */
export function train<B>(options: TrainOptions<B>): TrainHistory {
  const { optimizer, step, clipNorm, clipValue, schedule, validate, validateEvery, onProgress } = options;
  const epochs = options.epochs ?? 1;
  const maxSteps = options.maxSteps ?? Infinity;
  checkCount("epochs", epochs);
  if (maxSteps !== Infinity) checkCount("maxSteps", maxSteps);
  if (validateEvery !== undefined) checkCount("validateEvery", validateEvery);
  for (const [name, v] of [["clipNorm", clipNorm], ["clipValue", clipValue]] as const) {
    if (v !== undefined && !(v > 0 && Number.isFinite(v))) throw new Error(`train: ${name} must be a finite number > 0, got ${v}`);
  }
  const explosion = explosionCheck(options.divergence);
  const params = optimizer.params;
  const rng = new Random(options.seed ?? 0);
  const history: TrainHistory = { trainLoss: [], gradNorm: [], clippedGradNorm: [], learningRate: [], validation: { steps: [], loss: [] } };

  const diverged = (
    source: DivergenceSource,
    what: string,
    value: number,
    at: StepContext,
    bad?: NonFinite,
    reason: DivergenceReason = "non-finite",
    cause?: unknown,
  ): never => {
    const lr = optimizer.learningRate;
    const hint =
      clipNorm === undefined
        ? `Try gradient clipping (clipNorm) or a lower learning rate (it was ${lr})`
        : `Try a lower learning rate (it was ${lr}) or a smaller clipNorm (it was ${clipNorm})`;
    const divergence: Divergence = {
      source,
      reason,
      step: at.step,
      epoch: at.epoch,
      value,
      parameter: bad && { name: bad.parameter, row: bad.row, col: bad.col },
      history,
    };
    throw new TrainingDivergedError(`Training diverged at step ${at.step} (epoch ${at.epoch}): ${what}. ${hint}.`, divergence, cause === undefined ? undefined : { cause });
  };

  /**
   * Runs the user's `step` or `validate`. A NaN or an infinity met by a layer
   * or a loss inside it (`NonFiniteError`) is the run diverging, or bad data:
   * the message keeps the layer's words, which say which.
   */
  const guarded = (source: DivergenceSource, what: string, at: StepContext, run: () => unknown): number => {
    let result: unknown;
    try {
      result = run();
    } catch (e) {
      if (!(e instanceof NonFiniteError)) throw e;
      diverged(source, `inside ${what}, ${e.message} (if the data itself holds it, fix the data; otherwise the values overflowed)`, e.value, at, undefined, "non-finite", e);
    }
    if (typeof result !== "number") {
      throw new TypeError(`train: the ${what} function returned ${describeReturn(result)}; it must return the loss as a number`);
    }
    return result;
  };

  const runValidation = (at: StepContext): void => {
    if (!validate) return;
    const loss = guarded("validation", "validate", at, validate);
    if (!Number.isFinite(loss)) diverged("validation", `the validation loss is ${loss}`, loss, at);
    history.validation.steps.push(at.step);
    history.validation.loss.push(loss);
    onProgress?.({ kind: "validation", step: at.step, epoch: at.epoch, loss, history });
  };

  let steps = 0;
  for (let epoch = 0; epoch < epochs && steps < maxSteps; epoch++) {
    const epochBatches = typeof options.batches === "function" ? options.batches(epoch, rng) : options.batches;
    const first = steps;
    for (const batch of epochBatches) {
      if (steps >= maxSteps) break;
      const at: StepContext = { step: steps, epoch };
      if (schedule) optimizer.learningRate = schedule(at.step);
      const learningRate = optimizer.learningRate;

      optimizer.zeroGrad();
      const loss = guarded("forward", "step", at, () => step(batch, at));
      if (!Number.isFinite(loss)) diverged("loss", `the loss is ${loss}`, loss, at);
      const badGrad = findNonFinite(params, "grad");
      if (badGrad) diverged("gradient", `${describeNonFinite(badGrad, "grad")} (the loss was ${loss})`, badGrad.value, at, badGrad);
      const exploded = explosion(loss, history.trainLoss);
      if (exploded) diverged("loss", exploded, loss, at, undefined, "exploding-loss");

      const gradNorm = globalGradNorm(params);
      if (clipNorm !== undefined) clipGradNorm(params, clipNorm);
      if (clipValue !== undefined) clipGradValue(params, clipValue);
      const clippedGradNorm = clipNorm === undefined && clipValue === undefined ? gradNorm : globalGradNorm(params);

      optimizer.step();
      // Finite gradients can still overflow a weight (a huge step, float32).
      const badValue = findNonFinite(params, "value");
      if (badValue) {
        const what = `after the update, ${describeNonFinite(badValue, "value")} (the loss was ${loss}, the gradient norm ${gradNorm})`;
        diverged("value", what, badValue.value, at, badValue);
      }

      history.trainLoss.push(loss);
      history.gradNorm.push(gradNorm);
      history.clippedGradNorm.push(clippedGradNorm);
      history.learningRate.push(learningRate);
      steps++;
      onProgress?.({ kind: "train", step: at.step, epoch, loss, gradNorm, clippedGradNorm, learningRate, history });
      if (validateEvery !== undefined && steps % validateEvery === 0) runValidation(at);
    }
    if (steps === first) throw new Error(`train: epoch ${epoch} has no batches`);
    if (validateEvery === undefined) runValidation({ step: steps - 1, epoch });
  }
  return history;
}

function checkCount(name: string, v: number): void {
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`train: ${name} must be a positive integer, got ${v}`);
}

/**
 * The exploding-loss check of `DivergenceOptions`: given the new loss and the
 * losses of the steps before it in this run, a description of the explosion,
 * or null. O(1) per step: it keeps the count of consecutive rises.
 */
function explosionCheck(options: DivergenceOptions | false | undefined): (loss: number, before: readonly number[]) => string | null {
  if (options === false) return () => null;
  const { factor = 1e3, window = 10, growth = 10 } = options ?? {};
  if (!(factor > 1)) throw new Error(`train: divergence.factor must be a number > 1 (Infinity: off), got ${factor}`);
  if (!(growth > 1)) throw new Error(`train: divergence.growth must be a number > 1 (Infinity: off), got ${growth}`);
  if (!(Number.isInteger(window) && window >= 2)) throw new Error(`train: divergence.window must be an integer >= 2, got ${window}`);
  let rises = 0;
  return (loss, before) => {
    const n = before.length;
    rises = n > 0 && loss > before[n - 1] ? rises + 1 : 0;
    const first = before[0];
    if (n > 0 && first > 0 && loss > factor * first) {
      return `the loss is ${loss}, more than ${factor} × the first loss of this run, ${first} (divergence.factor sets this check)`;
    }
    const then = before[n - window];
    if (rises >= window && then > 0 && loss > growth * then) {
      return `the loss is ${loss}, up at each of the last ${window} steps, ${(loss / then).toPrecision(3)} × its value ${window} steps before, ${then} (divergence.window and divergence.growth set this check)`;
    }
    return null;
  };
}

/** What a `step` or `validate` returned, as an error message shows it. */
function describeReturn(v: unknown): string {
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  if (typeof v === "function") return "a function (call it and return its loss)";
  if (v === null || typeof v !== "object") return typeof v === "bigint" ? `the bigint ${v}n` : String(v);
  if (typeof (v as { loss?: unknown }).loss === "number") return "an object with a numeric .loss (return that number)";
  return Array.isArray(v) ? `an array of ${v.length} elements` : "an object";
}
