/**
 * Global attention with a bilinear ("general") score, as Luong, Pham &
 * Manning (2015) define it. A decoder state q_t (the query) looks at every
 * encoder state k_i (the keys, which are also the values) of its own
 * example, and reads a weighted average of them:
 *
 *   s_{t,i} = q_t W_a k_iᵀ                 score: how well k_i fits the query
 *   α_{t,·} = softmax_i(s_{t,·})           the alignment: weights ≥ 0 that sum to 1
 *   c_t     = Σ_i α_{t,i} k_i              the context vector
 *   h̃_t    = tanh([c_t | q_t] W_c + b_c)  the attentional state the readout sees
 *
 * Per example b, with Q_b [T′, H_q] its T′ queries and K_b [T, H_k] its T
 * keys as matrices, the first three lines are three products and a softmax:
 *
 *   P_b = Q_b W_a,   S_b = P_b K_bᵀ,   A_b = softmax_rows(S_b),   C_b = A_b K_b
 *
 * Backward, for dH̃ = ∂L/∂h̃ (last equation first; ⊙ element-wise):
 *
 *   dZ   = dH̃ ⊙ (1 − h̃²)                     tanh′
 *   dW_c = Uᵀ dZ, db_c = Σ_rows dZ, [dC | dQ] = dZ W_cᵀ     (U = [C | Q])
 *   dA_b = dC_b K_bᵀ,   dK_b = A_bᵀ dC_b                      (C_b = A_b K_b)
 *   dS_b = A_b ⊙ (dA_b − rowsum(A_b ⊙ dA_b))                  softmax′, row by row
 *   dP_b = dS_b K_b,    dK_b += dS_bᵀ P_b                     (S_b = P_b K_bᵀ)
 *   dW_a = Σ_b Q_bᵀ dP_b,   dQ_b += dP_b W_aᵀ                 (P_b = Q_b W_a)
 *
 * Why this form and not Bahdanau et al.'s additive score: the query is the
 * decoder state of the SAME step, computed before the context is read, and
 * the context is not fed back into the recurrence. The decoder therefore
 * runs as any recurrent layer over all its steps at once (teacher forcing),
 * and attention is applied afterwards to all steps together; Bahdanau's
 * form scores with the PREVIOUS decoder state and feeds c_t into the next
 * step's input, which needs the recurrence itself to be stepped by hand.
 */
import { Matrix, DType } from "../core/matrix";
import { Parameter, Module } from "../core/parameter";
import { Sequence } from "../core/sequence";
import { linalg } from "../compute/linalg";
import { addInPlace, addBias, addColumnSums, concatColumns, sliceColumns } from "../core/ops";
import { LayerOptions, gaussianParameter, zeroParameter } from "./parameters";
import { expectShape, expectDType, expectSize, expectFinite } from "../core/shapes";
import { activations } from "../compute/activations";

/** What the attention's forward pass keeps for its backward pass, and what a lesson draws. */
export interface AttentionForward {
  /** The queries, [T′·B, H_q] (time-major). */
  queries: Sequence;
  /** The keys (= values), [T·B, H_k] (time-major). */
  keys: Sequence;
  /**
   * The alignment α, [T′·B, T]: row t·B + b holds example b's weights over
   * its T keys at query step t (each row sums to 1).
   */
  weights: Matrix;
  /** The context vectors c_t, [T′·B, H_k]. */
  context: Sequence;
  /** P = Q W_a, [T′·B, H_k] (the score is P_b K_bᵀ). */
  projected: Matrix;
  /** The attentional states h̃_t = tanh([c_t | q_t] W_c + b_c), [T′·B, output]. */
  y: Sequence;
}

/** The gradients with respect to the attention's inputs. */
export interface AttentionBackward {
  /** ∂L/∂queries, [T′·B, H_q]. */
  dQueries: Sequence;
  /** ∂L/∂keys, [T·B, H_k]: through the scores and through the context. */
  dKeys: Sequence;
}

/** Rows b, b + B, b + 2B, … of a time-major matrix: example b's steps as a [steps, cols] matrix. */
function exampleRows(m: Matrix, batch: number, b: number): Matrix {
  const steps = m.rows / batch, C = m.cols;
  const out = Matrix.zeros(steps, C, m.dtype);
  for (let t = 0; t < steps; t++) out.data.set(m.data.subarray((t * batch + b) * C, (t * batch + b + 1) * C), t * C);
  return out;
}

/** Adds a [steps, cols] matrix into example b's rows of a time-major matrix (the inverse of `exampleRows`). */
function addExampleRows(into: Matrix, batch: number, b: number, m: Matrix): void {
  const C = into.cols;
  for (let t = 0; t < m.rows; t++) {
    const row = (t * batch + b) * C;
    for (let j = 0; j < C; j++) into.data[row + j] += m.data[t * C + j];
  }
}

/**
 * Luong's global attention with the bilinear score s = q W_a kᵀ, followed by
 * the attentional layer h̃ = tanh([c | q] W_c + b_c) (see the module comment
 * for the equations and the hand-written backward pass).
 * Used in lesson 11.
 */
export class LuongAttention implements Module {
  /** The score's weights, [H_q, H_k]: s_{t,i} = q_t W_a k_iᵀ. */
  readonly Wa: Parameter;
  /** The attentional layer's weights, [H_k + H_q, output]: the context's rows first, then the query's. */
  readonly Wc: Parameter;
  /** Its bias, [1, output], starts at zero. */
  readonly bc: Parameter;

  /** Weights start Gaussian with std 1/√fan-in, drawn from `options.rng`. */
  constructor(
    /** H_q, the size of a query (the decoder's state). */
    readonly querySize: number,
    /** H_k, the size of a key (the encoder's state). */
    readonly keySize: number,
    /** The size of h̃. */
    readonly outputSize: number,
    options: LayerOptions,
  ) {
    expectSize("LuongAttention", "querySize", querySize);
    expectSize("LuongAttention", "keySize", keySize);
    expectSize("LuongAttention", "outputSize", outputSize);
    const dtype = options.dtype ?? "float32";
    const name = options.name ?? "attention";
    this.Wa = gaussianParameter(`${name}.Wa`, querySize, keySize, options.rng, dtype);
    this.Wc = gaussianParameter(`${name}.Wc`, keySize + querySize, outputSize, options.rng, dtype);
    this.bc = zeroParameter(`${name}.bc`, 1, outputSize, dtype);
  }

  /** The precision of the parameters, hence of every computation. */
  get dtype(): DType {
    return this.Wa.value.dtype;
  }

  parameters(): Parameter[] {
    return [this.Wa, this.Wc, this.bc];
  }

  /**
   * Every query step of every example attends over all T keys of the same
   * example. `queries` and `keys` must have the same batch; their numbers of
   * steps may differ.
   */
  forward(queries: Sequence, keys: Sequence): AttentionForward {
    const B = queries.batch, Tq = queries.steps, Tk = keys.steps;
    expectShape("LuongAttention", "queries", queries.data, Tq * B, this.querySize, "[T′·B, query]");
    expectDType("LuongAttention", "queries", queries.data, this.dtype);
    expectFinite("LuongAttention", "queries", queries.data);
    if (keys.batch !== B) throw new Error(`LuongAttention: keys have batch ${keys.batch}, queries ${B}: each example attends over its own keys`);
    expectShape("LuongAttention", "keys", keys.data, Tk * B, this.keySize, "[T·B, key]");
    expectDType("LuongAttention", "keys", keys.data, this.dtype);
    expectFinite("LuongAttention", "keys", keys.data);
    const la = linalg();
    const { exp, tanh } = activations(this.dtype);

    const projected = la.matmul(queries.data, this.Wa); // P = Q W_a, all steps and examples at once
    const weights = Matrix.zeros(Tq * B, Tk, this.dtype);
    const context = Matrix.zeros(Tq * B, this.keySize, this.dtype);
    for (let b = 0; b < B; b++) {
      const P = exampleRows(projected, B, b), K = exampleRows(keys.data, B, b);
      const S = la.matmulBT(P, K); // S_b = P_b K_bᵀ, [T′, T]
      // A_b = softmax over each row (shifted by the row's maximum, so exp never overflows)
      for (let t = 0; t < Tq; t++) {
        let max = -Infinity;
        for (let i = 0; i < Tk; i++) max = Math.max(max, S.data[t * Tk + i]);
        let sum = 0;
        for (let i = 0; i < Tk; i++) sum += (S.data[t * Tk + i] = exp(S.data[t * Tk + i] - max));
        for (let i = 0; i < Tk; i++) S.data[t * Tk + i] /= sum;
      }
      addExampleRows(weights, B, b, S);
      addExampleRows(context, B, b, la.matmul(S, K)); // C_b = A_b K_b
    }
    // h̃ = tanh([C | Q] W_c + b_c)
    const y = la.matmul(concatColumns([context, queries.data]), this.Wc);
    addBias(y, this.bc.value);
    for (let i = 0; i < y.data.length; i++) y.data[i] = tanh(y.data[i]);
    return { queries, keys, weights, context: new Sequence(Tq, B, context), projected, y: new Sequence(Tq, B, y) };
  }

  /** ADDS dW_a, dW_c and db_c into the parameters' `grad`; returns ∂L/∂queries and ∂L/∂keys. */
  backward(forward: AttentionForward, dy: Sequence): AttentionBackward {
    const { queries, keys, weights, context, projected, y } = forward;
    const B = queries.batch, Tq = queries.steps, Tk = keys.steps, Hk = this.keySize;
    expectShape("LuongAttention.backward", "dy", dy.data, Tq * B, this.outputSize, "[T′·B, output]");
    expectDType("LuongAttention.backward", "dy", dy.data, this.dtype);
    const la = linalg();

    // h̃ = tanh(Z): dZ = dh̃ ⊙ (1 − h̃²)
    const dZ = Matrix.zeros(Tq * B, this.outputSize, this.dtype);
    for (let i = 0; i < dZ.data.length; i++) dZ.data[i] = dy.data.data[i] * (1 - y.data.data[i] * y.data.data[i]);
    // Z = [C | Q] W_c + b_c
    addInPlace(`${this.Wc.name}.grad`, this.Wc.grad, la.matmulAT(concatColumns([context.data, queries.data]), dZ));
    addColumnSums(this.bc.grad, dZ);
    const dU = la.matmulBT(dZ, this.Wc);
    const dC = sliceColumns(dU, 0, Hk);
    const dQ = sliceColumns(dU, Hk, Hk + this.querySize); // the query's direct path into h̃

    const dK = Matrix.zeros(Tk * B, Hk, this.dtype);
    const dP = Matrix.zeros(Tq * B, Hk, this.dtype);
    for (let b = 0; b < B; b++) {
      const A = exampleRows(weights, B, b), K = exampleRows(keys.data, B, b), P = exampleRows(projected, B, b), dCb = exampleRows(dC, B, b);
      // C_b = A_b K_b: both factors get a gradient
      const dA = la.matmulBT(dCb, K); // dA_b = dC_b K_bᵀ
      addExampleRows(dK, B, b, la.matmulAT(A, dCb)); // dK_b = A_bᵀ dC_b
      // A_b = softmax_rows(S_b): dS = A ⊙ (dA − Σ_i A_i dA_i), row by row
      const dS = Matrix.zeros(Tq, Tk, this.dtype);
      for (let t = 0; t < Tq; t++) {
        let dot = 0;
        for (let i = 0; i < Tk; i++) dot += A.data[t * Tk + i] * dA.data[t * Tk + i];
        for (let i = 0; i < Tk; i++) dS.data[t * Tk + i] = A.data[t * Tk + i] * (dA.data[t * Tk + i] - dot);
      }
      // S_b = P_b K_bᵀ
      addExampleRows(dP, B, b, la.matmul(dS, K)); // dP_b = dS_b K_b
      addExampleRows(dK, B, b, la.matmulAT(dS, P)); // dK_b += dS_bᵀ P_b
    }
    // P = Q W_a, for all examples at once
    addInPlace(`${this.Wa.name}.grad`, this.Wa.grad, la.matmulAT(queries.data, dP));
    addInPlace("LuongAttention dQ", dQ, la.matmulBT(dP, this.Wa));
    return { dQueries: new Sequence(Tq, B, dQ), dKeys: new Sequence(Tk, B, dK) };
  }

  /** Example b's alignment as rows (one per query step) of weights over the keys: [T′][T], for a heatmap. */
  alignment(forward: AttentionForward, b: number): number[][] {
    const B = forward.queries.batch;
    if (!(Number.isInteger(b) && b >= 0 && b < B)) throw new Error(`LuongAttention.alignment: example ${b} is outside 0..${B - 1}`);
    return exampleRows(forward.weights, B, b).toArray();
  }
}
