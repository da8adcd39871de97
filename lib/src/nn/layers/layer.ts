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

/** The state a recurrent layer carries from step to step (LSTM adds the cell `c`). */
export interface RecurrentState {
  h: Matrix;
  c?: Matrix;
}

export interface RecurrentForward<Cache> {
  /** Hidden state at every step, [T·B, hidden]. */
  h: Sequence;
  /** The state after the last step: the initial state of the next truncated segment. */
  last: RecurrentState;
  cache: Cache;
}

export interface RecurrentBackward {
  /**
   * ∂L/∂x at every step, [T·B, input]. The core layers compute it when it is
   * first read (see {@link lazyInputGradient}).
   */
  dx: Sequence;
  /** ∂L/∂(initial state). */
  dFirst: RecurrentState;
}

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
  backward(forward: RecurrentForward<Cache>, dh: Sequence, dLast?: RecurrentState): RecurrentBackward;
}

/**
 * A backward result whose dx = dZ·Wᵀ (the gradient reaching the inputs
 * through the input weights W) is computed only when `dx` is first read.
 * The first layer's inputs are the data, whose gradient a training step never
 * uses, and that product is as large as the forward pass's input projection
 * (about a tenth of an LSTM step). W's value is copied now, so reading dx
 * after an optimizer step still gives this step's gradient.
 */
export function lazyInputGradient(x: Sequence, dZ: Matrix, W: Parameter, dFirst: RecurrentState): RecurrentBackward {
  const la = linalg(), weights = W.value.clone();
  let dx: Sequence | undefined;
  return {
    get dx(): Sequence {
      dx ??= new Sequence(x.steps, x.batch, la.matmulBT(dZ, weights)); // dx_t = dz_t·Wᵀ, all steps at once
      return dx;
    },
    dFirst,
  };
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
