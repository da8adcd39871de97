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
 * gradient, or a weight after the update) and reported as a
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

/** Everything recorded during training: one entry per completed step (index = step number). */
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

/** Where divergence was detected. */
export type DivergenceSource = "loss" | "gradient" | "value" | "validation";

/** What, where and when a training run diverged. */
export interface Divergence {
  /** What became non-finite. */
  source: DivergenceSource;
  /** The step at which it was detected (from 0). */
  step: number;
  /** The epoch of that step (from 0). */
  epoch: number;
  /** The non-finite value: NaN, Infinity or -Infinity. */
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
 * loss becomes NaN or ±Infinity; its fields are a `Divergence`.
 */
export class TrainingDivergedError extends Error implements Divergence {
  override readonly name = "TrainingDivergedError";
  readonly source: DivergenceSource;
  readonly step: number;
  readonly epoch: number;
  readonly value: number;
  readonly parameter?: { name: string; row: number; col: number };
  readonly history: TrainHistory;

  constructor(message: string, divergence: Divergence) {
    super(message);
    this.source = divergence.source;
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

/** Options of `train`. */
export interface TrainOptions<B> {
  /** Updates the parameters: the ones trained are `optimizer.params`. */
  optimizer: Optimizer;
  /**
   * Runs forward and backward on one batch, ADDING the gradients into the
   * parameters' `grad` (`train` zeroes them before each call), and returns the loss.
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
}

/**
 * Trains `optimizer.params`: for each batch of each epoch, zero the
 * gradients, run `step`, check the loss and gradients, clip if asked, update,
 * check the weights. Returns the history. Throws a `TrainingDivergedError` at
 * the first non-finite loss, gradient, weight or validation loss.
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
  const params = optimizer.params;
  const rng = new Random(options.seed ?? 0);
  const history: TrainHistory = { trainLoss: [], gradNorm: [], clippedGradNorm: [], learningRate: [], validation: { steps: [], loss: [] } };

  const diverged = (source: DivergenceSource, what: string, value: number, at: StepContext, bad?: NonFinite): never => {
    const lr = optimizer.learningRate;
    const hint =
      clipNorm === undefined
        ? `Try gradient clipping (clipNorm) or a lower learning rate (it was ${lr})`
        : `Try a lower learning rate (it was ${lr}) or a smaller clipNorm (it was ${clipNorm})`;
    throw new TrainingDivergedError(`Training diverged at step ${at.step} (epoch ${at.epoch}): ${what}. ${hint}.`, {
      source,
      step: at.step,
      epoch: at.epoch,
      value,
      parameter: bad && { name: bad.parameter, row: bad.row, col: bad.col },
      history,
    });
  };

  const runValidation = (at: StepContext): void => {
    if (!validate) return;
    const loss = validate();
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
      const loss = step(batch, at);
      if (!Number.isFinite(loss)) diverged("loss", `the loss is ${loss}`, loss, at);
      const badGrad = findNonFinite(params, "grad");
      if (badGrad) diverged("gradient", `${describeNonFinite(badGrad, "grad")} (the loss was ${loss})`, badGrad.value, at, badGrad);

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
