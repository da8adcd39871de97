import { describe, it, expect } from "vitest";
import { Matrix, Parameter, Sequence, gradCheck, LuongAttention } from "../lib/src/nn";
import { Random } from "../lib/src";
import * as tf from "@tensorflow/tfjs";
import { compareWithTf, expectAgreement, stepsOf, tensorOf } from "./tfgrad";
import { dot, expectGradCheck, randn } from "./helpers";

/** Noise on every parameter, so that the zero bias matters too. */
function perturb(layer: LuongAttention, rng: Random, std = 0.5): void {
  for (const p of layer.parameters()) {
    for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, std);
    p.changed();
  }
}

describe("LuongAttention gradients (float64 finite differences)", () => {
  // Different sizes for queries, keys and output, and more query steps than key steps,
  // so that a transposed or swapped index cannot pass.
  for (const [Tq, Tk, B] of [[3, 4, 2], [5, 2, 3], [1, 1, 1]]) {
    it(`T′ = ${Tq} queries over T = ${Tk} keys, batch ${B}: W_a, W_c, b_c, the queries and the keys within 1e-6`, () => {
      const Hq = 3, Hk = 4, O = 5;
      const rng = new Random(7 + Tq);
      const layer = new LuongAttention(Hq, Hk, O, { rng: new Random(3), dtype: "float64" });
      perturb(layer, rng);
      const q = new Parameter("queries", randn(rng, Tq * B, Hq));
      const k = new Parameter("keys", randn(rng, Tk * B, Hk));
      const R = randn(rng, Tq * B, O); // L = Σ R ⊙ h̃, so ∂L/∂h̃ = R
      const run = () => layer.forward(new Sequence(Tq, B, q.value), new Sequence(Tk, B, k.value));
      const loss = () => dot(run().y.data, R);
      const params = [...layer.parameters(), q, k];
      const results = gradCheck(params, loss, () => {
        for (const p of params) p.zeroGrad();
        const back = layer.backward(run(), new Sequence(Tq, B, R));
        q.grad.data.set(back.dQueries.data.data);
        k.grad.data.set(back.dKeys.data.data);
      });
      expect(results.map((r) => r.parameter)).toEqual(["attention.Wa", "attention.Wc", "attention.bc", "queries", "keys"]);
      if (Tk > 1) expectGradCheck(params, results, 1e-6);
      else {
        // One key: α = 1 whatever the score, so W_a gets no gradient at all (exactly 0), and the rest is checked.
        for (const r of results) expect(r.maxRelativeError, r.parameter).toBeLessThan(1e-6);
        expect(layer.Wa.grad.data.every((g) => g === 0)).toBe(true);
      }
    });
  }

  it("adds into grad (two backward passes give twice the gradient)", () => {
    const rng = new Random(5);
    const layer = new LuongAttention(2, 3, 2, { rng, dtype: "float64" });
    const f = layer.forward(new Sequence(2, 2, randn(rng, 4, 2)), new Sequence(3, 2, randn(rng, 6, 3)));
    const dy = new Sequence(2, 2, randn(rng, 4, 2));
    layer.backward(f, dy);
    const once = layer.Wa.grad.clone();
    layer.backward(f, dy);
    once.data.forEach((g, i) => expect(layer.Wa.grad.data[i]).toBeCloseTo(2 * g, 12));
  });
});

describe("LuongAttention forward by hand", () => {
  // One example, H_q = H_k = 1, keys k = [1, 2, 3] (T = 3), one query q = 1.
  // With W_a = ln 2: s_i = q·ln 2·k_i = k_i ln 2, so exp(s) = 2, 4, 8 and α = [1/7, 2/7, 4/7].
  // c = (1·1 + 2·2 + 4·3)/7 = 17/7. With W_c = [1; 0] (context row, query row) and b_c = 0: h̃ = tanh(17/7).
  const layer = new LuongAttention(1, 1, 1, { rng: new Random(0), dtype: "float64" });
  layer.Wa.value.data[0] = Math.log(2);
  layer.Wc.value.data.set([1, 0]);
  const keys = new Sequence(3, 1, Matrix.from([[1], [2], [3]], "float64"));
  const f = layer.forward(new Sequence(1, 1, Matrix.from([[1]], "float64")), keys);

  it("α = softmax(q W_a kᵀ) = [1/7, 2/7, 4/7], c = 17/7, h̃ = tanh(17/7)", () => {
    expect(layer.alignment(f, 0)[0].map((a) => a * 7)).toEqual([1, 2, 4].map((v) => expect.closeTo(v, 12)));
    expect(f.context.data.get(0, 0)).toBeCloseTo(17 / 7, 12);
    expect(f.y.data.get(0, 0)).toBeCloseTo(Math.tanh(17 / 7), 12);
  });

  it("a zero score weight gives the uniform alignment, and the context is the mean of the keys", () => {
    const uniform = new LuongAttention(2, 2, 3, { rng: new Random(1), dtype: "float64" });
    uniform.Wa.value.fill(0);
    const rng = new Random(2);
    const K = randn(rng, 4 * 2, 2);
    const g = uniform.forward(new Sequence(3, 2, randn(rng, 3 * 2, 2)), new Sequence(4, 2, K));
    for (let b = 0; b < 2; b++) {
      for (const row of uniform.alignment(g, b)) for (const a of row) expect(a).toBeCloseTo(0.25, 14);
      for (let j = 0; j < 2; j++) {
        const mean = [0, 1, 2, 3].reduce((s, i) => s + K.get(i * 2 + b, j), 0) / 4;
        for (let t = 0; t < 3; t++) expect(g.context.data.get(t * 2 + b, j)).toBeCloseTo(mean, 14);
      }
    }
  });

  it("each example attends only over its own keys, and every row of α sums to 1", () => {
    const rng = new Random(4);
    const att = new LuongAttention(3, 3, 2, { rng, dtype: "float64" });
    const Q = randn(rng, 2 * 3, 3), K = randn(rng, 5 * 3, 3);
    const all = att.forward(new Sequence(2, 3, Q), new Sequence(5, 3, K));
    for (let r = 0; r < all.weights.rows; r++) {
      const row = Array.from(all.weights.data.subarray(r * 5, r * 5 + 5));
      expect(row.reduce((s, a) => s + a, 0)).toBeCloseTo(1, 14);
      for (const a of row) expect(a).toBeGreaterThan(0);
    }
    // Example 1 alone gives the same alignment and output as inside the batch.
    const pick = (m: Matrix, steps: number) => Matrix.from(Array.from({ length: steps }, (_, t) => Array.from(m.data.subarray((t * 3 + 1) * m.cols, (t * 3 + 2) * m.cols))), "float64");
    const one = att.forward(new Sequence(2, 1, pick(Q, 2)), new Sequence(5, 1, pick(K, 5)));
    expect(att.alignment(one, 0)).toEqual(att.alignment(all, 1).map((row) => row.map((a) => expect.closeTo(a, 14))));
    expect(Array.from(one.y.data.data)).toEqual(Array.from(pick(all.y.data, 2).data, (v) => expect.closeTo(v, 14)));
  });
});

describe("LuongAttention errors", () => {
  const layer = new LuongAttention(3, 4, 2, { rng: new Random(0) });
  it("names the tensor and its expected shape", () => {
    expect(() => layer.forward(Sequence.zeros(2, 2, 5), Sequence.zeros(3, 2, 4))).toThrow(/LuongAttention: queries: expected shape \[T′·B, query\] = \[4, 3\], got \[4, 5\]/);
    expect(() => layer.forward(Sequence.zeros(2, 2, 3), Sequence.zeros(3, 2, 3))).toThrow(/LuongAttention: keys: expected shape \[T·B, key\] = \[6, 4\], got \[6, 3\]/);
    expect(() => layer.forward(Sequence.zeros(2, 2, 3), Sequence.zeros(3, 1, 4))).toThrow(/keys have batch 1, queries 2/);
    expect(() => layer.forward(Sequence.zeros(2, 2, 3, "float64"), Sequence.zeros(3, 2, 4))).toThrow(/queries is float64 but the parameters are float32/);
    const f = layer.forward(Sequence.zeros(2, 2, 3), Sequence.zeros(3, 2, 4));
    expect(() => layer.backward(f, Sequence.zeros(2, 2, 3))).toThrow(/LuongAttention\.backward: dy: expected shape \[T′·B, output\] = \[4, 2\], got \[4, 3\]/);
    expect(() => layer.alignment(f, 2)).toThrow(/example 2 is outside 0\.\.1/);
  });
  it("refuses a NaN key, naming it", () => {
    const keys = Sequence.zeros(3, 2, 4);
    keys.data.data[5] = NaN;
    expect(() => layer.forward(Sequence.zeros(2, 2, 3), keys)).toThrow(/LuongAttention: keys holds NaN at row 1, column 1/);
  });
  it("rejects sizes that are not positive integers", () => {
    expect(() => new LuongAttention(0, 4, 2, { rng: new Random(0) })).toThrow(/LuongAttention: querySize must be a positive integer, got 0/);
  });
});

describe("LuongAttention agrees with TensorFlow.js autodiff (float32)", () => {
  it("loss, W_a, W_c, b_c, the queries and the keys within relative 1e-4", () => {
    const Tq = 4, Tk = 6, B = 3, Hq = 5, Hk = 4, O = 3;
    const rng = new Random(21);
    const layer = new LuongAttention(Hq, Hk, O, { rng: new Random(22) });
    perturb(layer, rng, 0.3);
    const f32 = (rows: number, cols: number) => randn(rng, rows, cols).clone("float32");
    const q = f32(Tq * B, Hq), k = f32(Tk * B, Hk), R = f32(Tq * B, O);
    const report = compareWithTf({
      params: layer.parameters(),
      inputs: { q, k },
      engine: () => {
        const f = layer.forward(new Sequence(Tq, B, q), new Sequence(Tk, B, k));
        const back = layer.backward(f, new Sequence(Tq, B, R));
        return { loss: dot(f.y.data, R), inputGrads: { q: back.dQueries.data, k: back.dKeys.data } };
      },
      tf: (p, inp) => {
        // [T·B, H] time-major → [B, T, H] batch-major, then the equations as batched products.
        const batchMajor = (x: tf.Tensor2D, T: number) => tf.stack(stepsOf(x, T, B), 1) as tf.Tensor3D;
        const Q = batchMajor(inp.q, Tq), K = batchMajor(inp.k, Tk);
        const S = tf.matMul(tf.matMul(Q.reshape([B * Tq, Hq]), p["attention.Wa"]).reshape([B, Tq, Hk]), K, false, true); // [B, T′, T]
        const A = tf.softmax(S);
        const C = tf.matMul(A, K); // [B, T′, H_k]
        const U = tf.concat([C, Q], 2).reshape([B * Tq, Hk + Hq]);
        const Y = tf.tanh(U.matMul(p["attention.Wc"]).add(p["attention.bc"])).reshape([B, Tq, O]);
        const Rt = tf.stack(stepsOf(tensorOf(R), Tq, B), 1);
        return tf.sum(tf.mul(Y, Rt)) as tf.Scalar;
      },
    });
    expectAgreement(report, 1e-4);
  });
});
