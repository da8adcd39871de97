/**
 * Shared test helper: checks hand-written gradients against TensorFlow.js
 * automatic differentiation, on the same weights and the same inputs.
 *
 * You write the model twice: once with the engine (forward + hand-written
 * backward), once as a plain tf function from tensors to a scalar loss. The
 * helper uploads the engine's parameter values (and any inputs you want
 * gradients for) as tensors, gets the loss and every gradient from
 * `tf.valueAndGrads`, runs your engine code, and compares, tensor by tensor.
 *
 *   const report = compareWithTf({
 *     params: rnn.parameters(),                     // float32 Parameters
 *     inputs: { x: x.data },                        // optional: also compare dL/dx
 *     engine: () => {                               // grads are zeroed before the call
 *       const f = rnn.forward(x);
 *       const { loss, dPrediction } = meanSquaredError(f.h, target);
 *       const back = rnn.backward(f, dPrediction);
 *       return { loss, inputGrads: { x: back.dx.data } };
 *     },
 *     tf: (p, inp) => {                             // p and inp are keyed by name
 *       let h = tf.zeros([B, H]) as tf.Tensor2D;
 *       const hs = stepsOf(inp.x, T, B).map((xt) =>
 *         (h = tf.tanh(xt.matMul(p["rnn.Wxh"]).add(h.matMul(p["rnn.Whh"])).add(p["rnn.bh"]))));
 *       return tf.losses.meanSquaredError(tensorOf(target), tf.concat(hs)) as tf.Scalar;
 *     },
 *   });
 *   expectAgreement(report, 1e-4);
 *
 * The error of a tensor is max|engine − tf| / max|tf|: relative to the
 * tensor's largest entry, since float32 entries near zero have no meaningful
 * element-wise relative error. Runs on whatever tf backend is active.
 */
import * as tf from "@tensorflow/tfjs";
import { expect } from "vitest";
import { Matrix, Parameter } from "../lib/src/nn";

/** A Matrix as a float32 tensor of the same shape. */
export function tensorOf(m: Matrix): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols], "float32");
}

/**
 * Splits a time-major [T·B, F] tensor into its T steps of [B, F]. Returns a
 * fresh array: tf's tape keeps the very array `tf.split` returns as the op's
 * outputs, so reversing THAT array in place (for a backward direction)
 * silently scrambles the gradient.
 */
export function stepsOf(x: tf.Tensor2D, steps: number, batch: number): tf.Tensor2D[] {
  if (x.shape[0] !== steps * batch) throw new Error(`stepsOf: ${x.shape[0]} rows are not ${steps} steps x batch ${batch}`);
  return [...(tf.split(x, steps, 0) as tf.Tensor2D[])];
}

export interface TfGradCase {
  /** The engine's parameters (float32); their names must be unique. */
  params: Parameter[];
  /** Inputs whose gradients are compared too, by name. */
  inputs?: Record<string, Matrix>;
  /** Engine forward + backward; parameter grads are zeroed before. Returns the loss and the input gradients by name. */
  engine: () => { loss: number; inputGrads?: Record<string, Matrix> };
  /** The same loss with tf ops, from the parameters and the inputs (keyed by name). */
  tf: (params: Record<string, tf.Tensor2D>, inputs: Record<string, tf.Tensor2D>) => tf.Scalar;
}

export interface TfGradReport {
  loss: { engine: number; tf: number; relativeError: number };
  /** One row per parameter and input: error relative to the tensor's largest entry. */
  tensors: { name: string; relativeError: number; maxAbsoluteError: number; scale: number }[];
}

function compare(name: string, engine: Matrix, reference: Float32Array): TfGradReport["tensors"][number] {
  if (engine.data.length !== reference.length) {
    throw new Error(`compareWithTf: ${name}: the engine's gradient has ${engine.data.length} entries, tf's has ${reference.length}`);
  }
  let maxAbs = 0, scale = 0;
  for (let i = 0; i < reference.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(engine.data[i] - reference[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return { name, relativeError: maxAbs / Math.max(scale, 1e-12), maxAbsoluteError: maxAbs, scale };
}

/** Runs both versions and measures how far the engine's gradients are from tf's. */
export function compareWithTf(c: TfGradCase): TfGradReport {
  const names = c.params.map((p) => p.name);
  if (new Set(names).size !== names.length) throw new Error(`compareWithTf: parameter names must be unique: ${names.join(", ")}`);
  const inputNames = Object.keys(c.inputs ?? {});
  const before = tf.memory().numTensors;

  // tf: loss and gradients with respect to every parameter and input.
  const { value, grads } = tf.tidy(() => {
    const tensors = [...c.params.map((p) => tensorOf(p.value)), ...inputNames.map((n) => tensorOf(c.inputs![n]))];
    const f = (...ts: tf.Tensor[]): tf.Scalar => {
      const p: Record<string, tf.Tensor2D> = {}, x: Record<string, tf.Tensor2D> = {};
      names.forEach((n, i) => (p[n] = ts[i] as tf.Tensor2D));
      inputNames.forEach((n, i) => (x[n] = ts[names.length + i] as tf.Tensor2D));
      return c.tf(p, x);
    };
    const r = tf.valueAndGrads(f)(tensors);
    return { value: r.value.dataSync()[0], grads: r.grads.map((g) => Float32Array.from(g.dataSync())) };
  });
  if (tf.memory().numTensors !== before) throw new Error("compareWithTf: the tf function leaked tensors");

  // Engine: hand-written backward.
  c.params.forEach((p) => p.zeroGrad());
  const out = c.engine();
  const tensors = c.params.map((p, i) => compare(p.name, p.grad, grads[i]));
  inputNames.forEach((n, i) => {
    const g = out.inputGrads?.[n];
    if (!g) throw new Error(`compareWithTf: the engine returned no gradient for input ${n}`);
    tensors.push(compare(`input ${n}`, g, grads[names.length + i]));
  });
  return {
    loss: { engine: out.loss, tf: value, relativeError: Math.abs(out.loss - value) / Math.max(Math.abs(value), 1e-12) },
    tensors,
  };
}

/** Expects the loss and every gradient to agree within `tolerance` (relative, see the top). */
export function expectAgreement(report: TfGradReport, tolerance = 1e-4): void {
  expect(report.loss.relativeError, `loss: engine ${report.loss.engine}, tf ${report.loss.tf}`).toBeLessThan(tolerance);
  for (const t of report.tensors) {
    expect(t.scale, `${t.name}: the tf gradient is all zeros, so the comparison would prove nothing`).toBeGreaterThan(0);
    expect(t.relativeError, `${t.name} (max |engine − tf| = ${t.maxAbsoluteError}, max |tf| = ${t.scale})`).toBeLessThan(tolerance);
  }
}
