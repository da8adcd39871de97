/**
 * Long short-term memory (LSTM), with the variants studied in "LSTM: A Search
 * Space Odyssey" (Greff et al.): peephole connections, coupled input and forget
 * gates (CIFG), and the original 1997 cell without a forget gate.
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
 * Variants:
 *   - `peephole`: the gates also look at the cell. i and f see c_{t−1}; o sees
 *     the new c_t. The peephole weights are diagonal (one per unit), so the
 *     term is p ⊙ c, not a product with a matrix.
 *   - `coupledInputForget` (CIFG): i_t = 1 − f_t. The cell writes exactly as
 *     much as it forgets.
 *   - `noForgetGate`: f_t = 1, Hochreiter & Schmidhuber's 1997 cell. The belt
 *     never forgets, so c can grow without bound.
 *
 * Backward (through time, last step first). dh_t comes from the outputs at
 * step t; dh_next and dc_next from step t+1 (from `dLast` at the last step):
 *
 *   dH    = dh_t + dh_next
 *   dz_o  = dH ⊙ tanh(c_t) ⊙ o(1 − o)                        (σ′ = σ(1 − σ))
 *   dc    = dc_next + dH ⊙ o ⊙ (1 − tanh²(c_t))  [+ dz_o ⊙ p_o]
 *   dz_i  = dc ⊙ g ⊙ i(1 − i)
 *   dz_f  = dc ⊙ c_{t−1} ⊙ f(1 − f)          (CIFG: dc ⊙ (c_{t−1} − g) ⊙ f(1 − f))
 *   dz_g  = dc ⊙ i ⊙ (1 − g²)
 *   dc_next ← dc ⊙ f  [+ dz_i ⊙ p_i + dz_f ⊙ p_f]   the belt: only f scales it
 *   dh_next ← dz_t · W_hᵀ
 *
 * and at the end, one product each over all steps stacked as rows:
 * dW_x = Σ_t x_tᵀ dz_t,  dW_h = Σ_t h_{t−1}ᵀ dz_t,  dx_t = dz_t W_xᵀ; and
 * db = Σ_t dz_t (over the rows too), summed inside the loop as dz is made.
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

/** The LSTM's gates; `g` is the candidate cell value c̃. */
export type LSTMGate = "i" | "f" | "g" | "o";

/** Options of {@link LSTM}: the common layer options plus the Odyssey variants. */
export interface LSTMOptions extends LayerOptions {
  /** Gates also see the cell state (i, f see c_{t−1}; o sees c_t). Default false. */
  peephole?: boolean;
  /** CIFG: the input gate is 1 − forget gate. Default false. */
  coupledInputForget?: boolean;
  /** The 1997 LSTM: no forget gate (f = 1). Default false. */
  noForgetGate?: boolean;
  /**
   * Initial bias of the forget gate. Default 1, so the cell starts out
   * remembering (Gers et al. 2000; Jozefowicz et al. 2015). Not allowed with
   * `noForgetGate`.
   */
  forgetBias?: number;
}

/** What the LSTM forward pass keeps for its backward pass. */
export interface LSTMCache {
  /** The inputs (dW_x needs them). */
  x: Sequence;
  /** The state before the first step. */
  h0: Matrix;
  c0: Matrix;
  /** Gate activations, [T·B, gates·H], one H-wide block per gate in `gateOrder`. */
  gates: Matrix;
  /** The cell state c_t at every step, [T·B, H]. */
  c: Sequence;
  /** tanh(c_t) at every step, [T·B, H]. */
  tanhC: Matrix;
}

/**
 * An LSTM layer over time-major sequences ({@link RecurrentLayer}). The state
 * is `{ h, c }`. The backward pass is written out by hand, step by step,
 * including the gradient along the cell: dc_{t−1} = dc_t ⊙ f_t (+ peephole terms).
 * Used in lessons 03 (the gradient along the cell) and 05 (the cell).
 */
export class LSTM implements RecurrentLayer<LSTMCache> {
  /** The variant, as constructed (see {@link LSTMOptions}). */
  readonly peephole: boolean;
  readonly coupledInputForget: boolean;
  readonly noForgetGate: boolean;
  /** The gate blocks of the fused weights, in column order (variants drop i or f). */
  readonly gateOrder: readonly LSTMGate[];
  /** Input weights, [input, gates·H]. */
  readonly Wx: Parameter;
  /** Recurrent weights, [H, gates·H]. */
  readonly Wh: Parameter;
  /** Biases, [1, gates·H]. */
  readonly b: Parameter;
  /** Input-gate peephole p_i [1, H], on c_{t−1} (only with `peephole`, and not with CIFG). */
  readonly pi?: Parameter;
  /** Forget-gate peephole p_f [1, H], on c_{t−1} (only with `peephole`, and not without a forget gate). */
  readonly pf?: Parameter;
  /** Output-gate peephole p_o [1, H], on the new c_t (only with `peephole`). */
  readonly po?: Parameter;

  /** Weights start Gaussian with std 1/√fan-in, drawn from `options.rng`; biases at 0 except the forget gate's. */
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
    if (options.noForgetGate && options.forgetBias !== undefined) {
      throw new Error("LSTM: forgetBias conflicts with noForgetGate: there is no forget gate to bias");
    }
    this.peephole = options.peephole ?? false;
    this.coupledInputForget = options.coupledInputForget ?? false;
    this.noForgetGate = options.noForgetGate ?? false;
    this.gateOrder = (["i", "f", "g", "o"] as const).filter(
      (gate) => !(gate === "i" && this.coupledInputForget) && !(gate === "f" && this.noForgetGate),
    );

    const dtype = options.dtype ?? "float32";
    const rng = options.rng;
    const H = hiddenSize, G = this.gateOrder.length * H;
    this.Wx = gaussianParameter(`${name}.Wx`, inputSize, G, rng, dtype);
    this.Wh = gaussianParameter(`${name}.Wh`, H, G, rng, dtype);
    this.b = zeroParameter(`${name}.b`, 1, G, dtype);
    const f = this.offset("f");
    if (f >= 0) this.b.value.data.fill(options.forgetBias ?? 1, f, f + H);
    if (this.peephole) {
      // Zero peepholes: the layer starts as a plain LSTM and learns how much to look at c.
      if (this.offset("i") >= 0) this.pi = zeroParameter(`${name}.pi`, 1, H, dtype);
      if (f >= 0) this.pf = zeroParameter(`${name}.pf`, 1, H, dtype);
      this.po = zeroParameter(`${name}.po`, 1, H, dtype);
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

  /** W_x, W_h, b, then the peepholes that exist. */
  parameters(): Parameter[] {
    const ps = [this.Wx, this.Wh, this.b];
    for (const p of [this.pi, this.pf, this.po]) if (p) ps.push(p);
    return ps;
  }

  /** h = 0 and c = 0, [batch, hidden] each. */
  initialState(batch: number, dtype: DType = this.dtype): RecurrentState {
    return { h: Matrix.zeros(batch, this.hiddenSize, dtype), c: Matrix.zeros(batch, this.hiddenSize, dtype) };
  }

  /** Runs all T steps from `first` (default: zeros; a given state needs both h and c). */
  forward(x: Sequence, first?: RecurrentState): RecurrentForward<LSTMCache> {
    const T = x.steps, B = x.batch, H = this.hiddenSize, G = this.gateOrder.length * H;
    expectShape("LSTM", "input x", x.data, T * B, this.inputSize, "[T·B, input]");
    expectDType("LSTM", "input x", x.data, this.dtype);
    expectFinite("LSTM", "input x", x.data);
    const { h: h0, c: c0 } = this.checkFirst(first, B);
    const la = linalg();
    const [oi, of, og, oo] = [this.offset("i"), this.offset("f"), this.offset("g"), this.offset("o")];
    const pi = this.pi?.value.data, pf = this.pf?.value.data, po = this.po?.value.data;
    const { tanh } = activations(this.dtype); // float32: fast, to float32 accuracy

    // The input's share of every pre-activation, for ALL steps in one product.
    const XW = la.matmul(x.data, this.Wx);
    const bias = this.b.value.data;

    // The loops below turn each pre-activation into its gate's activation in
    // place: no second [T·B, gates·H] matrix to fill (the forward pass is
    // bound by memory traffic as much as by arithmetic).
    const gates = XW;
    const hSteps = Sequence.zeros(T, B, H, this.dtype); // h_t of every step
    const cSteps = Sequence.zeros(T, B, H, this.dtype); // c_t of every step
    const tanhCSteps = Matrix.zeros(T * B, H, this.dtype); // tanh(c_t) of every step
    let hPrevMatrix = h0, cPrevMatrix = c0;
    for (let t = 0; t < T; t++) {
      // The recurrence: one product gives the share of h_{t−1} in all gates at once.
      const hWh = la.matmul(hPrevMatrix, this.Wh).data;
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
        // Peepholes: i and f also look at the old cell.
        if (pi) for (let j = 0; j < H; j++) gate[gateRow + oi + j] += pi[j] * cPrev[stateRow + j];
        if (pf) for (let j = 0; j < H; j++) gate[gateRow + of + j] += pf[j] * cPrev[stateRow + j];
        // The gates replace their pre-activations in place.
        if (oi >= 0) sigmoidInPlaceRange(gate, gateRow + oi, H);
        if (of >= 0) sigmoidInPlaceRange(gate, gateRow + of, H);
        tanhInPlaceRange(gate, gateRow + og, H);
        // The cell: c_t = f ⊙ c_{t−1} + i ⊙ g (f = 1 without a forget gate; i = 1 − f for CIFG).
        for (let j = 0; j < H; j++) {
          const f = of >= 0 ? gate[gateRow + of + j] : 1;
          const i = oi >= 0 ? gate[gateRow + oi + j] : 1 - f;
          c[stepRow + j] = f * cPrev[stateRow + j] + i * gate[gateRow + og + j];
        }
        // The output gate (its peephole looks at the NEW cell), then h_t = o ⊙ tanh(c_t).
        if (po) for (let j = 0; j < H; j++) gate[gateRow + oo + j] += po[j] * c[stepRow + j];
        sigmoidInPlaceRange(gate, gateRow + oo, H);
        for (let j = 0; j < H; j++) {
          const tanhCj = (tanhC[stepRow + j] = tanh(c[stepRow + j]));
          h[stepRow + j] = gate[gateRow + oo + j] * tanhCj;
        }
      }
      hPrevMatrix = hSteps.at(t);
      cPrevMatrix = cSteps.at(t);
    }
    return {
      h: hSteps,
      last: { h: hPrevMatrix.clone(), c: cPrevMatrix.clone() },
      cache: { x, h0, c0, gates, c: cSteps, tanhC: tanhCSteps },
    };
  }

  /** Backpropagation through time; ADDS the parameter gradients into their `grad`. `dLast.c` may be omitted (zero). */
  backward(forward: RecurrentForward<LSTMCache>, dh: Sequence, dLast?: RecurrentState, options: BackwardOptions = {}): RecurrentBackward {
    const { x, h0, c0, gates, c: cSteps, tanhC: tanhCSteps } = forward.cache;
    const T = x.steps, B = x.batch, H = this.hiddenSize, G = this.gateOrder.length * H;
    expectShape("LSTM.backward", "dh", dh.data, T * B, H, "[T·B, hidden]");
    expectDType("LSTM.backward", "dh", dh.data, this.dtype);
    const la = linalg();
    const [oi, of, og, oo] = [this.offset("i"), this.offset("f"), this.offset("g"), this.offset("o")];
    const pi = this.pi?.value.data, pf = this.pf?.value.data, po = this.po?.value.data;
    const dpi = new Float64Array(H), dpf = new Float64Array(H), dpo = new Float64Array(H);
    // db = Σ over steps and rows of dz (the bias is added at every one), summed as dz is made.
    const db = new Float64Array(G);

    // Gradient flowing into the state from later steps (or a later segment), zero by default.
    let dhNextMatrix = Matrix.zeros(B, H, this.dtype);
    let dcNextMatrix = Matrix.zeros(B, H, this.dtype);
    if (dLast) {
      expectShape("LSTM.backward", "dLast.h", dLast.h, B, H, "[batch, hidden]");
      expectDType("LSTM.backward", "dLast.h", dLast.h, this.dtype);
      dhNextMatrix = dLast.h;
      if (dLast.c) {
        expectShape("LSTM.backward", "dLast.c", dLast.c, B, H, "[batch, hidden]");
        expectDType("LSTM.backward", "dLast.c", dLast.c, this.dtype);
        dcNextMatrix = dLast.c;
      }
    }

    // ∂L/∂(pre-activations) of every gate at every step; the weight gradients are products with it at the end.
    const DZ = Matrix.zeros(T * B, G, this.dtype);
    // dhOut: dh_t, from the outputs; the index tbj is (step t, example b, unit j) in [T·B, H], bj (example b, unit j) in [B, H].
    const gate = gates.data, dz = DZ.data, c = cSteps.data.data, tanhC = tanhCSteps.data, dhOut = dh.data.data;
    for (let t = T - 1; t >= 0; t--) {
      const cPrev = (t > 0 ? cSteps.at(t - 1) : c0).data;
      const dhNext = dhNextMatrix.data, dcNext = dcNextMatrix.data;
      const dcPrevMatrix = Matrix.zeros(B, H, this.dtype);
      const dcPrev = dcPrevMatrix.data;
      for (let bi = 0; bi < B; bi++) {
        const row = t * B + bi, gateRow = row * G;
        for (let j = 0; j < H; j++) {
          const bj = bi * H + j, tbj = row * H + j;
          const cOld = cPrev[bj], cNew = c[tbj], tanhCj = tanhC[tbj];
          const f = of >= 0 ? gate[gateRow + of + j] : 1;
          const i = oi >= 0 ? gate[gateRow + oi + j] : 1 - f;
          const g = gate[gateRow + og + j], o = gate[gateRow + oo + j];
          // h_t feeds the loss at step t and the next step.
          const dH = dhOut[tbj] + dhNext[bj];
          // h = o ⊙ tanh(c): split between the output gate and the cell.
          const dzo = dH * tanhCj * o * (1 - o);
          let dc = dcNext[bj] + dH * o * (1 - tanhCj * tanhCj);
          if (po) {
            dc += dzo * po[j]; // the output gate peeked at c_t
            dpo[j] += dzo * cNew;
          }
          // c = f ⊙ c_{t−1} + i ⊙ g
          const dzg = dc * i * (1 - g * g);
          let dcOld = dc * f; // the conveyor belt: the gradient passes through f unchanged otherwise
          let dzi = 0;
          if (oi >= 0) {
            dzi = dc * g * i * (1 - i);
            if (pi) {
              dcOld += dzi * pi[j];
              dpi[j] += dzi * cOld;
            }
            dz[gateRow + oi + j] = dzi;
            db[oi + j] += dzi;
          }
          if (of >= 0) {
            // With CIFG, f also drives i = 1 − f, which adds −dc ⊙ g.
            const df = dc * cOld - (oi < 0 ? dc * g : 0);
            const dzf = df * f * (1 - f);
            if (pf) {
              dcOld += dzf * pf[j];
              dpf[j] += dzf * cOld;
            }
            dz[gateRow + of + j] = dzf;
            db[of + j] += dzf;
          }
          dz[gateRow + og + j] = dzg;
          dz[gateRow + oo + j] = dzo;
          db[og + j] += dzg;
          db[oo + j] += dzo;
          dcPrev[bj] = dcOld;
        }
      }
      // h_{t−1} reached every gate through W_h.
      dhNextMatrix = la.matmulBT(DZ.rowsView(t * B, B), this.Wh);
      dcNextMatrix = dcPrevMatrix;
    }

    // Weight gradients: one product each over all steps.
    addInPlace(`${this.Wx.name}.grad`, this.Wx.grad, la.matmulAT(x.data, DZ));
    addInPlace(`${this.Wh.name}.grad`, this.Wh.grad, la.matmulAT(previousStates(h0, forward.h), DZ));
    addVector(this.b.grad, db);
    if (this.pi) addVector(this.pi.grad, dpi);
    if (this.pf) addVector(this.pf.grad, dpf);
    if (this.po) addVector(this.po.grad, dpo);

    // dx_t = dz_t·W_xᵀ, all steps at once, when read.
    return recurrentBackward("LSTM", x, DZ, this.Wx, { h: dhNextMatrix, c: dcNextMatrix }, options);
  }

  /**
   * The activations of one gate at every step, [T·B, H], for plotting. For
   * CIFG the input gate is computed as 1 − f; without a forget gate f is all ones.
   */
  gate(forward: RecurrentForward<LSTMCache>, gate: LSTMGate): Sequence {
    const { x, gates } = forward.cache;
    const H = this.hiddenSize, G = gates.cols, n = x.steps * x.batch;
    const out = Sequence.zeros(x.steps, x.batch, H, this.dtype);
    const off = this.offset(gate), of = this.offset("f");
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < H; j++) {
        out.data.data[r * H + j] = off >= 0 ? gates.data[r * G + off + j] : gate === "i" ? 1 - gates.data[r * G + of + j] : 1;
      }
    }
    return out;
  }

  /** The initial state: zeros by default; a given one must have both h and c, [batch, hidden]. */
  private checkFirst(first: RecurrentState | undefined, batch: number): { h: Matrix; c: Matrix } {
    const H = this.hiddenSize;
    if (!first) return { h: Matrix.zeros(batch, H, this.dtype), c: Matrix.zeros(batch, H, this.dtype) };
    expectShape("LSTM", "first.h", first.h, batch, H, "[batch, hidden]");
    expectDType("LSTM", "first.h", first.h, this.dtype);
    if (!first.c) throw new Error(`LSTM: first.c: the cell state is missing; expected shape [batch, hidden] = [${batch}, ${H}]`);
    expectShape("LSTM", "first.c", first.c, batch, H, "[batch, hidden]");
    expectDType("LSTM", "first.c", first.c, this.dtype);
    return { h: first.h, c: first.c };
  }
}
