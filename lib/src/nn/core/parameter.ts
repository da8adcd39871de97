/**
 * Trainable parameters: a weight's value with the gradient of the loss with
 * respect to it, and what a layer or model is (something that has them).
 */
import { Matrix } from "./matrix";

/**
 * A trainable weight: its value and the gradient of the loss with respect to
 * it. `version` increases when an optimizer or initializer changes the value,
 * telling a backend that keeps a copy of the weight (on the wasm heap) to
 * upload it again; that backend also compares the value with its copy, so an
 * in-place edit made without `changed()` is never missed.
 * Used in lessons 09 and 11.
 */
export class Parameter {
  readonly grad: Matrix;
  version = 0;
  private qualifiedName: string;

  constructor(
    name: string,
    readonly value: Matrix,
  ) {
    this.qualifiedName = name;
    this.grad = Matrix.zeros(value.rows, value.cols, value.dtype);
  }

  /**
   * Where the weight sits, e.g. "lstm.Wx", or "layers.1.lstm.Wx" inside a
   * stack: messages about a NaN or a clipped gradient name it.
   */
  get name(): string {
    return this.qualifiedName;
  }

  /** Puts the weight under a wrapper's position, e.g. prefix "layers.1" turns "lstm.Wx" into "layers.1.lstm.Wx". */
  nameWithin(prefix: string): void {
    this.qualifiedName = `${prefix}.${this.qualifiedName}`;
  }

  zeroGrad(): void {
    this.grad.data.fill(0);
  }

  /** Says the value was changed in place (optional: a backend's copy is also checked against the value). */
  changed(): void {
    this.version++;
  }
}

/** Anything with trainable parameters: layers, models. */
export interface Module {
  parameters(): Parameter[];
}


/** A weight can be passed as its Parameter, which lets a backend cache it. */
export type Operand = Matrix | Parameter;

export function valueOf(x: Operand): Matrix {
  return x instanceof Parameter ? x.value : x;
}
