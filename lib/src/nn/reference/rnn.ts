/**
 * The vanilla RNN one step at a time, written to be read beside the
 * equations of lesson 02; the fast layer (layers/rnn.ts) computes the same
 * numbers with the input products of all steps batched into one.
 */
import { Matrix } from "../core/matrix";
import { Sequence } from "../core/sequence";
import { columnSums } from "../core/ops";
import type { RNN } from "../layers/rnn";
import { addGradients } from "./gate";
import { add, hadamard, matmul, matmulAT, matmulBT, oneMinus, square, tanh } from "./ops";

/** The RNN's weights (or, with the same shapes, their gradients). */
export interface RNNWeights {
  /** W_xh, [input, hidden]. */
  Wxh: Matrix;
  /** W_hh, [hidden, hidden]. */
  Whh: Matrix;
  /** b_h, [1, hidden]. */
  bh: Matrix;
}

/** What one step keeps for its backward pass. */
export interface RNNStepCache {
  x: Matrix;
  hPrev: Matrix;
  h: Matrix;
}

/** A sequence run step by step: every step's h, the last state and each step's cache. */
export interface ReferenceRNNForward {
  h: Sequence;
  last: { h: Matrix };
  steps: RNNStepCache[];
}

/**
 * The vanilla RNN of lesson 02, one step at a time. `ReferenceRNN.from(rnn)`
 * copies a fast {@link RNN}'s weights; forward and backward then give the
 * fast layer's numbers (the gradients are returned, not stored).
 * Used in lesson 08.
 */
export class ReferenceRNN {
  constructor(readonly weights: RNNWeights) {}

  /** A copy of the fast layer's weights, taken now (call again after training it). */
  static from(rnn: RNN): ReferenceRNN {
    return new ReferenceRNN({ Wxh: rnn.Wxh.value.clone(), Whh: rnn.Whh.value.clone(), bh: rnn.bh.value.clone() });
  }

  stepForward(x: Matrix, prev: { h: Matrix }): { h: Matrix; cache: RNNStepCache } {
    const { Wxh, Whh, bh } = this.weights;
    const hPrev = prev.h;
    const h = tanh(add(matmul(x, Wxh), matmul(hPrev, Whh), bh)); // h_t = tanh(x_t W_xh + h_{t−1} W_hh + b_h)
    return { h, cache: { x, hPrev, h } };
  }

  /** `dh`: ∂L/∂h_t (from the output at t and from step t+1). */
  stepBackward(dh: Matrix, cache: RNNStepCache): { dx: Matrix; dhPrev: Matrix; grads: RNNWeights } {
    const { Wxh, Whh } = this.weights;
    const { x, hPrev, h } = cache;
    // h_t = tanh(z_t), z_t = x_t W_xh + h_{t−1} W_hh + b_h
    const dz = hadamard(dh, oneMinus(square(h))); //   tanh′(z_t) = 1 − h_t²
    const grads = { Wxh: matmulAT(x, dz), Whh: matmulAT(hPrev, dz), bh: columnSums(dz) }; // b_h is added to every row: Σ_rows
    return { dx: matmulBT(dz, Wxh), dhPrev: matmulBT(dz, Whh), grads };
  }

  /** Runs the steps from `first` (default zeros). */
  forward(x: Sequence, first?: { h: Matrix }): ReferenceRNNForward {
    let prev = first ?? { h: Matrix.zeros(x.batch, this.weights.Whh.rows, x.data.dtype) };
    const hs: Matrix[] = [], steps: RNNStepCache[] = [];
    for (let t = 0; t < x.steps; t++) {
      const step = this.stepForward(x.at(t), prev);
      hs.push(step.h);
      steps.push(step.cache);
      prev = { h: step.h };
    }
    return { h: Sequence.stack(hs), last: prev, steps };
  }

  /**
   * Backpropagation through time, last step first. `dh`: ∂L/∂h_t from the
   * outputs; `dLast`: ∂L/∂h_T from whatever read the last state. The weights'
   * gradient is the sum of every step's.
   */
  backward(forward: ReferenceRNNForward, dh: Sequence, dLast?: { h: Matrix }): { dx: Sequence; dFirst: { h: Matrix }; grads: RNNWeights } {
    const T = forward.steps.length;
    let dhNext = dLast?.h ?? Matrix.zeros(dh.batch, dh.features, dh.data.dtype);
    const dxs: Matrix[] = new Array(T);
    let grads: RNNWeights | undefined; // Σ_t of the steps' gradients
    for (let t = T - 1; t >= 0; t--) {
      const step = this.stepBackward(add(dh.at(t), dhNext), forward.steps[t]); // h_t feeds the output and step t+1
      dxs[t] = step.dx;
      dhNext = step.dhPrev;
      grads = grads ? addGradients(grads, step.grads) : step.grads;
    }
    return { dx: Sequence.stack(dxs), dFirst: { h: dhNext }, grads: grads as RNNWeights };
  }
}
