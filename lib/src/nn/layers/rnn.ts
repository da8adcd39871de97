/**
 * The vanilla recurrent layer (Elman network). With row vectors, x_t [B, input]
 * and h_t [B, hidden], one step is
 *
 *   z_t = x_t·Wxh + h_{t−1}·Whh + bh
 *   h_t = tanh(z_t)
 *
 * The SAME Wxh, Whh, bh serve every step: that is what lets the layer read
 * sequences of any length, and why the gradient of each weight is a sum over
 * the steps where it appears. Backward is backpropagation through time,
 * written out from the last step to the first:
 *
 *   dz_t      = (dh_t + dh_next) ⊙ (1 − h_t²)     (tanh′ = 1 − tanh²)
 *   dh_next   = dz_t·Whhᵀ                          (∂L/∂h_{t−1} through the recurrence)
 *   dWxh = Σ_t x_tᵀ·dz_t    dWhh = Σ_t h_{t−1}ᵀ·dz_t    dbh = Σ_t Σ_rows dz_t
 *   dx_t = dz_t·Wxhᵀ
 *
 * where dh_t is the gradient arriving from the outputs at step t, and dh_next
 * the gradient arriving from step t+1 (from `dLast` at the last step).
 */
import { Matrix, DType } from "../core/matrix";
import { Parameter } from "../core/parameter";
import { Sequence, sequenceLike } from "../core/sequence";
import { linalg } from "../compute/linalg";
import { addInPlace, addVector } from "../core/ops";
import { RecurrentLayer, RecurrentState, RecurrentForward, RecurrentBackward, recurrentBackward, BackwardOptions, previousStates } from "./layer";
import { LayerOptions, gaussianParameter, zeroParameter } from "./parameters";
import { activations } from "../compute/activations";
import { expectShape, expectDType, expectSize, expectFinite } from "../core/shapes";

/** What the RNN's forward keeps for its backward (h itself is in the forward result). */
export interface RNNCache {
  /** The inputs x_t of every step: dWxh needs them. */
  x: Sequence;
  /** h_{−1}, the state before the first step: dWhh at t = 0 needs it. */
  h0: Matrix;
}

/**
 * Vanilla tanh RNN: h_t = tanh(x_t·Wxh + h_{t−1}·Whh + bh).
 * Used in lessons 02, 03, 04, 05, 07 and 08.
 */
export class RNN implements RecurrentLayer<RNNCache> {
  /** Input-to-hidden weights, [input, hidden]. */
  readonly Wxh: Parameter;
  /** Hidden-to-hidden (recurrent) weights, [hidden, hidden]. */
  readonly Whh: Parameter;
  /** Bias, [1, hidden], starts at zero. */
  readonly bh: Parameter;

  /** Weights start Gaussian with std 1/√fan-in, drawn from `options.rng`. */
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: LayerOptions,
  ) {
    expectSize("RNN", "inputSize", inputSize);
    expectSize("RNN", "hiddenSize", hiddenSize);
    const dtype = options.dtype ?? "float32";
    const name = options.name ?? "rnn";
    this.Wxh = gaussianParameter(`${name}.Wxh`, inputSize, hiddenSize, options.rng, dtype);
    this.Whh = gaussianParameter(`${name}.Whh`, hiddenSize, hiddenSize, options.rng, dtype);
    this.bh = zeroParameter(`${name}.bh`, 1, hiddenSize, dtype);
  }

  /** The precision of the parameters, hence of every computation. */
  get dtype(): DType {
    return this.Wxh.value.dtype;
  }

  parameters(): Parameter[] {
    return [this.Wxh, this.Whh, this.bh];
  }

  initialState(batch: number, dtype: DType = this.dtype): RecurrentState {
    return { h: Matrix.zeros(batch, this.hiddenSize, dtype) };
  }

  /** Runs all T steps from `first` (default: zeros). */
  forward(x: Sequence, first?: RecurrentState): RecurrentForward<RNNCache> {
    const { steps: T, batch: B } = x;
    const H = this.hiddenSize;
    expectShape("RNN", "input x", x.data, T * B, this.inputSize, "[T·B, input]");
    expectDType("RNN", "input x", x.data, this.dtype);
    expectFinite("RNN", "input x", x.data);
    const h0 = first?.h ?? Matrix.zeros(B, H, this.dtype);
    expectShape("RNN", "first.h", h0, B, H, "[batch, hidden]");
    expectDType("RNN", "first.h", h0, this.dtype);
    const la = linalg();

    // The input term of ALL steps at once: one [T·B, input]·[input, hidden] product.
    const xW = la.matmul(x.data, this.Wxh);
    const b = this.bh.value.data;
    const { tanh } = activations(this.dtype);

    // The recurrence must go step by step. x_t·Wxh turns into h_t in place:
    // once h_t is computed, z_t is not needed any more (backward uses 1 − h_t²).
    const h = sequenceLike(x, xW);
    let hPrev = h0;
    for (let t = 0; t < T; t++) {
      const hWhh = la.matmul(hPrev, this.Whh).data; // h_{t−1}·Whh
      const ht = h.at(t); // holds x_t·Wxh until the loop overwrites it
      const z = ht.data;
      for (let bi = 0; bi < B; bi++) {
        for (let j = 0; j < H; j++) {
          const k = bi * H + j;
          z[k] = tanh(z[k] + hWhh[k] + b[j]); // h_t = tanh(x_t·Wxh + h_{t−1}·Whh + bh)
        }
      }
      hPrev = ht;
    }
    return { h, last: { h: hPrev.clone() }, cache: { x, h0 } };
  }

  /** Backpropagation through time; ADDS dWxh, dWhh, dbh into the parameters' `grad`. */
  backward(forward: RecurrentForward<RNNCache>, dh: Sequence, dLast?: RecurrentState, options: BackwardOptions = {}): RecurrentBackward {
    const { h, cache: { x, h0 } } = forward;
    const { steps: T, batch: B } = h;
    const H = this.hiddenSize;
    expectShape("RNN.backward", "dh", dh.data, T * B, H, "[T·B, hidden]");
    expectDType("RNN.backward", "dh", dh.data, this.dtype);
    if (dLast) {
      expectShape("RNN.backward", "dLast.h", dLast.h, B, H, "[batch, hidden]");
      expectDType("RNN.backward", "dLast.h", dLast.h, this.dtype);
    }
    const la = linalg();

    const dz = Sequence.zeros(T, B, H, this.dtype);
    const db = new Float64Array(H); // Σ_t Σ_rows dz_t, summed as dz is made
    // ∂L/∂h_t arriving from step t+1; at the last step, from whatever read the last state.
    let dhNext = dLast ? dLast.h : Matrix.zeros(B, H, this.dtype);
    for (let t = T - 1; t >= 0; t--) {
      const ht = h.at(t).data, dht = dh.at(t).data, dhFromNext = dhNext.data;
      const dzStep = dz.at(t), dzt = dzStep.data;
      for (let bi = 0; bi < B; bi++) {
        for (let j = 0; j < H; j++) {
          const k = bi * H + j;
          dzt[k] = (dht[k] + dhFromNext[k]) * (1 - ht[k] * ht[k]); // tanh′ = 1 − h²
          db[j] += dzt[k];
        }
      }
      dhNext = la.matmulBT(dzStep, this.Whh); // ∂L/∂h_{t−1} = dz_t·Whhᵀ
    }

    // Each weight appears at every step, so its gradient is the sum of its
    // per-step gradients. With the steps stacked as rows, each sum is ONE product.
    addInPlace("RNN dWxh", this.Wxh.grad, la.matmulAT(x.data, dz.data)); // Σ_t x_tᵀ·dz_t
    addInPlace("RNN dWhh", this.Whh.grad, la.matmulAT(previousStates(h0, h), dz.data)); // Σ_t h_{t−1}ᵀ·dz_t
    addVector(this.bh.grad, db); // Σ_t Σ_rows dz_t

    // dx_t = dz_t·Wxhᵀ, all steps at once, when read.
    return recurrentBackward("RNN", x, dz.data, this.Wxh, { h: dhNext }, options);
  }
}
