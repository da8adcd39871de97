/**
 * Shape and precision checks with errors that name the layer, the tensor and
 * what its dimensions mean, so a mistake is reported where it is made.
 */
import { Matrix, DType } from "./matrix";

/**
 * Throws unless m has shape [rows, cols], naming the layer, the tensor and
 * what the dimensions mean, e.g. "RNN: input x: expected shape [T·B, input] =
 * [12, 3], got [12, 5]".
 */
export function expectShape(layer: string, tensor: string, m: Matrix, rows: number, cols: number, meaning: string): void {
  if (m.rows !== rows || m.cols !== cols) {
    throw new Error(`${layer}: ${tensor}: expected shape ${meaning} = [${rows}, ${cols}], got [${m.rows}, ${m.cols}]`);
  }
}

/** Throws unless m has the layer's precision (mixing float32 and float64 is always a mistake). */
export function expectDType(layer: string, tensor: string, m: Matrix, dtype: DType): void {
  if (m.dtype !== dtype) throw new Error(`${layer}: ${tensor} is ${m.dtype} but the parameters are ${dtype}`);
}

/** Throws unless a layer size is a positive integer. */
export function expectSize(layer: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${layer}: ${what} must be a positive integer, got ${n}`);
}


/** Throws unless a product's inner dimensions agree and both operands have one precision. */
export function checkInner(op: string, a: Matrix, aDim: number, b: Matrix, bDim: number): void {
  if (aDim !== bDim) {
    throw new Error(`${op}: inner dimensions differ: [${a.rows}, ${a.cols}] and [${b.rows}, ${b.cols}]`);
  }
  if (a.dtype !== b.dtype) throw new Error(`${op}: mixed precision (${a.dtype} and ${b.dtype})`);
}
