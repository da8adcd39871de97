/** The default initial parameters of the layers, and the options every layer's constructor takes. */
import { Matrix, DType } from "../core/matrix";
import { Parameter } from "../core/parameter";
import { Random } from "../../random";

/**
 * The default initial weights of the core layers: Gaussian with standard
 * deviation 1/√fanIn (Var(W) = 1/n_in, "Xavier" as Caffe has it), so a
 * product x·W keeps roughly the scale of x (pass `std` to choose another).
 * Other schemes (Glorot, orthogonal…) can overwrite `.value` afterwards.
 */
export function gaussianParameter(
  name: string, rows: number, cols: number, rng: Random, dtype: DType, std = 1 / Math.sqrt(rows),
): Parameter {
  const m = Matrix.zeros(rows, cols, dtype);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal(0, std);
  return new Parameter(name, m);
}

/** A parameter of zeros (biases). */
export function zeroParameter(name: string, rows: number, cols: number, dtype: DType): Parameter {
  return new Parameter(name, Matrix.zeros(rows, cols, dtype));
}

/** What every core layer's constructor takes: the random stream for its initial weights, and a precision. */
export interface LayerOptions {
  /** Draws the initial weights (pass a fork per layer so layers differ). */
  rng: Random;
  /** Precision of the parameters, and so of every computation (default float32). */
  dtype?: DType;
  /** Prefix of the parameter names, e.g. "enc" gives "enc.Wxh" (default: the layer's kind). */
  name?: string;
}
