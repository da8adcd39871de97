/**
 * Each time step's share of a recurrent layer's input-weight gradient.
 *
 * The input weight W_x serves every step, so its gradient is a sum over the
 * steps, ∂L/∂W_x = Σ_t x_tᵀ·dz_t, where dz_t = ∂L/∂z_t is the gradient of
 * step t's pre-activations (for the LSTM, its four gates side by side, in the
 * fast layer's column order). The term x_tᵀ·dz_t is what step t contributes:
 * how much the input seen at step t can teach W_x. With an error injected at
 * one step only, these shares show how far back in time a loss still reaches
 * the weights, the figure of the lecture slides in lesson 05.
 *
 * The steps are computed with the reference cells (nn/reference), which
 * return each step's gradients separately; the fast layers add them up as
 * they go and never hold one step's share.
 */
import { Matrix } from "../nn/core/matrix";
import { Sequence } from "../nn/core/sequence";
import { frobeniusNorm } from "../nn/core/ops";
import { RNN } from "../nn/layers/rnn";
import { LSTM } from "../nn/layers/lstm";
import { ReferenceRNN } from "../nn/reference/rnn";
import { ReferenceLSTM } from "../nn/reference/lstm";
import { add } from "../nn/reference/ops";
import type { InputGradientOptions } from "./jacobian";

/** The error matrix of an injection: the given one, checked, or 1/√hidden everywhere (a unit vector per example). */
function injectedError(where: string, options: InputGradientOptions, x: Sequence, H: number): { step: number; error: Matrix } {
  const { steps: T, batch: B } = x;
  const step = options.step ?? T - 1;
  if (!Number.isInteger(step) || step < 0 || step >= T) throw new Error(`${where}: step ${step} is outside 0..${T - 1}`);
  const error = options.error ?? Matrix.zeros(B, H, x.data.dtype).fill(1 / Math.sqrt(H));
  if (error.rows !== B || error.cols !== H) {
    throw new Error(`${where}: error: expected shape [${B}, ${H}] (batch, hidden), got [${error.rows}, ${error.cols}]`);
  }
  if (error.dtype !== x.data.dtype) throw new Error(`${where}: error is ${error.dtype}, the input ${x.data.dtype}`);
  return { step, error };
}

/**
 * Injects an error at ONE step (L = Σ_b error_b·h_{step, b}, as
 * {@link inputGradientNorms} does) and returns, for every step t, that
 * step's share of ∂L/∂W_x, x_tᵀ·dz_t, a matrix shaped like W_x (summed over
 * the batch, as the gradient is). Steps after the injection get zeros. The
 * shares sum to the gradient the fast layer computes; its parameters'
 * gradients are left untouched.
 * Used in lesson 05 (the figure of the lecture slides: RNN against LSTM, error injected at step 128).
 */
export function inputWeightShares(layer: RNN | LSTM, x: Sequence, options: InputGradientOptions = {}): Matrix[] {
  const where = "inputWeightShares";
  if (!(layer instanceof RNN) && !(layer instanceof LSTM)) {
    throw new Error(`${where}: the layer must be an nn.RNN or an nn.LSTM (the two with a reference cell that returns each step's gradients)`);
  }
  // The gate-to-gate weights of full gate recurrence (lesson 06) carry gradient between steps that this walk does not follow.
  if (layer.parameters().some((p) => p.name.endsWith(".Wa"))) {
    throw new Error(`${where}: an LSTM with full gate recurrence (W_a) is not supported: its steps also pass gradient through the previous gates`);
  }
  if (!(x instanceof Sequence)) throw new Error(`${where}: x must be a Sequence [T·B, input]`);
  if (x.features !== layer.inputSize) throw new Error(`${where}: x has ${x.features} features, the layer takes ${layer.inputSize}`);
  if (x.data.dtype !== layer.dtype) throw new Error(`${where}: x is ${x.data.dtype}, the layer ${layer.dtype}`);
  const H = layer.hiddenSize, T = x.steps, dtype = x.data.dtype;
  const { step, error } = injectedError(where, options, x, H);
  const dh = Sequence.zeros(T, x.batch, H, dtype);
  dh.at(step).data.set(error.data);
  const gates = layer instanceof LSTM ? layer.gateOrder.length : 1;
  const shares = Array.from({ length: T }, () => Matrix.zeros(layer.inputSize, gates * H, dtype));
  const zeros = (): Matrix => Matrix.zeros(x.batch, H, dtype);

  if (layer instanceof RNN) {
    const cell = ReferenceRNN.from(layer);
    const forward = cell.forward(x);
    let dhNext = zeros();
    for (let t = step; t >= 0; t--) {
      const back = cell.stepBackward(add(dh.at(t), dhNext), forward.steps[t]);
      shares[t] = back.grads.Wxh; // x_tᵀ·dz_t
      dhNext = back.dhPrev;
    }
    return shares;
  }
  const cell = ReferenceLSTM.from(layer);
  const forward = cell.forward(x);
  let dhNext = zeros(), dcNext = zeros();
  for (let t = step; t >= 0; t--) {
    const back = cell.stepBackward(add(dh.at(t), dhNext), dcNext, forward.steps[t]);
    shares[t] = cell.fuse(back.grads).Wx; // x_tᵀ·[dz_i | dz_f | dz_g | dz_o], in the fast layer's column order
    dhNext = back.dhPrev;
    dcNext = back.dcPrev;
  }
  return shares;
}

/**
 * ‖x_tᵀ·dz_t‖ (Frobenius) for every step t: the size of each step's share
 * of the input weight's gradient, with the error injected at one step
 * ({@link inputWeightShares}). A vanilla RNN's shares shrink by many orders
 * of magnitude over a hundred steps: pass a float64 layer and float64 inputs
 * to follow them below float32's smallest numbers (about 1e-38).
 */
export function inputWeightShareNorms(layer: RNN | LSTM, x: Sequence, options: InputGradientOptions = {}): number[] {
  return inputWeightShares(layer, x, options).map(frobeniusNorm);
}
