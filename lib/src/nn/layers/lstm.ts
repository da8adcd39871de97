/**
 * Long short-term memory (LSTM), with the variants compared in "LSTM: A
 * Search Space Odyssey" (Greff et al. 2017) as options of this one layer.
 *
 * One step, for a batch of rows (⊙ is the element-wise product):
 *
 *   i_t = σ(x_t W_xi + h_{t−1} W_hi + b_i)        input gate: how much to write
 *   f_t = σ(x_t W_xf + h_{t−1} W_hf + b_f)        forget gate: how much to keep
 *   g_t = tanh(x_t W_xg + h_{t−1} W_hg + b_g)     candidate c̃: what to write
 *   o_t = σ(x_t W_xo + h_{t−1} W_ho + b_o)        output gate: how much to show
 *   c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t               the cell, the "conveyor belt"
 *   h_t = o_t ⊙ tanh(c_t)
 *
 * The four pre-activations come from ONE fused weight per input: W_x is
 * [input, 4H] and W_h is [H, 4H], their column blocks in the order i, f, g, o
 * (PyTorch's order, so its `weight_ih_l0` is our W_x transposed). A variant
 * without a gate simply has no block for it, so no weight is ever unused.
 *
 * Variants, each one change to the equations above (Greff et al.'s names in
 * brackets; their "vanilla" LSTM is the one WITH peepholes, and the default
 * here, without them, is their NP):
 *   - `peephole`: the gates also look at the cell. i and f see c_{t−1}; o sees
 *     the new c_t. The peephole weights are diagonal (one per unit), so the
 *     term is p ⊙ c, not a product with a matrix.
 *   - `coupledInputForget` (CIFG): i_t = 1 − f_t. The cell writes exactly as
 *     much as it forgets. (Greff et al. write f_t = 1 − i_t; as 1 − σ(z) =
 *     σ(−z), both describe the same cells.)
 *   - `noForgetGate` (NFG): f_t = 1, Hochreiter & Schmidhuber's 1997 cell. The
 *     belt never forgets, so c can grow without bound.
 *   - `noInputGate` (NIG): i_t = 1. Every candidate is written in full.
 *   - `noOutputGate` (NOG): o_t = 1, so h_t = tanh(c_t). The cell is always shown.
 *   - `noInputActivation` (NIAF): g_t = x_t W_xg + h_{t−1} W_hg + b_g, the
 *     pre-activation itself: no tanh bounds what is written.
 *   - `noOutputActivation` (NOAF): h_t = o_t ⊙ c_t: no tanh squashes the cell
 *     on its way out, so h is as unbounded as c.
 *   - `fullGateRecurrence` (FGR): the gates of the step before feed every
 *     gate. With a_{t−1} = [i_{t−1} | f_{t−1} | o_{t−1}] (the gates the variant
 *     has, each H wide), each gate's pre-activation gains a_{t−1} W_a,· : for
 *     the input gate, i_{t−1} R_ii + f_{t−1} R_fi + o_{t−1} R_oi in the paper's
 *     notation. W_a is ONE fused weight [S·H, S·H] for S such gates (9 H×H
 *     blocks for S = 3), its row and column blocks in the gates' order. The
 *     activations before the first step are 0 (or the given state's `a`);
 *     the state carries a_t on to the next segment.
 * A gate a variant lacks has no weight block, no peephole and no place in
 * a_{t−1}. Conflicting options are rejected: CIFG with NFG or with NIG,
 * `forgetBias` without a forget gate, peepholes or FGR with no gate left.
 *
 * Backward (through time, last step first). dh_t comes from the outputs at
 * step t; dh_next and dc_next from step t+1 (from `dLast` at the last step);
 * φ(c) = tanh(c) is the output activation (NOAF: φ(c) = c, φ′ = 1):
 *
 *   dH    = dh_t + dh_next
 *   dz_o  = (dH ⊙ φ(c_t) [+ da_o]) ⊙ o(1 − o)               (σ′ = σ(1 − σ); NOG: none, o = 1)
 *   dc    = dc_next + dH ⊙ o ⊙ φ′(c_t)  [+ dz_o ⊙ p_o]      (φ′ = 1 − tanh²)
 *   dz_i  = (dc ⊙ g [+ da_i]) ⊙ i(1 − i)                     (NIG, CIFG: none)
 *   dz_f  = (dc ⊙ c_{t−1} [+ da_f]) ⊙ f(1 − f)          (CIFG: dc ⊙ (c_{t−1} − g) …; NFG: none)
 *   dz_g  = dc ⊙ i ⊙ (1 − g²)                                (NIAF: dc ⊙ i)
 *   dc_next ← dc ⊙ f  [+ dz_i ⊙ p_i + dz_f ⊙ p_f]   the belt: only f scales it
 *   dh_next ← dz_t · W_hᵀ
 *   da_next ← dz_{a,t} · W_aᵀ      (FGR: dz_{a,t} = [dz_i | dz_f | dz_o] of step t; from `dLast.a` at the last step)
 *
 * and at the end, one product each over all steps stacked as rows:
 * dW_x = Σ_t x_tᵀ dz_t,  dW_h = Σ_t h_{t−1}ᵀ dz_t,  dW_a = Σ_t a_{t−1}ᵀ dz_{a,t},
 * dx_t = dz_t W_xᵀ; and db = Σ_t dz_t (over the rows too), summed inside the
 * loop as dz is made.
 */
import { Matrix, DType } from "../core/matrix";
import { Parameter } from "../core/parameter";
import { Sequence } from "../core/sequence";
import { linalg } from "../compute/linalg";
import { addInPlace, addVector } from "../core/ops";
import { RecurrentLayer, RecurrentState, RecurrentForward, RecurrentBackward, recurrentBackward, BackwardOptions, previousStates } from "./layer";
import { LayerOptions, gaussianParameter, zeroParameter } from "./parameters";
import { activations, sigmoidInPlaceRange, tanhInPlaceRange } from "../compute/activations";
import { expectShape, expectDType, expectSize, expectFinite } from "../core/shapes";

/**
 * The LSTM's gates; `g` is the candidate cell value c̃.
 * Used in lesson 10.
 */
export type LSTMGate = "i" | "f" | "g" | "o";

/** Options of {@link LSTM}: the common layer options plus the Odyssey variants (see the module comment for each equation). */
export interface LSTMOptions extends LayerOptions {
  /** Gates also see the cell state (i, f see c_{t−1}; o sees c_t). Default false (Greff et al.'s NP). */
  peephole?: boolean;
  /** CIFG: the input gate is 1 − forget gate. Default false. */
  coupledInputForget?: boolean;
  /** NFG, the 1997 LSTM: no forget gate (f = 1). Default false. */
  noForgetGate?: boolean;
  /** NIG: no input gate (i = 1). Default false. Not allowed with `coupledInputForget`. */
  noInputGate?: boolean;
  /** NOG: no output gate (o = 1, h = tanh(c)). Default false. */
  noOutputGate?: boolean;
  /** NIAF: no input activation (g is the pre-activation itself, no tanh). Default false. */
  noInputActivation?: boolean;
  /** NOAF: no output activation (h = o ⊙ c, no tanh). Default false. */
  noOutputActivation?: boolean;
  /** FGR: the previous step's gate activations a_{t−1} = [i | f | o] feed every gate through W_a. Default false. */
  fullGateRecurrence?: boolean;
  /**
   * Initial bias of the forget gate. Default 1, so the cell starts out
   * remembering (Gers et al. 2000; Jozefowicz et al. 2015). Not allowed with
   * `noForgetGate`.
   */
  forgetBias?: number;
}

/**
 * The LSTM's state between steps and segments: h and the cell c, and with
 * `fullGateRecurrence` the gate activations a = [i | f | o] of the last step,
 * [batch, S·H] (S gates, in {@link LSTM.recurrentGates} order).
 */
export interface LSTMLayerState extends RecurrentState {
  a?: Matrix;
}

/** What the LSTM forward pass keeps for its backward pass. */
export interface LSTMCache {
  /** The inputs (dW_x needs them). */
  x: Sequence;
  /** The state before the first step. */
  h0: Matrix;
  c0: Matrix;
  /** Gate activations, [T·B, gates·H], one H-wide block per gate in `gateOrder` (NIAF: g holds its pre-activation, which is its value). */
  gates: Matrix;
  /** The cell state c_t at every step, [T·B, H]. */
  c: Sequence;
  /** The output activation φ(c_t) at every step, [T·B, H]: tanh(c_t), or c_t itself with `noOutputActivation`. */
  tanhC: Matrix;
  /** FGR only: a_{t−1}, the gate activations each step started from, [T·B, S·H] (rows of step 0: the first state's a). */
  aPrev?: Matrix;
}

/** Rows [from, from + rows) of a [·, G] gate matrix, keeping only the H-wide blocks that start at `offsets`: [rows, offsets.length·H]. */
function gatherBlocks(gates: Matrix, from: number, rows: number, offsets: readonly number[], H: number): Matrix {
  const G = gates.cols, S = offsets.length;
  const out = Matrix.zeros(rows, S * H, gates.dtype);
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < S; s++) {
      const start = (from + r) * G + offsets[s];
      out.data.set(gates.data.subarray(start, start + H), (r * S + s) * H);
    }
  }
  return out;
}

/**
 * An LSTM layer over time-major sequences ({@link RecurrentLayer}). The state
 * is `{ h, c }` (and `a` with full gate recurrence). The backward pass is
 * written out by hand, step by step, including the gradient along the cell:
 * dc_{t−1} = dc_t ⊙ f_t (+ peephole terms).
 * Used in lessons 03 (the gradient along the cell), 05 (the cell), 06 (every variant), 07 (against the GRU) and 10 (its cells and gates, read out).
 */
export class LSTM implements RecurrentLayer<LSTMCache> {
  /** The variant, as constructed (see {@link LSTMOptions}). */
  readonly peephole: boolean;
  readonly coupledInputForget: boolean;
  readonly noForgetGate: boolean;
  readonly noInputGate: boolean;
  readonly noOutputGate: boolean;
  readonly noInputActivation: boolean;
  readonly noOutputActivation: boolean;
  readonly fullGateRecurrence: boolean;
  /** The gate blocks of the fused weights, in column order (variants drop i, f or o). */
  readonly gateOrder: readonly LSTMGate[];
  /** FGR: the gates whose previous activations feed every gate, in the row (and column) order of W_a; empty without FGR. */
  readonly recurrentGates: readonly LSTMGate[];
  /** Input weights, [input, gates·H]. */
  readonly Wx: Parameter;
  /** Recurrent weights, [H, gates·H]. */
  readonly Wh: Parameter;
  /** Biases, [1, gates·H]. */
  readonly b: Parameter;
  /** FGR: gate-to-gate weights W_a [S·H, S·H], from a_{t−1} to the pre-activations of the same S gates (only with `fullGateRecurrence`). */
  readonly Wa?: Parameter;
  /** Input-gate peephole p_i [1, H], on c_{t−1} (only with `peephole`, and only with an input gate of its own). */
  readonly pi?: Parameter;
  /** Forget-gate peephole p_f [1, H], on c_{t−1} (only with `peephole`, and not without a forget gate). */
  readonly pf?: Parameter;
  /** Output-gate peephole p_o [1, H], on the new c_t (only with `peephole`, and not without an output gate). */
  readonly po?: Parameter;

  /** Weights start Gaussian with std 1/√fan-in, drawn from `options.rng`; biases at 0 except the forget gate's; peepholes at 0. */
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: LSTMOptions,
  ) {
    expectSize("LSTM", "inputSize", inputSize);
    expectSize("LSTM", "hiddenSize", hiddenSize);
    const name = options.name ?? "lstm";
    if (options.coupledInputForget && options.noForgetGate) {
      throw new Error("LSTM: coupledInputForget and noForgetGate conflict: CIFG sets i = 1 − f, and without a forget gate (f = 1) the input gate would be 0 forever");
    }
    if (options.coupledInputForget && options.noInputGate) {
      throw new Error("LSTM: coupledInputForget and noInputGate conflict: CIFG computes the input gate as i = 1 − f, NIG fixes it at i = 1; choose one");
    }
    if (options.noForgetGate && options.forgetBias !== undefined) {
      throw new Error("LSTM: forgetBias conflicts with noForgetGate: there is no forget gate to bias");
    }
    this.peephole = options.peephole ?? false;
    this.coupledInputForget = options.coupledInputForget ?? false;
    this.noForgetGate = options.noForgetGate ?? false;
    this.noInputGate = options.noInputGate ?? false;
    this.noOutputGate = options.noOutputGate ?? false;
    this.noInputActivation = options.noInputActivation ?? false;
    this.noOutputActivation = options.noOutputActivation ?? false;
    this.fullGateRecurrence = options.fullGateRecurrence ?? false;
    const missing: Record<LSTMGate, boolean> = {
      i: this.coupledInputForget || this.noInputGate,
      f: this.noForgetGate,
      g: false,
      o: this.noOutputGate,
    };
    this.gateOrder = (["i", "f", "g", "o"] as const).filter((gate) => !missing[gate]);
    const sigmoidGates = this.gateOrder.filter((gate) => gate !== "g");
    if (sigmoidGates.length === 0) {
      if (this.peephole) throw new Error("LSTM: peephole needs a gate to look at the cell, but noInputGate, noForgetGate and noOutputGate leave none");
      if (this.fullGateRecurrence) throw new Error("LSTM: fullGateRecurrence needs a gate, but noInputGate, noForgetGate and noOutputGate leave none to feed back");
    }
    this.recurrentGates = this.fullGateRecurrence ? sigmoidGates : [];

    const dtype = options.dtype ?? "float32";
    const rng = options.rng;
    const H = hiddenSize, G = this.gateOrder.length * H;
    this.Wx = gaussianParameter(`${name}.Wx`, inputSize, G, rng, dtype);
    this.Wh = gaussianParameter(`${name}.Wh`, H, G, rng, dtype);
    this.b = zeroParameter(`${name}.b`, 1, G, dtype);
    const f = this.offset("f");
    if (f >= 0) this.b.value.data.fill(options.forgetBias ?? 1, f, f + H);
    if (this.fullGateRecurrence) {
      const SH = this.recurrentGates.length * H;
      this.Wa = gaussianParameter(`${name}.Wa`, SH, SH, rng, dtype);
    }
    if (this.peephole) {
      // Zero peepholes: the layer starts as a plain LSTM and learns how much to look at c.
      if (this.offset("i") >= 0) this.pi = zeroParameter(`${name}.pi`, 1, H, dtype);
      if (f >= 0) this.pf = zeroParameter(`${name}.pf`, 1, H, dtype);
      if (this.offset("o") >= 0) this.po = zeroParameter(`${name}.po`, 1, H, dtype);
    }
  }

  /** Precision of the parameters. */
  get dtype(): DType {
    return this.Wx.value.dtype;
  }

  /** Column where a gate's block starts in the fused weights, or −1 if the variant has no such gate. */
  offset(gate: LSTMGate): number {
    const index = this.gateOrder.indexOf(gate);
    return index < 0 ? -1 : index * this.hiddenSize;
  }

  /** W_x, W_h, b, then W_a and the peepholes that exist. */
  parameters(): Parameter[] {
    const ps = [this.Wx, this.Wh, this.b];
    for (const p of [this.Wa, this.pi, this.pf, this.po]) if (p) ps.push(p);
    return ps;
  }

  /** h = 0 and c = 0, [batch, hidden] each (and a = 0, [batch, S·H], with full gate recurrence). */
  initialState(batch: number, dtype: DType = this.dtype): LSTMLayerState {
    const H = this.hiddenSize;
    const state: LSTMLayerState = { h: Matrix.zeros(batch, H, dtype), c: Matrix.zeros(batch, H, dtype) };
    if (this.fullGateRecurrence) state.a = Matrix.zeros(batch, this.recurrentGates.length * H, dtype);
    return state;
  }

  /** Runs all T steps from `first` (default: zeros; a given state needs h and c, and a with full gate recurrence). */
  forward(x: Sequence, first?: LSTMLayerState): RecurrentForward<LSTMCache> {
    const T = x.steps, B = x.batch, H = this.hiddenSize, G = this.gateOrder.length * H;
    expectShape("LSTM", "input x", x.data, T * B, this.inputSize, "[T·B, input]");
    expectDType("LSTM", "input x", x.data, this.dtype);
    expectFinite("LSTM", "input x", x.data);
    const { h: h0, c: c0, a: a0 } = this.checkFirst(first, B);
    const la = linalg();
    const [oi, of, og, oo] = [this.offset("i"), this.offset("f"), this.offset("g"), this.offset("o")];
    const coupled = this.coupledInputForget, linearInput = this.noInputActivation, linearOutput = this.noOutputActivation;
    const pi = this.pi?.value.data, pf = this.pf?.value.data, po = this.po?.value.data;
    const { tanh } = activations(this.dtype); // float32: fast, to float32 accuracy

    // The input's share of every pre-activation, for ALL steps in one product.
    const XW = la.matmul(x.data, this.Wx);
    const bias = this.b.value.data;

    // FGR: where each fed-back gate's block starts in a gate row, and a_{t−1} of every step ([T·B, S·H]; step 0 starts from a0).
    const Wa = this.Wa;
    const aOffsets = this.recurrentGates.map((gate) => this.offset(gate));
    const SH = aOffsets.length * H;
    const aPrevSteps = Wa && a0 ? Matrix.zeros(T * B, SH, this.dtype) : undefined;
    if (aPrevSteps && a0) aPrevSteps.data.set(a0.data, 0);

    // The loops below turn each pre-activation into its gate's activation in
    // place: no second [T·B, gates·H] matrix to fill (the forward pass is
    // bound by memory traffic as much as by arithmetic).
    const gates = XW;
    const hSteps = Sequence.zeros(T, B, H, this.dtype); // h_t of every step
    const cSteps = Sequence.zeros(T, B, H, this.dtype); // c_t of every step
    const tanhCSteps = Matrix.zeros(T * B, H, this.dtype); // φ(c_t) of every step
    let hPrevMatrix = h0, cPrevMatrix = c0;
    for (let t = 0; t < T; t++) {
      // The recurrence: one product gives the share of h_{t−1} in all gates at once.
      const hWh = la.matmul(hPrevMatrix, this.Wh).data;
      // FGR: one more product, the share of a_{t−1} in the gates it feeds.
      const aWa = Wa && aPrevSteps ? la.matmul(aPrevSteps.rowsView(t * B, B), Wa).data : undefined;
      // gate: each gate's pre-activation, then (in place) its activation; rows t·B … t·B + B − 1 are step t.
      const gate = gates.data, cPrev = cPrevMatrix.data, c = cSteps.data.data, h = hSteps.data.data, tanhC = tanhCSteps.data;
      // One example (row) at a time, one equation per loop: short loops over
      // contiguous memory that the JIT compiles well (a fifth faster than one
      // loop doing everything per unit).
      for (let bi = 0; bi < B; bi++) {
        const gateRow = (t * B + bi) * G; // this example's gate row in the [T·B, gates·H] matrix
        const hWhRow = bi * G, stateRow = bi * H, stepRow = (t * B + bi) * H; // its rows in h_{t−1}W_h [B, gates·H], in c_{t−1} [B, H], in c_t and h_t [T·B, H]
        // Pre-activations of every gate: x_t W_x (already there) + h_{t−1} W_h + b.
        for (let k = 0; k < G; k++) gate[gateRow + k] += hWh[hWhRow + k] + bias[k];
        // FGR: + a_{t−1} W_a, block by block into the gates it feeds.
        if (aWa) {
          for (let s = 0; s < aOffsets.length; s++) {
            const to = gateRow + aOffsets[s], from = bi * SH + s * H;
            for (let j = 0; j < H; j++) gate[to + j] += aWa[from + j];
          }
        }
        // Peepholes: i and f also look at the old cell.
        if (pi) for (let j = 0; j < H; j++) gate[gateRow + oi + j] += pi[j] * cPrev[stateRow + j];
        if (pf) for (let j = 0; j < H; j++) gate[gateRow + of + j] += pf[j] * cPrev[stateRow + j];
        // The gates replace their pre-activations in place (NIAF: g keeps its pre-activation).
        if (oi >= 0) sigmoidInPlaceRange(gate, gateRow + oi, H);
        if (of >= 0) sigmoidInPlaceRange(gate, gateRow + of, H);
        if (!linearInput) tanhInPlaceRange(gate, gateRow + og, H);
        // The cell: c_t = f ⊙ c_{t−1} + i ⊙ g (f = 1 without a forget gate; i = 1 − f for CIFG, 1 without an input gate).
        for (let j = 0; j < H; j++) {
          const f = of >= 0 ? gate[gateRow + of + j] : 1;
          const i = oi >= 0 ? gate[gateRow + oi + j] : coupled ? 1 - f : 1;
          c[stepRow + j] = f * cPrev[stateRow + j] + i * gate[gateRow + og + j];
        }
        // The output gate (its peephole looks at the NEW cell), then h_t = o ⊙ φ(c_t).
        if (oo >= 0) {
          if (po) for (let j = 0; j < H; j++) gate[gateRow + oo + j] += po[j] * c[stepRow + j];
          sigmoidInPlaceRange(gate, gateRow + oo, H);
        }
        if (linearOutput) {
          // NOAF: φ(c) = c.
          for (let j = 0; j < H; j++) {
            const cj = (tanhC[stepRow + j] = c[stepRow + j]);
            h[stepRow + j] = oo >= 0 ? gate[gateRow + oo + j] * cj : cj;
          }
        } else if (oo >= 0) {
          for (let j = 0; j < H; j++) {
            const tanhCj = (tanhC[stepRow + j] = tanh(c[stepRow + j]));
            h[stepRow + j] = gate[gateRow + oo + j] * tanhCj;
          }
        } else {
          // NOG: o = 1, h_t = tanh(c_t).
          for (let j = 0; j < H; j++) h[stepRow + j] = tanhC[stepRow + j] = tanh(c[stepRow + j]);
        }
      }
      hPrevMatrix = hSteps.at(t);
      cPrevMatrix = cSteps.at(t);
      // FGR: this step's gates are the next step's a_{t−1}.
      if (aPrevSteps && t + 1 < T) aPrevSteps.data.set(gatherBlocks(gates, t * B, B, aOffsets, H).data, (t + 1) * B * SH);
    }
    const last: LSTMLayerState = { h: hPrevMatrix.clone(), c: cPrevMatrix.clone() };
    if (Wa) last.a = gatherBlocks(gates, (T - 1) * B, B, aOffsets, H);
    return {
      h: hSteps,
      last,
      cache: { x, h0, c0, gates, c: cSteps, tanhC: tanhCSteps, ...(aPrevSteps ? { aPrev: aPrevSteps } : {}) },
    };
  }

  /**
   * Backpropagation through time; ADDS the parameter gradients into their
   * `grad`. `dLast.c` (and, with full gate recurrence, `dLast.a`) may be
   * omitted (zero).
   */
  backward(forward: RecurrentForward<LSTMCache>, dh: Sequence, dLast?: LSTMLayerState, options: BackwardOptions = {}): RecurrentBackward {
    const { x, h0, c0, gates, c: cSteps, tanhC: tanhCSteps, aPrev } = forward.cache;
    const T = x.steps, B = x.batch, H = this.hiddenSize, G = this.gateOrder.length * H;
    expectShape("LSTM.backward", "dh", dh.data, T * B, H, "[T·B, hidden]");
    expectDType("LSTM.backward", "dh", dh.data, this.dtype);
    const la = linalg();
    const [oi, of, og, oo] = [this.offset("i"), this.offset("f"), this.offset("g"), this.offset("o")];
    const coupled = this.coupledInputForget, linearInput = this.noInputActivation, linearOutput = this.noOutputActivation;
    const pi = this.pi?.value.data, pf = this.pf?.value.data, po = this.po?.value.data;
    const dpi = new Float64Array(H), dpf = new Float64Array(H), dpo = new Float64Array(H);
    // db = Σ over steps and rows of dz (the bias is added at every one), summed as dz is made.
    const db = new Float64Array(G);
    // FGR: each fed-back gate's block in a gate row, and its block in a (S·H wide); −1 for a gate not fed back.
    const Wa = this.Wa;
    const aOffsets = this.recurrentGates.map((gate) => this.offset(gate));
    const SH = aOffsets.length * H;
    const [ai, af, ao] = (["i", "f", "o"] as const).map((gate) => this.recurrentGates.indexOf(gate) * H);
    if (Wa && !aPrev) throw new Error("LSTM.backward: the forward result has no gate activations a_{t−1}: it does not come from this layer (full gate recurrence)");

    // Gradient flowing into the state from later steps (or a later segment), zero by default.
    let dhNextMatrix = Matrix.zeros(B, H, this.dtype);
    let dcNextMatrix = Matrix.zeros(B, H, this.dtype);
    let daNextMatrix = Wa ? Matrix.zeros(B, SH, this.dtype) : undefined;
    if (dLast) {
      expectShape("LSTM.backward", "dLast.h", dLast.h, B, H, "[batch, hidden]");
      expectDType("LSTM.backward", "dLast.h", dLast.h, this.dtype);
      dhNextMatrix = dLast.h;
      if (dLast.c) {
        expectShape("LSTM.backward", "dLast.c", dLast.c, B, H, "[batch, hidden]");
        expectDType("LSTM.backward", "dLast.c", dLast.c, this.dtype);
        dcNextMatrix = dLast.c;
      }
      if (dLast.a) {
        if (!Wa) throw new Error("LSTM.backward: dLast.a: this LSTM has no full gate recurrence, so its state has no gate activations a");
        expectShape("LSTM.backward", "dLast.a", dLast.a, B, SH, "[batch, S·hidden]");
        expectDType("LSTM.backward", "dLast.a", dLast.a, this.dtype);
        daNextMatrix = dLast.a;
      }
    }

    // ∂L/∂(pre-activations) of every gate at every step; the weight gradients are products with it at the end.
    const DZ = Matrix.zeros(T * B, G, this.dtype);
    // dhOut: dh_t, from the outputs; the index tbj is (step t, example b, unit j) in [T·B, H], bj (example b, unit j) in [B, H].
    const gate = gates.data, dz = DZ.data, c = cSteps.data.data, tanhC = tanhCSteps.data, dhOut = dh.data.data;
    for (let t = T - 1; t >= 0; t--) {
      const cPrev = (t > 0 ? cSteps.at(t - 1) : c0).data;
      const dhNext = dhNextMatrix.data, dcNext = dcNextMatrix.data;
      const daNext = daNextMatrix?.data; // FGR: ∂L/∂a_t, from the gates of step t+1
      const dcPrevMatrix = Matrix.zeros(B, H, this.dtype);
      const dcPrev = dcPrevMatrix.data;
      for (let bi = 0; bi < B; bi++) {
        const row = t * B + bi, gateRow = row * G, aRow = bi * SH;
        for (let j = 0; j < H; j++) {
          const bj = bi * H + j, tbj = row * H + j;
          const cOld = cPrev[bj], cNew = c[tbj], phiC = tanhC[tbj];
          const f = of >= 0 ? gate[gateRow + of + j] : 1;
          const i = oi >= 0 ? gate[gateRow + oi + j] : coupled ? 1 - f : 1;
          const g = gate[gateRow + og + j], o = oo >= 0 ? gate[gateRow + oo + j] : 1;
          // h_t feeds the loss at step t and the next step.
          const dH = dhOut[tbj] + dhNext[bj];
          // h = o ⊙ φ(c): split between the output gate and the cell (φ′ = 1 − tanh², or 1 without output activation).
          let dc = dcNext[bj] + dH * o * (linearOutput ? 1 : 1 - phiC * phiC);
          if (oo >= 0) {
            const dzo = (dH * phiC + (daNext ? daNext[aRow + ao + j] : 0)) * o * (1 - o);
            if (po) {
              dc += dzo * po[j]; // the output gate peeked at c_t
              dpo[j] += dzo * cNew;
            }
            dz[gateRow + oo + j] = dzo;
            db[oo + j] += dzo;
          }
          // c = f ⊙ c_{t−1} + i ⊙ g
          const dzg = linearInput ? dc * i : dc * i * (1 - g * g);
          let dcOld = dc * f; // the conveyor belt: the gradient passes through f unchanged otherwise
          if (oi >= 0) {
            const dzi = (dc * g + (daNext ? daNext[aRow + ai + j] : 0)) * i * (1 - i);
            if (pi) {
              dcOld += dzi * pi[j];
              dpi[j] += dzi * cOld;
            }
            dz[gateRow + oi + j] = dzi;
            db[oi + j] += dzi;
          }
          if (of >= 0) {
            // With CIFG, f also drives i = 1 − f, which adds −dc ⊙ g.
            const df = dc * cOld - (coupled ? dc * g : 0) + (daNext ? daNext[aRow + af + j] : 0);
            const dzf = df * f * (1 - f);
            if (pf) {
              dcOld += dzf * pf[j];
              dpf[j] += dzf * cOld;
            }
            dz[gateRow + of + j] = dzf;
            db[of + j] += dzf;
          }
          dz[gateRow + og + j] = dzg;
          db[og + j] += dzg;
          dcPrev[bj] = dcOld;
        }
      }
      // h_{t−1} reached every gate through W_h.
      dhNextMatrix = la.matmulBT(DZ.rowsView(t * B, B), this.Wh);
      dcNextMatrix = dcPrevMatrix;
      // FGR: a_{t−1} reached the gates it feeds through W_a.
      if (Wa) daNextMatrix = la.matmulBT(gatherBlocks(DZ, t * B, B, aOffsets, H), Wa);
    }

    // Weight gradients: one product each over all steps.
    addInPlace(`${this.Wx.name}.grad`, this.Wx.grad, la.matmulAT(x.data, DZ));
    addInPlace(`${this.Wh.name}.grad`, this.Wh.grad, la.matmulAT(previousStates(h0, forward.h), DZ));
    if (Wa && aPrev) addInPlace(`${Wa.name}.grad`, Wa.grad, la.matmulAT(aPrev, gatherBlocks(DZ, 0, T * B, aOffsets, H)));
    addVector(this.b.grad, db);
    if (this.pi) addVector(this.pi.grad, dpi);
    if (this.pf) addVector(this.pf.grad, dpf);
    if (this.po) addVector(this.po.grad, dpo);

    // dx_t = dz_t·W_xᵀ, all steps at once, when read.
    const dFirst: LSTMLayerState = { h: dhNextMatrix, c: dcNextMatrix, ...(daNextMatrix ? { a: daNextMatrix } : {}) };
    return recurrentBackward("LSTM", x, DZ, this.Wx, dFirst, options);
  }

  /**
   * The activations of one gate at every step, [T·B, H], for plotting. For
   * CIFG the input gate is computed as 1 − f; a gate the variant lacks
   * (no input, forget or output gate) is all ones.
   */
  gate(forward: RecurrentForward<LSTMCache>, gate: LSTMGate): Sequence {
    const { x, gates } = forward.cache;
    const H = this.hiddenSize, G = gates.cols, n = x.steps * x.batch;
    const out = Sequence.zeros(x.steps, x.batch, H, this.dtype);
    const off = this.offset(gate), of = this.offset("f");
    const coupled = gate === "i" && this.coupledInputForget;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < H; j++) {
        out.data.data[r * H + j] = off >= 0 ? gates.data[r * G + off + j] : coupled ? 1 - gates.data[r * G + of + j] : 1;
      }
    }
    return out;
  }

  /** The initial state: zeros by default; a given one must have h and c, [batch, hidden] (and a, [batch, S·H], with full gate recurrence). */
  private checkFirst(first: LSTMLayerState | undefined, batch: number): { h: Matrix; c: Matrix; a?: Matrix } {
    const H = this.hiddenSize, SH = this.recurrentGates.length * H;
    if (!first) return this.initialState(batch) as { h: Matrix; c: Matrix; a?: Matrix };
    expectShape("LSTM", "first.h", first.h, batch, H, "[batch, hidden]");
    expectDType("LSTM", "first.h", first.h, this.dtype);
    if (!first.c) throw new Error(`LSTM: first.c: the cell state is missing; expected shape [batch, hidden] = [${batch}, ${H}]`);
    expectShape("LSTM", "first.c", first.c, batch, H, "[batch, hidden]");
    expectDType("LSTM", "first.c", first.c, this.dtype);
    if (!this.fullGateRecurrence) {
      if (first.a) throw new Error("LSTM: first.a: this LSTM has no full gate recurrence, so its state has no gate activations a");
      return { h: first.h, c: first.c };
    }
    if (!first.a) {
      throw new Error(`LSTM: first.a: the previous gate activations are missing (full gate recurrence); expected shape [batch, S·hidden] = [${batch}, ${SH}] (zeros before the first step)`);
    }
    expectShape("LSTM", "first.a", first.a, batch, SH, "[batch, S·hidden]");
    expectDType("LSTM", "first.a", first.a, this.dtype);
    return { h: first.h, c: first.c, a: first.a };
  }
}
