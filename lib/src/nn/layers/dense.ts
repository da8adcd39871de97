/**
 * A fully connected (dense, affine) layer: y = x·W + b, for a batch of rows.
 * On a Sequence it treats the T·B rows of all steps as one batch, so the
 * whole sequence is ONE product (the output layer of a language model).
 *
 * Backward, for dy = ∂L/∂y:
 *   dW = xᵀ·dy      db = Σ_rows dy      dx = dy·Wᵀ
 * (b is added to every row, so its gradient is the sum over the rows.)
 */
import { Matrix, DType } from "../core/matrix";
import { Parameter, Module } from "../core/parameter";
import { Sequence, sequenceLike, matrixOf } from "../core/sequence";
import { linalg } from "../compute/linalg";
import { addInPlace, addBias, addColumnSums } from "../core/ops";
import { LayerOptions, gaussianParameter, zeroParameter } from "./parameters";
import { expectShape, expectDType, expectSize, expectFinite } from "../core/shapes";

/** The result of a Dense forward pass; `x` is kept for the backward pass. */
export interface DenseForward<X extends Matrix | Sequence> {
  x: X;
  y: X;
}

/**
 * y = x·W + b.
 * Used in lessons 03, 04, 05, 06, 07 and 08.
 */
export class Dense implements Module {
  /** Weights, [input, output]. */
  readonly W: Parameter;
  /** Bias, [1, output], starts at zero. */
  readonly b: Parameter;

  /** Weights start Gaussian with std 1/√input, drawn from `options.rng`. */
  constructor(
    readonly inputSize: number,
    readonly outputSize: number,
    options: LayerOptions,
  ) {
    expectSize("Dense", "inputSize", inputSize);
    expectSize("Dense", "outputSize", outputSize);
    const dtype = options.dtype ?? "float32";
    const name = options.name ?? "dense";
    this.W = gaussianParameter(`${name}.W`, inputSize, outputSize, options.rng, dtype);
    this.b = zeroParameter(`${name}.b`, 1, outputSize, dtype);
  }

  /** The precision of the parameters, hence of every computation. */
  get dtype(): DType {
    return this.W.value.dtype;
  }

  parameters(): Parameter[] {
    return [this.W, this.b];
  }

  /** y = x·W + b on a [batch, input] matrix, or on every step of a sequence at once. */
  forward(x: Matrix): DenseForward<Matrix>;
  forward(x: Sequence): DenseForward<Sequence>;
  forward(x: Matrix | Sequence): DenseForward<Matrix> | DenseForward<Sequence> {
    const xm = matrixOf(x);
    expectShape("Dense", "input x", xm, xm.rows, this.inputSize, "[rows, input]");
    expectDType("Dense", "input x", xm, this.dtype);
    expectFinite("Dense", "input x", xm);
    const y = linalg().matmul(xm, this.W);
    addBias(y, this.b.value);
    return x instanceof Sequence ? { x, y: sequenceLike(x, y) } : { x, y };
  }

  /** ADDS dW and db into the parameters' `grad`; returns dx = dy·Wᵀ. */
  backward(forward: DenseForward<Matrix>, dy: Matrix): Matrix;
  backward(forward: DenseForward<Sequence>, dy: Sequence): Sequence;
  backward(forward: DenseForward<Matrix | Sequence>, dy: Matrix | Sequence): Matrix | Sequence {
    const x = matrixOf(forward.x), dym = matrixOf(dy);
    expectShape("Dense.backward", "dy", dym, x.rows, this.outputSize, "[rows, output]");
    expectDType("Dense.backward", "dy", dym, this.dtype);
    const la = linalg();
    addInPlace("Dense dW", this.W.grad, la.matmulAT(x, dym)); // xᵀ·dy
    addColumnSums(this.b.grad, dym); // Σ_rows dy
    const dx = la.matmulBT(dym, this.W); // dy·Wᵀ
    return forward.x instanceof Sequence ? sequenceLike(forward.x, dx) : dx;
  }
}
