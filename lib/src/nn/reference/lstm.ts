/**
 * The LSTM one step at a time, written to be read beside the equations of
 * lessons 05 (the cell) and 06 (its variants); the fast layer (layers/lstm.ts)
 * computes the same numbers with fused gate weights, in-place activations and
 * the input products of all steps batched into one.
 *
 * Names: i, f, g, o are the gates (g is the candidate c̃), c the cell, h the
 * output; z_· a gate's pre-activation, so dzi is ∂L/∂z_i and di is ∂L/∂i_t.
 */
import { Matrix } from "../core/matrix";
import { Sequence } from "../core/sequence";
import { columnSums, concatColumns } from "../core/ops";
import type { LSTM, LSTMGate } from "../layers/lstm";
import { GateWeights, addGradients, gateBackward, gateBlock, isDefined } from "./gate";
import { add, hadamard, matmul, oneMinus, ones, sigmoid, square, sub, tanh } from "./ops";

/**
 * The LSTM's weights (or, with the same shapes, their gradients), one record
 * per gate. A variant without a gate has no record for it: CIFG has no `i`
 * (i_t = 1 − f_t), the 1997 cell no `f` (f_t = 1).
 */
export interface LSTMWeights {
  i?: GateWeights;
  f?: GateWeights;
  g: GateWeights;
  o: GateWeights;
  /** Peepholes, [1, hidden] each, one weight per unit: p_i and p_f on c_{t−1}, p_o on c_t. */
  pi?: Matrix;
  pf?: Matrix;
  po?: Matrix;
}

/** The LSTM's state between steps. */
export interface LSTMState {
  h: Matrix;
  c: Matrix;
}

/** What one step keeps for its backward pass: its inputs and every intermediate. */
export interface LSTMStepCache {
  x: Matrix;
  hPrev: Matrix;
  cPrev: Matrix;
  i: Matrix;
  f: Matrix;
  g: Matrix;
  o: Matrix;
  c: Matrix;
  tanhC: Matrix;
}

/** A sequence run step by step: every step's h, the last state and each step's cache. */
export interface ReferenceLSTMForward {
  h: Sequence;
  last: LSTMState;
  steps: LSTMStepCache[];
}

/** The gradients in the fast layer's layout, named as its parameters: gate blocks side by side in W_x, W_h, b. */
export interface FusedLSTMGradients {
  Wx: Matrix;
  Wh: Matrix;
  b: Matrix;
  pi?: Matrix;
  pf?: Matrix;
  po?: Matrix;
}

/** p ⊙ c for a peephole p [1, hidden]; a cell without that peephole adds 0. */
function peephole(p: Matrix | undefined, c: Matrix): Matrix {
  return p ? hadamard(p, c) : Matrix.zeros(c.rows, c.cols, c.dtype);
}

/**
 * The LSTM of lessons 05 and 06 (peepholes, CIFG, no forget gate), one step
 * at a time. `ReferenceLSTM.from(lstm)` copies a fast {@link LSTM}'s weights,
 * slicing its fused gate blocks; forward and backward then give the fast
 * layer's numbers (the gradients are returned, not stored; `fuse` puts them
 * in the fast layer's layout).
 */
export class ReferenceLSTM {
  constructor(readonly weights: LSTMWeights) {
    if (!weights.i && !weights.f) throw new Error("ReferenceLSTM: a cell needs an input gate or a forget gate (CIFG sets i = 1 − f)");
  }

  /** A copy of the fast layer's weights, taken now (call again after training it). */
  static from(lstm: LSTM): ReferenceLSTM {
    const H = lstm.hiddenSize;
    // W_x = [W_xi | W_xf | W_xg | W_xo] (likewise W_h and b); a variant has no block for a gate it lacks.
    const block = (gate: LSTMGate): GateWeights => gateBlock(lstm.Wx.value, lstm.Wh.value, lstm.b.value, lstm.offset(gate), H);
    return new ReferenceLSTM({
      ...(lstm.offset("i") >= 0 ? { i: block("i") } : {}),
      ...(lstm.offset("f") >= 0 ? { f: block("f") } : {}),
      g: block("g"),
      o: block("o"),
      ...(lstm.pi ? { pi: lstm.pi.value.clone() } : {}),
      ...(lstm.pf ? { pf: lstm.pf.value.clone() } : {}),
      ...(lstm.po ? { po: lstm.po.value.clone() } : {}),
    });
  }

  stepForward(x: Matrix, prev: LSTMState): { h: Matrix; c: Matrix; cache: LSTMStepCache } {
    const { i: I, f: F, g: G, o: O, pi, pf, po } = this.weights;
    const { h: hPrev, c: cPrev } = prev;
    // A missing peephole adds 0; a missing gate is replaced as its variant says.
    const f = F ? sigmoid(add(matmul(x, F.Wx), matmul(hPrev, F.Wh), F.b, peephole(pf, cPrev))) : ones(x.rows, cPrev.cols, x.dtype); // f_t = σ(x_t W_xf + h_{t−1} W_hf + b_f + p_f ⊙ c_{t−1}), or 1 (no forget gate)
    const i = I ? sigmoid(add(matmul(x, I.Wx), matmul(hPrev, I.Wh), I.b, peephole(pi, cPrev))) : oneMinus(f); // i_t = σ(x_t W_xi + h_{t−1} W_hi + b_i + p_i ⊙ c_{t−1}), or 1 − f_t (CIFG)
    const g = tanh(add(matmul(x, G.Wx), matmul(hPrev, G.Wh), G.b)); // g_t = tanh(x_t W_xg + h_{t−1} W_hg + b_g)
    const c = add(hadamard(f, cPrev), hadamard(i, g)); // c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
    const o = sigmoid(add(matmul(x, O.Wx), matmul(hPrev, O.Wh), O.b, peephole(po, c))); // o_t = σ(x_t W_xo + h_{t−1} W_ho + b_o + p_o ⊙ c_t)
    const tanhC = tanh(c);
    const h = hadamard(o, tanhC); // h_t = o_t ⊙ tanh(c_t)
    return { h, c, cache: { x, hPrev, cPrev, i, f, g, o, c, tanhC } };
  }

  /**
   * `dh`: ∂L/∂h_t (from the output at t and from step t+1); `dc`: ∂L/∂c_t
   * from step t+1. Under each forward formula (last first), its local derivatives.
   */
  stepBackward(dh: Matrix, dc: Matrix, cache: LSTMStepCache): { dx: Matrix; dhPrev: Matrix; dcPrev: Matrix; grads: LSTMWeights } {
    const { i: I, f: F, g: G, o: O, pi, pf, po } = this.weights;
    const { x, hPrev, cPrev, i, f, g, o, c, tanhC } = cache;
    // h_t = o_t ⊙ tanh(c_t)
    const dzo = hadamard(dh, tanhC, o, oneMinus(o)); // ∂h/∂o = tanh(c_t), σ′(z_o) = o(1 − o)
    let dcTotal = add(dc, hadamard(dh, o, oneMinus(square(tanhC)))); // ∂h/∂c = o ⊙ (1 − tanh²(c_t)), plus what step t+1 sent
    // o_t = σ(x_t W_xo + h_{t−1} W_ho + b_o + p_o ⊙ c_t)
    if (po) dcTotal = add(dcTotal, hadamard(dzo, po)); // the output gate's peephole saw c_t
    // c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
    let dcPrev = hadamard(dcTotal, f); // the conveyor belt: only f scales it
    let df = hadamard(dcTotal, cPrev);
    const di = hadamard(dcTotal, g);
    const dg = hadamard(dcTotal, i);
    // g_t = tanh(x_t W_xg + h_{t−1} W_hg + b_g)
    const dzg = hadamard(dg, oneMinus(square(g))); // tanh′ = 1 − g²
    // i_t = σ(x_t W_xi + h_{t−1} W_hi + b_i + p_i ⊙ c_{t−1}), or 1 − f_t (CIFG)
    const dzi = I ? hadamard(di, i, oneMinus(i)) : undefined; // σ′ = i(1 − i)
    if (!I) df = sub(df, di); // CIFG: ∂i/∂f = −1
    if (dzi && pi) dcPrev = add(dcPrev, hadamard(dzi, pi));
    // f_t = σ(x_t W_xf + h_{t−1} W_hf + b_f + p_f ⊙ c_{t−1}), or 1 (no forget gate: nothing to learn)
    const dzf = F ? hadamard(df, f, oneMinus(f)) : undefined; // σ′ = f(1 − f)
    if (dzf && pf) dcPrev = add(dcPrev, hadamard(dzf, pf));
    // Each gate's z = x_t W_x + h_{t−1} W_h + b: its weights' gradients, its share of dx_t and dh_{t−1}.
    const iBack = I && dzi ? gateBackward(dzi, x, hPrev, I) : undefined;
    const fBack = F && dzf ? gateBackward(dzf, x, hPrev, F) : undefined;
    const gBack = gateBackward(dzg, x, hPrev, G), oBack = gateBackward(dzo, x, hPrev, O);
    const backs = [iBack, fBack, gBack, oBack].filter(isDefined);
    const grads: LSTMWeights = {
      ...(iBack ? { i: iBack.grads } : {}),
      ...(fBack ? { f: fBack.grads } : {}),
      g: gBack.grads,
      o: oBack.grads,
      // A peephole is one row shared by the batch: Σ_rows.
      ...(pi && dzi ? { pi: columnSums(hadamard(dzi, cPrev)) } : {}),
      ...(pf && dzf ? { pf: columnSums(hadamard(dzf, cPrev)) } : {}),
      ...(po ? { po: columnSums(hadamard(dzo, c)) } : {}),
    };
    return { dx: add(...backs.map((b) => b.dx)), dhPrev: add(...backs.map((b) => b.dhPrev)), dcPrev, grads };
  }

  /** Runs the steps from `first` (default zeros). */
  forward(x: Sequence, first?: LSTMState): ReferenceLSTMForward {
    const H = this.weights.g.Wh.rows;
    let prev = first ?? { h: Matrix.zeros(x.batch, H, x.data.dtype), c: Matrix.zeros(x.batch, H, x.data.dtype) };
    const hs: Matrix[] = [], steps: LSTMStepCache[] = [];
    for (let t = 0; t < x.steps; t++) {
      const step = this.stepForward(x.at(t), prev);
      hs.push(step.h);
      steps.push(step.cache);
      prev = { h: step.h, c: step.c };
    }
    return { h: Sequence.stack(hs), last: prev, steps };
  }

  /**
   * Backpropagation through time, last step first. `dh`: ∂L/∂h_t from the
   * outputs; `dLast`: ∂L/∂(h_T, c_T) from whatever read the last state (a
   * missing `c` is zero). The weights' gradient is the sum of every step's.
   */
  backward(forward: ReferenceLSTMForward, dh: Sequence, dLast?: { h: Matrix; c?: Matrix }): { dx: Sequence; dFirst: LSTMState; grads: LSTMWeights } {
    const T = forward.steps.length, zeros = (): Matrix => Matrix.zeros(dh.batch, dh.features, dh.data.dtype);
    let dhNext = dLast?.h ?? zeros(), dcNext = dLast?.c ?? zeros();
    const dxs: Matrix[] = new Array(T);
    let grads: LSTMWeights | undefined; // Σ_t of the steps' gradients
    for (let t = T - 1; t >= 0; t--) {
      const step = this.stepBackward(add(dh.at(t), dhNext), dcNext, forward.steps[t]); // h_t feeds the output and step t+1
      dxs[t] = step.dx;
      [dhNext, dcNext] = [step.dhPrev, step.dcPrev];
      grads = grads ? addGradients(grads, step.grads) : step.grads;
    }
    return { dx: Sequence.stack(dxs), dFirst: { h: dhNext, c: dcNext }, grads: grads as LSTMWeights }; // a Sequence has at least one step
  }

  /** Gradients (or weights) in the fast layer's layout: the inverse of the slicing in `from`. */
  fuse(grads: LSTMWeights): FusedLSTMGradients {
    const gates = [grads.i, grads.f, grads.g, grads.o].filter(isDefined);
    return {
      Wx: concatColumns(gates.map((gate) => gate.Wx)),
      Wh: concatColumns(gates.map((gate) => gate.Wh)),
      b: concatColumns(gates.map((gate) => gate.b)),
      ...(grads.pi ? { pi: grads.pi } : {}),
      ...(grads.pf ? { pf: grads.pf } : {}),
      ...(grads.po ? { po: grads.po } : {}),
    };
  }
}
