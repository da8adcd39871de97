import { describe, it, expect, beforeAll, afterEach } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Matrix, Parameter, DType, Sequence, jsLinalg, linalg, setLinalg, Linalg, TensorFlowLinalg, useTensorFlowLinalg, gradCheck, GradCheckResult, Dense, Embedding, oneHot, softmax, softmaxCrossEntropy, meanSquaredError, concatColumns, sliceColumns, sigmoid, addBias, addColumnSums } from "../lib/src/nn";
import { expectFinite, NonFiniteError } from "../lib/src/nn";
import { initBackend, Random } from "../lib/src";
import { compareWithTf, expectAgreement, tensorOf } from "./tfgrad";
import { dot, expectGradCheck, randn, relDiff } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

afterEach(() => setLinalg(jsLinalg));

describe("matrix products", () => {
  const A = [[1, 2], [3, 4], [5, 6]]; // [3, 2]
  const B = [[1, 0, 2], [0, 1, 3]]; // [2, 3]
  const AB = [[1, 2, 8], [3, 4, 18], [5, 6, 28]];
  const C = [[1, -1], [2, 0.5]]; // [2, 2]: A·Cᵀ
  const ACt = [[-1, 3], [-1, 8], [-1, 13]];
  const D = [[1, 0], [0, 1], [1, 1]]; // [3, 2]: Aᵀ·D
  const AtD = [[6, 8], [8, 10]];

  const impls: [string, () => Linalg, DType][] = [
    ["jsLinalg float64", () => jsLinalg, "float64"],
    ["jsLinalg float32", () => jsLinalg, "float32"],
    ["tfLinalg float32", () => new TensorFlowLinalg({ minWork: 0 }), "float32"],
    ["tfLinalg float32 through tf.matMul", () => new TensorFlowLinalg({ minWork: 0, directCalls: false }), "float32"],
  ];
  for (const [label, make, dtype] of impls) {
    it(`${label}: A·B, A·Cᵀ, Aᵀ·D match hand-computed values (weights as Matrix and as Parameter)`, () => {
      const mm = make();
      const a = Matrix.from(A, dtype);
      for (const wrap of [(m: Matrix) => m, (m: Matrix) => new Parameter("w", m)]) {
        expect(mm.matmul(a, wrap(Matrix.from(B, dtype))).toArray()).toEqual(AB);
        expect(mm.matmulBT(a, wrap(Matrix.from(C, dtype))).toArray()).toEqual(ACt);
      }
      expect(mm.matmulAT(a, Matrix.from(D, dtype)).toArray()).toEqual(AtD);
      expect(mm.matmul(a, Matrix.from(B, dtype)).dtype).toBe(dtype);
    });
  }

  it("tfLinalg agrees with jsLinalg on random float32 products at the bench shapes (relative 1e-5)", () => {
    const rng = new Random(3);
    const tfl = new TensorFlowLinalg();
    const h = randn(rng, 32, 128, "float32"), W = new Parameter("W", randn(rng, 128, 512, "float32", 0.1));
    const dz = randn(rng, 32, 512, "float32"), X = randn(rng, 96, 128, "float32");
    expect(relDiff(tfl.matmul(h, W), jsLinalg.matmul(h, W))).toBeLessThan(1e-5);
    expect(relDiff(tfl.matmulBT(dz, W), jsLinalg.matmulBT(dz, W))).toBeLessThan(1e-5);
    expect(relDiff(tfl.matmulBT(dz, W.value), jsLinalg.matmulBT(dz, W.value))).toBeLessThan(1e-5);
    const Y = randn(rng, 96, 64, "float32");
    expect(relDiff(tfl.matmulAT(X, Y), jsLinalg.matmulAT(X, Y))).toBeLessThan(1e-5);
    expect(tfl.stats.tfProducts).toBe(4);
    tfl.dispose();
  });

  it("tfLinalg leaves float64 (exact, bit for bit) and tiny products to jsLinalg", () => {
    const rng = new Random(4);
    const tfl = new TensorFlowLinalg({ minWork: 1000 });
    const a = randn(rng, 5, 7), b = new Parameter("b", randn(rng, 7, 6));
    expect(tfl.matmul(a, b).data).toEqual(jsLinalg.matmul(a, b).data);
    expect(tfl.matmulBT(a, randn(rng, 4, 7)).dtype).toBe("float64");
    const small = randn(rng, 2, 3, "float32");
    tfl.matmul(small, randn(rng, 3, 3, "float32")); // 18 multiply-adds < 1000
    expect(tfl.stats).toEqual({ uploads: 0, tfProducts: 0, jsProducts: 3 });
  });

  it("tfLinalg reports shape and precision mismatches like jsLinalg", () => {
    const tfl = new TensorFlowLinalg({ minWork: 0 });
    const a = Matrix.zeros(2, 3);
    expect(() => tfl.matmul(a, Matrix.zeros(4, 2))).toThrow(/matmul: inner dimensions differ: \[2, 3\] and \[4, 2\]/);
    expect(() => tfl.matmulBT(a, Matrix.zeros(2, 4))).toThrow(/matmulBT: inner dimensions differ/);
    expect(() => tfl.matmulAT(a, Matrix.zeros(3, 2))).toThrow(/matmulAT: inner dimensions differ/);
    expect(() => tfl.matmul(a, Matrix.zeros(3, 2, "float64"))).toThrow(/mixed precision \(float32 and float64\)/);
  });

  it("a resident weight is reused while unchanged, and uploaded again after changed() or after an in-place edit without it (for A·W and A·Wᵀ)", () => {
    const tfl = new TensorFlowLinalg({ minWork: 0 });
    const W = new Parameter("W", Matrix.from([[1, 2], [3, 4]]));
    const a = Matrix.from([[1, 1]]);
    expect(tfl.matmul(a, W).toArray()).toEqual([[4, 6]]);
    expect(tfl.matmulBT(a, W).toArray()).toEqual([[3, 7]]);
    expect(tfl.matmul(a, W).toArray()).toEqual([[4, 6]]);
    expect(tfl.stats.uploads).toBe(1); // the cache at work
    expect(tfl.residentTensors()).toBe(2); // W and Wᵀ

    // An in-place edit WITHOUT changed(): detected, never a stale product.
    W.value.set(0, 0, 10);
    expect(tfl.matmul(a, W).toArray()).toEqual([[13, 6]]);
    expect(tfl.matmulBT(a, W).toArray()).toEqual([[12, 7]]);
    expect(tfl.stats.uploads).toBe(2);

    // After changed(): both the weight and its transpose are fresh.
    W.value.set(1, 1, 5);
    W.changed();
    expect(tfl.matmul(a, W).toArray()).toEqual([[13, 7]]);
    expect(tfl.matmulBT(a, W).toArray()).toEqual([[12, 8]]);
    expect(tfl.stats.uploads).toBe(3);
    expect(tfl.residentTensors()).toBe(2); // the old versions were freed
    tfl.dispose();
    expect(tfl.residentTensors()).toBe(0);
  });

  it("tfLinalg does not leak tensors over thousands of products (tf.memory().numTensors stays flat)", () => {
    const rng = new Random(5);
    const tfl = new TensorFlowLinalg({ minWork: 0 });
    const W = new Parameter("W", randn(rng, 16, 24, "float32"));
    const h = randn(rng, 8, 16, "float32"), dz = randn(rng, 8, 24, "float32");
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1500; i++) {
      tfl.matmul(h, W);
      tfl.matmulBT(dz, W);
      tfl.matmulAT(h, dz);
      tfl.matmulBT(dz, W.value);
      if (i % 100 === 0) W.changed(); // re-uploads must free the old copies
    }
    expect(tf.memory().numTensors - before).toBe(tfl.residentTensors());
    expect(tfl.residentTensors()).toBe(2);
    tfl.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("useTensorFlowLinalg starts a backend and makes it the active Linalg", async () => {
    const { linalg: impl, backend } = await useTensorFlowLinalg();
    expect(linalg()).toBe(impl);
    expect(["tensorflow", "wasm", "cpu"]).toContain(backend.name);
    impl.dispose();
  });
});

describe("views", () => {
  it("Matrix.rowsView shares memory with its matrix, and Sequence.at is the view of one step", () => {
    const m = Matrix.from([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const v = m.rowsView(1, 2);
    expect(v.toArray()).toEqual([[3, 4], [5, 6]]);
    v.set(0, 1, 40);
    expect(m.get(1, 1)).toBe(40);
    expect(m.rowsView(4, 0).rows).toBe(0);
    expect(() => m.rowsView(3, 2)).toThrow("Matrix.rowsView: rows [3, 5) are not inside the 4 rows");
    const s = new Sequence(2, 2, m);
    expect(s.at(1).toArray()).toEqual([[5, 6], [7, 8]]);
    expect(() => s.at(2)).toThrow("Sequence.at: step 2 is outside 0..1");
  });
});

describe("element-wise helpers", () => {
  it("sigmoid is finite at the extremes; bias broadcast and its column-sum gradient; concat/slice invert", () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-2)).toBeCloseTo(1 / (1 + Math.exp(2)), 15);
    const z = Matrix.from([[1, 2], [3, 4]]);
    addBias(z, Matrix.from([[10, 20]]));
    expect(z.toArray()).toEqual([[11, 22], [13, 24]]);
    const db = Matrix.from([[1, 1]]);
    addColumnSums(db, z);
    expect(db.toArray()).toEqual([[25, 47]]);
    expect(() => addBias(z, Matrix.zeros(1, 3))).toThrow(/bias: expected shape \[1, 2\], got \[1, 3\]/);
    const c = concatColumns([Matrix.from([[1], [2]]), Matrix.from([[3, 4], [5, 6]])]);
    expect(c.toArray()).toEqual([[1, 3, 4], [2, 5, 6]]);
    expect(sliceColumns(c, 1, 3).toArray()).toEqual([[3, 4], [5, 6]]);
  });
});

describe("Dense", () => {
  it("computes y = x·W + b (hand-computed), on a Matrix and on a Sequence", () => {
    const d = new Dense(2, 2, { rng: new Random(1) });
    d.W.value.data.set([1, 2, 3, 4]);
    d.b.value.data.set([0.5, -0.5]);
    expect(d.forward(Matrix.from([[1, 1], [0, 2]])).y.toArray()).toEqual([[4.5, 5.5], [6.5, 7.5]]);
    const s = d.forward(new Sequence(2, 1, Matrix.from([[1, 1], [0, 2]])));
    expect(s.y).toBeInstanceOf(Sequence);
    expect(s.y.steps).toBe(2);
    expect(s.y.at(1).toArray()).toEqual([[6.5, 7.5]]);
  });

  for (const kind of ["Matrix", "Sequence"] as const) {
    it(`gradient check on a ${kind}, float64, W, b and x: max relative error < 1e-6`, () => {
      const rng = new Random(2);
      const d = new Dense(3, 4, { rng, dtype: "float64" });
      for (let i = 0; i < d.b.value.data.length; i++) d.b.value.data[i] = rng.normal();
      const x = new Parameter("x", randn(rng, 6, 3));
      const R = randn(rng, 6, 4);
      // L = Σ R ⊙ y + ½ Σ y², so dy = R + y.
      const run = (): { y: Matrix; backward: (dy: Matrix) => Matrix } => {
        if (kind === "Matrix") {
          const f = d.forward(x.value);
          return { y: f.y, backward: (dy) => d.backward(f, dy) };
        }
        const f = d.forward(new Sequence(3, 2, x.value));
        return { y: f.y.data, backward: (dy) => d.backward(f, new Sequence(3, 2, dy)).data };
      };
      const loss = () => {
        const { y } = run();
        return dot(y, R) + 0.5 * dot(y, y);
      };
      const params = [...d.parameters(), x];
      const results = gradCheck(params, loss, () => {
        params.forEach((p) => p.zeroGrad());
        const { y, backward } = run();
        const dy = R.clone();
        for (let i = 0; i < dy.data.length; i++) dy.data[i] += y.data[i];
        x.grad.data.set(backward(dy).data);
      });
      expectGradCheck(params, results, 1e-6);
    });
  }

  it("backward ADDS into grad (two backward passes give twice the gradient)", () => {
    const d = new Dense(2, 3, { rng: new Random(3), dtype: "float64" });
    const f = d.forward(randn(new Random(4), 5, 2));
    const dy = randn(new Random(5), 5, 3);
    d.backward(f, dy);
    const once = Float64Array.from(d.W.grad.data);
    d.backward(f, dy);
    expect(Array.from(d.W.grad.data)).toEqual(Array.from(once, (g) => 2 * g));
  });

  it("agrees with TensorFlow.js autodiff (Dense → softmax cross-entropy, float32, relative 1e-4)", () => {
    const rng = new Random(6);
    const d = new Dense(5, 7, { rng });
    for (let i = 0; i < d.b.value.data.length; i++) d.b.value.data[i] = rng.normal();
    const x = randn(rng, 9, 5, "float32");
    const targets = Array.from({ length: 9 }, () => rng.int(7));
    const report = compareWithTf({
      params: d.parameters(),
      inputs: { x },
      engine: () => {
        const f = d.forward(x);
        const { loss, dLogits } = softmaxCrossEntropy(f.y, targets);
        return { loss, inputGrads: { x: d.backward(f, dLogits) } };
      },
      tf: (p, inp) => {
        const logits = inp.x.matMul(p["dense.W"]).add(p["dense.b"]);
        return tf.losses.softmaxCrossEntropy(tf.oneHot(targets, 7), logits) as tf.Scalar;
      },
    });
    expectAgreement(report, 1e-4);
  });

  it("rejects an input of the wrong width or precision, naming the tensor and the expected shape", () => {
    const d = new Dense(3, 2, { rng: new Random(1) });
    expect(() => d.forward(Matrix.zeros(4, 5))).toThrow(/Dense: input x: expected shape \[rows, input\] = \[4, 3\], got \[4, 5\]/);
    expect(() => d.forward(Matrix.zeros(4, 3, "float64"))).toThrow(/Dense: input x is float64 but the parameters are float32/);
    const f = d.forward(Matrix.zeros(4, 3));
    expect(() => d.backward(f, Matrix.zeros(4, 3))).toThrow(/Dense.backward: dy: expected shape \[rows, output\] = \[4, 2\], got \[4, 3\]/);
    expect(() => new Dense(0, 2, { rng: new Random(1) })).toThrow(/Dense: inputSize must be a positive integer, got 0/);
  });

  it("rejects a NaN or infinite input, naming the row and column, on a matrix and on a sequence", () => {
    const d = new Dense(3, 2, { rng: new Random(1) });
    const x = Matrix.zeros(4, 3);
    x.set(2, 1, NaN);
    expect(() => d.forward(x)).toThrow(/^Dense: input x holds NaN at row 2, column 1$/);
    x.set(2, 1, -Infinity);
    expect(() => d.forward(new Sequence(2, 2, x))).toThrow(/^Dense: input x holds -Infinity at row 2, column 1$/);
  });
});

describe("Embedding and oneHot", () => {
  it("looks up rows: the same as oneHot(ids)·E; as a time-major Sequence when given a batch", () => {
    const e = new Embedding(5, 3, { rng: new Random(1), dtype: "float64" });
    const ids = [4, 0, 2, 4];
    const y = e.forward(ids).y;
    expect(y.toArray()).toEqual(jsLinalg.matmul(oneHot(ids, 5, "float64"), e.E.value).toArray());
    expect(oneHot([1, 0], 3).toArray()).toEqual([[0, 1, 0], [1, 0, 0]]);
    const s = e.forward(ids, 2).y;
    expect([s.steps, s.batch, s.features]).toEqual([2, 2, 3]);
    expect(s.at(1).toArray()).toEqual(y.toArray().slice(2));
  });

  it("gradient check with repeated ids (scatter-add), float64: max relative error < 1e-6", () => {
    const rng = new Random(2);
    const e = new Embedding(6, 4, { rng, dtype: "float64" });
    const ids = [1, 3, 1, 5, 1, 0]; // id 1 three times, ids 2 and 4 never
    const R = randn(rng, 6, 4);
    const loss = () => {
      const y = e.forward(ids).y;
      return dot(y, R) + 0.5 * dot(y, y);
    };
    const results = gradCheck(e.parameters(), loss, () => {
      e.E.zeroGrad();
      const f = e.forward(ids);
      const dy = R.clone();
      for (let i = 0; i < dy.data.length; i++) dy.data[i] += f.y.data[i];
      e.backward(f, dy);
    });
    expectGradCheck(e.parameters(), results, 1e-6);
    // Rows never looked up get no gradient; row 1 gets the sum of its three rows of dy.
    expect(Array.from(e.E.grad.data.subarray(8, 12))).toEqual([0, 0, 0, 0]);
  });

  it("agrees with TensorFlow.js autodiff of oneHot(ids)·E (float32, relative 1e-4)", () => {
    const rng = new Random(3);
    const e = new Embedding(7, 3, { rng });
    const ids = [2, 6, 2, 0, 3, 2];
    const target = randn(rng, 6, 3, "float32");
    const report = compareWithTf({
      params: e.parameters(),
      engine: () => {
        const f = e.forward(ids, 2);
        const { loss, dPrediction } = meanSquaredError(f.y, target);
        e.backward(f, dPrediction);
        return { loss };
      },
      // (tf.gather's gradient has no wasm kernel; the one-hot product is the same function.)
      tf: (p) => tf.losses.meanSquaredError(tensorOf(target), tf.oneHot(ids, 7).toFloat().matMul(p["embedding.E"])) as tf.Scalar,
    });
    expectAgreement(report, 1e-4);
  });

  it("rejects ids outside the vocabulary, naming the tensor, the id and the valid range", () => {
    const e = new Embedding(5, 2, { rng: new Random(1) });
    expect(() => e.forward([0, 1, 7])).toThrow(/Embedding: ids\[2\] = 7 is not a vocabulary id: valid ids are 0\.\.4/);
    expect(() => e.forward([-1])).toThrow(/ids\[0\] = -1 is not a vocabulary id/);
    expect(() => e.forward([1.5])).toThrow(/ids\[0\] = 1.5 is not a vocabulary id/);
    expect(() => oneHot([3, 9], 4)).toThrow(/oneHot: ids\[1\] = 9 is not a vocabulary id: valid ids are 0\.\.3/);
    expect(() => e.forward([1, 2, 3], 2)).toThrow(/Embedding: ids has 3 entries, not a whole number of steps of batch 2/);
    const f = e.forward([1, 2]);
    expect(() => e.backward(f, Matrix.zeros(2, 3))).toThrow(/Embedding.backward: dy: expected shape \[ids, dim\] = \[2, 2\], got \[2, 3\]/);
  });
});

describe("losses", () => {
  it("softmax cross-entropy: hand-computed values, in nats", () => {
    // Uniform logits over 2 classes: ln 2; logits (0, ln 3) with target 1: −ln(3/4).
    const r = softmaxCrossEntropy(Matrix.from([[0, 0], [0, Math.log(3)]], "float64"), [0, 1]);
    expect(r.loss).toBeCloseTo((Math.log(2) - Math.log(3 / 4)) / 2, 12);
    expect(r.count).toBe(2);
    expect(r.dLogits.toArray()[0]).toEqual([-0.25, 0.25]); // (p − onehot)/N
    expect(softmax(Matrix.from([[0, Math.log(3)]], "float64")).toArray()[0][1]).toBeCloseTo(0.75, 15);
  });

  it("softmax cross-entropy stays finite and exact for huge logits (log-sum-exp)", () => {
    const r = softmaxCrossEntropy(Matrix.from([[1000, 0], [-1000, 1000], [5000, 5000]], "float64"), [1, 0, 0]);
    expect(r.loss).toBeCloseTo((1000 + 2000 + Math.log(2)) / 3, 9);
    expect(r.dLogits.data.every(Number.isFinite)).toBe(true);
  });

  it("gradient check of softmax cross-entropy with a mask and an ignore index, float64: max relative error < 1e-6", () => {
    const rng = new Random(4);
    const logits = new Parameter("logits", randn(rng, 6, 5, "float64", 2));
    const targets = [0, 4, -100, 2, 2, 1];
    const mask = [1, 1, 1, 0, 0.5, 1];
    const options = { mask, ignoreIndex: -100 };
    const results = gradCheck([logits], () => softmaxCrossEntropy(logits.value, targets, options).loss, () => {
      logits.zeroGrad();
      logits.grad.data.set(softmaxCrossEntropy(logits.value, targets, options).dLogits.data);
    });
    expectGradCheck([logits], results, 1e-6);
    const r = softmaxCrossEntropy(logits.value, targets, options);
    expect(r.count).toBe(3.5);
    expect(Array.from(r.dLogits.data.subarray(10, 20)).every((g) => g === 0)).toBe(true); // ignored and masked rows
    // Nothing left to score: loss 0 only when asked for (allowEmpty), an error otherwise.
    expect(softmaxCrossEntropy(logits.value, targets, { mask: [0, 0, 0, 0, 0, 0], ignoreIndex: -100, allowEmpty: true }).loss).toBe(0);
  });

  it("gradient check of mean squared error, float64: max relative error < 1e-6; value by hand", () => {
    expect(meanSquaredError(Matrix.from([[1, 2]]), Matrix.from([[0, 4]])).loss).toBe(2.5);
    const rng = new Random(5);
    const yHat = new Parameter("prediction", randn(rng, 4, 3));
    const y = randn(rng, 4, 3);
    const results = gradCheck([yHat], () => meanSquaredError(yHat.value, y).loss, () => {
      yHat.grad.data.set(meanSquaredError(yHat.value, y).dPrediction.data);
    });
    expectGradCheck([yHat], results, 1e-6);
  });

  it("cross-entropy with a mask agrees with TensorFlow.js weighted softmax cross-entropy (float32, relative 1e-4)", () => {
    const rng = new Random(6);
    const logits = new Parameter("logits", randn(rng, 8, 6, "float32", 3));
    const targets = Array.from({ length: 8 }, () => rng.int(6));
    const mask = [1, 0, 1, 1, 0, 1, 1, 1];
    const report = compareWithTf({
      params: [logits],
      engine: () => {
        const r = softmaxCrossEntropy(logits.value, targets, { mask });
        logits.grad.data.set(r.dLogits.data);
        return { loss: r.loss };
      },
      // SUM_BY_NONZERO_WEIGHTS: Σ w_i ℓ_i / #(w_i ≠ 0), our mean over counted rows.
      tf: (p) => tf.losses.softmaxCrossEntropy(tf.oneHot(targets, 6), p.logits, tf.tensor1d(mask)) as tf.Scalar,
    });
    expectAgreement(report, 1e-4);
  });

  it("rejects mismatched shapes and bad targets, naming the tensor and the expected shape", () => {
    const z = Matrix.zeros(3, 4);
    expect(() => softmaxCrossEntropy(z, [0, 1])).toThrow(/softmaxCrossEntropy: targets has 2 entries, expected 3 \(one per row of logits \[3, 4\]\)/);
    expect(() => softmaxCrossEntropy(z, [0, 1, 4])).toThrow(/targets\[2\] = 4 is not a class of logits \[3, 4\]: valid targets are 0\.\.3/);
    expect(() => softmaxCrossEntropy(z, [0, 1, 2], { mask: [1, 1] })).toThrow(/mask has 2 entries, expected 3/);
    expect(() => softmaxCrossEntropy(z, [0, 1, 2], { mask: [1, -1, 1] })).toThrow(/mask\[1\] = -1/);
    expect(() => meanSquaredError(z, Matrix.zeros(4, 3))).toThrow(/meanSquaredError: target: expected shape \[3, 4\] \(the prediction's\), got \[4, 3\]/);
  });

  it("a fully masked cross-entropy is an error, not a loss of 0 (unless allowEmpty)", () => {
    const z = randn(new Random(8), 3, 4, "float64");
    expect(() => softmaxCrossEntropy(z, [0, 1, 2], { mask: [0, 0, 0] })).toThrow(
      /^softmaxCrossEntropy: no target left to score: every position is masked \(all 3 rows have a mask weight of 0\); pass \{ allowEmpty: true \} to get loss 0 and count 0$/,
    );
    expect(() => softmaxCrossEntropy(z, [-100, -100, -100], { ignoreIndex: -100 })).toThrow(
      /no target left to score: every position is masked \(all 3 rows have the target ignoreIndex = -100\)/,
    );
    expect(() => softmaxCrossEntropy(z, [-100, 1, 2], { ignoreIndex: -100, mask: [1, 0, 0] })).toThrow(/a mask weight of 0 or the target ignoreIndex = -100/);
    expect(() => softmaxCrossEntropy(Matrix.zeros(0, 4, "float64"), [])).toThrow(/no target left to score: the logits have no rows/);
    const empty = softmaxCrossEntropy(z, [0, 1, 2], { mask: [0, 0, 0], allowEmpty: true });
    expect(empty).toMatchObject({ loss: 0, count: 0 });
    expect(empty.dLogits.data.every((g) => g === 0)).toBe(true);
    // One row left is enough.
    expect(softmaxCrossEntropy(z, [0, 1, 2], { mask: [0, 0, 1] }).count).toBe(1);
  });

  it("refuses NaN and infinite logits, predictions and targets, naming the tensor and the element", () => {
    const z = Matrix.from([[0, 1, 2], [3, 4, 5]], "float64");
    z.set(1, 2, NaN);
    expect(() => softmaxCrossEntropy(z, [0, 1])).toThrow(/^softmaxCrossEntropy: logits holds NaN at row 1, column 2$/);
    const seq = new Sequence(2, 1, Matrix.from([[0, 1, 2], [Infinity, 0, 0]], "float32"));
    expect(() => softmaxCrossEntropy(seq, [0, 1])).toThrow(/^softmaxCrossEntropy: logits holds Infinity at row 1, column 0$/);
    // Even in a masked row: NaN logits mean the network itself is broken.
    expect(() => softmaxCrossEntropy(z, [0, 1], { mask: [1, 0] })).toThrow(NonFiniteError);
    const y = Matrix.from([[1, 2], [3, 4]], "float64");
    expect(() => meanSquaredError(Matrix.from([[1, -Infinity], [0, 0]], "float64"), y)).toThrow(/^meanSquaredError: prediction holds -Infinity at row 0, column 1$/);
    expect(() => meanSquaredError(y, Matrix.from([[1, 2], [NaN, 4]], "float64"))).toThrow(/^meanSquaredError: target holds NaN at row 1, column 0$/);
    expect(() => meanSquaredError(Matrix.zeros(0, 2), Matrix.zeros(0, 2))).toThrow(/^meanSquaredError: the prediction \[0, 2\] is empty: no element to score$/);
  });
});

describe("expectFinite", () => {
  it("passes finite matrices and names the first NaN or infinity by row and column", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const m = randn(new Random(1), 5, 4, dtype);
      expect(() => expectFinite("LSTM", "input x", m)).not.toThrow();
      m.set(3, 1, NaN);
      m.set(4, 0, Infinity);
      expect(() => expectFinite("LSTM", "input x", m)).toThrow(/^LSTM: input x holds NaN at row 3, column 1$/);
      m.set(3, 1, 0);
      const error = (() => {
        try {
          expectFinite("LSTM", "input x", m);
        } catch (e) {
          return e as NonFiniteError;
        }
      })();
      expect(error).toBeInstanceOf(NonFiniteError);
      expect(error).toMatchObject({ layer: "LSTM", tensor: "input x", row: 4, col: 0, value: Infinity, message: "LSTM: input x holds Infinity at row 4, column 0" });
    }
    // Past the last multiple of four elements (the scan's unrolled part) too.
    const tail = Matrix.from([[1, 2, 3, 4, 5, 6, 7]], "float64");
    tail.set(0, 6, NaN);
    expect(() => expectFinite("Dense", "input x", tail)).toThrow(/^Dense: input x holds NaN at row 0, column 6$/);
    // −0 and the extremes of float32 and float64 are finite.
    expect(() => expectFinite("t", "m", Matrix.from([[-0, 3.4e38, -Number.MAX_VALUE, 5e-324]], "float64"))).not.toThrow();
    expect(() => expectFinite("t", "m", Matrix.zeros(0, 3))).not.toThrow();
  });
});
