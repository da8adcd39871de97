/**
 * Dropout (Srivastava, Hinton et al. 2014), in its "inverted" form: during
 * training every unit is kept with probability 1 − p and dropped (set to 0)
 * with probability p, and the kept units are scaled by 1/(1 − p),
 *
 *   m_i ~ Bernoulli(1 − p)          y_i = m_i · x_i / (1 − p)
 *
 * so that E[y_i] = x_i: the next layer sees inputs of the same expected size
 * in training and at evaluation, where dropout is the identity (y = x). The
 * scaling happens at training time, so the evaluated network needs no change.
 *
 * Backward, for dy = ∂L/∂y, with the SAME mask the forward pass drew:
 *
 *   dx_i = m_i · dy_i / (1 − p)
 *
 * (y is linear in x with the diagonal Jacobian diag(m)/(1 − p)). Dropout has
 * no weights.
 *
 * On a Sequence every entry of every step gets its own mask: applied to a
 * recurrent layer's outputs h_t before the readout, as lesson 07 does, it
 * drops the non-recurrent connection only (Zaremba, Sutskever & Vinyals
 * 2014); the state carried from step to step is never masked.
 *
 * Masks are drawn from the layer's seeded `Random`, one uniform number per
 * entry in row-major order (kept when u ≥ p): the same seed draws the same
 * masks. Assign a fresh `Random` to `rng` to replay them.
 */
import { Matrix, DType } from "../core/matrix";
import { Parameter, Module } from "../core/parameter";
import { Sequence, sequenceLike, matrixOf } from "../core/sequence";
import { expectShape } from "../core/shapes";
import { Random } from "../../random";

/** Options of {@link Dropout}. */
export interface DropoutOptions {
  /** p, the probability of dropping each unit, in [0, 1) (p = 0 keeps everything). */
  p: number;
  /** The stream the masks are drawn from. */
  rng: Random;
  /** Start in training mode (default true); false makes the layer the identity. */
  training?: boolean;
}

/** The result of a Dropout forward pass: what the backward pass needs. */
export interface DropoutForward<X extends Matrix | Sequence> {
  x: X;
  /** m ⊙ x / (1 − p) in training; x itself (the same object) at evaluation. */
  y: X;
  /**
   * The mask m, the shape of x: 1 where the unit was kept, 0 where it was
   * dropped. `null` at evaluation and for p = 0, where nothing is dropped.
   */
  mask: Matrix | null;
  /** The p the mask was drawn with. */
  p: number;
}

/** Inverted dropout on a matrix or on every step of a sequence; see the module comment. Used in lesson 07. */
export class Dropout implements Module {
  /** The probability of dropping each unit. */
  readonly p: number;
  /** Training mode: drop and rescale. Evaluation mode (false): the identity. */
  training: boolean;
  /** Where the masks come from; assign a new `Random` with the same seed to draw the same masks again. */
  rng: Random;

  constructor(options: DropoutOptions) {
    const { p, rng, training = true } = options ?? ({} as DropoutOptions);
    if (typeof p !== "number" || !(p >= 0 && p < 1)) {
      throw new Error(`Dropout: p, the probability of dropping a unit, must be a number in [0, 1), got ${String(p)}`);
    }
    if (!(rng instanceof Random)) throw new Error("Dropout: pass a seeded Random as rng; the masks are drawn from it");
    if (typeof training !== "boolean") throw new Error(`Dropout: training must be a boolean, got ${String(training)}`);
    this.p = p;
    this.rng = rng;
    this.training = training;
  }

  /** Dropout has no weights. */
  parameters(): Parameter[] {
    return [];
  }

  /** A fresh mask of 0s and 1s, [rows, cols]: each entry 1 (kept) with probability 1 − p, drawn from `rng`. */
  drawMask(rows: number, cols: number, dtype: DType = "float32"): Matrix {
    const mask = Matrix.zeros(rows, cols, dtype);
    const m = mask.data, p = this.p;
    for (let i = 0; i < m.length; i++) m[i] = this.rng.uniform() >= p ? 1 : 0;
    return mask;
  }

  /**
   * In training: y = m ⊙ x / (1 − p) with a mask drawn now (or the given
   * `mask` of 0s and 1s, the shape of x, e.g. to replay one). At evaluation,
   * or for p = 0: y = x, and no mask is drawn.
   */
  forward(x: Matrix, mask?: Matrix): DropoutForward<Matrix>;
  forward(x: Sequence, mask?: Matrix): DropoutForward<Sequence>;
  forward(x: Matrix | Sequence, mask?: Matrix): DropoutForward<Matrix> | DropoutForward<Sequence> {
    const xm = matrixOf(x);
    if (!(xm instanceof Matrix)) throw new Error("Dropout: the input must be a Matrix or a Sequence");
    if (!this.training || this.p === 0) {
      return { x, y: x, mask: null, p: this.p } as DropoutForward<Matrix> | DropoutForward<Sequence>;
    }
    let m: Matrix;
    if (mask === undefined) {
      m = this.drawMask(xm.rows, xm.cols, xm.dtype);
    } else {
      expectShape("Dropout", "mask", mask, xm.rows, xm.cols, "the shape of x");
      for (let i = 0; i < mask.data.length; i++) {
        const v = mask.data[i];
        if (v !== 0 && v !== 1) throw new Error(`Dropout: mask entries must be 0 (dropped) or 1 (kept); entry ${i} is ${v}`);
      }
      m = mask;
    }
    const keep = 1 - this.p;
    const y = Matrix.zeros(xm.rows, xm.cols, xm.dtype);
    const xd = xm.data, md = m.data, yd = y.data;
    for (let i = 0; i < yd.length; i++) yd[i] = md[i] === 0 ? 0 : xd[i] / keep;
    return x instanceof Sequence
      ? { x, y: sequenceLike(x, y), mask: m, p: this.p }
      : { x, y, mask: m, p: this.p };
  }

  /** dx = m ⊙ dy / (1 − p) with the forward pass's mask; dy itself when nothing was dropped. */
  backward(forward: DropoutForward<Matrix>, dy: Matrix): Matrix;
  backward(forward: DropoutForward<Sequence>, dy: Sequence): Sequence;
  backward(forward: DropoutForward<Matrix | Sequence>, dy: Matrix | Sequence): Matrix | Sequence {
    const xm = matrixOf(forward.x), dym = matrixOf(dy);
    expectShape("Dropout.backward", "dy", dym, xm.rows, xm.cols, "the shape of x");
    if (dym.dtype !== xm.dtype) throw new Error(`Dropout.backward: dy is ${dym.dtype} but the input x was ${xm.dtype}`);
    if (forward.x instanceof Sequence !== dy instanceof Sequence) {
      throw new Error("Dropout.backward: dy must be a Sequence exactly when the forward input was one");
    }
    if (forward.mask === null) return dy;
    const keep = 1 - forward.p;
    const dx = Matrix.zeros(xm.rows, xm.cols, xm.dtype);
    const md = forward.mask.data, dyd = dym.data, dxd = dx.data;
    for (let i = 0; i < dxd.length; i++) dxd[i] = md[i] === 0 ? 0 : dyd[i] / keep;
    return forward.x instanceof Sequence ? sequenceLike(forward.x, dx) : dx;
  }
}
