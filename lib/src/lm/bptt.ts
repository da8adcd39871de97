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
import { Matrix } from "../nn/tensor";
import { Sequence } from "../nn/sequence";
import { linalg } from "../nn/linalg";
import { RecurrentForward, RecurrentState } from "../nn/layer";
import { RNN, RNNCache } from "../nn/rnn";

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
  const mm = linalg();
  const z = mm.matmul(x.at(0), rnn.Wxh.value), r = mm.matmul(h0, rnn.Whh.value), stored = h.at(0);
  const H = rnn.hiddenSize, tol = rnn.dtype === "float64" ? 1e-9 : 1e-4;
  for (let i = 0; i < z.data.length; i++) {
    const expected = Math.tanh(z.data[i] + r.data[i] + rnn.bh.value.data[i % H]);
    if (!(Math.abs(expected - stored.data[i]) <= tol)) {
      throw new Error("rnnBackwardBySteps: the forward result does not come from this vanilla RNN with its current weights (its first hidden state does not match)");
    }
  }
}

function columnSums(m: Matrix): Matrix {
  const out = Matrix.zeros(1, m.cols, m.dtype);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out.data[j] += m.data[i * m.cols + j];
  return out;
}

/**
 * BPTT through `rnn` for the forward pass `forward` (of `rnn.forward`), with
 * `dh` the gradient arriving from the outputs at each step and `dLast` the
 * one arriving at the last state. Returns every step's intermediates and
 * shares; does NOT touch the parameters' `grad`.
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
  const mm = linalg();
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
    out.dWhh[t] = mm.matmulAT(hPrev, dz);
    out.dWxh[t] = mm.matmulAT(x.at(t), dz);
    out.dbh[t] = columnSums(dz);
    fromNext = mm.matmulBT(dz, rnn.Whh);
  }
  out.dFirst = { h: fromNext };
  return out;
}

/** Σ of equally shaped matrices (e.g. the per-step shares of a gradient). */
export function sumMatrices(ms: readonly Matrix[]): Matrix {
  if (ms.length === 0) throw new Error("sumMatrices: nothing to sum");
  const out = Matrix.zeros(ms[0].rows, ms[0].cols, ms[0].dtype);
  for (const m of ms) {
    if (m.rows !== out.rows || m.cols !== out.cols) throw new Error(`sumMatrices: shapes [${m.rows}, ${m.cols}] and [${out.rows}, ${out.cols}] differ`);
    for (let i = 0; i < m.data.length; i++) out.data[i] += m.data[i];
  }
  return out;
}

/** The Frobenius norm √(Σ m_ij²). */
export function frobeniusNorm(m: Matrix): number {
  let s = 0;
  for (let i = 0; i < m.data.length; i++) s += m.data[i] * m.data[i];
  return Math.sqrt(s);
}

/** max |a − b| over the entries of two equally shaped matrices. */
export function maxAbsDifference(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error(`maxAbsDifference: shapes [${a.rows}, ${a.cols}] and [${b.rows}, ${b.cols}] differ`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}
