/**
 * The contract every recurrent layer follows. Forward returns, besides its
 * outputs, a cache of what the backward pass needs; backward takes that cache
 * and the gradient of the loss with respect to the outputs, ADDS the gradients
 * of its parameters into their `grad`, and returns the gradients with respect
 * to its inputs and initial state. No hidden global tape: the flow of
 * information is visible in the calls.
 */
import { Matrix, DType } from "../core/matrix";
import { Module, Parameter } from "../core/parameter";
import { Sequence } from "../core/sequence";
import { linalg } from "../compute/linalg";

/**
 * The state a recurrent layer carries from step to step (LSTM adds the cell `c`).
 * Used in lessons 02, 03, 06, 07, 08 and 10.
 */
export interface RecurrentState {
  h: Matrix;
  c?: Matrix;
}

/** Used in lesson 03. */
export interface RecurrentForward<Cache> {
  /** Hidden state at every step, [T·B, hidden]. */
  h: Sequence;
  /** The state after the last step: the initial state of the next truncated segment. */
  last: RecurrentState;
  cache: Cache;
}

export interface RecurrentBackward {
  /**
   * ∂L/∂x at every step, [T·B, input]. Reading it throws when the call asked
   * for no input gradient (see {@link BackwardOptions.inputGradient}).
   */
  dx: Sequence;
  /** ∂L/∂(initial state). */
  dFirst: RecurrentState;
}

/** Used in lessons 03, 05, 07 and 08. */
export interface RecurrentLayer<Cache = unknown> extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** The zero state for a batch. */
  initialState(batch: number, dtype?: DType): RecurrentState;
  forward(x: Sequence, first?: RecurrentState): RecurrentForward<Cache>;
  /**
   * `dh`: ∂L/∂h at every step (zeros where the loss does not read h);
   * `dLast`: ∂L/∂(last state), from a later segment or layer (default zero).
   */
  backward(forward: RecurrentForward<Cache>, dh: Sequence, dLast?: RecurrentState, options?: BackwardOptions): RecurrentBackward;
}

/** What a recurrent layer's backward pass computes besides the parameters' gradients. */
export interface BackwardOptions {
  /**
   * Compute ∂L/∂x (default true). A first layer fed with data (one-hot
   * characters) has no use for it, and it costs a product as large as the
   * forward pass's input projection (about a tenth of an LSTM step): pass
   * false there. The result's `dx` then throws when read.
   */
  inputGradient?: boolean;
}

/** A backward result whose `dx` was not asked for: reading it throws, naming the layer. */
export function withoutInputGradient<S extends RecurrentState>(layer: string, dFirst: S): { readonly dx: Sequence; dFirst: S } {
  return {
    get dx(): Sequence {
      throw new Error(`${layer}.backward: dx was not computed, because backward was called with { inputGradient: false }`);
    },
    dFirst,
  };
}

/**
 * The backward result of a layer whose input reaches it through the weight W
 * (z_t = x_t·W + …): dx_t = dz_t·Wᵀ for all steps at once, unless
 * `options.inputGradient` is false.
 */
export function recurrentBackward(
  layer: string, x: Sequence, dZ: Matrix, W: Parameter, dFirst: RecurrentState, options: BackwardOptions = {},
): RecurrentBackward {
  if (options.inputGradient === false) return withoutInputGradient(layer, dFirst);
  return { dx: new Sequence(x.steps, x.batch, linalg().matmulBT(dZ, W)), dFirst };
}

/**
 * [h_{−1}; h_0; …; h_{T−2}] as one [T·B, hidden] matrix: the state each step
 * STARTED from, aligned row by row with that step's dz, so that
 * dWhh = Σ_t h_{t−1}ᵀ·dz_t is a single product.
 */
export function previousStates(first: Matrix, h: Sequence): Matrix {
  const n = h.batch * h.features;
  const out = Matrix.zeros(h.steps * h.batch, h.features, h.data.dtype);
  out.data.set(first.data, 0);
  out.data.set(h.data.data.subarray(0, (h.steps - 1) * n), n);
  return out;
}
