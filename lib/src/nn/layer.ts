/**
 * The contract every recurrent layer follows. Forward returns, besides its
 * outputs, a cache of what the backward pass needs; backward takes that cache
 * and the gradient of the loss with respect to the outputs, ADDS the gradients
 * of its parameters into their `grad`, and returns the gradients with respect
 * to its inputs and initial state. No hidden global tape: the flow of
 * information is visible in the calls.
 */
import { Matrix, Module, DType } from "./tensor";
import { Sequence } from "./sequence";

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
  /** ∂L/∂x at every step, [T·B, input]. */
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
