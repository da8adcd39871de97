/**
 * Backpropagation through time for the vanilla RNN, kept step by step so
 * that each step's share of every gradient can be looked at.
 *
 * `nn.RNN.backward` computes the same thing, but adds the steps' shares
 * together as it goes (as one product over all steps). Here, with
 * z_t = x_t·Wxh + h_{t−1}·Whh + bh and h_t = tanh(z_t):
 *
 *   g_t  = dh_t + g_{t+1}^→            ∂J/∂h_t: from the output at t, and from step t+1
 *   dz_t = g_t ⊙ (1 − h_t²)
 *   g_t^→ = dz_t·Whhᵀ                   what step t passes back to h_{t−1}
 *
 * and the share of step t in each weight's gradient is the gradient with
 * respect to "the copy of the weight used at step t":
 *
 *   dWhh|_t = h_{t−1}ᵀ·dz_t    dWxh|_t = x_tᵀ·dz_t    dbh|_t = Σ_rows dz_t
 *
 * The gradient of the shared weight is the sum of these shares.
 */
import { Matrix } from "../nn/core/matrix";
import { Sequence } from "../nn/core/sequence";
import { columnSums } from "../nn/core/ops";
import { linalg } from "../nn/compute/linalg";
import { RecurrentForward, RecurrentState } from "../nn/layers/layer";
import { RNN, RNNCache } from "../nn/layers/rnn";

/** Every intermediate of BPTT through a vanilla RNN, one entry per step t = 0..T−1. */
export interface StepwiseBPTT {
  /** ∂J/∂h_t, everything that reaches h_t: its own output's gradient plus what flows back from t+1. */
  dh: Matrix[];
  /** ∂J/∂z_t = ∂J/∂h_t ⊙ (1 − h_t²). */
  dz: Matrix[];
  /** h_{t−1}ᵀ·dz_t: step t's share of ∂J/∂Whh. */
  dWhh: Matrix[];
  /** x_tᵀ·dz_t: step t's share of ∂J/∂Wxh. */
  dWxh: Matrix[];
  /** Σ_rows dz_t: step t's share of ∂J/∂bh. */
  dbh: Matrix[];
  /** ∂J/∂h_{−1}, the gradient that would flow into the previous window (truncated BPTT drops it). */
  dFirst: RecurrentState;
}

/** Recomputes h_0 = tanh(x_0·Wxh + h_{−1}·Whh + bh) and throws unless the forward pass stored it: another layer, or changed weights. */
function checkFirstStep(rnn: RNN, x: Sequence, h0: Matrix, h: Sequence): void {
  const la = linalg();
  const z = la.matmul(x.at(0), rnn.Wxh.value), r = la.matmul(h0, rnn.Whh.value), stored = h.at(0);
  const H = rnn.hiddenSize, tol = rnn.dtype === "float64" ? 1e-9 : 1e-4;
  for (let i = 0; i < z.data.length; i++) {
    const expected = Math.tanh(z.data[i] + r.data[i] + rnn.bh.value.data[i % H]);
    if (!(Math.abs(expected - stored.data[i]) <= tol)) {
      throw new Error("rnnBackwardBySteps: the forward result does not come from this vanilla RNN with its current weights (its first hidden state does not match)");
    }
  }
}

/**
 * BPTT through `rnn` for the forward pass `forward` (of `rnn.forward`), with
 * `dh` the gradient arriving from the outputs at each step and `dLast` the
 * one arriving at the last state. Returns every step's intermediates and
 * shares; does NOT touch the parameters' `grad`.
 * Used in lesson 02.
 */
export function rnnBackwardBySteps(rnn: RNN, forward: RecurrentForward<unknown>, dh: Sequence, dLast?: RecurrentState): StepwiseBPTT {
  const { x, h0 } = (forward.cache ?? {}) as Partial<RNNCache>;
  if (!(x instanceof Sequence) || !(h0 instanceof Matrix) || x.features !== rnn.inputSize || forward.h.features !== rnn.hiddenSize) {
    throw new Error("rnnBackwardBySteps: the forward result does not come from this vanilla RNN (its cache must hold the inputs x and the first state h0 of matching sizes)");
  }
  checkFirstStep(rnn, x, h0, forward.h);
  const h = forward.h;
  const { steps: T, batch: B } = h;
  const H = rnn.hiddenSize;
  if (dh.steps !== T || dh.batch !== B || dh.features !== H) {
    throw new Error(`rnnBackwardBySteps: dh has ${dh.steps} steps × batch ${dh.batch} × ${dh.features}, the forward pass ${T} × ${B} × ${H}`);
  }
  const la = linalg();
  const out: StepwiseBPTT = { dh: [], dz: [], dWhh: [], dWxh: [], dbh: [], dFirst: { h: Matrix.zeros(B, H, rnn.dtype) } };
  let fromNext = dLast ? dLast.h : Matrix.zeros(B, H, rnn.dtype);
  for (let t = T - 1; t >= 0; t--) {
    const ht = h.at(t), own = dh.at(t);
    const g = Matrix.zeros(B, H, rnn.dtype);
    const dz = Matrix.zeros(B, H, rnn.dtype);
    for (let i = 0; i < g.data.length; i++) {
      g.data[i] = own.data[i] + fromNext.data[i];
      dz.data[i] = g.data[i] * (1 - ht.data[i] * ht.data[i]);
    }
    const hPrev = t === 0 ? h0 : h.at(t - 1);
    out.dh[t] = g;
    out.dz[t] = dz;
    out.dWhh[t] = la.matmulAT(hPrev, dz);
    out.dWxh[t] = la.matmulAT(x.at(t), dz);
    out.dbh[t] = columnSums(dz);
    fromNext = la.matmulBT(dz, rnn.Whh);
  }
  out.dFirst = { h: fromNext };
  return out;
}
