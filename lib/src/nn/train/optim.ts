/**
 * Optimizers: rules that turn the gradients left in each `Parameter.grad` by
 * a backward pass into an update of `Parameter.value`.
 *
 *   SGD        w ← w − η·g
 *   Momentum   v ← μ·v − η·g,  w ← w + v                (classical, Polyak 1964)
 *              w ← w + μ·v − η·g  with the new v          (Nesterov, as Sutskever et al. 2013 write it)
 *   Adam       m ← β1·m + (1−β1)·g,  s ← β2·s + (1−β2)·g²,
 *              w ← w − η·m̂ / (√ŝ + ε),  m̂ = m/(1−β1ᵗ), ŝ = s/(1−β2ᵗ)   (Kingma & Ba 2015)
 *
 * Each optimizer keeps its state (velocity, moments) per parameter, in the
 * parameter's precision. `learningRate` may be changed between steps, which
 * is all a learning-rate schedule needs.
 */
import { FloatArray, allocate } from "../core/matrix";
import { Parameter } from "../core/parameter";

function checkLearningRate(where: string, learningRate: number): void {
  if (!(Number.isFinite(learningRate) && learningRate >= 0)) {
    throw new Error(`${where}: the learning rate must be a finite number >= 0, got ${learningRate}`);
  }
}

function checkInRange(where: string, name: string, value: number, low: number, high: number): void {
  if (!(value >= low && value < high)) {
    throw new Error(`${where}: ${name} must be in [${low}, ${high}), got ${value}`);
  }
}

/** The common part of every optimizer: the parameters, the learning rate and the step count. */
export abstract class Optimizer {
  readonly params: readonly Parameter[];
  private lr: number;
  /** Number of updates applied so far (Adam's t). */
  stepCount = 0;

  protected constructor(
    private readonly where: string,
    params: readonly Parameter[],
    learningRate: number,
  ) {
    checkLearningRate(where, learningRate);
    // A parameter listed twice (a weight shared by two modules and collected
    // from both) would be updated twice per step, silently doubling its rate.
    const seen = new Set<Parameter>();
    for (const p of params) {
      if (seen.has(p)) throw new Error(`${where}: parameter "${p.name}" is listed twice; list each shared weight once`);
      seen.add(p);
    }
    this.params = [...params];
    this.lr = learningRate;
  }

  /** η, the step size; set it between steps to follow a schedule. */
  get learningRate(): number {
    return this.lr;
  }

  set learningRate(value: number) {
    checkLearningRate(this.where, value);
    this.lr = value;
  }

  /** Applies one update to every parameter from its current `grad`. */
  step(): void {
    this.stepCount++;
    this.params.forEach((p, i) => {
      this.update(p.value.data, p.grad.data, i);
      p.changed();
    });
  }

  /** Sets every gradient to zero (backward passes ADD into `grad`). */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Updates `w` in place from `g`; `index` selects the parameter's state. */
  protected abstract update(w: FloatArray, g: FloatArray, index: number): void;

  /** One state buffer per parameter, shaped like it, in its precision. */
  protected zerosLikeParams(): FloatArray[] {
    return this.params.map((p) => allocate(p.value.data.length, p.value.dtype));
  }
}

/** Options of `SGD`. */
export interface SGDOptions {
  /** η. */
  learningRate: number;
}

/**
 * Plain (stochastic) gradient descent: w ← w − η·g.
 * Used in lesson 04.
 */
export class SGD extends Optimizer {
  constructor(params: readonly Parameter[], options: SGDOptions) {
    super("SGD", params, options.learningRate);
  }

  protected update(w: FloatArray, g: FloatArray): void {
    const lr = this.learningRate;
    for (let j = 0; j < w.length; j++) w[j] -= lr * g[j];
  }
}

/** Options of `Momentum`. */
export interface MomentumOptions {
  /** η. */
  learningRate: number;
  /** μ, the fraction of the velocity kept from one step to the next (default 0.9). */
  momentum?: number;
  /** Nesterov's accelerated gradient instead of classical momentum (default false). */
  nesterov?: boolean;
}

/**
 * Gradient descent with a velocity: v ← μ·v − η·g, w ← w + v. Along a long
 * shallow valley the steps add up (up to 1/(1−μ) times larger); across a
 * narrow ravine successive gradients cancel, which damps the zigzag.
 *
 * Nesterov's variant evaluates the gradient after the momentum step,
 * v ← μ·v − η·∇f(w + μ·v). Storing the look-ahead point w + μ·v as the
 * parameters (Bengio et al. 2013) turns it into an update that needs only the
 * gradient at the stored weights: v ← μ·v − η·g, w ← w + μ·v − η·g. It corrects
 * the velocity one step earlier, so it overshoots less.
 * Used in lesson 09.
 */
export class Momentum extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  private readonly velocity: FloatArray[];

  constructor(params: readonly Parameter[], options: MomentumOptions) {
    super(options.nesterov ? "Momentum (Nesterov)" : "Momentum", params, options.learningRate);
    this.momentum = options.momentum ?? 0.9;
    this.nesterov = options.nesterov ?? false;
    checkInRange("Momentum", "momentum", this.momentum, 0, 1);
    this.velocity = this.zerosLikeParams();
  }

  protected update(w: FloatArray, g: FloatArray, index: number): void {
    const lr = this.learningRate, mu = this.momentum;
    const v = this.velocity[index];
    for (let j = 0; j < w.length; j++) {
      const vj = mu * v[j] - lr * g[j];
      v[j] = vj;
      w[j] += this.nesterov ? mu * vj - lr * g[j] : vj;
    }
  }
}

/** Options of `Adam`. */
export interface AdamOptions {
  /** η (default 0.001). */
  learningRate?: number;
  /** Decay of the first-moment (mean) estimate (default 0.9). */
  beta1?: number;
  /** Decay of the second-moment (uncentred variance) estimate (default 0.999). */
  beta2?: number;
  /** Added to √ŝ so that a zero gradient does not divide by zero (default 1e-8). */
  epsilon?: number;
}

/**
 * Adam: a step of about η per weight, in the direction of the running mean
 * of its gradient, divided by the running root-mean-square. Each weight gets
 * its own scale, so weights with tiny and with huge gradients move alike.
 *
 * The moments start at zero, which biases them toward zero during the first
 * steps; dividing by 1 − βᵗ removes that bias. On the first step m̂ = g and
 * ŝ = g², so every weight moves by η·g/(|g| + ε) ≈ η·sign(g).
 * Used in lessons 02, 03, 05, 06, 07, 08, 10 and 11.
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private readonly m: FloatArray[];
  private readonly s: FloatArray[];

  constructor(params: readonly Parameter[], options: AdamOptions = {}) {
    super("Adam", params, options.learningRate ?? 1e-3);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    checkInRange("Adam", "beta1", this.beta1, 0, 1);
    checkInRange("Adam", "beta2", this.beta2, 0, 1);
    if (!(this.epsilon > 0 && Number.isFinite(this.epsilon))) {
      throw new Error(`Adam: epsilon must be a finite number > 0, got ${this.epsilon}`);
    }
    this.m = this.zerosLikeParams();
    this.s = this.zerosLikeParams();
  }

  protected update(w: FloatArray, g: FloatArray, index: number): void {
    const { beta1, beta2, epsilon } = this;
    const lr = this.learningRate;
    // stepCount was incremented before the first update: t = 1 on the first step.
    const correction1 = 1 - Math.pow(beta1, this.stepCount);
    const correction2 = 1 - Math.pow(beta2, this.stepCount);
    const m = this.m[index], s = this.s[index];
    for (let j = 0; j < w.length; j++) {
      const gj = g[j];
      m[j] = beta1 * m[j] + (1 - beta1) * gj;
      s[j] = beta2 * s[j] + (1 - beta2) * gj * gj;
      const mHat = m[j] / correction1;
      const sHat = s[j] / correction2;
      w[j] -= (lr * mHat) / (Math.sqrt(sHat) + epsilon);
    }
  }
}
