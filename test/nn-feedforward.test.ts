import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Random } from "../lib/src";
import { Matrix, Parameter, ReLU, FeedForwardNetwork, FeedForwardOptions, Highway, Dense, gradCheck, softmaxCrossEntropy, Sequence } from "../lib/src/nn";
import { compareWithTf, expectAgreement, tensorOf } from "./tfgrad";
import { dot, expectGradCheck, randn } from "./helpers";

describe("ReLU", () => {
  it("by hand: max(0, x), and the gradient passes only where x > 0 (0 at x = 0)", () => {
    const relu = new ReLU();
    const f = relu.forward(Matrix.from([[-1.5, 0, 2], [3, -0.25, 0.5]], "float64"));
    expect(Array.from(f.y.data)).toEqual([0, 0, 2, 3, 0, 0.5]);
    const dx = relu.backward(f, Matrix.from([[5, 6, 7], [8, 9, 10]], "float64"));
    expect(Array.from(dx.data)).toEqual([0, 0, 7, 8, 0, 10]);
    expect(relu.parameters()).toEqual([]);
  });

  it("float64 finite differences: dx within 1e-8 relative", () => {
    const rng = new Random(3);
    const relu = new ReLU();
    // Inputs kept at least 0.1 away from the kink, where the finite difference would straddle it.
    const x = new Parameter("x", randn(rng, 5, 4));
    x.value.data.forEach((v, i) => (x.value.data[i] = v >= 0 ? v + 0.1 : v - 0.1));
    const R = randn(rng, 5, 4);
    const results = gradCheck([x], () => dot(relu.forward(x.value).y, R), () => {
      x.zeroGrad();
      x.grad.data.set(relu.backward(relu.forward(x.value), R).data);
    });
    expectGradCheck([x], results, 1e-8);
  });

  it("on a Sequence: the same numbers as on its matrix, and a Sequence back", () => {
    const rng = new Random(4);
    const relu = new ReLU();
    const x = new Sequence(3, 2, randn(rng, 6, 3));
    const dy = new Sequence(3, 2, randn(rng, 6, 3));
    const f = relu.forward(x);
    const dx = relu.backward(f, dy);
    expect(f.y).toBeInstanceOf(Sequence);
    expect(dx).toBeInstanceOf(Sequence);
    expect(Array.from(dx.data.data)).toEqual(Array.from(relu.backward(relu.forward(x.data), dy.data).data));
  });

  it("agrees with TensorFlow.js autodiff (float32)", () => {
    const rng = new Random(5);
    const relu = new ReLU();
    const x = randn(rng, 6, 5, "float32"), R = randn(rng, 6, 5, "float32");
    const report = compareWithTf({
      params: [],
      inputs: { x },
      engine: () => {
        const f = relu.forward(x);
        return { loss: dot(f.y, R), inputGrads: { x: relu.backward(f, R) } };
      },
      tf: (_p, inp) => tf.sum(tf.relu(inp.x).mul(tensorOf(R))) as tf.Scalar,
    });
    expectAgreement(report, 1e-5);
  });

  it("names bad input", () => {
    const relu = new ReLU();
    const f = relu.forward(Matrix.zeros(2, 3));
    expect(() => relu.backward(f, Matrix.zeros(3, 3))).toThrow(/ReLU\.backward: dy: expected shape the shape of x = \[2, 3\], got \[3, 3\]/);
    expect(() => relu.forward(Matrix.from([[NaN]]))).toThrow(/ReLU: input x holds NaN at row 0, column 0/);
  });
});

describe("FeedForwardNetwork: structure", () => {
  const make = (o: Partial<FeedForwardOptions>) =>
    new FeedForwardNetwork({ kind: "highway", inputSize: 784, width: 50, depth: 10, classes: 10, rng: new Random(1), ...o });

  it("counts its weights as the paper's networks: about 5,100 per hidden layer for 50 highway or 71 plain units", () => {
    // highway: 784·50 + 50 = 39,250; 9 × 2·(50·50 + 50) = 45,900; readout 50·10 + 10 = 510
    const highway = make({});
    expect(highway.parameterCount).toBe(39250 + 45900 + 510);
    expect(highway.layers.length).toBe(9);
    expect(highway.layers.every((l) => l instanceof Highway)).toBe(true);
    // plain: 784·71 + 71 = 55,735; 9 × (71·71 + 71) = 46,008; readout 71·10 + 10 = 720
    const plain = make({ kind: "plain", width: 71 });
    expect(plain.parameterCount).toBe(55735 + 46008 + 720);
    expect(plain.layers.every((l) => l instanceof Dense)).toBe(true);
    expect(plain.parameters().map((p) => p.name).slice(0, 4)).toEqual(["layer1.W", "layer1.b", "layer2.W", "layer2.b"]);
    expect(highway.parameters().map((p) => p.name).slice(2, 6)).toEqual(["layer2.WH", "layer2.bH", "layer2.WT", "layer2.bT"]);
  });

  it("initializes the weights before a ReLU with He's N(0, 2/fan_in), the gates with N(0, 1/fan_in) and b_T = transformBias", () => {
    const net = make({ depth: 30, transformBias: -3 });
    const std = (ps: Parameter[]) => {
      const v = ps.flatMap((p) => Array.from(p.value.data));
      const m = v.reduce((s, x) => s + x, 0) / v.length;
      return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
    };
    const highways = net.layers as Highway[];
    expect(std([net.first.W]) / Math.sqrt(2 / 784)).toBeCloseTo(1, 1); // 39,200 draws: within ±1%
    expect(std(highways.map((l) => l.WH)) / Math.sqrt(2 / 50)).toBeCloseTo(1, 1);
    expect(std(highways.map((l) => l.WT)) / Math.sqrt(1 / 50)).toBeCloseTo(1, 1);
    expect(highways.every((l) => Array.from(l.bT.value.data).every((b) => b === -3))).toBe(true);
    const plain = make({ kind: "plain", width: 71, init: "default" });
    expect(std((plain.layers as Dense[]).map((l) => l.W)) / Math.sqrt(1 / 71)).toBeCloseTo(1, 1);
  });

  it("with a very negative transform bias every highway layer carries: the last output equals the first", () => {
    const net = make({ depth: 6, transformBias: -40, dtype: "float64" });
    const x = randn(new Random(2), 4, 784, "float64", 0.5);
    const f = net.forward(x);
    expect(f.outputs.length).toBe(6);
    expect(f.gates.length).toBe(5);
    const gap = Math.max(...f.outputs[5].data.map((v, i) => Math.abs(v - f.outputs[0].data[i])));
    expect(gap).toBeLessThan(1e-12); // T = σ(−40 + …) < 1e-15
    const readout = net.readout.forward(f.outputs[0]).y;
    expect(Math.max(...f.logits.data.map((v, i) => Math.abs(v - readout.data[i])))).toBeLessThan(1e-12);
  });

  it("predicts the argmax of the logits and scores accuracy against the labels", () => {
    const net = make({ depth: 2, classes: 4, dtype: "float64" });
    net.readout.W.value.data.fill(0);
    net.readout.b.value.data.set([0, 0.5, 2, 1]); // every row scores class 2 highest
    const x = randn(new Random(3), 5, 784, "float64");
    expect(Array.from(net.predict(x))).toEqual([2, 2, 2, 2, 2]);
    expect(net.accuracy(x, [2, 0, 2, 3, 2])).toBeCloseTo(3 / 5, 15);
  });

  it("rejects bad options and inputs, naming them", () => {
    const o = { kind: "highway", inputSize: 4, width: 3, depth: 2, classes: 2, rng: new Random(0) } as FeedForwardOptions;
    const bad = (extra: object) => () => new FeedForwardNetwork({ ...o, ...extra } as FeedForwardOptions);
    expect(bad({ kind: "residual" })).toThrow(/FeedForwardNetwork: kind must be "plain" or "highway", got "residual"/);
    expect(bad({ depth: 0 })).toThrow(/FeedForwardNetwork: depth must be a positive integer, got 0/);
    expect(bad({ width: 2.5 })).toThrow(/width must be a positive integer, got 2.5/);
    expect(bad({ rng: 7 })).toThrow(/pass a seeded Random as rng/);
    expect(bad({ kind: "plain", transformBias: -2 })).toThrow(/transformBias is a highway option/);
    expect(bad({ init: "glorot" })).toThrow(/init must be "he" or "default", got "glorot"/);
    expect(bad({ transformBias: NaN })).toThrow(/Highway: transformBias must be a finite number/);
    const net = new FeedForwardNetwork(o);
    expect(() => net.forward(Matrix.zeros(2, 5))).toThrow(/FeedForwardNetwork: input x: expected shape \[rows, inputSize\] = \[2, 4\], got \[2, 5\]/);
    const f = net.forward(Matrix.zeros(2, 4));
    expect(() => net.backward(f, Matrix.zeros(2, 3))).toThrow(/FeedForwardNetwork\.backward: dLogits: expected shape \[rows, classes\] = \[2, 2\], got \[2, 3\]/);
    const other = new FeedForwardNetwork({ ...o, kind: "plain" });
    expect(() => other.backward(f, Matrix.zeros(2, 2))).toThrow(/does not belong to this network \(layer 2\)/);
    expect(() => net.accuracy(Matrix.zeros(2, 4), [0])).toThrow(/1 labels for 2 rows/);
  });
});

describe("FeedForwardNetwork: gradients", () => {
  for (const kind of ["plain", "highway"] as const) {
    it(`${kind}: softmax cross-entropy gradients match float64 finite differences (every parameter, and x)`, () => {
      const rng = new Random(11);
      const net = new FeedForwardNetwork({ kind, inputSize: 6, width: 5, depth: 4, classes: 3, rng: new Random(12), dtype: "float64", transformBias: kind === "highway" ? -1 : undefined });
      // Move the biases off 0 so that the gates and the ReLUs are in general position.
      for (const p of net.parameters()) for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.2);
      const x = new Parameter("x", randn(rng, 7, 6));
      const labels = [0, 2, 1, 1, 0, 2, 2];
      const params = [...net.parameters(), x];
      const loss = () => softmaxCrossEntropy(net.forward(x.value).logits, labels).loss;
      const results = gradCheck(params, loss, () => {
        for (const p of params) p.zeroGrad();
        const f = net.forward(x.value);
        x.grad.data.set(net.backward(f, softmaxCrossEntropy(f.logits, labels).dLogits).data);
      });
      expectGradCheck(params, results, 1e-6);
      expect(results.length).toBe(kind === "plain" ? 2 * 5 + 1 : 2 + 4 * 3 + 2 + 1);
    });
  }

  it("lossAndGradients = forward + cross-entropy + backward, adding into grad", () => {
    const net = new FeedForwardNetwork({ kind: "highway", inputSize: 6, width: 5, depth: 3, classes: 3, rng: new Random(13), dtype: "float64" });
    const x = randn(new Random(14), 4, 6), labels = [2, 0, 1, 2];
    const f = net.forward(x);
    const { loss, dLogits } = softmaxCrossEntropy(f.logits, labels);
    net.backward(f, dLogits);
    const once = net.parameters().map((p) => Array.from(p.grad.data));
    expect(net.lossAndGradients(x, labels)).toBe(loss);
    net.parameters().forEach((p, k) => p.grad.data.forEach((g, i) => expect(g).toBeCloseTo(2 * once[k][i], 12)));
  });
});
