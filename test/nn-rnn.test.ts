import { describe, it, expect, beforeAll, afterEach } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Matrix, Parameter, DType, Sequence, jsLinalg, setLinalg, TensorFlowLinalg, gradCheck, GradCheckResult, RecurrentLayer, RecurrentState, RNN, Stacked, LayeredState, SkipConnections, Bidirectional, reverseSteps, Dense, softmaxCrossEntropy, truncatedBPTT, truncatedWindows, ModelStep } from "../lib/src/nn";
import { initBackend, Random } from "../lib/src";
import { compareWithTf, expectAgreement, stepsOf, tensorOf } from "./tfgrad";
import { dot, expectGradCheck, randn } from "./helpers";

/** Gives every parameter random values (biases too, so they matter). */
function randomize(params: Parameter[], rng: Random, std = 0.6): void {
  for (const p of params) {
    for (let i = 0; i < p.value.data.length; i++) p.value.data[i] = rng.normal(0, std);
    p.changed();
  }
}

/** The matrices a state really consists of: a wrapper's inner states (its `h` is derived), else h and c. */
function leaves(s: RecurrentState): Matrix[] {
  if ("layers" in s) return (s as LayeredState).layers.flatMap(leaves);
  return s.c ? [s.h, s.c] : [s.h];
}

/** The same structure with every leaf replaced (used to build random states and dLast). */
function mapState(s: RecurrentState, f: (m: Matrix) => Matrix): RecurrentState {
  if ("layers" in s) {
    const layers = (s as LayeredState).layers.map((l) => mapState(l, f));
    return { h: f(s.h), layers } as LayeredState;
  }
  return s.c ? { h: f(s.h), c: f(s.c) } : { h: f(s.h) };
}

/**
 * Finite-difference check of any recurrent layer (float64): its parameters,
 * its input x and, optionally, its first state. The loss is linear in the
 * outputs with random weights, L = Σ R ⊙ h (+ Σ R_last ⊙ last state), so
 * dh = R and dLast = R_last.
 */
function checkRecurrent(layer: RecurrentLayer, opts: { withFirst: boolean; withDLast: boolean; steps?: number; batch?: number }, seed = 11): void {
  const T = opts.steps ?? 4, B = opts.batch ?? 2;
  const rng = new Random(seed);
  randomize(layer.parameters(), rng);
  const x = new Parameter("x", randn(rng, T * B, layer.inputSize));
  const first = opts.withFirst ? mapState(layer.initialState(B, "float64"), (m) => randn(rng, m.rows, m.cols, "float64", 0.5)) : undefined;
  const firstParams = first ? leaves(first).map((m, i) => new Parameter(`first[${i}]`, m)) : [];
  const R = randn(rng, T * B, layer.hiddenSize);
  const dLast = opts.withDLast ? mapState(layer.initialState(B, "float64"), (m) => randn(rng, m.rows, m.cols)) : undefined;

  const loss = (): number => {
    const f = layer.forward(new Sequence(T, B, x.value), first);
    let L = dot(f.h.data, R);
    if (dLast) leaves(f.last).forEach((m, i) => (L += dot(m, leaves(dLast)[i])));
    return L;
  };
  const params = [...layer.parameters(), x, ...firstParams];
  const results = gradCheck(params, loss, () => {
    params.forEach((p) => p.zeroGrad());
    const f = layer.forward(new Sequence(T, B, x.value), first);
    const b = layer.backward(f, new Sequence(T, B, R), dLast);
    x.grad.data.set(b.dx.data.data);
    leaves(b.dFirst).forEach((m, i) => firstParams[i]?.grad.data.set(m.data));
  });
  expectGradCheck(params, results, 1e-6);
}

/** The RNN written with tf ops: the h of every step. */
function tfRnn(x: tf.Tensor2D, p: Record<string, tf.Tensor2D>, name: string, T: number, B: number, h0?: tf.Tensor2D): tf.Tensor2D[] {
  let h = h0 ?? (tf.zeros([B, p[`${name}.Whh`].shape[0]]) as tf.Tensor2D);
  return stepsOf(x, T, B).map((xt) => (h = tf.tanh(xt.matMul(p[`${name}.Wxh`]).add(h.matMul(p[`${name}.Whh`])).add(p[`${name}.bh`])) as tf.Tensor2D));
}

beforeAll(async () => {
  await initBackend();
});

afterEach(() => setLinalg(jsLinalg));

describe("RNN", () => {
  it("computes h_t = tanh(x_t·Wxh + h_{t−1}·Whh + bh) (hand-computed, one unit)", () => {
    const rnn = new RNN(1, 1, { rng: new Random(1), dtype: "float64" });
    rnn.Wxh.value.data[0] = 0.5;
    rnn.Whh.value.data[0] = 0.8;
    rnn.bh.value.data[0] = 0.1;
    const f = rnn.forward(new Sequence(2, 1, Matrix.from([[1], [2]], "float64")), { h: Matrix.from([[-0.5]], "float64") });
    const h1 = Math.tanh(0.5 + 0.8 * -0.5 + 0.1);
    const h2 = Math.tanh(1.0 + 0.8 * h1 + 0.1);
    expect(f.h.data.data[0]).toBeCloseTo(h1, 15);
    expect(f.h.data.data[1]).toBeCloseTo(h2, 15);
    expect(f.last.h.toArray()).toEqual([[f.h.data.data[1]]]);
  });

  it("continues across segments: two halves with the state carried equal one run", () => {
    const rnn = new RNN(3, 4, { rng: new Random(2), dtype: "float64" });
    const x = new Sequence(6, 2, randn(new Random(3), 12, 3));
    const whole = rnn.forward(x);
    const a = rnn.forward(x.slice(0, 4));
    const b = rnn.forward(x.slice(4, 6), a.last);
    expect(Array.from(b.h.data.data)).toEqual(Array.from(whole.h.data.data.subarray(4 * 2 * 4)));
  });

  for (const withFirst of [false, true]) {
    for (const withDLast of [false, true]) {
      it(`gradient check, float64, ${withFirst ? "given" : "zero"} first state, ${withDLast ? "nonzero" : "no"} dLast: max relative error < 1e-6`, () => {
        checkRecurrent(new RNN(3, 5, { rng: new Random(4), dtype: "float64" }), { withFirst, withDLast, steps: 5 });
      });
    }
  }

  it("agrees with TensorFlow.js autodiff (given first state, dLast, dx; float32, relative 1e-4)", () => {
    const rng = new Random(5);
    const [T, B, I, H] = [6, 3, 4, 5];
    const rnn = new RNN(I, H, { rng });
    randomize(rnn.parameters(), rng);
    const x = randn(rng, T * B, I, "float32"), h0 = randn(rng, B, H, "float32", 0.5);
    const R = randn(rng, T * B, H, "float32"), RLast = randn(rng, B, H, "float32");
    const report = compareWithTf({
      params: rnn.parameters(),
      inputs: { x, h0 },
      engine: () => {
        const f = rnn.forward(new Sequence(T, B, x), { h: h0 });
        const b = rnn.backward(f, new Sequence(T, B, R), { h: RLast });
        return { loss: dot(f.h.data, R) + dot(f.last.h, RLast), inputGrads: { x: b.dx.data, h0: b.dFirst.h } };
      },
      tf: (p, inp) => {
        const hs = tfRnn(inp.x, p, "rnn", T, B, inp.h0);
        return tf.sum(tf.concat(hs).mul(tensorOf(R))).add(tf.sum(hs[T - 1].mul(tensorOf(RLast)))) as tf.Scalar;
      },
    });
    expectAgreement(report, 1e-4);
  });

  it("gives the same forward and gradients on tfLinalg as on jsLinalg (float32, relative 1e-4)", () => {
    const run = () => {
      const rng = new Random(6);
      const rnn = new RNN(16, 64, { rng });
      const x = new Sequence(8, 32, randn(rng, 8 * 32, 16, "float32"));
      const f = rnn.forward(x);
      const b = rnn.backward(f, new Sequence(8, 32, randn(rng, 8 * 32, 64, "float32")));
      return [f.h.data, b.dx.data, ...rnn.parameters().map((p) => p.grad)];
    };
    const expected = run();
    const tfl = new TensorFlowLinalg();
    setLinalg(tfl);
    const got = run();
    expect(tfl.stats.tfProducts).toBeGreaterThan(0);
    got.forEach((m, i) => {
      expect(m.dtype).toBe("float32");
      let d = 0, s = 0;
      for (let j = 0; j < m.data.length; j++) {
        d = Math.max(d, Math.abs(m.data[j] - expected[i].data[j]));
        s = Math.max(s, Math.abs(expected[i].data[j]));
      }
      expect(d / s, `tensor ${i}`).toBeLessThan(1e-4);
    });
    tfl.dispose();
  });

  it("rejects bad inputs, naming the tensor and the expected shape", () => {
    const rnn = new RNN(3, 4, { rng: new Random(1) });
    expect(() => rnn.forward(Sequence.zeros(5, 2, 6))).toThrow(/RNN: input x: expected shape \[T·B, input\] = \[10, 3\], got \[10, 6\]/);
    expect(() => rnn.forward(Sequence.zeros(5, 2, 3), { h: Matrix.zeros(3, 4) })).toThrow(/RNN: first.h: expected shape \[batch, hidden\] = \[2, 4\], got \[3, 4\]/);
    expect(() => rnn.forward(Sequence.zeros(5, 2, 3, "float64"))).toThrow(/RNN: input x is float64 but the parameters are float32/);
    const f = rnn.forward(Sequence.zeros(5, 2, 3));
    expect(() => rnn.backward(f, Sequence.zeros(5, 2, 3))).toThrow(/RNN.backward: dh: expected shape \[T·B, hidden\] = \[10, 4\], got \[10, 3\]/);
    expect(() => rnn.backward(f, Sequence.zeros(5, 2, 4), { h: Matrix.zeros(1, 4) })).toThrow(/RNN.backward: dLast.h: expected shape \[batch, hidden\] = \[2, 4\], got \[1, 4\]/);
    expect(() => Sequence.zeros(0, 2, 3)).toThrow(/at least one time step/);
    expect(() => new RNN(3, 0, { rng: new Random(1) })).toThrow(/RNN: hiddenSize must be a positive integer, got 0/);
  });
});

describe("Stacked", () => {
  const make = (skip: SkipConnections, dtype: DType = "float64") => {
    const rng = new Random(21);
    const bottom = new RNN(3, 4, { rng, dtype, name: "l0" });
    const top = new RNN(skip === "concat" ? 3 + 4 : 4, 4, { rng, dtype, name: "l1" });
    return new Stacked([bottom, top], { skip });
  };

  it("names each parameter by its position, so two default-named layers are told apart; refuses one layer object twice", () => {
    const rng = new Random(22);
    const stack = new Stacked([new RNN(3, 4, { rng }), new RNN(4, 4, { rng })]);
    expect(stack.parameters().map((p) => p.name)).toEqual([
      "layers.0.rnn.Wxh", "layers.0.rnn.Whh", "layers.0.rnn.bh", "layers.1.rnn.Wxh", "layers.1.rnn.Whh", "layers.1.rnn.bh",
    ]);
    const shared = new RNN(4, 4, { rng });
    expect(() => new Stacked([shared, shared])).toThrow(/the same layer object appears twice/);
  });

  for (const skip of ["none", "residual", "concat"] as const) {
    it(`gradient check of 2 layers, skip "${skip}", float64, given first state and dLast: max relative error < 1e-6`, () => {
      checkRecurrent(make(skip), { withFirst: true, withDLast: true });
    });
  }

  it("outputs: none = top h; residual = h_1 + h_0; concat = [h_0, h_1] (checked against the layers run by hand)", () => {
    const x = new Sequence(3, 2, randn(new Random(22), 6, 3));
    for (const skip of ["none", "residual", "concat"] as const) {
      const s = make(skip);
      const [l0, l1] = s.layers;
      const h0 = l0.forward(x).h;
      const input1 = skip === "concat"
        ? Sequence.stack(Array.from({ length: 3 }, (_, t) => Matrix.from(x.at(t).toArray().map((r, b) => [...r, ...h0.at(t).toArray()[b]]), "float64")))
        : h0;
      const h1 = l1.forward(input1).h;
      const expected = h1.data.toArray().map((row, i) =>
        skip === "none" ? row : skip === "residual" ? row.map((v, j) => v + h0.data.get(i, j)) : [...h0.data.toArray()[i], ...row]);
      const f = s.forward(x);
      expect(f.h.data.toArray()).toEqual(expected);
      expect(s.hiddenSize).toBe(skip === "concat" ? 8 : 4);
      expect(f.last.layers).toHaveLength(2);
      expect(f.last.h).toBe(f.last.layers[1].h);
    }
  });

  it("agrees with TensorFlow.js autodiff (residual, float32, relative 1e-4)", () => {
    const s = make("residual", "float32");
    const rng = new Random(23);
    randomize(s.parameters(), rng);
    const [T, B] = [5, 2];
    const x = randn(rng, T * B, 3, "float32"), R = randn(rng, T * B, 4, "float32");
    const report = compareWithTf({
      params: s.parameters(),
      inputs: { x },
      engine: () => {
        const f = s.forward(new Sequence(T, B, x));
        return { loss: dot(f.h.data, R), inputGrads: { x: s.backward(f, new Sequence(T, B, R)).dx.data } };
      },
      tf: (p, inp) => {
        const h0 = tfRnn(inp.x, p, "layers.0.l0", T, B);
        const h1 = tfRnn(tf.concat(h0), p, "layers.1.l1", T, B);
        return tf.sum(tf.concat(h1).add(tf.concat(h0)).mul(tensorOf(R))) as tf.Scalar;
      },
    });
    expectAgreement(report, 1e-4);
  });

  it("rejects layers that do not fit together and states without per-layer entries", () => {
    const rng = new Random(1);
    expect(() => new Stacked([new RNN(3, 4, { rng }), new RNN(5, 4, { rng })])).toThrow(/Stacked: layer 1 has inputSize 5, expected 4 \(layer 0's hiddenSize\)/);
    expect(() => new Stacked([new RNN(3, 4, { rng }), new RNN(4, 6, { rng })], { skip: "residual" })).toThrow(/residual connections need equal widths, but layer 1 has hiddenSize 6 and layer 0 has 4/);
    expect(() => new Stacked([new RNN(3, 4, { rng }), new RNN(4, 4, { rng })], { skip: "concat" })).toThrow(/layer 1 has inputSize 4, expected 7 \(the stack's input 3 \+ layer 0's hidden 4\)/);
    const s = new Stacked([new RNN(3, 4, { rng }), new RNN(4, 4, { rng })]);
    expect(() => s.forward(Sequence.zeros(2, 1, 3), { h: Matrix.zeros(1, 4), layers: [{ h: Matrix.zeros(1, 4) }] })).toThrow(/Stacked: first must be a LayeredState with one state per inner layer \(2\)/);
    expect(() => s.forward(Sequence.zeros(2, 1, 5))).toThrow(/RNN: input x: expected shape \[T·B, input\] = \[2, 3\], got \[2, 5\]/);
  });
});

describe("Bidirectional", () => {
  const make = (dtype: DType = "float64") => {
    const rng = new Random(31);
    return new Bidirectional(new RNN(3, 4, { rng, dtype, name: "fw" }), new RNN(3, 2, { rng, dtype, name: "bw" }));
  };

  it("names each parameter by its direction; refuses one layer object for both", () => {
    const rng = new Random(33);
    const bi = new Bidirectional(new RNN(3, 2, { rng }), new RNN(3, 2, { rng }));
    expect(bi.parameters().map((p) => p.name)).toEqual([
      "forward.rnn.Wxh", "forward.rnn.Whh", "forward.rnn.bh", "backward.rnn.Wxh", "backward.rnn.Whh", "backward.rnn.bh",
    ]);
    const one = new RNN(3, 2, { rng });
    expect(() => new Bidirectional(one, one)).toThrow(/two layer objects/);
  });

  it("output t is [→h_t, ←h_t], ←h from the backward layer run on the reversed steps", () => {
    const bi = make();
    const x = new Sequence(4, 2, randn(new Random(32), 8, 3));
    const f = bi.forward(x);
    const fw = bi.forwardLayer.forward(x).h;
    const reversed = Sequence.stack([3, 2, 1, 0].map((t) => x.at(t)));
    const bw = bi.backwardLayer.forward(reversed).h;
    for (let t = 0; t < 4; t++) {
      expect(f.h.at(t).toArray()).toEqual(fw.at(t).toArray().map((row, b) => [...row, ...bw.at(3 - t).toArray()[b]]));
    }
    expect(reverseSteps(x).data.toArray()).toEqual(reversed.data.toArray());
    expect(f.h.features).toBe(6);
    expect(f.last.layers).toHaveLength(2);
  });

  it("gradient check, float64, given first states and dLast: max relative error < 1e-6", () => {
    checkRecurrent(make(), { withFirst: true, withDLast: true });
  });

  it("gradient check, float64, zero first state, no dLast: max relative error < 1e-6", () => {
    checkRecurrent(make(), { withFirst: false, withDLast: false, steps: 5, batch: 3 });
  });

  it("agrees with TensorFlow.js autodiff (float32, relative 1e-4)", () => {
    const bi = make("float32");
    const rng = new Random(33);
    randomize(bi.parameters(), rng);
    const [T, B] = [5, 2];
    const x = randn(rng, T * B, 3, "float32"), R = randn(rng, T * B, 6, "float32");
    const report = compareWithTf({
      params: bi.parameters(),
      inputs: { x },
      engine: () => {
        const f = bi.forward(new Sequence(T, B, x));
        return { loss: dot(f.h.data, R), inputGrads: { x: bi.backward(f, new Sequence(T, B, R)).dx.data } };
      },
      tf: (p, inp) => {
        const fw = tfRnn(inp.x, p, "forward.fw", T, B);
        const bw = tfRnn(tf.concat(stepsOf(inp.x, T, B).reverse()), p, "backward.bw", T, B).reverse();
        return tf.sum(tf.concat([tf.concat(fw), tf.concat(bw)], 1).mul(tensorOf(R))) as tf.Scalar;
      },
    });
    expectAgreement(report, 1e-4);
  });

  it("rejects directions that read different inputs, and a dh of the wrong width", () => {
    const rng = new Random(1);
    expect(() => new Bidirectional(new RNN(3, 4, { rng }), new RNN(2, 4, { rng }))).toThrow(/Bidirectional: both directions read the same input, but their inputSizes are 3 and 2/);
    const bi = make();
    const f = bi.forward(Sequence.zeros(2, 1, 3, "float64"));
    expect(() => bi.backward(f, Sequence.zeros(2, 1, 4, "float64"))).toThrow(/Bidirectional.backward: dh: expected shape \[T·B, Hf \+ Hb\] = \[2, 6\], got \[2, 4\]/);
  });
});

describe("truncated BPTT", () => {
  const [T, B, I, H, V] = [10, 2, 3, 4, 5];

  /** A small model: RNN → Dense → softmax cross-entropy, over one fixed sequence. */
  function setup(seed = 41) {
    const rng = new Random(seed);
    const rnn = new RNN(I, H, { rng, dtype: "float64" });
    const dense = new Dense(H, V, { rng, dtype: "float64" });
    randomize([...rnn.parameters(), ...dense.parameters()], rng);
    const x = new Sequence(T, B, randn(rng, T * B, I));
    const targets = Array.from({ length: T * B }, () => rng.int(V));
    const params = [...rnn.parameters(), ...dense.parameters()];
    /** Mean cross-entropy of steps [lossFrom, to) after running [from, to) from `first`. */
    const window = (from: number, lossFrom: number, to: number, first?: RecurrentState) => {
      const f = rnn.forward(x.slice(from, to), first);
      const o = dense.forward(f.h);
      const mask = Array.from({ length: (to - from) * B }, (_, r) => (from + Math.floor(r / B) >= lossFrom ? 1 : 0));
      // lossFrom = to: truncatedBPTT only advancing the state, nothing to score.
      const ce = softmaxCrossEntropy(o.y, targets.slice(from * B, to * B), { mask, allowEmpty: lossFrom === to });
      return { loss: ce.loss, f, backward: () => rnn.backward(f, dense.backward(o, ce.dLogits)) };
    };
    const step: ModelStep<RecurrentState | undefined> = (w, first) => {
      const r = window(w.from, w.lossFrom, w.to, first);
      return { loss: r.loss, last: r.f.last, backward: () => void r.backward() };
    };
    const grads = () => params.map((p) => Array.from(p.grad.data));
    const zero = () => params.forEach((p) => p.zeroGrad());
    return { rnn, dense, x, targets, params, window, step, grads, zero };
  }

  it("windows: every step's loss counted once, each window reaching k2 steps back", () => {
    expect(truncatedWindows(10, 4)).toEqual([
      { from: 0, lossFrom: 0, to: 4 }, { from: 4, lossFrom: 4, to: 8 }, { from: 8, lossFrom: 8, to: 10 },
    ]);
    expect(truncatedWindows(10, 3, 5)).toEqual([
      { from: 0, lossFrom: 0, to: 3 }, { from: 1, lossFrom: 3, to: 6 }, { from: 4, lossFrom: 6, to: 9 }, { from: 7, lossFrom: 9, to: 10 },
    ]);
    expect(truncatedWindows(7, 7)).toEqual([{ from: 0, lossFrom: 0, to: 7 }]);
    expect(() => truncatedWindows(10, 4, 2)).toThrow(/k2 \(2, steps backpropagated\) must be >= k1 \(4, steps between updates\)/);
    expect(() => truncatedWindows(10, 0)).toThrow(/k1 must be a positive integer, got 0/);
  });

  it("with k1 = k2 = T it is full BPTT, exactly", () => {
    const m = setup();
    m.zero();
    const full = m.window(0, 0, T);
    full.backward();
    const expected = m.grads();
    m.zero();
    const r = truncatedBPTT(T, undefined, m.step, { k1: T, k2: T });
    expect(m.grads()).toEqual(expected);
    expect(r.loss).toBe(full.loss);
    expect(r.last?.h.toArray()).toEqual(full.f.last.h.toArray());
  });

  it("with k1 = k2 = 4 the gradient is the sum of the per-segment gradients (state carried, gradient cut), exactly", () => {
    const m = setup();
    // By hand: segments [0,4), [4,8), [8,10); each starts from the last state of the one before.
    m.zero();
    let state: RecurrentState | undefined;
    let total = 0;
    for (const [a, b] of [[0, 4], [4, 8], [8, 10]]) {
      const f = m.rnn.forward(m.x.slice(a, b), state);
      const o = m.dense.forward(f.h);
      const ce = softmaxCrossEntropy(o.y, m.targets.slice(a * B, b * B));
      m.rnn.backward(f, m.dense.backward(o, ce.dLogits)); // no dLast; dFirst dropped
      total += ce.loss;
      state = f.last;
    }
    const expected = m.grads();
    m.zero();
    const seen: number[] = [];
    const r = truncatedBPTT(T, undefined, m.step, { k1: 4, afterWindow: (w) => seen.push(w.to) });
    expect(m.grads()).toEqual(expected);
    expect(r.loss).toBe(total);
    expect(seen).toEqual([4, 8, 10]);
    expect(r.last?.h.toArray()).toEqual(state?.h.toArray());
  });

  it("with k1 = 3, k2 = 5: gradient check against the loss with window-start states frozen, float64: max relative error < 1e-6", () => {
    const m = setup();
    // The state at each step, from ONE forward pass at the current weights: the
    // constants the truncated gradient treats window starts as.
    const h = m.rnn.forward(m.x).h;
    const frozen = (s: number): RecurrentState | undefined => (s === 0 ? undefined : { h: h.at(s - 1).clone() });
    const windows = truncatedWindows(T, 3, 5);
    const frozenStarts = windows.map((w) => frozen(w.from));
    const surrogate = () => windows.reduce((L, w, j) => L + m.window(w.from, w.lossFrom, w.to, frozenStarts[j]).loss, 0);
    const results = gradCheck(m.params, surrogate, () => {
      m.zero();
      truncatedBPTT(T, undefined, m.step, { k1: 3, k2: 5 });
    });
    expectGradCheck(m.params, results, 1e-6);

    // And it IS truncated: against the same losses with states recomputed
    // from step 0 (gradient through every boundary), the recurrent weights disagree.
    const unfrozen = () => windows.reduce((L, w) => {
      const start = w.from === 0 ? undefined : { h: m.rnn.forward(m.x.slice(0, w.from)).last.h };
      return L + m.window(w.from, w.lossFrom, w.to, start).loss;
    }, 0);
    const [whh] = gradCheck([m.rnn.Whh], unfrozen, () => {
      m.zero();
      truncatedBPTT(T, undefined, m.step, { k1: 3, k2: 5 });
    });
    expect(whh.maxRelativeError).toBeGreaterThan(1e-3);
  });

  it("works for any layer: a Stacked model's layered state is carried between windows (k1 = k2 = T equals full BPTT)", () => {
    const rng = new Random(42);
    const stack = new Stacked([new RNN(I, H, { rng, dtype: "float64", name: "a" }), new RNN(H, H, { rng, dtype: "float64", name: "b" })], { skip: "residual" });
    const x = new Sequence(T, B, randn(rng, T * B, I));
    const R = randn(rng, T * B, H);
    const step: ModelStep<LayeredState | undefined> = (w, first) => {
      const f = stack.forward(x.slice(w.from, w.to), first);
      const Rw = new Sequence(w.to - w.from, B, new Matrix((w.to - w.from) * B, H, R.data.slice(w.from * B * H, w.to * B * H)));
      for (let t = 0; t < w.lossFrom - w.from; t++) Rw.at(t).fill(0);
      return { loss: dot(f.h.data, Rw.data), last: f.last, backward: () => void stack.backward(f, Rw) };
    };
    const full = stack.forward(x);
    stack.parameters().forEach((p) => p.zeroGrad());
    stack.backward(full, new Sequence(T, B, R));
    const expected = stack.parameters().map((p) => Array.from(p.grad.data));
    stack.parameters().forEach((p) => p.zeroGrad());
    const r = truncatedBPTT(T, undefined, step, { k1: T });
    expect(stack.parameters().map((p) => Array.from(p.grad.data))).toEqual(expected);
    expect(r.last?.layers).toHaveLength(2);
    // Segments of 3: the layered state flows on, so the forward outputs match the full run's last state.
    const seg = truncatedBPTT(T, undefined, step, { k1: 3 });
    expect(seg.last?.layers[0].h.toArray()).toEqual(full.last.layers[0].h.toArray());
  });
});
