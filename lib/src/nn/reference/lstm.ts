/**
 * The LSTM one step at a time, written to be read beside the equations of
 * lessons 05 (the cell) and 06 (its variants); the fast layer (layers/lstm.ts)
 * computes the same numbers with fused gate weights, in-place activations and
 * the input products of all steps batched into one.
 *
 * The variants of Greff et al.'s "LSTM: A Search Space Odyssey" are the same
 * cell with one line changed: a missing gate is replaced by 1 (NIG, NFG, NOG)
 * or by 1 − f (CIFG), a missing activation by the identity (NIAF, NOAF), and
 * the peepholes and the full gate recurrence (FGR) are extra terms in the
 * gates' pre-activations, 0 when the cell has none.
 *
 * Names: i, f, g, o are the gates (g is the candidate c̃), c the cell, h the
 * output; z_· a gate's pre-activation, so dzi is ∂L/∂z_i and di is ∂L/∂i_t;
 * a_t = [i_t | f_t | o_t] the gate activations FGR feeds back.
 */
import { Matrix } from "../core/matrix";
import { Sequence } from "../core/sequence";
import { columnSums, concatColumns, sliceColumns } from "../core/ops";
import type { LSTM, LSTMGate } from "../layers/lstm";
import { GateWeights, addGradients, gateBackward, gateBlock, isDefined } from "./gate";
import { add, hadamard, matmul, matmulAT, matmulBT, oneMinus, ones, sigmoid, square, sub, tanh } from "./ops";

/** One sigmoid gate's weights: those of every gate, and with full gate recurrence its W_a,· [S·H, H], from a_{t−1} to this gate. */
export interface LSTMGateWeights extends GateWeights {
  Wa?: Matrix;
}

/**
 * The LSTM's weights (or, with the same shapes, their gradients), one record
 * per gate. A variant without a gate has no record for it: CIFG and NIG have
 * no `i` (i_t = 1 − f_t, or 1), NFG no `f` (f_t = 1), NOG no `o` (o_t = 1).
 * With full gate recurrence every record of i, f, o has its `Wa`.
 */
export interface LSTMWeights {
  i?: LSTMGateWeights;
  f?: LSTMGateWeights;
  g: GateWeights;
  o?: LSTMGateWeights;
  /** Peepholes, [1, hidden] each, one weight per unit: p_i and p_f on c_{t−1}, p_o on c_t. */
  pi?: Matrix;
  pf?: Matrix;
  po?: Matrix;
}

/** What the weights cannot say about a variant: which one a missing input gate means, and the activations. */
export interface ReferenceLSTMOptions {
  /** CIFG: i_t = 1 − f_t. The default reading of weights with f and without i. */
  coupledInputForget?: boolean;
  /** NIG: i_t = 1 (the weights have no `i`). */
  noInputGate?: boolean;
  /** NIAF: g_t is its pre-activation, no tanh. */
  noInputActivation?: boolean;
  /** NOAF: h_t = o_t ⊙ c_t, no tanh. */
  noOutputActivation?: boolean;
}

/** The LSTM's state between steps: h and c, and with full gate recurrence the last gate activations a = [i | f | o], [batch, S·hidden]. */
export interface LSTMState {
  h: Matrix;
  c: Matrix;
  a?: Matrix;
}

/** What one step keeps for its backward pass: its inputs and every intermediate. */
export interface LSTMStepCache {
  x: Matrix;
  hPrev: Matrix;
  cPrev: Matrix;
  /** a_{t−1} (full gate recurrence only). */
  aPrev?: Matrix;
  i: Matrix;
  f: Matrix;
  g: Matrix;
  o: Matrix;
  c: Matrix;
  /** φ(c_t), the output activation: tanh(c_t), or c_t itself (NOAF). */
  tanhC: Matrix;
}

/** A sequence run step by step: every step's h, the last state and each step's cache. */
export interface ReferenceLSTMForward {
  h: Sequence;
  last: LSTMState;
  steps: LSTMStepCache[];
}

/** The gradients in the fast layer's layout, named as its parameters: gate blocks side by side in W_x, W_h, b (and W_a). */
export interface FusedLSTMGradients {
  Wx: Matrix;
  Wh: Matrix;
  b: Matrix;
  Wa?: Matrix;
  pi?: Matrix;
  pf?: Matrix;
  po?: Matrix;
}

/** p ⊙ c for a peephole p [1, hidden]; a cell without that peephole adds 0. */
function peephole(p: Matrix | undefined, c: Matrix): Matrix {
  return p ? hadamard(p, c) : Matrix.zeros(c.rows, c.cols, c.dtype);
}

/** a_{t−1} W_a,· for a gate with full gate recurrence; a cell without it adds 0. */
function gateRecurrence(aPrev: Matrix | undefined, gate: LSTMGateWeights, like: Matrix): Matrix {
  return aPrev && gate.Wa ? matmul(aPrev, gate.Wa) : Matrix.zeros(like.rows, gate.b.cols, like.dtype);
}

/**
 * The LSTM of lessons 05 and 06 and every variant of Greff et al., one step
 * at a time. `ReferenceLSTM.from(lstm)` copies a fast {@link LSTM}'s weights,
 * slicing its fused gate blocks; forward and backward then give the fast
 * layer's numbers (the gradients are returned, not stored; `fuse` puts them
 * in the fast layer's layout).
 */
export class ReferenceLSTM {
  readonly coupledInputForget: boolean;
  readonly noInputActivation: boolean;
  readonly noOutputActivation: boolean;
  /** Full gate recurrence: the gate records have W_a. */
  readonly fullGateRecurrence: boolean;

  constructor(
    readonly weights: LSTMWeights,
    options: ReferenceLSTMOptions = {},
  ) {
    const { i: I, f: F, o: O } = weights;
    if (options.coupledInputForget && options.noInputGate) {
      throw new Error("ReferenceLSTM: coupledInputForget and noInputGate conflict: CIFG computes i = 1 − f, NIG fixes i = 1");
    }
    if (I && (options.coupledInputForget || options.noInputGate)) {
      throw new Error(`ReferenceLSTM: the weights have an input gate, but the options say ${options.noInputGate ? "noInputGate" : "coupledInputForget"}`);
    }
    this.coupledInputForget = !I && !options.noInputGate;
    if (this.coupledInputForget && !F) throw new Error("ReferenceLSTM: a cell needs an input gate or a forget gate (CIFG sets i = 1 − f; pass noInputGate for i = 1)");
    this.noInputActivation = options.noInputActivation ?? false;
    this.noOutputActivation = options.noOutputActivation ?? false;
    const recurrent = [I, F, O].filter(isDefined);
    this.fullGateRecurrence = recurrent.some((gate) => gate.Wa !== undefined);
    if (this.fullGateRecurrence && !recurrent.every((gate) => gate.Wa !== undefined)) {
      throw new Error("ReferenceLSTM: with full gate recurrence every gate (i, f, o) it has needs its W_a");
    }
  }

  /** A copy of the fast layer's weights, taken now (call again after training it). */
  static from(lstm: LSTM): ReferenceLSTM {
    const H = lstm.hiddenSize;
    // W_x = [W_xi | W_xf | W_xg | W_xo] (likewise W_h and b); a variant has no block for a gate it lacks.
    // FGR: W_a's column block k feeds the k-th fed-back gate, from all of a_{t−1}.
    const block = (gate: LSTMGate): LSTMGateWeights => {
      const weights: LSTMGateWeights = gateBlock(lstm.Wx.value, lstm.Wh.value, lstm.b.value, lstm.offset(gate), H);
      const k = lstm.recurrentGates.indexOf(gate);
      if (lstm.Wa && k >= 0) weights.Wa = sliceColumns(lstm.Wa.value, k * H, (k + 1) * H);
      return weights;
    };
    const has = (gate: LSTMGate): boolean => lstm.offset(gate) >= 0;
    return new ReferenceLSTM(
      {
        ...(has("i") ? { i: block("i") } : {}),
        ...(has("f") ? { f: block("f") } : {}),
        g: block("g"),
        ...(has("o") ? { o: block("o") } : {}),
        ...(lstm.pi ? { pi: lstm.pi.value.clone() } : {}),
        ...(lstm.pf ? { pf: lstm.pf.value.clone() } : {}),
        ...(lstm.po ? { po: lstm.po.value.clone() } : {}),
      },
      {
        coupledInputForget: lstm.coupledInputForget,
        noInputGate: lstm.noInputGate,
        noInputActivation: lstm.noInputActivation,
        noOutputActivation: lstm.noOutputActivation,
      },
    );
  }

  /** H, the number of units. */
  get hiddenSize(): number {
    return this.weights.g.Wh.rows;
  }

  /** S·H, the width of a = [i | f | o] (0 without full gate recurrence). */
  get gateStateSize(): number {
    if (!this.fullGateRecurrence) return 0;
    return [this.weights.i, this.weights.f, this.weights.o].filter(isDefined).length * this.hiddenSize;
  }

  stepForward(x: Matrix, prev: LSTMState): { h: Matrix; c: Matrix; a?: Matrix; cache: LSTMStepCache } {
    const { i: I, f: F, g: G, o: O, pi, pf, po } = this.weights;
    const { h: hPrev, c: cPrev } = prev;
    const aPrev = this.checkGateState(prev.a, x.rows);
    const one = ones(x.rows, cPrev.cols, x.dtype);
    // A missing peephole or gate recurrence adds 0; a missing gate or activation is replaced as its variant says.
    const f = F ? sigmoid(add(matmul(x, F.Wx), matmul(hPrev, F.Wh), F.b, peephole(pf, cPrev), gateRecurrence(aPrev, F, x))) : one; // f_t = σ(x_t W_xf + h_{t−1} W_hf + b_f [+ p_f ⊙ c_{t−1}] [+ a_{t−1} W_af]), or 1 (NFG)
    const i = I ? sigmoid(add(matmul(x, I.Wx), matmul(hPrev, I.Wh), I.b, peephole(pi, cPrev), gateRecurrence(aPrev, I, x))) : this.coupledInputForget ? oneMinus(f) : one; // i_t = σ(x_t W_xi + h_{t−1} W_hi + b_i [+ p_i ⊙ c_{t−1}] [+ a_{t−1} W_ai]), or 1 − f_t (CIFG), or 1 (NIG)
    const zg = add(matmul(x, G.Wx), matmul(hPrev, G.Wh), G.b); // z_g = x_t W_xg + h_{t−1} W_hg + b_g
    const g = this.noInputActivation ? zg : tanh(zg); // g_t = tanh(z_g), or z_g itself (NIAF)
    const c = add(hadamard(f, cPrev), hadamard(i, g)); // c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
    const o = O ? sigmoid(add(matmul(x, O.Wx), matmul(hPrev, O.Wh), O.b, peephole(po, c), gateRecurrence(aPrev, O, x))) : one; // o_t = σ(x_t W_xo + h_{t−1} W_ho + b_o [+ p_o ⊙ c_t] [+ a_{t−1} W_ao]), or 1 (NOG)
    const tanhC = this.noOutputActivation ? c : tanh(c); // φ(c_t) = tanh(c_t), or c_t itself (NOAF)
    const h = hadamard(o, tanhC); // h_t = o_t ⊙ φ(c_t)
    const a = this.fullGateRecurrence ? concatColumns([I && i, F && f, O && o].filter(isDefined)) : undefined; // a_t = [i_t | f_t | o_t], the gates it has (FGR)
    return { h, c, ...(a ? { a } : {}), cache: { x, hPrev, cPrev, ...(aPrev ? { aPrev } : {}), i, f, g, o, c, tanhC } };
  }

  /**
   * `dh`: ∂L/∂h_t (from the output at t and from step t+1); `dc`: ∂L/∂c_t
   * from step t+1; `da` (full gate recurrence): ∂L/∂a_t from step t+1's
   * gates (default 0). Under each forward formula (last first), its local derivatives.
   */
  stepBackward(dh: Matrix, dc: Matrix, cache: LSTMStepCache, da?: Matrix): { dx: Matrix; dhPrev: Matrix; dcPrev: Matrix; daPrev?: Matrix; grads: LSTMWeights } {
    const { i: I, f: F, g: G, o: O, pi, pf, po } = this.weights;
    const { x, hPrev, cPrev, aPrev, i, f, g, o, c, tanhC } = cache;
    // a_t = [i_t | f_t | o_t] fed step t+1's gates (FGR): da splits into one block per gate; 0 without it.
    const daOf = this.gateBlocks(da === undefined ? undefined : this.checkGateState(da, dh.rows), dh);
    // h_t = o_t ⊙ φ(c_t)
    const dzo = O ? hadamard(add(hadamard(dh, tanhC), daOf.o), o, oneMinus(o)) : undefined; // ∂h/∂o = φ(c_t), σ′(z_o) = o(1 − o)
    let dcTotal = add(dc, hadamard(dh, o, this.noOutputActivation ? ones(c.rows, c.cols, c.dtype) : oneMinus(square(tanhC)))); // ∂h/∂c = o ⊙ φ′(c_t), φ′ = 1 − tanh² (NOAF: 1), plus what step t+1 sent
    // o_t = σ(x_t W_xo + h_{t−1} W_ho + b_o + p_o ⊙ c_t + a_{t−1} W_ao)
    if (dzo && po) dcTotal = add(dcTotal, hadamard(dzo, po)); // the output gate's peephole saw c_t
    // c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t
    let dcPrev = hadamard(dcTotal, f); // the conveyor belt: only f scales it
    let df = add(hadamard(dcTotal, cPrev), daOf.f);
    const di = add(hadamard(dcTotal, g), daOf.i);
    const dg = hadamard(dcTotal, i);
    // g_t = tanh(z_g), or z_g (NIAF)
    const dzg = this.noInputActivation ? dg : hadamard(dg, oneMinus(square(g))); // tanh′ = 1 − g² (NIAF: 1)
    // i_t = σ(x_t W_xi + h_{t−1} W_hi + b_i + p_i ⊙ c_{t−1} + a_{t−1} W_ai), or 1 − f_t (CIFG), or 1 (NIG: nothing to learn)
    const dzi = I ? hadamard(di, i, oneMinus(i)) : undefined; // σ′ = i(1 − i)
    if (!I && this.coupledInputForget) df = sub(df, di); // CIFG: ∂i/∂f = −1
    if (dzi && pi) dcPrev = add(dcPrev, hadamard(dzi, pi));
    // f_t = σ(x_t W_xf + h_{t−1} W_hf + b_f + p_f ⊙ c_{t−1} + a_{t−1} W_af), or 1 (no forget gate: nothing to learn)
    const dzf = F ? hadamard(df, f, oneMinus(f)) : undefined; // σ′ = f(1 − f)
    if (dzf && pf) dcPrev = add(dcPrev, hadamard(dzf, pf));
    // Each gate's z = x_t W_x + h_{t−1} W_h + b [+ a_{t−1} W_a]: its weights' gradients, its share of dx_t, dh_{t−1} and da_{t−1}.
    const iBack = I && dzi ? lstmGateBackward(dzi, x, hPrev, aPrev, I) : undefined;
    const fBack = F && dzf ? lstmGateBackward(dzf, x, hPrev, aPrev, F) : undefined;
    const oBack = O && dzo ? lstmGateBackward(dzo, x, hPrev, aPrev, O) : undefined;
    const gBack = gateBackward(dzg, x, hPrev, G);
    const backs = [iBack, fBack, gBack, oBack].filter(isDefined);
    const recurrentBacks = [iBack, fBack, oBack].filter(isDefined).map((b) => b.daPrev).filter(isDefined);
    const grads: LSTMWeights = {
      ...(iBack ? { i: iBack.grads } : {}),
      ...(fBack ? { f: fBack.grads } : {}),
      g: gBack.grads,
      ...(oBack ? { o: oBack.grads } : {}),
      // A peephole is one row shared by the batch: Σ_rows.
      ...(pi && dzi ? { pi: columnSums(hadamard(dzi, cPrev)) } : {}),
      ...(pf && dzf ? { pf: columnSums(hadamard(dzf, cPrev)) } : {}),
      ...(po && dzo ? { po: columnSums(hadamard(dzo, c)) } : {}),
    };
    return {
      dx: add(...backs.map((b) => b.dx)),
      dhPrev: add(...backs.map((b) => b.dhPrev)),
      dcPrev,
      ...(recurrentBacks.length ? { daPrev: add(...recurrentBacks) } : {}),
      grads,
    };
  }

  /** Runs the steps from `first` (default zeros; with full gate recurrence a given state needs its `a`). */
  forward(x: Sequence, first?: LSTMState): ReferenceLSTMForward {
    const H = this.hiddenSize, zeros = (cols: number): Matrix => Matrix.zeros(x.batch, cols, x.data.dtype);
    let prev: LSTMState = first ?? { h: zeros(H), c: zeros(H), ...(this.fullGateRecurrence ? { a: zeros(this.gateStateSize) } : {}) };
    const hs: Matrix[] = [], steps: LSTMStepCache[] = [];
    for (let t = 0; t < x.steps; t++) {
      const step = this.stepForward(x.at(t), prev);
      hs.push(step.h);
      steps.push(step.cache);
      prev = { h: step.h, c: step.c, ...(step.a ? { a: step.a } : {}) };
    }
    return { h: Sequence.stack(hs), last: prev, steps };
  }

  /**
   * Backpropagation through time, last step first. `dh`: ∂L/∂h_t from the
   * outputs; `dLast`: ∂L/∂(h_T, c_T, a_T) from whatever read the last state (a
   * missing `c` or `a` is zero). The weights' gradient is the sum of every step's.
   */
  backward(forward: ReferenceLSTMForward, dh: Sequence, dLast?: { h: Matrix; c?: Matrix; a?: Matrix }): { dx: Sequence; dFirst: LSTMState; grads: LSTMWeights } {
    const T = forward.steps.length, zeros = (): Matrix => Matrix.zeros(dh.batch, dh.features, dh.data.dtype);
    let dhNext = dLast?.h ?? zeros(), dcNext = dLast?.c ?? zeros();
    let daNext = this.fullGateRecurrence ? dLast?.a ?? Matrix.zeros(dh.batch, this.gateStateSize, dh.data.dtype) : undefined;
    const dxs: Matrix[] = new Array(T);
    let grads: LSTMWeights | undefined; // Σ_t of the steps' gradients
    for (let t = T - 1; t >= 0; t--) {
      const step = this.stepBackward(add(dh.at(t), dhNext), dcNext, forward.steps[t], daNext); // h_t feeds the output and step t+1
      dxs[t] = step.dx;
      [dhNext, dcNext, daNext] = [step.dhPrev, step.dcPrev, step.daPrev];
      grads = grads ? addGradients(grads, step.grads) : step.grads;
    }
    const dFirst: LSTMState = { h: dhNext, c: dcNext, ...(daNext ? { a: daNext } : {}) };
    return { dx: Sequence.stack(dxs), dFirst, grads: grads as LSTMWeights }; // a Sequence has at least one step
  }

  /** Gradients (or weights) in the fast layer's layout: the inverse of the slicing in `from`. */
  fuse(grads: LSTMWeights): FusedLSTMGradients {
    const gates = [grads.i, grads.f, grads.g, grads.o].filter(isDefined);
    const fedBack = [grads.i, grads.f, grads.o].filter(isDefined).map((gate) => gate.Wa).filter(isDefined);
    return {
      Wx: concatColumns(gates.map((gate) => gate.Wx)),
      Wh: concatColumns(gates.map((gate) => gate.Wh)),
      b: concatColumns(gates.map((gate) => gate.b)),
      ...(fedBack.length ? { Wa: concatColumns(fedBack) } : {}),
      ...(grads.pi ? { pi: grads.pi } : {}),
      ...(grads.pf ? { pf: grads.pf } : {}),
      ...(grads.po ? { po: grads.po } : {}),
    };
  }

  /** a (or its gradient) [batch, S·H] split into the blocks of i, f and o; a gate that is not fed back (or no a at all) gets zeros. */
  private gateBlocks(a: Matrix | undefined, like: Matrix): Record<"i" | "f" | "o", Matrix> {
    const H = this.hiddenSize, zeros = (): Matrix => Matrix.zeros(like.rows, H, like.dtype);
    const out = { i: zeros(), f: zeros(), o: zeros() };
    if (!a) return out;
    let from = 0;
    for (const gate of ["i", "f", "o"] as const) {
      if (!this.weights[gate]) continue;
      out[gate] = sliceColumns(a, from, from + H);
      from += H;
    }
    return out;
  }

  /** The gate state a given to a step (undefined without full gate recurrence), checked. */
  private checkGateState(a: Matrix | undefined, batch: number): Matrix | undefined {
    if (!this.fullGateRecurrence) {
      if (a) throw new Error("ReferenceLSTM: this cell has no full gate recurrence, so its state has no gate activations a");
      return undefined;
    }
    if (!a) throw new Error(`ReferenceLSTM: the state needs the previous gate activations a, [${batch}, ${this.gateStateSize}] (zeros before the first step)`);
    if (a.rows !== batch || a.cols !== this.gateStateSize) {
      throw new Error(`ReferenceLSTM: a: expected shape [${batch}, ${this.gateStateSize}], got [${a.rows}, ${a.cols}]`);
    }
    return a;
  }
}

/**
 * Back through a sigmoid gate's z = x_t W_x + h_{t−1} W_h + b [+ a_{t−1} W_a]:
 * the common part ({@link gateBackward}), and with full gate recurrence
 * dW_a = a_{t−1}ᵀ dz and the share of dz that reaches a_{t−1}, dz W_aᵀ.
 */
function lstmGateBackward(dz: Matrix, x: Matrix, hPrev: Matrix, aPrev: Matrix | undefined, W: LSTMGateWeights): { grads: LSTMGateWeights; dx: Matrix; dhPrev: Matrix; daPrev?: Matrix } {
  const back = gateBackward(dz, x, hPrev, W);
  if (!W.Wa || !aPrev) return back;
  return { grads: { ...back.grads, Wa: matmulAT(aPrev, dz) }, dx: back.dx, dhPrev: back.dhPrev, daPrev: matmulBT(dz, W.Wa) };
}
