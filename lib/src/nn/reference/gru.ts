/**
 * The GRU one step at a time, written to be read beside the equations of
 * lesson 07; the fast layer (layers/gru.ts) computes the same numbers with
 * fused gate weights and the input products of all steps batched into one.
 *
 * Both places of the reset gate are here: after the recurrent product,
 * r_t ⊙ (h_{t−1} W_hh̃ + b_hh̃) (cuDNN, PyTorch, the fast layer's default), and
 * before it, (r_t ⊙ h_{t−1}) W_hh̃ (Cho et al. 2014). So are both readings of
 * z (it weighs h_{t−1}, or h̃_t).
 *
 * Names: r, z are the gates, hTilde the candidate h̃; z_· is a gate's
 * pre-activation, so dzz is ∂L/∂z_z while dz is ∂L/∂z_t.
 */
import { Matrix } from "../core/matrix";
import { Sequence } from "../core/sequence";
import { columnSums, concatColumns, sliceColumns } from "../core/ops";
import type { GRU } from "../layers/gru";
import { GateWeights, addGradients, gateBackward, gateBlock } from "./gate";
import { add, hadamard, matmul, matmulAT, matmulBT, oneMinus, sigmoid, square, sub, tanh } from "./ops";

/** The candidate's weights: x_t W_xh̃ + b_h̃ on the input side, W_hh̃ (and b_hh̃) on h_{t−1}. */
export interface CandidateWeights extends GateWeights {
  /** b_hh̃ [1, hidden], inside r_t ⊙ (…): only when r acts after the recurrent product. */
  bh?: Matrix;
}

/** The GRU's weights (or, with the same shapes, their gradients), one record per gate. */
export interface GRUWeights {
  r: GateWeights;
  z: GateWeights;
  hTilde: CandidateWeights;
}

/** The two conventions of the GRU, as in the fast layer's options. */
export interface ReferenceGRUOptions {
  /** true: h̃ = tanh(x W_xh̃ + r ⊙ (h W_hh̃ + b_hh̃) + b_h̃); false: tanh(x W_xh̃ + (r ⊙ h) W_hh̃ + b_h̃). */
  resetAfter: boolean;
  /** "previous": h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃; "candidate": h_t = (1 − z) ⊙ h_{t−1} + z ⊙ h̃. */
  zMultiplies: "previous" | "candidate";
}

/** What one step keeps for its backward pass. */
export interface GRUStepCache {
  x: Matrix;
  hPrev: Matrix;
  r: Matrix;
  z: Matrix;
  hTilde: Matrix;
  /** What r multiplied: u_t = h_{t−1} W_hh̃ + b_hh̃ (reset after the product), or s_t = r_t ⊙ h_{t−1} (before it). */
  reset: { u: Matrix } | { s: Matrix };
}

/** A sequence run step by step: every step's h, the last state and each step's cache. */
export interface ReferenceGRUForward {
  h: Sequence;
  last: { h: Matrix };
  steps: GRUStepCache[];
}

/** The gradients in the fast layer's layout, named as its parameters. */
export interface FusedGRUGradients {
  /** Blocks r, z, h̃. */
  Wx: Matrix;
  /** Blocks r, z, h̃ with `resetAfter`, else r, z. */
  Wh: Matrix;
  /** Blocks r, z, h̃ (the input-side b_h̃). */
  b: Matrix;
  /** b_hh̃ (with `resetAfter`). */
  bhTilde?: Matrix;
  /** W_hh̃ (without `resetAfter`). */
  WhTilde?: Matrix;
}

/**
 * The GRU of lesson 07, one step at a time, in both conventions of the fast
 * {@link GRU}. `ReferenceGRU.from(gru)` copies its weights, slicing the fused
 * gate blocks; forward and backward then give the fast layer's numbers (the
 * gradients are returned, not stored; `fuse` puts them in its layout).
 */
export class ReferenceGRU {
  readonly resetAfter: boolean;
  readonly zMultiplies: "previous" | "candidate";

  constructor(readonly weights: GRUWeights, options: ReferenceGRUOptions) {
    if (options.resetAfter !== (weights.hTilde.bh !== undefined)) {
      throw new Error("ReferenceGRU: the candidate has a recurrent bias b_hh̃ exactly when r acts after the recurrent product (resetAfter)");
    }
    this.resetAfter = options.resetAfter;
    this.zMultiplies = options.zMultiplies;
  }

  /** A copy of the fast layer's weights, taken now (call again after training it). */
  static from(gru: GRU): ReferenceGRU {
    const H = gru.hiddenSize, Wx = gru.Wx.value, Wh = gru.Wh.value, b = gru.b.value;
    // W_x = [W_xr | W_xz | W_xh̃], b = [b_r | b_z | b_h̃]; W_h = [W_hr | W_hz | W_hh̃] with resetAfter,
    // else [W_hr | W_hz] and W_hh̃ is its own parameter (WhTilde). The fast layer's `bhTilde` is b_hh̃.
    let hTilde: CandidateWeights;
    if (gru.bhTilde) hTilde = { ...gateBlock(Wx, Wh, b, 2 * H, H), bh: gru.bhTilde.value.clone() };
    else if (gru.WhTilde) hTilde = { Wx: sliceColumns(Wx, 2 * H, 3 * H), Wh: gru.WhTilde.value.clone(), b: sliceColumns(b, 2 * H, 3 * H) };
    else throw new Error("ReferenceGRU.from: the layer has neither b_hh̃ (bhTilde) nor W_hh̃ (WhTilde)");
    return new ReferenceGRU(
      { r: gateBlock(Wx, Wh, b, 0, H), z: gateBlock(Wx, Wh, b, H, H), hTilde },
      { resetAfter: gru.resetAfter, zMultiplies: gru.zMultiplies },
    );
  }

  stepForward(x: Matrix, prev: { h: Matrix }): { h: Matrix; cache: GRUStepCache } {
    const { r: R, z: Z, hTilde: HTilde } = this.weights;
    const hPrev = prev.h;
    const r = sigmoid(add(matmul(x, R.Wx), matmul(hPrev, R.Wh), R.b)); // r_t = σ(x_t W_xr + h_{t−1} W_hr + b_r)
    const z = sigmoid(add(matmul(x, Z.Wx), matmul(hPrev, Z.Wh), Z.b)); // z_t = σ(x_t W_xz + h_{t−1} W_hz + b_z)
    let hTilde: Matrix, reset: GRUStepCache["reset"];
    if (HTilde.bh) {
      const u = add(matmul(hPrev, HTilde.Wh), HTilde.bh); // u_t = h_{t−1} W_hh̃ + b_hh̃
      hTilde = tanh(add(matmul(x, HTilde.Wx), hadamard(r, u), HTilde.b)); // h̃_t = tanh(x_t W_xh̃ + r_t ⊙ u_t + b_h̃)
      reset = { u };
    } else {
      const s = hadamard(r, hPrev); // s_t = r_t ⊙ h_{t−1}
      hTilde = tanh(add(matmul(x, HTilde.Wx), matmul(s, HTilde.Wh), HTilde.b)); // h̃_t = tanh(x_t W_xh̃ + s_t W_hh̃ + b_h̃)
      reset = { s };
    }
    const h = this.zMultiplies === "previous"
      ? add(hadamard(z, hPrev), hadamard(oneMinus(z), hTilde)) // h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t
      : add(hadamard(oneMinus(z), hPrev), hadamard(z, hTilde)); // h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t
    return { h, cache: { x, hPrev, r, z, hTilde, reset } };
  }

  /** `dh`: ∂L/∂h_t (from the output at t and from step t+1). Under each forward formula (last first), its local derivatives. */
  stepBackward(dh: Matrix, cache: GRUStepCache): { dx: Matrix; dhPrev: Matrix; grads: GRUWeights } {
    const { r: R, z: Z, hTilde: HTilde } = this.weights;
    const { x, hPrev, r, z, hTilde, reset } = cache;
    let dhPrev: Matrix, dz: Matrix, dhTilde: Matrix;
    if (this.zMultiplies === "previous") {
      // h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ h̃_t
      [dhPrev, dz, dhTilde] = [hadamard(dh, z), hadamard(dh, sub(hPrev, hTilde)), hadamard(dh, oneMinus(z))];
    } else {
      // h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t
      [dhPrev, dz, dhTilde] = [hadamard(dh, oneMinus(z)), hadamard(dh, sub(hTilde, hPrev)), hadamard(dh, z)];
    }
    // h̃_t = tanh(z_h̃)
    const dzhTilde = hadamard(dhTilde, oneMinus(square(hTilde))); // tanh′ = 1 − h̃²
    let dr: Matrix, dWhhTilde: Matrix, dbhhTilde: Matrix | undefined;
    if ("u" in reset) {
      // z_h̃ = x_t W_xh̃ + r_t ⊙ u_t + b_h̃,  u_t = h_{t−1} W_hh̃ + b_hh̃
      dr = hadamard(dzhTilde, reset.u);
      const du = hadamard(dzhTilde, r);
      [dWhhTilde, dbhhTilde] = [matmulAT(hPrev, du), columnSums(du)];
      dhPrev = add(dhPrev, matmulBT(du, HTilde.Wh));
    } else {
      // z_h̃ = x_t W_xh̃ + s_t W_hh̃ + b_h̃,  s_t = r_t ⊙ h_{t−1}
      const ds = matmulBT(dzhTilde, HTilde.Wh);
      dWhhTilde = matmulAT(reset.s, dzhTilde);
      dr = hadamard(ds, hPrev);
      dhPrev = add(dhPrev, hadamard(ds, r));
    }
    // z_t = σ(x_t W_xz + h_{t−1} W_hz + b_z),  r_t = σ(x_t W_xr + h_{t−1} W_hr + b_r)
    const dzz = hadamard(dz, z, oneMinus(z)); // σ′ = z(1 − z)
    const dzr = hadamard(dr, r, oneMinus(r)); // σ′ = r(1 − r)
    const rBack = gateBackward(dzr, x, hPrev, R), zBack = gateBackward(dzz, x, hPrev, Z);
    const grads: GRUWeights = {
      r: rBack.grads,
      z: zBack.grads,
      hTilde: { Wx: matmulAT(x, dzhTilde), Wh: dWhhTilde, b: columnSums(dzhTilde), ...(dbhhTilde ? { bh: dbhhTilde } : {}) },
    };
    return {
      dx: add(rBack.dx, zBack.dx, matmulBT(dzhTilde, HTilde.Wx)),
      dhPrev: add(dhPrev, rBack.dhPrev, zBack.dhPrev),
      grads,
    };
  }

  /** Runs the steps from `first` (default zeros). */
  forward(x: Sequence, first?: { h: Matrix }): ReferenceGRUForward {
    let prev = first ?? { h: Matrix.zeros(x.batch, this.weights.r.Wh.rows, x.data.dtype) };
    const hs: Matrix[] = [], steps: GRUStepCache[] = [];
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
  backward(forward: ReferenceGRUForward, dh: Sequence, dLast?: { h: Matrix }): { dx: Sequence; dFirst: { h: Matrix }; grads: GRUWeights } {
    const T = forward.steps.length;
    let dhNext = dLast?.h ?? Matrix.zeros(dh.batch, dh.features, dh.data.dtype);
    const dxs: Matrix[] = new Array(T);
    let grads: GRUWeights | undefined; // Σ_t of the steps' gradients
    for (let t = T - 1; t >= 0; t--) {
      const step = this.stepBackward(add(dh.at(t), dhNext), forward.steps[t]); // h_t feeds the output and step t+1
      dxs[t] = step.dx;
      dhNext = step.dhPrev;
      grads = grads ? addGradients(grads, step.grads) : step.grads;
    }
    return { dx: Sequence.stack(dxs), dFirst: { h: dhNext }, grads: grads as GRUWeights }; // a Sequence has at least one step
  }

  /** Gradients (or weights) in the fast layer's layout: the inverse of the slicing in `from`. */
  fuse(grads: GRUWeights): FusedGRUGradients {
    const { r, z, hTilde } = grads;
    return {
      Wx: concatColumns([r.Wx, z.Wx, hTilde.Wx]),
      Wh: concatColumns(this.resetAfter ? [r.Wh, z.Wh, hTilde.Wh] : [r.Wh, z.Wh]),
      b: concatColumns([r.b, z.b, hTilde.b]),
      ...(this.resetAfter ? { bhTilde: hTilde.bh } : { WhTilde: hTilde.Wh }),
    };
  }
}
