/**
 * Gated recurrent unit (GRU, Cho et al. 2014): an LSTM-like cell with no
 * separate memory. Two gates decide, per unit, how much of the old state to
 * use and how much to keep:
 *
 *   r_t = σ(x_t W_xr + h_{t−1} W_hr + b_r)                   reset gate
 *   z_t = σ(x_t W_xz + h_{t−1} W_hz + b_z)                   update gate
 *   h̃_t = tanh(x_t W_xh̃ + r_t ⊙ (h_{t−1} W_hh̃ + b_hh̃) + b_h̃)   candidate ("new memory")
 *   h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t
 *
 * This is the form of the CS224N notes (h̃ = tanh(r ⊙ U h_{t−1} + W x),
 * h = (1 − z) ⊙ h̃ + z ⊙ h_{t−1}) and, with its extra recurrent bias b_hh̃, exactly
 * what cuDNN, PyTorch's `nn.GRU` and Keras (`reset_after=True`) compute. It is
 * the default because the lesson shows the CS224N equations and the benchmark
 * compares against PyTorch: the same weights give the same numbers.
 *
 * The published alternatives are options:
 *   - `resetAfter: false` — Cho et al.'s original (and colah's) candidate,
 *     where r scales h_{t−1} BEFORE the product:
 *       h̃_t = tanh(x_t W_xh̃ + (r_t ⊙ h_{t−1}) W_hh̃ + b_h̃).
 *     It needs a second product per step (r_t must be known before
 *     (r ⊙ h) W_hh̃ can start), so W_hh̃ is then a separate parameter `WhTilde`.
 *   - `zMultiplies: "candidate"` — colah's (and Chung et al.'s) reading of z
 *     as "how much to write": h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t.
 *     Same family of functions, z just swaps meaning (z ↔ 1 − z).
 *
 * Fused weights: W_x is [input, 3H] with column blocks r, z, h̃ (PyTorch's
 * order r, z, n, so `weight_ih_l0` is our W_x transposed). W_h is [H, 3H]
 * (blocks r, z, h̃) with `resetAfter`, [H, 2H] (r, z) without. To load PyTorch
 * weights: b = b_ih + b_hh in the r and z blocks, b = b_in in the h̃ block,
 * and bhTilde = b_hn.
 *
 * Backward (last step first; dh_next from step t+1, or `dLast`), for the
 * default form, with u_t = h_{t−1} W_hh̃ + b_hh̃:
 *
 *   dH    = dh_t + dh_next
 *   dz_z  = dH ⊙ (h_{t−1} − h̃_t) ⊙ z(1 − z)
 *   dz_h̃  = dH ⊙ (1 − z) ⊙ (1 − h̃²)
 *   dz_r  = dz_h̃ ⊙ u_t ⊙ r(1 − r)
 *   dh_next ← dH ⊙ z + [dz_r, dz_z, dz_h̃ ⊙ r] · W_hᵀ
 *
 * (without `resetAfter`, with s_t = r_t ⊙ h_{t−1} and ds = dz_h̃ · W_hh̃ᵀ:
 * dz_r = ds ⊙ h_{t−1} ⊙ r(1 − r) and dh_next gets ds ⊙ r as well).
 * The weight gradients are one product each over all steps at the end.
 */
import { Matrix, DType } from "../core/matrix";
import { Parameter } from "../core/parameter";
import { Sequence } from "../core/sequence";
import { linalg } from "../compute/linalg";
import { addInPlace, addVector } from "../core/ops";
import { RecurrentLayer, RecurrentState, RecurrentForward, RecurrentBackward, recurrentBackward, BackwardOptions, previousStates } from "./layer";
import { LayerOptions, gaussianParameter, zeroParameter } from "./parameters";
import { activations } from "../compute/activations";
import { expectShape, expectDType, expectSize, expectFinite } from "../core/shapes";

/** The GRU's gates; `hTilde` is the candidate state h̃ (PyTorch's n). */
export type GRUGate = "r" | "z" | "hTilde";

/** Options of {@link GRU}: the common layer options plus the convention. */
export interface GRUOptions extends LayerOptions {
  /**
   * true (default): r multiplies the recurrent product, r ⊙ (h W_hh̃ + b_hh̃)
   * (CS224N, cuDNN, PyTorch). false: r multiplies h before it, (r ⊙ h) W_hh̃
   * (Cho et al. 2014, colah).
   */
  resetAfter?: boolean;
  /**
   * Which term z weighs. "previous" (default): h = z ⊙ h_{t−1} + (1 − z) ⊙ h̃
   * (CS224N, Cho et al., PyTorch). "candidate": h = (1 − z) ⊙ h_{t−1} + z ⊙ h̃ (colah).
   */
  zMultiplies?: "previous" | "candidate";
}

/** What the GRU forward pass keeps for its backward pass. */
export interface GRUCache {
  /** The inputs (dW_x needs them). */
  x: Sequence;
  /** The state before the first step. */
  h0: Matrix;
  /** Gate activations r, z, h̃ at every step, [T·B, 3H], blocks in that order. */
  gates: Matrix;
  /**
   * What r multiplies, [T·B, H]: u_t = h_{t−1} W_hh̃ + b_hh̃ with `resetAfter`,
   * otherwise s_t = r_t ⊙ h_{t−1} (the input of the product with W_hh̃).
   */
  reset: Matrix;
}

/**
 * A GRU layer over time-major sequences ({@link RecurrentLayer}); the state is
 * `{ h }`. Default convention: CS224N / PyTorch (see the module comment);
 * `resetAfter: false` and `zMultiplies: "candidate"` give the others.
 * Used in lessons 07 and 08.
 */
export class GRU implements RecurrentLayer<GRUCache> {
  /** Where r acts: on the recurrent product (true) or on h_{t−1} before it (false). */
  readonly resetAfter: boolean;
  /** Which term z weighs: the previous state (default) or the candidate. */
  readonly zMultiplies: "previous" | "candidate";
  /** Input weights, [input, 3H], blocks r, z, h̃. */
  readonly Wx: Parameter;
  /** Recurrent weights: [H, 3H] (r, z, h̃) with `resetAfter`, else [H, 2H] (r, z). */
  readonly Wh: Parameter;
  /** Biases added to the input side, [1, 3H], blocks r, z, h̃. */
  readonly b: Parameter;
  /** With `resetAfter`: the candidate's recurrent bias b_hh̃ [1, H], inside r ⊙ (…) (PyTorch's b_hn). */
  readonly bhTilde?: Parameter;
  /** Without `resetAfter`: the candidate's recurrent weights W_hh̃, [H, H]. */
  readonly WhTilde?: Parameter;

  /** Weights start Gaussian with std 1/√fan-in, drawn from `options.rng`; biases at 0. */
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: GRUOptions,
  ) {
    expectSize("GRU", "inputSize", inputSize);
    expectSize("GRU", "hiddenSize", hiddenSize);
    const zm = options.zMultiplies ?? "previous";
    if (zm !== "previous" && zm !== "candidate") {
      throw new Error(`GRU: zMultiplies must be "previous" or "candidate", got ${JSON.stringify(zm)}`);
    }
    this.resetAfter = options.resetAfter ?? true;
    this.zMultiplies = zm;
    const dtype = options.dtype ?? "float32";
    const name = options.name ?? "gru";
    const H = hiddenSize;
    this.Wx = gaussianParameter(`${name}.Wx`, inputSize, 3 * H, options.rng, dtype);
    this.Wh = gaussianParameter(`${name}.Wh`, H, (this.resetAfter ? 3 : 2) * H, options.rng, dtype);
    this.b = zeroParameter(`${name}.b`, 1, 3 * H, dtype);
    if (this.resetAfter) this.bhTilde = zeroParameter(`${name}.bhTilde`, 1, H, dtype);
    else this.WhTilde = gaussianParameter(`${name}.WhTilde`, H, H, options.rng, dtype);
  }

  /** Precision of the parameters. */
  get dtype(): DType {
    return this.Wx.value.dtype;
  }

  /** W_x, W_h, b, then b_hh̃ (resetAfter) or W_hh̃ (not). */
  parameters(): Parameter[] {
    return [this.Wx, this.Wh, this.b, ...(this.bhTilde ? [this.bhTilde] : []), ...(this.WhTilde ? [this.WhTilde] : [])];
  }

  /** h = 0, [batch, hidden]. */
  initialState(batch: number, dtype: DType = this.dtype): RecurrentState {
    return { h: Matrix.zeros(batch, this.hiddenSize, dtype) };
  }

  /** Runs all T steps from `first` (default: zeros). */
  forward(x: Sequence, first?: RecurrentState): RecurrentForward<GRUCache> {
    const T = x.steps, B = x.batch, H = this.hiddenSize, G = 3 * H;
    expectShape("GRU", "input x", x.data, T * B, this.inputSize, "[T·B, input]");
    expectDType("GRU", "input x", x.data, this.dtype);
    expectFinite("GRU", "input x", x.data);
    const h0 = first?.h ?? Matrix.zeros(B, H, this.dtype);
    expectShape("GRU", "first.h", h0, B, H, "[batch, hidden]");
    expectDType("GRU", "first.h", h0, this.dtype);
    const la = linalg();
    const zKeeps = this.zMultiplies === "previous";
    const GH = this.Wh.value.cols; // 3H or 2H
    const { sigmoid, tanh } = activations(this.dtype); // float32: fast, to float32 accuracy

    // The input's share of all three pre-activations, for ALL steps in one product.
    const XW = la.matmul(x.data, this.Wx);
    const b = this.b.value.data; // added to each pre-activation in the loops

    // The loops below replace each pre-activation with its gate's activation,
    // in place (one matrix fewer to fill: memory traffic matters as much as arithmetic).
    const gates = XW;
    const resetSteps = Matrix.zeros(T * B, H, this.dtype); // what r multiplies (u_t or s_t, see GRUCache), every step
    const hSteps = Sequence.zeros(T, B, H, this.dtype); // h_t of every step
    const bhTilde = this.bhTilde?.value.data;
    // xW holds x_t W_x until the loops overwrite it with the gates (gate is the same memory);
    // rows t·B … t·B + B − 1 are step t.
    const xW = XW.data, gate = gates.data, reset = resetSteps.data, h = hSteps.data.data;
    let hPrevMatrix = h0;
    for (let t = 0; t < T; t++) {
      const hPrev = hPrevMatrix.data;
      // h_{t−1}'s share of the gates: one product (r, z, and with resetAfter also h̃).
      const hWh = la.matmul(hPrevMatrix, this.Wh).data;
      for (let bi = 0; bi < B; bi++) {
        const row = t * B + bi, gateRow = row * G, hWhRow = bi * GH;
        for (let j = 0; j < H; j++) {
          const r = sigmoid(xW[gateRow + j] + hWh[hWhRow + j] + b[j]);
          const z = sigmoid(xW[gateRow + H + j] + hWh[hWhRow + H + j] + b[H + j]);
          gate[gateRow + j] = r;
          gate[gateRow + H + j] = z;
          // With resetAfter, r scales the finished recurrent term u; otherwise it scales h_{t−1} itself.
          reset[row * H + j] = bhTilde ? hWh[hWhRow + 2 * H + j] + bhTilde[j] : r * hPrev[bi * H + j];
        }
      }
      let candidate: Float32Array | Float64Array | null = null;
      if (this.WhTilde) candidate = la.matmul(resetSteps.rowsView(t * B, B), this.WhTilde).data; // (r ⊙ h_{t−1}) W_hh̃
      for (let bi = 0; bi < B; bi++) {
        const row = t * B + bi, gateRow = row * G;
        for (let j = 0; j < H; j++) {
          const bj = bi * H + j, r = gate[gateRow + j], z = gate[gateRow + H + j];
          const recurrent = candidate ? candidate[bj] : r * reset[row * H + j];
          const hTilde = tanh(xW[gateRow + 2 * H + j] + b[2 * H + j] + recurrent);
          gate[gateRow + 2 * H + j] = hTilde;
          // Interpolate between the old state and the candidate.
          h[row * H + j] = zKeeps ? z * hPrev[bj] + (1 - z) * hTilde : (1 - z) * hPrev[bj] + z * hTilde;
        }
      }
      hPrevMatrix = hSteps.at(t);
    }
    return { h: hSteps, last: { h: hPrevMatrix.clone() }, cache: { x, h0, gates, reset: resetSteps } };
  }

  /** Backpropagation through time; ADDS the parameter gradients into their `grad`. */
  backward(forward: RecurrentForward<GRUCache>, dh: Sequence, dLast?: RecurrentState, options: BackwardOptions = {}): RecurrentBackward {
    const { h: hSteps, cache: { x, h0, gates, reset: resetSteps } } = forward;
    const T = x.steps, B = x.batch, H = this.hiddenSize, G = 3 * H;
    expectShape("GRU.backward", "dh", dh.data, T * B, H, "[T·B, hidden]");
    expectDType("GRU.backward", "dh", dh.data, this.dtype);
    if (dLast) {
      expectShape("GRU.backward", "dLast.h", dLast.h, B, H, "[batch, hidden]");
      expectDType("GRU.backward", "dLast.h", dLast.h, this.dtype);
    }
    const la = linalg();
    const zKeeps = this.zMultiplies === "previous";
    const GH = this.Wh.value.cols;

    // Pre-activation gradients, input side [r, z, h̃] and recurrent side (what met W_h).
    const DZx = Matrix.zeros(T * B, G, this.dtype);
    const DZh = Matrix.zeros(T * B, GH, this.dtype);
    // Without resetAfter: dz_h̃ alone, the gradient at the output of (r ⊙ h) W_hh̃.
    const DZhTilde = Matrix.zeros(this.WhTilde ? T * B : 0, H, this.dtype);
    // dhOut: dh_t, from the outputs; the index tbj is (step t, example b, unit j) in [T·B, H], bj (example b, unit j) in [B, H].
    const gate = gates.data, reset = resetSteps.data, dzx = DZx.data, dzh = DZh.data, dzhTildeSteps = DZhTilde.data, dhOut = dh.data.data;
    // Bias gradients, summed over steps and rows as the dz are made: db for [r, z, h̃], and
    // (resetAfter) db_hh̃, which sits inside r ⊙ (…) and so receives dz_h̃ ⊙ r.
    const db = new Float64Array(G), dbhTilde = new Float64Array(H);
    let dhNextMatrix = dLast ? dLast.h : Matrix.zeros(B, H, this.dtype);
    for (let t = T - 1; t >= 0; t--) {
      const hPrev = (t > 0 ? hSteps.at(t - 1) : h0).data;
      const dhNext = dhNextMatrix.data;
      const dhPrevMatrix = Matrix.zeros(B, H, this.dtype);
      const dhPrev = dhPrevMatrix.data;
      for (let bi = 0; bi < B; bi++) {
        const row = t * B + bi, gateRow = row * G, recurrentRow = row * GH;
        for (let j = 0; j < H; j++) {
          const bj = bi * H + j, tbj = row * H + j;
          const r = gate[gateRow + j], z = gate[gateRow + H + j], hTilde = gate[gateRow + 2 * H + j];
          const dH = dhOut[tbj] + dhNext[bj];
          // h = z ⊙ h_{t−1} + (1 − z) ⊙ h̃ (or with z and 1 − z swapped).
          const keep = zKeeps ? z : 1 - z;
          const dz = zKeeps ? dH * (hPrev[bj] - hTilde) : dH * (hTilde - hPrev[bj]);
          const dzz = dz * z * (1 - z);
          const dzhTilde = dH * (1 - keep) * (1 - hTilde * hTilde);
          dhPrev[bj] = dH * keep; // the direct path from h_{t−1} to h_t
          dzx[gateRow + H + j] = dzz;
          dzx[gateRow + 2 * H + j] = dzhTilde;
          dzh[recurrentRow + H + j] = dzz;
          db[H + j] += dzz;
          db[2 * H + j] += dzhTilde;
          if (this.resetAfter) {
            // h̃ saw r ⊙ u: u's gradient is dz_h̃ ⊙ r, r's is dz_h̃ ⊙ u.
            const dzr = dzhTilde * reset[tbj] * r * (1 - r);
            dzx[gateRow + j] = dzr;
            dzh[recurrentRow + j] = dzr;
            dzh[recurrentRow + 2 * H + j] = dzhTilde * r;
            db[j] += dzr;
            dbhTilde[j] += dzhTilde * r;
          } else {
            dzhTildeSteps[tbj] = dzhTilde;
          }
        }
      }
      if (this.WhTilde) {
        // Back through (r ⊙ h_{t−1}) W_hh̃ to s = r ⊙ h_{t−1}, then to r and h_{t−1}.
        const ds = la.matmulBT(DZhTilde.rowsView(t * B, B), this.WhTilde).data;
        for (let bi = 0; bi < B; bi++) {
          const row = t * B + bi, gateRow = row * G, recurrentRow = row * GH;
          for (let j = 0; j < H; j++) {
            const bj = bi * H + j, r = gate[gateRow + j];
            const dzr = ds[bj] * hPrev[bj] * r * (1 - r);
            dzx[gateRow + j] = dzr;
            dzh[recurrentRow + j] = dzr;
            db[j] += dzr;
            dhPrev[bj] += ds[bj] * r;
          }
        }
      }
      // h_{t−1} also reached the gates through W_h.
      addInPlace("GRU dh_{t−1}", dhPrevMatrix, la.matmulBT(DZh.rowsView(t * B, B), this.Wh));
      dhNextMatrix = dhPrevMatrix;
    }

    // Weight gradients: one product each over all steps.
    addInPlace("GRU dWx", this.Wx.grad, la.matmulAT(x.data, DZx)); // Σ_t x_tᵀ dz_t
    addInPlace("GRU dWh", this.Wh.grad, la.matmulAT(previousStates(h0, hSteps), DZh)); // Σ_t h_{t−1}ᵀ dz_t
    addVector(this.b.grad, db);
    if (this.bhTilde) addVector(this.bhTilde.grad, dbhTilde);
    if (this.WhTilde) addInPlace("GRU dWhTilde", this.WhTilde.grad, la.matmulAT(resetSteps, DZhTilde)); // Σ_t (r ⊙ h_{t−1})ᵀ dz_h̃

    // dx_t = dz_t·W_xᵀ, all steps at once, when read.
    return recurrentBackward("GRU", x, DZx, this.Wx, { h: dhNextMatrix }, options);
  }

  /** The activations of one gate (or of the candidate h̃) at every step, [T·B, H], for plotting. */
  gate(forward: RecurrentForward<GRUCache>, gate: GRUGate): Sequence {
    const { x, gates } = forward.cache;
    const H = this.hiddenSize, off = ["r", "z", "hTilde"].indexOf(gate) * H;
    if (off < 0) throw new Error(`GRU.gate: unknown gate ${JSON.stringify(gate)}; use "r", "z" or "hTilde"`);
    const out = Sequence.zeros(x.steps, x.batch, H, this.dtype);
    for (let row = 0; row < x.steps * x.batch; row++) {
      out.data.data.set(gates.data.subarray(row * 3 * H + off, row * 3 * H + off + H), row * H);
    }
    return out;
  }
}
