/**
 * The rectified linear unit, element by element: y = max(0, x).
 *
 * Backward, for dy = ∂L/∂y:   dx = dy ⊙ [x > 0]
 * (slope 1 where the unit is active, 0 where it is cut off; at x = 0 exactly
 * we take the slope 0, the usual convention, so a unit that is exactly 0
 * passes no gradient).
 *
 * It has no weights. A dense layer followed by a ReLU is the "plain" layer
 * H(x) = max(0, x W + b) of a deep feed-forward network; the highway layer
 * uses the same nonlinearity inside (`activation: "relu"`).
 */
import { Matrix } from "../core/matrix";
import { Parameter, Module } from "../core/parameter";
import { Sequence, sequenceLike, matrixOf } from "../core/sequence";
import { expectShape, expectFinite } from "../core/shapes";

/** The result of a ReLU forward pass: the input (for the backward pass) and the output. */
export interface ReLUForward<X extends Matrix | Sequence> {
  x: X;
  y: X;
}

/**
 * y = max(0, x), element-wise, on a matrix or on every step of a sequence.
 * Used in lesson 09.
 */
export class ReLU implements Module {
  /** A ReLU has no weights. */
  parameters(): Parameter[] {
    return [];
  }

  forward(x: Matrix): ReLUForward<Matrix>;
  forward(x: Sequence): ReLUForward<Sequence>;
  forward(x: Matrix | Sequence): ReLUForward<Matrix> | ReLUForward<Sequence> {
    const xm = matrixOf(x);
    if (!(xm instanceof Matrix)) throw new Error("ReLU: the input must be a Matrix or a Sequence");
    expectFinite("ReLU", "input x", xm);
    const y = Matrix.zeros(xm.rows, xm.cols, xm.dtype);
    const xd = xm.data, yd = y.data;
    for (let i = 0; i < yd.length; i++) yd[i] = xd[i] > 0 ? xd[i] : 0;
    return x instanceof Sequence ? { x, y: sequenceLike(x, y) } : { x, y };
  }

  /** dx = dy ⊙ [x > 0]. */
  backward(forward: ReLUForward<Matrix>, dy: Matrix): Matrix;
  backward(forward: ReLUForward<Sequence>, dy: Sequence): Sequence;
  backward(forward: ReLUForward<Matrix | Sequence>, dy: Matrix | Sequence): Matrix | Sequence {
    const xm = matrixOf(forward.x), dym = matrixOf(dy);
    expectShape("ReLU.backward", "dy", dym, xm.rows, xm.cols, "the shape of x");
    if (dym.dtype !== xm.dtype) throw new Error(`ReLU.backward: dy is ${dym.dtype} but the input x was ${xm.dtype}`);
    const dx = Matrix.zeros(xm.rows, xm.cols, xm.dtype);
    const xd = xm.data, dyd = dym.data, dxd = dx.data;
    for (let i = 0; i < dxd.length; i++) dxd[i] = xd[i] > 0 ? dyd[i] : 0;
    return forward.x instanceof Sequence ? sequenceLike(forward.x, dx) : dx;
  }
}
